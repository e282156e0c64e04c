"""Shared fixtures for the default scenario's verify step.

Every request in these tests is made from inside the proxy container to its own
127.0.0.1 (or to the lab containers), exactly as the task's proof does with curl.
"""
import json
import os
import re
import shlex
import subprocess
import sys
import time
import uuid

import pytest
import testinfra

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
PROJECT = os.environ["MOLECULE_PROJECT_DIRECTORY"]
SITE = os.path.join(PROJECT, "playbooks", "site.yml")
# tests/docs_blocks.py (the docs' marked blocks, the lab → scenario table) is shared with tests/unit
sys.path.append(os.path.join(PROJECT, "tests"))
DOMAIN = "alvin.xyz"
APP_USER = "dumbflix"
PM2_NAME = "dumbflix-frontend"
PORT = 3000
ACCESS_LOG = "/var/log/nginx/dumbflix.access.log"
UPSTREAM_FILE = "/etc/nginx/conf.d/upstream-dumbflix.conf"
UPSTREAM_ADDR = re.compile(r'upstream_addr="([^"]*)"')
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
    """Send `count` requests through the proxy; return (status codes, probe id).

    The probe id is a query string that lets the caller find exactly these
    requests in the access log.
    """
    probe = uuid.uuid4().hex
    script = (
        f"for i in $(seq {count}); do "
        f"curl -s -o /dev/null -m {timeout} -w '%{{http_code}}\\n' "
        f"-H 'Host: {DOMAIN}' 'http://127.0.0.1{path}?probe={probe}&i='$i; done"
    )
    out = proxy.check_output(script)
    return out.split(), probe


def upstreams_for(proxy, probe, count):
    """The $upstream_addr of each of the `count` logged requests carrying this probe id.

    Fails unless exactly `count` lines are found, so a caller's assertion over the
    addresses can never pass on an empty (or short) log read.
    """
    # nginx writes the log line when the request ends; give it a moment
    lines = []
    for _ in range(30):
        lines = proxy.run(f"grep -F 'probe={probe}' {ACCESS_LOG}").stdout.splitlines()
        if len(lines) >= count:
            break
        time.sleep(0.1)
    assert len(lines) == count, f"{len(lines)} access log lines for probe {probe}, expected {count}"
    return [UPSTREAM_ADDR.search(line).group(1) for line in lines]


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


def recap(output):
    """{host: {ok: N, changed: N, ...}} from the PLAY RECAP of an ansible-playbook run."""
    hosts = {}
    for line in output[output.rindex("PLAY RECAP"):].splitlines()[1:]:
        match = re.match(r"(\S+)\s+:\s+(.*)", line)
        if not match:
            break
        hosts[match.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(2))}
    return hosts


def pm2(app_host, *args):
    """pm2 as the app user, as root runs it on a host without sudo (su sets HOME to the user's)."""
    return app_host.run(f"su -s /bin/sh -c {shlex.quote(' '.join(('pm2',) + args))} {APP_USER}")


def pm2_status(app_host):
    out = pm2(app_host, "jlist").stdout
    procs = json.loads(out[out.index("["):])
    return {p["name"]: p["pm2_env"]["status"] for p in procs}
