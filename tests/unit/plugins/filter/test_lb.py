"""Unit tests for the dumbflix.stack load balancer filters (plugins/filter/lb.py).

The filters are called directly with plain dicts standing in for hostvars; the
last tests run them through ansible-playbook so Ansible's own hostvars,
templating and FQCN lookup are exercised too.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest
from ansible.errors import AnsibleFilterError
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.dumbflix.stack.plugins.filter import lb
from ansible_collections.dumbflix.stack.plugins.module_utils.nginx_upstream_conf import (
    MAX_WEIGHT,
    normalize_upstream,
    render_upstream,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


def facts(address):
    return {"ansible_default_ipv4": {"address": address, "interface": "eth0"}}


def two_hosts(**app2):
    hv = {"app1": facts("172.19.0.3"), "app2": facts("172.19.0.4")}
    hv["app2"].update(app2)
    return hv


def refused(func, *args, **kwargs):
    with pytest.raises(AnsibleFilterError) as info:
        func(*args, **kwargs)
    return str(info.value)


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


# lb_domain / lb_hosts_line --------------------------------------------------------


def test_domain_is_lowercased():
    assert lb.lb_domain("Alvin.XYZ") == "alvin.xyz"


def test_domain_errors_name_the_host_when_given():
    assert refused(lb.lb_domain, "a b", host="proxy").startswith("host proxy: dumbflix_domain: 'a b' contains ' '")
    assert refused(lb.lb_domain, "*.x.y", "lb_server_aliases", host="proxy").startswith(
        "host proxy: lb_server_aliases: '*.x.y' is a server_name pattern"
    )
    assert refused(lb.lb_domain, "", host="proxy") == (
        "host proxy: dumbflix_domain: is required: the domain the proxy serves, e.g. alvin.xyz"
    )


@pytest.mark.parametrize(
    "value,expected",
    [
        ("a b", "dumbflix_domain: 'a b' contains ' '"),
        ("alvin.xyz;", "dumbflix_domain: 'alvin.xyz;' contains ';'"),
        ("alvin..xyz", "dumbflix_domain: 'alvin..xyz' has an empty label"),
        ("*.alvin.xyz", "dumbflix_domain: '*.alvin.xyz' is a server_name pattern"),
        ("www.alvin.*", "dumbflix_domain: 'www.alvin.*' is a server_name pattern"),
        (".alvin.xyz", "dumbflix_domain: '.alvin.xyz' is a server_name pattern"),
        ("_", "dumbflix_domain: '_' is a server_name pattern"),
        ("~^alvin", "dumbflix_domain: '~^alvin' is a regular expression"),
        ("", "dumbflix_domain: is required"),
        (None, "dumbflix_domain: is required"),
        (42, "dumbflix_domain: 42 is not a server name"),
    ],
)
def test_bad_domains(value, expected):
    assert refused(lb.lb_domain, value).startswith(expected)


def test_hosts_line():
    assert lb.lb_hosts_line("172.19.0.2", "Alvin.xyz") == "172.19.0.2 alvin.xyz"
    assert lb.lb_hosts_line("[2001:DB8::2]", "alvin.xyz") == "2001:db8::2 alvin.xyz"


@pytest.mark.parametrize(
    "address,expected",
    [
        ("proxy.example", "host proxy: lb_hosts_address: 'proxy.example' is not an IP address"),
        ("1.2.3.4 evil", "host proxy: lb_hosts_address: '1.2.3.4 evil' contains ' '"),
        ("", "host proxy: lb_hosts_address: not set"),
        (None, "host proxy: lb_hosts_address: not set"),
    ],
)
def test_bad_hosts_address(address, expected):
    assert refused(lb.lb_hosts_line, address, "alvin.xyz", host="proxy").startswith(expected)


# Through Ansible itself: real hostvars, templating, FQCN lookup -------------------


def run_playbook(tmp_path, inventory, tasks):
    (tmp_path / "inv.yml").write_text(textwrap.dedent(inventory))
    play = [{"name": "filters", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]
    (tmp_path / "play.yml").write_text(json.dumps(play))
    # The collection as Ansible finds it from an installed path; JSON output, no other callbacks.
    (tmp_path / "ansible.cfg").write_text(
        textwrap.dedent(
            """\
        [defaults]
        collections_path = %s
        home = %s
        local_tmp = %s
        stdout_callback = ansible.builtin.json
        localhost_warning = false
        """
            % (os.path.join(ROOT, ".ansible", "collections"), tmp_path / "home", tmp_path / "tmp")
        )
    )
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith("ANSIBLE_"))
    env["ANSIBLE_CONFIG"] = str(tmp_path / "ansible.cfg")
    bindir = os.path.dirname(sys.executable)
    proc = subprocess.run(
        [os.path.join(bindir, "ansible-playbook"), "-i", str(tmp_path / "inv.yml"), str(tmp_path / "play.yml")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,  # the callers assert the exit status and the message themselves
    )
    return proc


INVENTORY = """
all:
  hosts:
    localhost:
      ansible_connection: local
      ansible_python_interpreter: "{{ ansible_playbook_python }}"
  children:
    app:
      hosts:
        app1:
          lb_backend: {address: 10.9.0.1, weight: "{{ 1 + 2 }}"}
        app2:
          dumbflix_port: 3001
          lb_backend: {address: 10.9.0.2, fail_timeout: %s}
"""


@pytest.mark.skipif(
    not os.path.exists(os.path.join(os.path.dirname(sys.executable), "ansible-playbook")),
    reason="ansible-playbook is not installed next to this Python",
)
def test_through_ansible_playbook(tmp_path):
    task = {"ansible.builtin.debug": {"msg": "{{ groups['app'] | dumbflix.stack.lb_servers(hostvars, 3000) }}"}}
    # the role's way: plain option and variable dicts, passed positionally
    blocks = {
        "ansible.builtin.debug": {
            "msg": (
                "{{ [groups['app'] | dumbflix.stack.lb_servers(hostvars, 3000)"
                " | dumbflix.stack.lb_upstream(groups['app'], {'name': 'dumbflix', 'method': 'least_conn'}, {'method': 'lb_method'}),"
                " {'name': 'dumbflix', 'server_names': ['alvin.xyz'], 'upstream': 'dumbflix'}"
                " | dumbflix.stack.lb_site({'name': 'lb_site_name'}, host='localhost')] }}"
            )
        }
    }
    proc = run_playbook(tmp_path, INVENTORY % "10s", [task, blocks])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tasks = json.loads(proc.stdout)["plays"][0]["tasks"]
    result = tasks[0]["hosts"]["localhost"]["msg"]
    assert [(s["address"], s["port"], s["weight"], s["fail_timeout"]) for s in result] == [
        ("10.9.0.1", 3000, 3, None),
        ("10.9.0.2", 3001, None, "10s"),
    ]
    upstream, site = tasks[1]["hosts"]["localhost"]["msg"]
    assert (upstream["method"], len(upstream["servers"]), site["proxy_pass"]) == ("least_conn", 2, "http://dumbflix")

    proc = run_playbook(tmp_path, INVENTORY % "abc", [task])
    assert proc.returncode != 0
    assert "host app2: lb_backend.fail_timeout: 'abc' is not an nginx time" in proc.stdout


# lb_drain: the rolling deploy's view of the upstream


def _two_servers():
    return [
        {"address": "10.0.0.1", "port": 3000, "weight": 3, "down": False},
        {"address": "10.0.0.2", "port": 3000, "weight": 1, "down": False},
    ]


def test_drain_marks_only_the_batch_down_and_keeps_every_other_parameter():
    out = lb.lb_drain(_two_servers(), ["app1", "app2"], ["app2"])
    assert out[0] == _two_servers()[0]
    assert out[1] == dict(_two_servers()[1], down=True)
    rendered = render_upstream(normalize_upstream({"name": "dumbflix", "servers": out}))
    assert "server 10.0.0.2:3000 weight=1 down;" in rendered
    assert "server 10.0.0.1:3000 weight=3;" in rendered


def test_drain_of_nobody_is_the_upstream_itself():
    assert lb.lb_drain(_two_servers(), ["app1", "app2"], []) == _two_servers()


def test_drain_of_a_host_outside_the_upstream_names_it():
    with pytest.raises(AnsibleFilterError, match=r"host app3: dumbflix_rollout: is not a backend of this upstream"):
        lb.lb_drain(_two_servers(), ["app1", "app2"], ["app3"])


def test_drain_refuses_a_server_list_that_does_not_match_the_hosts():
    with pytest.raises(AnsibleFilterError, match=r"the upstream has 2 servers for 3 app hosts"):
        lb.lb_drain(_two_servers(), ["app1", "app2", "app3"], ["app1"])
