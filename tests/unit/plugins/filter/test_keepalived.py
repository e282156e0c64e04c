"""The keepalived filters (plugins/filter/keepalived.py): the proxy group -> one proxy's VRRP instance."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.dumbflix.stack.plugins.filter.keepalived import keepalived_vrrp, vrrp_addresses

VIP = "172.30.239.100/24"


def facts(address, **more):
    return dict({"ansible_default_ipv4": {"address": address, "interface": "eth0"}, "dumbflix_vip": VIP}, **more)


HOSTVARS = {"proxy1": facts("172.30.239.10"), "proxy2": facts("172.30.239.13"), "proxy3": facts("172.30.239.14")}


def settings(**changes):
    return dict({"dumbflix_vip": VIP, "keepalived_priority": 0}, **changes)


def refusal(*args, **kwargs):
    with pytest.raises(AnsibleFilterError) as info:
        keepalived_vrrp(*args, **kwargs)
    return str(info.value)


def test_peers_are_the_other_proxies_and_priorities_follow_the_inventory():
    proxies = ["proxy1", "proxy2", "proxy3"]
    first = keepalived_vrrp(proxies, HOSTVARS, settings(), host="proxy1")
    second = keepalived_vrrp(proxies, HOSTVARS, settings(), host="proxy2")
    assert (first["unicast_src"], first["unicast_peers"], first["priority"]) == (
        "172.30.239.10",
        ["172.30.239.13", "172.30.239.14"],
        200,
    )
    assert (second["unicast_src"], second["unicast_peers"], second["priority"]) == (
        "172.30.239.13",
        ["172.30.239.10", "172.30.239.14"],
        190,
    )
    assert first["interface"] == "eth0" and first["virtual_address"] == VIP
    # the password is checked, never put into a fact
    assert "auth_pass" not in first


def test_an_own_priority_address_and_interface_win():
    hostvars = dict(HOSTVARS, proxy2=facts("172.30.239.13", keepalived_address="172.30.239.23"))
    result = keepalived_vrrp(
        ["proxy1", "proxy2"], hostvars, settings(keepalived_priority=250, keepalived_interface="ens3"), host="proxy1"
    )
    assert (result["priority"], result["interface"], result["unicast_peers"]) == (250, "ens3", ["172.30.239.23"])
    assert vrrp_addresses(["proxy1", "proxy2"], hostvars) == ["172.30.239.10", "172.30.239.23"]


def test_no_vip_anywhere_is_no_instance():
    hostvars = {name: {"ansible_default_ipv4": {"address": "10.0.0.%d" % i}} for i, name in enumerate(["p1", "p2"])}
    assert keepalived_vrrp(["p1", "p2"], hostvars, {"dumbflix_vip": ""}, host="p1") == {}


@pytest.mark.parametrize(
    "hostvars, changes, message",
    [
        (
            dict(HOSTVARS, proxy2=facts("172.30.239.13", dumbflix_vip="172.30.239.101/24")),
            {},
            "host proxy1: dumbflix_vip differs from proxy2's ('172.30.239.101/24' on proxy2, '172.30.239.100/24' here)",
        ),
        (
            dict(HOSTVARS, proxy2=facts("172.30.239.13", keepalived_auth_pass="other")),
            {"keepalived_auth_pass": "mine"},
            "host proxy1: keepalived_auth_pass differs from proxy2's: every host of the proxy group must share it",
        ),
        (
            {name: dict(hv, dumbflix_vip="10.1.0.100/24") for name, hv in HOSTVARS.items()},
            {"dumbflix_vip": "10.1.0.100/24"},
            "host proxy1: dumbflix_vip: '10.1.0.100/24' is not on the network of this host's own address 172.30.239.10",
        ),
        (HOSTVARS, {"keepalived_priority": 300}, "host proxy1: keepalived_priority: 300 is above the maximum 254"),
        (
            HOSTVARS,
            {"keepalived_virtual_router_id": 0},
            "host proxy1: keepalived_virtual_router_id: 0 is below the minimum 1",
        ),
        (
            dict(HOSTVARS, proxy2={"dumbflix_vip": VIP}),
            {},
            "host proxy2: keepalived_address: not set, and the host has no primary IPv4",
        ),
        (
            dict(HOSTVARS, proxy2=facts("172.30.239.13", keepalived_address="lb2")),
            {},
            "host proxy2: keepalived_address: 'lb2' is not an IPv4 address",
        ),
    ],
)
def test_refusals_name_the_host_and_the_variable(hostvars, changes, message):
    text = refusal(["proxy1", "proxy2"], hostvars, settings(**changes), host="proxy1")
    assert message in text, text


def test_a_host_outside_the_group_is_refused():
    assert "host app1: is not in the proxy group" in refusal(["proxy1"], HOSTVARS, settings(), host="app1")
