"""The releases scenario's hosts: Debian 12 and Debian 11, each proxy and app, reached through docker as root.
The inventory has no monitor group, so Debian 12, the first proxy, is the monitor too."""

import json
import os
import re
import shlex
import subprocess
import time

import pytest
import testinfra
import topology

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
PROJECT = os.environ["MOLECULE_PROJECT_DIRECTORY"]
SITE = os.path.join(PROJECT, "playbooks", "site.yml")
DOMAIN = "alvin.xyz"
CERT_FILE = "/etc/nginx/tls/dumbflix.crt"
UPSTREAM_FILE = "/etc/nginx/conf.d/upstream-dumbflix.conf"
ACCESS_LOG = "/var/log/nginx/dumbflix.access.log"
# what each Debian release ships, the versions the issue names for it
RELEASES = {
    "rel-bookworm": {"debian": "12", "nginx": "1.22.", "node": "v18."},
    "rel-bullseye": {"debian": "11", "nginx": "1.18.", "node": "v12."},
}


# the first proxy: what the collection picks when the inventory has no monitor group
MONITOR = "rel-bookworm"
APP_USER = "dumbflix"
PM2_NAME = "dumbflix-frontend"
PROMETHEUS = "http://127.0.0.1:9090"
ALERTMANAGER = "http://127.0.0.1:9093"
# the lab's webhook receiver on the monitor host, which Alertmanager's webhook receiver posts to
RECEIVER = "http://127.0.0.1:9099/alerts"

# pm2 as the app user, as root runs it on a host without sudo (su sets HOME to the user's)
PM2 = topology.Pm2AsUser(lambda argv: f"su -s /bin/sh -c {shlex.quote(' '.join(argv))} {APP_USER}")


def host(name):
    return testinfra.get_host(f"ansible://{name}", ansible_inventory=INVENTORY)


@pytest.fixture(scope="session")
def hosts():
    return {name: host(name) for name in RELEASES}


@pytest.fixture(scope="session")
def monitor():
    return host(MONITOR)


def get_json(h, url):
    """GET `url` with curl on host `h`; the parsed JSON answer."""
    return json.loads(h.check_output(f"curl -fsS -m 5 {shlex.quote(url)}"))


def firing(monitor_host):
    """{(alertname, host label)} of Prometheus' alerts that are firing now."""
    alerts = get_json(monitor_host, f"{PROMETHEUS}/api/v1/alerts")["data"]["alerts"]
    return {(a["labels"]["alertname"], a["labels"].get("host", "")) for a in alerts if a["state"] == "firing"}


def received(monitor_host):
    """[(status, alertname, host label)] of every alert Alertmanager posted to the lab's receiver, in order."""
    return [
        (alert["status"], alert["labels"]["alertname"], alert["labels"].get("host", ""))
        for body in get_json(monitor_host, RECEIVER)
        for alert in body.get("alerts", [])
    ]


def wait_until(condition, seconds, step=1.0):
    """Seconds until condition() was true, or None after `seconds`."""
    started = time.time()
    while time.time() - started < seconds:
        if condition():
            return time.time() - started
        time.sleep(step)
    return None


def run_site(*args):
    """Run playbooks/site.yml as a user would; return the finished process (output as text)."""
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", PY_COLORS="0")
    return subprocess.run(
        ["ansible-playbook", SITE, "-i", INVENTORY, *args], capture_output=True, text=True, check=False, env=env
    )


def one_line(res):
    """A run's output as one line: ansible-core folds long messages over lines, on stdout or stderr."""
    return re.sub(r"\s+", " ", res.stdout + res.stderr)
