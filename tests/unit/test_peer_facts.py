"""The peers' facts gathered outside --limit (roles/peer_facts): a peer whose ansible_host is templated from
inventory_hostname is reached, when delegating, under the delegating host's name, so the gathering returns the
facts of a host of this run. Every role that gathers peer facts (firewall, keepalived, load_balancer) must refuse
them, naming the host, the peer and the variable that would give the peer's address instead.

The inventory uses the local connection: whatever the templated ansible_host says, the gathering reaches the
machine the run host is on, which is exactly what a templated ansible_host does on a real network.

The same runs show the load balancer taking the app port and nginx's service name from the roles that own their
defaults (their tasks_from: publish), without reading those roles' files."""

import os
import subprocess
import sys

import pytest
import yaml
from ansible_run import run_ansible

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# role -> (the variables the role needs to get as far as the gathering, the variable that names a peer's address)
ROLES = {
    "firewall": ({}, "firewall_proxy_addresses"),
    "keepalived": ({"dumbflix_vip": "192.0.2.200/24"}, "keepalived_address"),
    "load_balancer": ({"dumbflix_domain": "dumbflix.test"}, "lb_backend.address"),
}


def inventory(peer_vars, runner_vars):
    peer = {"ansible_host": "{{ lab_name }}-{{ inventory_hostname }}", **peer_vars}
    hosts = {"runner": runner_vars, "peer": peer}
    return {
        "all": {
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": sys.executable,
                "lab_name": "lab",
            },
            "children": {"app": {"hosts": hosts}, "proxy": {"hosts": hosts}},
        }
    }


def run_validate(tmp_path, role, peer_vars=None, runner_vars=None):
    """ansible-playbook running the role's validate entry point on `runner` alone, `peer` outside the run."""
    role_vars, _ = ROLES[role]
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(inventory(peer_vars or {}, runner_vars or {})))
    playbook = [
        {
            "hosts": "runner",
            "gather_facts": True,
            "gather_subset": ["!all", "!min", "network"],
            "tasks": [
                {
                    "name": "Check the role's inventory",
                    "ansible.builtin.include_role": {"name": f"dumbflix.stack.{role}", "tasks_from": "validate"},
                    "vars": role_vars,
                }
            ],
        }
    ]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(playbook))
    return run_ansible(
        "ansible-playbook", tmp_path, "-i", "hosts.yml", "play.yml", ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg")
    )


GUARD = "dumbflix.stack.peer_facts : Refuse peer facts that the gathering took from a host of this run"
GATHER = "dumbflix.stack.peer_facts : Gather the network facts of "


def failures(result):
    """The failure messages of the run, by task name (role tasks prefixed with the role's name)."""
    found = {}
    for play in result["plays"]:
        for task in play["tasks"]:
            for outcome in task["hosts"].values():
                for item in outcome.get("results", [outcome]):
                    if item.get("failed"):
                        found.setdefault(task["task"]["name"], []).append(item.get("msg", ""))
    return found


@pytest.fixture(scope="module")
def machine_has_a_default_address():
    """The guard compares the peer's default IPv4 address with the run's: without one there is nothing to compare."""
    done = subprocess.run(["ip", "-4", "route", "show", "default"], capture_output=True, text=True, check=False)
    if done.returncode != 0 or not done.stdout.strip():
        pytest.skip("this machine has no default IPv4 route, so gathered facts carry no default address")


@pytest.mark.parametrize("role", sorted(ROLES))
def test_facts_of_a_host_of_the_run_are_refused(tmp_path, role, machine_has_a_default_address):
    done, result = run_validate(tmp_path, role)
    _, variable = ROLES[role]
    assert done.returncode != 0, done.stdout[-3000:]
    assert gathered_for(result)
    messages = failures(result).get(GUARD)
    assert messages, (role, failures(result))
    assert len(messages) == 1
    message = " ".join(messages[0].split())
    assert message.startswith(
        "host runner: the facts gathered for peer (not in this run, e.g. --limit) give it the address "
    )
    assert "which belongs to a host of this run" in message
    assert message.endswith(f"set {variable} on peer, or run without --limit")


def gathered_for(result):
    """Whether the peer-facts gathering ran for `peer`."""
    for play in result["plays"]:
        for task in play["tasks"]:
            if task["task"]["name"].startswith(GATHER):
                for outcome in task["hosts"].values():
                    for item in outcome.get("results", []):
                        if item.get("item") == "peer" and not item.get("skipped"):
                            return True
    return False


@pytest.mark.parametrize(
    ("role", "peer_vars"),
    [
        # without a monitor group the first proxy, this peer, is also the monitor host the exporters admit
        ("firewall", {"firewall_proxy_addresses": ["198.51.100.7"], "monitoring_address": "198.51.100.7"}),
        ("keepalived", {"keepalived_address": "198.51.100.7"}),
        ("load_balancer", {"lb_backend": {"address": "198.51.100.7"}}),
    ],
)
def test_a_peer_that_gives_its_address_is_neither_gathered_nor_refused(tmp_path, role, peer_vars):
    _, result = run_validate(tmp_path, role, peer_vars)
    assert not gathered_for(result)
    assert GUARD not in failures(result)


def facts_set(result, task_suffix):
    """The facts the task whose name ends with task_suffix set on `runner`."""
    for play in result["plays"]:
        for task in play["tasks"]:
            if task["task"]["name"].endswith(task_suffix):
                return task["hosts"]["runner"].get("ansible_facts", {})
    raise AssertionError("no task named ...%s ran" % task_suffix)


def owner_default(role, name):
    with open(os.path.join(ROOT, "roles", role, "defaults", "main.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)[name]


@pytest.mark.parametrize(("runner_vars", "port"), [({}, None), ({"dumbflix_port": 3100}, 3100)])
def test_the_load_balancer_reads_shared_defaults_from_their_owners(tmp_path, runner_vars, port):
    """The app port and nginx's service name come from the app and nginx roles (their tasks_from: publish): the
    load balancer states neither default and reads no other role's files; an inventory value still wins."""
    peer = {"lb_backend": {"address": "198.51.100.7"}}
    done, result = run_validate(tmp_path, "load_balancer", peer, runner_vars)
    assert done.returncode == 0, failures(result)
    port = port or owner_default("dumbflix_frontend", "dumbflix_port")
    servers = facts_set(result, "Build the backend list from the app group and check the domain")
    assert sorted(server["port"] for server in servers["_load_balancer_servers"]) == [port, port]
    service = facts_set(result, "Remember the upstream, its app hosts and nginx's service for the rolling deploy")
    assert service["_load_balancer_nginx_service"] == owner_default("nginx", "nginx_service_name")
