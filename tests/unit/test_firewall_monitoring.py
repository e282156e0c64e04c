"""The firewall's rules for the monitoring (roles/firewall/tasks/validate.yml with dumbflix.stack.monitoring's
tasks_from: publish), built by a real ansible-playbook over local hosts, read back from the fact the rules
are loaded from (_firewall_rules): each host's exporter ports admit the monitor hosts only; the app port
admits the monitor hosts too (the blackbox exporter probes each backend directly); a proxy without a floating
address, which had no table, now has one; dumbflix_monitoring: false adds nothing.

Addresses come from the inventory (firewall_proxy_addresses, monitoring_address, or an ansible_default_ipv4
given as a host variable), so nothing is gathered and nothing is changed (--check)."""

import os
import sys

import pytest
import yaml
from ansible_run import run_ansible

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")

pytestmark = pytest.mark.skipif(
    not os.path.exists(ANSIBLE_PLAYBOOK), reason="ansible-playbook is not installed next to this Python"
)

PROXY, APP1, APP2, MON = "192.0.2.10", "192.0.2.21", "192.0.2.22", "192.0.2.30"


def local(**variables):
    return dict(variables, ansible_connection="local", ansible_python_interpreter=sys.executable)


def topology(monitor=True, **all_vars):
    """The task's proxy and two app servers, and a monitor host unless ``monitor`` is false."""
    children = {
        "proxy": {"hosts": {"proxy1": local(firewall_proxy_addresses=[PROXY], monitoring_address=PROXY)}},
        "app": {
            "hosts": {
                "app1": local(ansible_default_ipv4={"address": APP1}),
                "app2": local(monitoring_address=APP2, dumbflix_port=3100),
            }
        },
    }
    if monitor:
        children["monitor"] = {"hosts": {"mon1": local(ansible_default_ipv4={"address": MON})}}
    return {"all": {"vars": all_vars, "children": children}}


def build_rules(tmp_path, inventory):
    """{host: its _firewall_rules, or the failure message}."""
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    play = [
        {
            "name": "Check",
            "hosts": "all",
            "gather_facts": False,
            "tasks": [{"ansible.builtin.include_role": {"name": "dumbflix.stack.firewall", "tasks_from": "validate"}}],
        }
    ]
    (tmp_path / "check.yml").write_text(yaml.safe_dump(play))
    proc, output = run_ansible("ansible-playbook", tmp_path, "-i", "inventory.yml", "check.yml", "--check")
    assert output is not None, proc.stdout[-3000:] + proc.stderr[-3000:]
    found = {}
    for task in output["plays"][0]["tasks"]:
        for host, result in task["hosts"].items():
            for item in result.get("results") or [result]:
                if item.get("failed"):
                    found[host] = " ".join(item.get("msg", "").split())
            if "_firewall_rules" in result.get("ansible_facts", {}):
                found[host] = result["ansible_facts"]["_firewall_rules"]
    return found


def rule(ports, sources, protocol="tcp"):
    return {"protocol": protocol, "ports": ports, "sources": sources}


def test_every_exporter_admits_the_monitor_hosts_only(tmp_path):
    rules = build_rules(tmp_path, topology())
    assert rules["app1"] == [rule([3000], [PROXY, MON]), rule([9100], [MON])]
    assert rules["app2"] == [rule([3100], [PROXY, MON]), rule([9100], [MON])]
    # no dumbflix_vip: before the monitoring this proxy had no rule, so no table
    assert rules["proxy1"] == [rule([9100, 9113, 3903], [MON])]
    assert rules["mon1"] == [rule([9100], [MON])]


def test_without_a_monitor_group_the_first_proxy_monitors(tmp_path):
    rules = build_rules(tmp_path, topology(monitor=False))
    assert rules["app1"] == [rule([3000], [PROXY]), rule([9100], [PROXY])]
    assert rules["proxy1"] == [rule([9100, 9113, 3903], [PROXY])]


def test_monitoring_web_sources_guard_prometheus_and_alertmanager_on_the_monitor_hosts(tmp_path):
    inventory = topology(
        monitoring_web_sources=["198.51.100.0/24", "2001:db8::7"],
        monitoring_prometheus_listen="0.0.0.0:9190",
        monitoring_alertmanager_listen="[::]:9193",
    )
    rules = build_rules(tmp_path, inventory)
    assert rules["mon1"] == [rule([9100], [MON]), rule([9190, 9193], ["198.51.100.0/24", "2001:db8::7"])]
    assert rules["app1"] == [rule([3000], [PROXY, MON]), rule([9100], [MON])]


def test_monitoring_off_leaves_the_rules_as_they_were(tmp_path):
    rules = build_rules(tmp_path, topology(dumbflix_monitoring=False, monitoring_web_sources=["198.51.100.0/24"]))
    assert rules["app1"] == [rule([3000], [PROXY])]
    assert rules["proxy1"] == []
    assert rules["mon1"] == []


@pytest.mark.parametrize(
    "all_vars, host, message",
    [
        (
            {"monitoring_web_sources": ["198.51.100.1/24"]},
            "mon1",
            "host mon1: monitoring_web_sources[0]: '198.51.100.1/24' has host bits set; the network is 198.51.100.0/24",
        ),
        (
            {"monitoring_web_sources": ["198.51.100.1"], "monitoring_prometheus_listen": "localhost"},
            "mon1",
            "host mon1: monitoring_prometheus_listen: 'localhost' is not a listen address",
        ),
    ],
)
def test_bad_values_name_the_host_and_the_variable(tmp_path, all_vars, host, message):
    assert message in build_rules(tmp_path, topology(**all_vars))[host]


def test_a_bad_monitoring_address_is_refused_on_the_hosts_it_would_let_in(tmp_path):
    inventory = topology()
    inventory["all"]["children"]["monitor"]["hosts"]["mon1"]["monitoring_address"] = "mon1.example"
    found = build_rules(tmp_path, inventory)
    for host in ("app1", "app2", "proxy1", "mon1"):
        assert "host mon1: monitoring_address: 'mon1.example' is not an IP address or network" in found[host], host
