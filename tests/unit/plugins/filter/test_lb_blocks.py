"""Unit tests for lb_upstream and lb_site (plugins/filter/lb.py): the nginx blocks built from the role's options."""

import pytest

from ansible_collections.dumbflix.stack.plugins.filter import lb
from ansible_collections.dumbflix.stack.tests.unit.plugins.filter.lb_cases import refused, two_hosts

# lb_upstream ----------------------------------------------------------------

# What dumbflix.stack.load_balancer passes: nginx_upstream option -> its inventory variable.
UPSTREAM_VARIABLES = {
    "name": "lb_upstream_name",
    "method": "lb_method",
    "hash_key": "lb_hash_key",
    "consistent": "lb_hash_consistent",
    "keepalive": "lb_keepalive",
    "zone_size": "lb_zone_size",
}


def servers_of(**app2):
    return lb.lb_servers(["app1", "app2"], two_hosts(**app2), 3000)


def test_upstream_normalized():
    up = lb.lb_upstream(
        servers_of(),
        ["app1", "app2"],
        {"name": "dumbflix", "method": "least_conn", "keepalive": 16},
        UPSTREAM_VARIABLES,
    )
    assert (up["name"], up["method"], up["keepalive"], len(up["servers"])) == ("dumbflix", "least_conn", 16, 2)
    assert up["zone_size"] == "64k"  # nginx_upstream's default, not restated by the filter


def test_upstream_hash_without_key_names_lb_hash_key():
    msg = refused(
        lb.lb_upstream,
        servers_of(),
        ["app1", "app2"],
        {"name": "dumbflix", "method": "hash", "hash_key": ""},
        UPSTREAM_VARIABLES,
        host="proxy",
    )
    assert msg == "host proxy: lb_hash_key: '' is required with method=hash (e.g. $request_uri)"


def test_upstream_backup_with_ip_hash_names_the_app_host():
    msg = refused(
        lb.lb_upstream,
        servers_of(lb_backend={"backup": True}),
        ["app1", "app2"],
        {"name": "dumbflix", "method": "ip_hash"},
        UPSTREAM_VARIABLES,
        host="proxy",
    )
    assert msg.startswith("host app2: lb_backend.backup: True cannot be used with method=ip_hash")


def test_upstream_all_backup_names_the_group():
    hv = two_hosts(lb_backend={"backup": True})
    hv["app1"]["lb_backend"] = {"backup": True}
    msg = refused(
        lb.lb_upstream,
        lb.lb_servers(["app1", "app2"], hv, 3000),
        ["app1", "app2"],
        {"name": "dumbflix"},
        UPSTREAM_VARIABLES,
        host="proxy",
    )
    assert msg.startswith("host proxy: the app group (lb_backend): are all backup servers")


@pytest.mark.parametrize(
    "option,value,expected",
    [
        ("method", "fastest", "host proxy: lb_method: 'fastest' is not one of round_robin"),
        ("keepalive", -1, "host proxy: lb_keepalive: -1 is below the minimum 0"),
        ("name", "dumb flix", "host proxy: lb_upstream_name: 'dumb flix' contains ' '"),
    ],
)
def test_upstream_option_errors_name_the_variable(option, value, expected):
    opts = {"name": "dumbflix", option: value}
    assert refused(lb.lb_upstream, servers_of(), ["app1", "app2"], opts, UPSTREAM_VARIABLES, host="proxy").startswith(
        expected
    )


def test_upstream_option_without_a_variable_is_named_as_the_option():
    msg = refused(
        lb.lb_upstream,
        servers_of(),
        ["app1", "app2"],
        {"name": "dumbflix", "keepalive_timeout": "60s"},
        UPSTREAM_VARIABLES,
        host="proxy",
    )
    assert msg == "host proxy: keepalive_timeout: '60s' is only used with keepalive > 0 (keepalive is 0, which is off)"


def test_upstream_unknown_option():
    assert refused(lb.lb_upstream, servers_of(), ["app1", "app2"], {"name": "x", "tries": 3}, {}) == (
        "lb_upstream: unknown option tries"
    )
    # the filter fills in servers itself
    assert refused(lb.lb_upstream, servers_of(), ["app1", "app2"], {"name": "x", "servers": []}, {}) == (
        "lb_upstream: unknown option servers"
    )
    assert refused(lb.lb_upstream, servers_of(), ["app1", "app2"], {"name": "x"}, {"methd": "lb_method"}) == (
        "lb_upstream: variables: unknown option methd"
    )


def test_upstream_options_and_variables_must_be_dicts():
    assert refused(lb.lb_upstream, servers_of(), ["app1", "app2"], "dumbflix", {}).startswith(
        "lb_upstream: expected a dict of nginx_upstream options, got 'dumbflix'"
    )
    assert refused(lb.lb_upstream, servers_of(), ["app1", "app2"], {"name": "x"}, None).startswith(
        "lb_upstream: variables: expected a dict of option -> variable name"
    )


# lb_site ----------------------------------------------------------------------

SITE = {
    "name": "dumbflix",
    "server_names": ["alvin.xyz", "www.alvin.xyz"],
    "listen": [80],
    "upstream": "dumbflix",
    "connect_timeout": "2s",
    "next_upstream": ["error", "timeout", "http_502"],
    "next_upstream_tries": 0,
}

# What dumbflix.stack.load_balancer passes: nginx_reverse_proxy option -> its inventory variable.
SITE_VARIABLES = {
    "name": "lb_site_name",
    "upstream": "lb_upstream_name",
    "listen": "lb_listen",
    "websocket": "lb_websocket",
    "connect_timeout": "lb_connect_timeout",
    "read_timeout": "lb_read_timeout",
    "next_upstream": "lb_next_upstream",
    "next_upstream_tries": "lb_next_upstream_tries",
    "next_upstream_timeout": "lb_next_upstream_timeout",
}


def test_site_normalized():
    site = lb.lb_site(SITE, SITE_VARIABLES, host="proxy")
    assert site["proxy_pass"] == "http://dumbflix"
    assert site["connect_timeout"] == "2s"
    assert site["server_names"] == ["alvin.xyz", "www.alvin.xyz"]


@pytest.mark.parametrize(
    "change,expected",
    [
        ({"connect_timeout": "abc"}, "host proxy: lb_connect_timeout: 'abc' is not an nginx time"),
        ({"read_timeout": 0}, "host proxy: lb_read_timeout: 0 must be greater than 0"),
        ({"next_upstream": ["error", "http_999"]}, "host proxy: lb_next_upstream[1]: 'http_999' is not one of"),
        ({"next_upstream_tries": -2}, "host proxy: lb_next_upstream_tries: -2 is below the minimum 0"),
        ({"listen": [80, "80"]}, "host proxy: lb_listen[1]: '80' is already listed"),
        ({"server_names": ["alvin.xyz", "bad name"]}, "host proxy: lb_server_aliases[0]: 'bad name' contains ' '"),
        ({"server_names": ["al;vin.xyz"]}, "host proxy: dumbflix_domain: 'al;vin.xyz' contains ';'"),
        ({"name": "-x"}, "host proxy: lb_site_name: '-x' is not a valid name"),
    ],
)
def test_site_errors_name_the_variable(change, expected):
    opts = dict(SITE, **change)
    assert refused(lb.lb_site, opts, SITE_VARIABLES, host="proxy").startswith(expected)


def test_site_connect_timeout_message_in_full():
    assert refused(lb.lb_site, dict(SITE, connect_timeout="abc"), SITE_VARIABLES, host="proxy") == (
        "host proxy: lb_connect_timeout: 'abc' is not an nginx time (e.g. 10, 30s, 500ms, 1m)"
    )


def test_site_unknown_option_and_not_a_dict():
    assert refused(lb.lb_site, dict(SITE, tries=3), SITE_VARIABLES) == "lb_site: unknown option tries"
    assert refused(lb.lb_site, SITE, {"timeout": "lb_timeout"}) == "lb_site: variables: unknown option timeout"
    assert refused(lb.lb_site, ["alvin.xyz"], SITE_VARIABLES) == (
        "lb_site: expected a dict of nginx_reverse_proxy options, got ['alvin.xyz']"
    )
