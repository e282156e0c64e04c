"""The firewall_sources filter (plugins/filter/firewall.py): the proxy group -> the checked sources the app hosts let in."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.dumbflix.stack.plugins.filter.firewall import firewall_sources


def facts(address):
    return {"ansible_default_ipv4": {"address": address, "interface": "eth0"}}


def refusal(*args, **kwargs):
    with pytest.raises(AnsibleFilterError) as info:
        firewall_sources(*args, **kwargs)
    return str(info.value)


def test_each_proxys_primary_ipv4_or_its_own_addresses_then_the_extra_ones():
    hv = {
        "proxy1": facts("172.30.239.10"),
        "proxy2": dict(facts("172.30.239.20"), firewall_proxy_addresses=["10.0.0.2", "2001:db8::2"]),
    }
    assert firewall_sources(["proxy1", "proxy2"], hv, ["192.168.1.0/24", "10.0.0.2"], host="app1") == [
        "172.30.239.10",
        "10.0.0.2",
        "2001:db8::2",
        "192.168.1.0/24",
    ]


def test_a_new_proxy_joins_the_sources():
    hv = {"proxy1": facts("172.30.239.10"), "proxy2": facts("172.30.239.13")}
    assert firewall_sources(["proxy1"], hv) == ["172.30.239.10"]
    assert firewall_sources(["proxy1", "proxy2"], hv) == ["172.30.239.10", "172.30.239.13"]


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        (([], {}), {}, "the proxy group has no hosts"),
        (
            (["proxy1"], {"proxy1": {}}),
            {},
            "host proxy1: firewall_proxy_addresses: not set, and the host has no primary IPv4",
        ),
        (
            (["proxy1"], {"proxy1": {"firewall_proxy_addresses": ["lb1.example"]}}),
            {},
            "host proxy1: firewall_proxy_addresses[0]: 'lb1.example' is not an IP address or network",
        ),
        (
            (["proxy1"], {"proxy1": {"firewall_proxy_addresses": "10.0.0.2"}}),
            {},
            "host proxy1: firewall_proxy_addresses: '10.0.0.2' is not a list",
        ),
        (
            (["proxy1"], {"proxy1": facts("172.30.239.10")}),
            {"extra": ["10.0.0.1/8"], "host": "app2"},
            "host app2: firewall_extra_sources[0]: '10.0.0.1/8' has host bits set; the network is 10.0.0.0/8",
        ),
        ((["proxy9"], {}), {}, "host proxy9: is in the proxy group but has no hostvars"),
    ],
)
def test_bad_inventory_values_name_the_host_and_the_variable(args, kwargs, message):
    assert message in refusal(*args, **kwargs)


def test_the_monitor_hosts_by_their_one_monitoring_address_or_primary_ipv4():
    hv = {
        "mon1": facts("172.30.240.12"),
        "mon2": dict(facts("172.30.240.13"), monitoring_address="2001:db8::13"),
        "proxy1": dict(facts("172.30.240.10"), monitoring_address=""),
    }
    sources = firewall_sources(
        ["mon1", "mon2", "proxy1"], hv, group="monitor", variable="monitoring_address", single=True
    )
    assert sources == ["172.30.240.12", "2001:db8::13", "172.30.240.10"]


@pytest.mark.parametrize(
    "value, message",
    [
        ("10.0.0.0/24", "host mon1: monitoring_address: '10.0.0.0/24' is a network, not the host's address"),
        (["10.0.0.5"], "host mon1: monitoring_address: ['10.0.0.5'] is not an IP address or network"),
        ("mon1.example", "host mon1: monitoring_address: 'mon1.example' is not an IP address or network"),
    ],
)
def test_a_single_address_variable_takes_one_address(value, message):
    hv = {"mon1": dict(facts("172.30.240.12"), monitoring_address=value)}
    assert message in refusal(["mon1"], hv, group="monitor", variable="monitoring_address", single=True)


def test_sources_without_hosts_when_not_required():
    """The web rule of a monitor host: only the user's sources, each checked and named."""
    assert firewall_sources([], {}, ["192.0.2.0/24"], host="mon1", required=False) == ["192.0.2.0/24"]
    message = refusal([], {}, ["192.0.2.1/24"], host="mon1", extra_variable="monitoring_web_sources", required=False)
    assert (
        message == "host mon1: monitoring_web_sources[0]: '192.0.2.1/24' has host bits set; the network is 192.0.2.0/24"
    )
