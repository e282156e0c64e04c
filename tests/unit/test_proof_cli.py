"""scripts/proof.py (make proof) refuses bad input before it touches any host, saying what to do."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "proof.py")


def run(*args, env=None):
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True, check=False,
                          env=dict(os.environ, **(env or {})))


def inventory(tmp_path, hosts_yml):
    (tmp_path / "hosts.yml").write_text(hosts_yml)
    return str(tmp_path / "hosts.yml")


def refused(tmp_path, hosts_yml, *args):
    """Run the proof on this inventory; it must refuse (exit 1). Returns what it said."""
    res = run("-i", inventory(tmp_path, hosts_yml), *args)
    assert res.returncode == 1
    return res.stderr


def test_missing_inventory_is_refused():
    res = run("-i", "/nonexistent/inventory")
    assert res.returncode == 2
    assert "inventory /nonexistent/inventory does not exist" in res.stderr


@pytest.mark.parametrize("connect", ["127.0.0.1", "127.0.0.1:80:80", "a b:80", ":80"])
def test_connect_that_is_not_host_port_is_refused(connect):
    res = run("--connect", connect)
    assert res.returncode == 2
    assert "is not HOST:PORT" in res.stderr


def test_browser_named_by_chromium_must_exist():
    res = run("--connect", "127.0.0.1:9", env={"CHROMIUM": "/nonexistent/chromium"})
    assert res.returncode == 1
    assert "CHROMIUM=/nonexistent/chromium is not an executable file" in res.stderr


NEEDS_CHROMIUM = pytest.mark.skipif(
    not (os.path.exists("/usr/lib/chromium/chromium") or os.environ.get("CHROMIUM")),
    reason="chromium is installed by make deps",
)


@NEEDS_CHROMIUM
def test_one_app_host_is_refused(tmp_path):
    stderr = refused(tmp_path, """
all:
  vars: {dumbflix_domain: alvin.xyz}
  children:
    proxy: {hosts: {p1: {}}}
    app: {hosts: {a1: {}}}
""", "--connect", "127.0.0.1:9")
    assert "group 'app' of" in stderr and "has one host (a1)" in stderr


@NEEDS_CHROMIUM
def test_inventory_without_proxy_is_refused(tmp_path):
    stderr = refused(tmp_path, "all:\n  children:\n    app: {hosts: {a1: {}, a2: {}}}\n", "--connect", "127.0.0.1:9")
    assert "needs a host in group 'proxy' and one in group 'app'" in stderr


@NEEDS_CHROMIUM
def test_bad_domain_is_refused(tmp_path):
    stderr = refused(tmp_path, """
all:
  vars: {dumbflix_domain: "alvin.xyz; evil"}
  children:
    proxy: {hosts: {p1: {}}}
    app: {hosts: {a1: {}, a2: {}}}
""", "--connect", "127.0.0.1:9")
    assert "dumbflix_domain is 'alvin.xyz; evil', not a domain" in stderr


@NEEDS_CHROMIUM
def test_no_published_port_and_no_connect_is_refused(tmp_path):
    stderr = refused(tmp_path, """
all:
  vars: {dumbflix_domain: alvin.xyz}
  children:
    proxy: {hosts: {p1: {}}}
    app: {hosts: {a1: {}, a2: {}}}
""")
    assert "publishes no port 80 (lab_published_ports): pass --connect HOST:PORT" in stderr


@NEEDS_CHROMIUM
def test_site_that_does_not_answer_stops_before_any_host_changes(tmp_path):
    # nothing listens on 127.0.0.1:9 (discard): the proof refuses before it runs Ansible on the hosts
    inv = inventory(tmp_path, """
all:
  vars: {dumbflix_domain: alvin.xyz, ansible_connection: local}
  children:
    proxy: {hosts: {p1: {}}}
    app: {hosts: {a1: {}, a2: {}}}
""")
    res = run("-i", inv, "--connect", "127.0.0.1:9", "--out", str(tmp_path / "out"))
    assert res.returncode == 1
    assert "http://alvin.xyz/ through 127.0.0.1:9 gave no answer" in res.stderr
    assert "is the lab up? run 'make up'" in res.stderr
    assert not (tmp_path / "out").exists()
