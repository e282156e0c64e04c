"""Unit tests for the dumbflix.stack load balancer filters (plugins/filter/lb.py): the upstream's servers from the
app group (lb_servers). The filters are called directly with plain dicts standing in for hostvars.

test_lb_blocks.py covers lb_upstream and lb_site, test_lb_domain.py lb_domain, lb_hosts_line and lb_drain, and a
run through ansible-playbook so Ansible's own hostvars, templating and FQCN lookup are exercised too."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.dumbflix.stack.plugins.filter import lb
from ansible_collections.dumbflix.stack.plugins.module_utils.nginx_upstream_conf import (
    MAX_WEIGHT,
    render_upstream,
)
from ansible_collections.dumbflix.stack.tests.unit.plugins.filter.lb_cases import facts, refused, two_hosts

# lb_servers ---------------------------------------------------------------


def test_servers_from_facts_in_inventory_order():
    servers = lb.lb_servers(["app2", "app1"], two_hosts(), 3000)
    assert [(s["address"], s["port"]) for s in servers] == [("172.19.0.4", 3000), ("172.19.0.3", 3000)]
    assert servers[0] == {
        "address": "172.19.0.4",
        "port": 3000,
        "weight": None,
        "max_fails": None,
        "fail_timeout": None,
        "backup": False,
        "down": False,
        "max_conns": None,
    }


def test_lb_backend_parameters_and_address_override_facts():
    hv = two_hosts(
        lb_backend={
            "address": "10.1.2.3",
            "weight": 3,
            "max_fails": 2,
            "fail_timeout": "10s",
            "backup": True,
            "max_conns": 50,
        }
    )
    servers = lb.lb_servers(["app1", "app2"], hv, 3000)
    assert servers[1] == {
        "address": "10.1.2.3",
        "port": 3000,
        "weight": 3,
        "max_fails": 2,
        "fail_timeout": "10s",
        "backup": True,
        "down": False,
        "max_conns": 50,
    }


def test_ini_style_strings_are_converted():
    hv = two_hosts(lb_backend={"weight": "3", "down": "yes", "fail_timeout": "30"})
    server = lb.lb_servers(["app1", "app2"], hv, 3000)[1]
    assert (server["weight"], server["down"], server["fail_timeout"]) == (3, True, "30")


def test_per_host_dumbflix_port_wins_over_the_default():
    hv = two_hosts(dumbflix_port=3001)
    servers = lb.lb_servers(["app1", "app2"], hv, 3000)
    assert [s["port"] for s in servers] == [3000, 3001]


def test_none_lb_backend_and_none_values_mean_not_set():
    hv = two_hosts(lb_backend={"weight": None})
    hv["app1"]["lb_backend"] = None
    assert [s["weight"] for s in lb.lb_servers(["app1", "app2"], hv, 3000)] == [None, None]


def test_weight_zero_names_host_and_variable():
    msg = refused(lb.lb_servers, ["app1", "app2"], two_hosts(lb_backend={"weight": 0}), 3000)
    assert msg == "host app2: lb_backend.weight: 0 is below the minimum 1"


def test_fail_timeout_abc_names_host_and_variable():
    msg = refused(lb.lb_servers, ["app1", "app2"], two_hosts(lb_backend={"fail_timeout": "abc"}), 3000)
    assert msg.startswith("host app2: lb_backend.fail_timeout: 'abc' is not an nginx time")


def test_nginx_syntax_in_a_value_is_refused_not_pasted():
    msg = refused(lb.lb_servers, ["app1", "app2"], two_hosts(lb_backend={"fail_timeout": "10s; deny all"}), 3000)
    assert msg.startswith("host app2: lb_backend.fail_timeout: '10s; deny all' contains ';'")
    msg = refused(lb.lb_servers, ["app1", "app2"], two_hosts(lb_backend={"address": "evil;host"}), 3000)
    assert msg.startswith("host app2: lb_backend.address: 'evil;host'")


def test_unknown_key_is_refused():
    msg = refused(lb.lb_servers, ["app1", "app2"], two_hosts(lb_backend={"wieght": 2}), 3000)
    assert msg.startswith("host app2: lb_backend.wieght: is not a known key (allowed: address, weight,")
    # port comes from dumbflix_port, not from lb_backend
    msg = refused(lb.lb_servers, ["app1", "app2"], two_hosts(lb_backend={"port": 3001}), 3000)
    assert msg.startswith("host app2: lb_backend.port: is not a known key")


def test_lb_backend_not_a_dict():
    msg = refused(lb.lb_servers, ["app1", "app2"], two_hosts(lb_backend="weight=3"), 3000)
    assert msg.startswith("host app2: lb_backend: 'weight=3' is not a dict")


def test_bad_port_names_dumbflix_port():
    msg = refused(lb.lb_servers, ["app1", "app2"], two_hosts(dumbflix_port=70000), 3000)
    assert msg == "host app2: dumbflix_port: 70000 is above the maximum 65535"
    msg = refused(lb.lb_servers, ["app1"], two_hosts(), "3000x")
    assert msg == "host app1: dumbflix_port: '3000x' is not an integer"


@pytest.mark.parametrize("hostvars", [{}, {"ansible_default_ipv4": {}}, {"ansible_default_ipv4": None}])
def test_no_facts_and_no_address(hostvars):
    msg = refused(lb.lb_servers, ["app1"], {"app1": hostvars}, 3000)
    assert msg.startswith("host app1: lb_backend.address: not set, and the host has no primary IPv4")
    assert "ansible_default_ipv4.address" in msg


def test_address_from_facts_is_validated_and_named_as_fact():
    msg = refused(lb.lb_servers, ["app1"], {"app1": facts("999.1.1.1")}, 3000)
    assert msg.startswith("host app1: ansible_default_ipv4.address: '999.1.1.1' is not a valid IPv4 address")


@pytest.mark.parametrize("group", [[], ()])
def test_empty_app_group(group):
    msg = refused(lb.lb_servers, group, {}, 3000)
    assert msg.startswith("the app group has no hosts")


def test_group_must_be_a_list():
    assert "expected a list of host names" in refused(lb.lb_servers, "app1", {}, 3000)
    assert "expected a list of host names" in refused(lb.lb_servers, None, {}, 3000)


def test_host_without_hostvars():
    assert refused(lb.lb_servers, ["ghost"], {}, 3000) == "host ghost: is in the app group but has no hostvars"


def test_duplicate_address_names_both_hosts():
    hv = two_hosts(lb_backend={"address": "172.19.0.3"})
    msg = refused(lb.lb_servers, ["app1", "app2"], hv, 3000)
    assert msg.startswith("host app2: lb_backend.address: backend 172.19.0.3:3000 is already the backend of host app1")


def test_duplicate_detected_after_normalization():
    hv = {"a": {"lb_backend": {"address": "App.Example"}}, "b": {"lb_backend": {"address": "app.example"}}}
    assert "already the backend of host a" in refused(lb.lb_servers, ["a", "b"], hv, 3000)
    hv = {"a": {"lb_backend": {"address": "2001:db8::1"}}, "b": {"lb_backend": {"address": "[2001:DB8:0::1]"}}}
    assert "already the backend of host a" in refused(lb.lb_servers, ["a", "b"], hv, 3000)


def test_same_address_other_port_is_fine():
    hv = two_hosts(lb_backend={"address": "172.19.0.3"}, dumbflix_port=3001)
    assert len(lb.lb_servers(["app1", "app2"], hv, 3000)) == 2


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 254), st.integers(1, MAX_WEIGHT), st.integers(1, 65535)),
        min_size=1,
        max_size=12,
        unique_by=lambda t: t[0],
    )
)
def test_every_host_becomes_one_rendered_server_line(hosts):
    names = ["app%d" % i for i in range(len(hosts))]
    hv = dict(
        (name, {"lb_backend": {"address": "10.0.0.%d" % last, "weight": weight}, "dumbflix_port": port})
        for name, (last, weight, port) in zip(names, hosts)
    )
    servers = lb.lb_servers(names, hv, 3000)
    text = render_upstream(lb.lb_upstream(servers, names, {"name": "dumbflix"}, {}))
    lines = [line.strip() for line in text.splitlines() if line.strip().startswith("server ")]
    assert lines == ["server 10.0.0.%d:%d weight=%d;" % (last, port, weight) for last, weight, port in hosts]
