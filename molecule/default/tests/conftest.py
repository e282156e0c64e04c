"""Shared fixtures for the default scenario's verify step.

Every request in these tests is made from inside the proxy container to its own
127.0.0.1 (or to the lab containers), exactly as the task's proof does with curl.
"""

import json
import os
import re
import shlex
import subprocess

import pytest
import testinfra
import topology

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
PROJECT = os.environ["MOLECULE_PROJECT_DIRECTORY"]
SITE = os.path.join(PROJECT, "playbooks", "site.yml")

DOMAIN = "alvin.xyz"
APP_USER = "dumbflix"
PM2_NAME = "dumbflix-frontend"
PORT = 3000
ACCESS_LOG = "/var/log/nginx/dumbflix.access.log"
UPSTREAM_FILE = "/etc/nginx/conf.d/upstream-dumbflix.conf"
# the stand-in's "Dumbflix" or the real app's "Dumbflix - <author>"
TITLE = re.compile(r"<title>Dumbflix( - [^<]+)?</title>")


def host(name):
    return testinfra.get_host(f"ansible://{name}", ansible_inventory=INVENTORY)


@pytest.fixture(scope="session")
def proxy():
    return host("mol-proxy1")


@pytest.fixture(scope="session")
def apps():
    return {name: host(name) for name in ("mol-app1", "mol-app2")}


def address_of(h):
    """The host's primary IPv4, which the upstream uses by default."""
    return h.check_output("hostname -I | cut -d' ' -f1")


def request_many(proxy, count, path="/", timeout=5):
    """Send `count` requests for the domain to the proxy's own 127.0.0.1 over HTTP; return (codes, probe id)."""
    return topology.request_many(proxy, count, f"http://127.0.0.1{path}", f"-H 'Host: {DOMAIN}'", timeout)


def upstreams_for(proxy, probe, count):
    """The $upstream_addr of each of the `count` logged requests carrying this probe id (exactly `count`)."""
    return topology.upstreams_for(proxy, probe, count, ACCESS_LOG)


def site_command(*extra_inventories, extra_vars=None, check=False):
    """The ansible-playbook command line of run_site."""
    args = ["ansible-playbook", SITE, "-i", INVENTORY]
    for inv in extra_inventories:
        args += ["-i", inv]
    if extra_vars:
        args += ["-e", json.dumps(extra_vars)]
    if check:
        args += ["--check", "--diff"]
    return args


def run_site(*extra_inventories, extra_vars=None, check=False):
    """Run playbooks/site.yml as a user would; return the finished process (output as text)."""
    args = site_command(*extra_inventories, extra_vars=extra_vars, check=check)
    # molecule forces colour on; the recap and diff are read as plain text
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", PY_COLORS="0")
    return subprocess.run(args, capture_output=True, text=True, check=False, env=env)


def site(*extra_inventories, extra_vars=None, check=False):
    """Run playbooks/site.yml (optionally in check mode), require success; return its output."""
    res = run_site(*extra_inventories, extra_vars=extra_vars, check=check)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    return res.stdout


# pm2 as the app user, as root runs it on a host without sudo (su sets HOME to the user's)
PM2 = topology.Pm2AsUser(lambda argv: f"su -s /bin/sh -c {shlex.quote(' '.join(argv))} {APP_USER}")
pm2, pm2_status = PM2.run, PM2.statuses


def app_under_pm2(app_host):
    return PM2.app(app_host, PM2_NAME)
