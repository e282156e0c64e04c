"""The releases scenario's hosts: Debian 12 and Debian 11, each proxy and app, reached through docker as root."""

import os
import re
import subprocess

import pytest
import testinfra

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


def host(name):
    return testinfra.get_host(f"ansible://{name}", ansible_inventory=INVENTORY)


@pytest.fixture(scope="session")
def hosts():
    return {name: host(name) for name in RELEASES}


def run_site(*args):
    """Run playbooks/site.yml as a user would; return the finished process (output as text)."""
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", PY_COLORS="0")
    return subprocess.run(
        ["ansible-playbook", SITE, "-i", INVENTORY, *args], capture_output=True, text=True, check=False, env=env
    )


def one_line(res):
    """A run's output as one line: ansible-core folds long messages over lines, on stdout or stderr."""
    return re.sub(r"\s+", " ", res.stdout + res.stderr)
