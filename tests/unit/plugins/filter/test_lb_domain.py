"""Unit tests for lb_domain, lb_hosts_line and lb_drain (plugins/filter/lb.py), and the filters through ansible-playbook."""

import json
import os
import subprocess
import sys
import textwrap

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.dumbflix.stack.plugins.filter import lb
from ansible_collections.dumbflix.stack.plugins.module_utils.nginx_upstream_conf import (
    normalize_upstream,
    render_upstream,
)
from ansible_collections.dumbflix.stack.tests.unit.plugins.filter.lb_cases import refused

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


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
