"""The firewall role on the app hosts: only the proxies reach the app port (server1's own nginx included: it is
proxy and app, as in the task), SSH stays open, and the rules live in the collection's own nftables table, which a
reload of its unit (what a boot does) brings back."""

import os
import re
import socket
import subprocess

import pytest
from conftest import INVENTORY, PROXIES

PORT = 3000
TABLE = "dumbflix"
UNIT = "dumbflix-firewall.service"


def address_of(h):
    return h.check_output("hostname -I | cut -d' ' -f1")


def curl_code(h, address, port=PORT):
    """HTTP status from `h` to address:port, or curl's exit code (7: refused, 28: timed out) as 'exit N'."""
    res = h.run(f"curl -s -o /dev/null -m 5 -w '%{{http_code}}' http://{address}:{port}/")
    return res.stdout if res.rc == 0 else f"exit {res.rc}"


def connects(address, port, timeout=5):
    """Whether this machine (the scenario network's host side) opens a TCP connection to address:port."""
    try:
        socket.create_connection((address, port), timeout=timeout).close()
        return True
    except OSError:
        return False


def sudo(h, command):
    return h.check_output(f"sudo -n {command}")


@pytest.fixture(scope="module")
def other_pairs(apps):
    """(source, target) app hosts where the source is no proxy: server2 -> server1."""
    return [
        (source, target)
        for source in sorted(apps)
        for target in sorted(apps)
        if source != target and source not in PROXIES
    ]


def test_every_proxy_reaches_each_backends_port_its_own_included(proxies, apps):
    for proxy_name, proxy_host in proxies.items():
        for name, h in apps.items():
            # server1 -> server1: its own nginx reaches its own app on the address the upstream names
            assert curl_code(proxy_host, address_of(h)) == "200", f"{proxy_name} -> {name}"


def test_another_app_host_is_refused(apps, other_pairs):
    assert other_pairs == [("server2", "server1")]
    for source, target in other_pairs:
        # the app is up and listening: only the firewall stands between the two
        assert curl_code(apps[target], "127.0.0.1") == "200", target
        assert curl_code(apps[source], address_of(apps[target])) == "exit 7", f"{source} -> {target}"


def test_this_machine_is_refused_on_the_app_port_but_not_on_ssh(apps):
    for name, h in apps.items():
        address = address_of(h)
        assert connects(address, 22), f"{name}: SSH unreachable from this machine"
        assert not connects(address, PORT), f"{name}: port {PORT} open to this machine"


def test_a_new_ssh_connection_works_after_the_rules_are_applied(apps):
    for name in apps:
        # no ControlMaster: a fresh TCP connection, not one the converge left open
        res = subprocess.run(
            [
                "ansible",
                name,
                "-i",
                INVENTORY,
                "-m",
                "ansible.builtin.ping",
                "-e",
                "ansible_ssh_args='-o ControlMaster=no -o ControlPath=none'",
            ],
            capture_output=True,
            text=True,
            check=False,
            env=dict(os.environ, ANSIBLE_NOCOLOR="1"),
        )
        assert res.returncode == 0 and "pong" in res.stdout, res.stdout + res.stderr


def allowed_sources(table, rule_prefix):
    """The addresses of the accept rule starting with rule_prefix (`tcp dport 3000`), one address or an nft set."""
    match = re.search(rf"^\s*{re.escape(rule_prefix)} ip saddr (\{{ [^}}]+ \}}|\S+) accept$", table, re.M)
    assert match, (rule_prefix, table)
    return set(match.group(1).strip("{} ").split(", "))


def test_rules_live_in_the_collections_table_only(proxies, apps):
    proxy_addresses = {address_of(h) for h in proxies.values()}
    for name, h in apps.items():
        tables = sudo(h, "nft list tables").splitlines()
        assert f"table inet {TABLE}" in tables, name
        # prepare.yml's table of the user's own came through the converge and the idempotence run
        assert "table inet molecule_user" in tables, name
        assert "tcp dport 9 counter" in sudo(h, "nft list table inet molecule_user"), name
        ours = sudo(h, f"nft list table inet {TABLE}")
        # every proxy, and nobody else
        assert allowed_sources(ours, f"tcp dport {PORT}") == proxy_addresses, (name, ours)
        assert f"tcp dport {PORT} reject with tcp reset" in ours, (name, ours)
        # nothing about SSH: the table governs only what the collection owns
        assert "dport 22" not in ours and "ssh" not in ours, (name, ours)
        # the ruleset was never taken over: /etc/nftables.conf is Debian's own, nftables.service off
        assert h.run("sudo -n systemctl is-enabled nftables.service").stdout.strip() == "disabled", name


def test_rules_come_back_when_the_unit_loads_them_as_at_boot(proxy, apps, other_pairs):
    for name, h in apps.items():
        before = sudo(h, f"nft list table inet {TABLE}")
        # as root: the image has no D-Bus, so only root reaches systemd (its private socket)
        assert sudo(h, f"systemctl is-enabled {UNIT}").strip() == "enabled", name
        sudo(h, f"nft delete table inet {TABLE}")
        sudo(h, f"systemctl restart {UNIT}")
        assert sudo(h, f"nft list table inet {TABLE}") == before, name
        assert "tcp dport 9 counter" in sudo(h, "nft list table inet molecule_user"), name
    source, target = other_pairs[0]
    assert curl_code(apps[source], address_of(apps[target])) == "exit 7"
    assert curl_code(proxy, address_of(apps[target])) == "200"


def test_the_app_port_may_not_be_the_ssh_port(apps):
    """Guarding the port Ansible connects on is refused by the check play, before any host changes."""
    site = os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], "playbooks", "site.yml")
    res = subprocess.run(
        ["ansible-playbook", site, "-i", INVENTORY, "-e", "dumbflix_port=22"],
        capture_output=True,
        text=True,
        check=False,
        env=dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1"),
    )
    # the refusal is in stdout or stderr (depending on the callback's settings), maybe folded over lines
    out = " ".join((res.stdout + res.stderr).split())
    assert res.returncode != 0
    for name in apps:
        assert f"host {name}: dumbflix_port: 22 is the port Ansible connects to {name} on" in out, (
            res.stdout[-2000:] + res.stderr[-2000:]
        )
    assert "PLAY [Deploy the app]" not in out
