"""The production scenario's hosts, reached the way the converge reached them: SSH as deploy.

The hosts are inventory/production's (server1: proxy and app, server2: app) plus a second proxy,
server3; their addresses and lb_backend are the scenario's host_vars files."""

import os
import shlex
import subprocess

import pytest
import testinfra
import topology
import yaml

SCENARIO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROJECT = os.environ["MOLECULE_PROJECT_DIRECTORY"]

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
SITE = os.path.join(PROJECT, "playbooks", "site.yml")
# prepare.yml makes this run's key pair here (ssh_key in inventory/group_vars/all/scenario.yml)
KEY = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "id_ed25519")
DOMAIN = "alvin.xyz"
PROXY = "server1"
PROXIES = ("server1", "server3")
APPS = ("server1", "server2")
APP_USER = "dumbflix"
PM2_NAME = "dumbflix-frontend"
PORT = 3000
# where molecule.yml publishes the proxy's ports 80 and 443 on this machine
HTTP_PORT = 18080
HTTPS_PORT = 18443
# dumbflix_tls: self_signed keeps the site's certificate here (lb_tls_dir/<lb_site_name>.crt)
CERT_FILE = "/etc/nginx/tls/dumbflix.crt"
SITE_FILE = "/etc/nginx/sites-available/dumbflix"
UPSTREAM_FILE = "/etc/nginx/conf.d/upstream-dumbflix.conf"
ACCESS_LOG = "/var/log/nginx/dumbflix.access.log"


def host_vars(name):
    with open(os.path.join(SCENARIO_DIR, "inventory", "host_vars", f"{name}.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def scenario_vars():
    with open(os.path.join(SCENARIO_DIR, "inventory", "group_vars", "all", "scenario.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def host(name):
    """The host over SSH as deploy with this run's key (the inventory names the key with a template, which
    testinfra's ansible backend would not render)."""
    return testinfra.get_host(
        f"ssh://deploy@{host_vars(name)['ansible_host']}",
        ssh_identity_file=KEY,
        ssh_extra_args="-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR",
    )


@pytest.fixture(scope="session")
def proxy():
    return host(PROXY)


@pytest.fixture(scope="session")
def proxies():
    return {name: host(name) for name in PROXIES}


@pytest.fixture(scope="session")
def apps():
    return {name: host(name) for name in APPS}


def address_of(h):
    """The host's primary IPv4, which the upstream uses by default."""
    return h.check_output("hostname -I | cut -d' ' -f1")


def env():
    # molecule forces colour on; the output is read as plain text
    return dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", PY_COLORS="0")


def site(*args):
    """Run playbooks/site.yml on the proxies as a user would, with extra arguments; return the finished process.

    Both proxies: they share the floating address and, with dumbflix_tls self_signed, one certificate."""
    return subprocess.run(
        ["ansible-playbook", SITE, "-i", INVENTORY, "--limit", "proxy", *args],
        capture_output=True,
        text=True,
        check=False,
        env=env(),
    )


def run_site(*args):
    """Run playbooks/site.yml on every host, as a user would; return the finished process."""
    return subprocess.run(
        ["ansible-playbook", SITE, "-i", INVENTORY, *args], capture_output=True, text=True, check=False, env=env()
    )


# pm2 as the app user, through sudo as deploy has it
PM2 = topology.Pm2AsUser(lambda argv: f"sudo -n -u {APP_USER} -H {shlex.join(argv)}")
pm2, pm2_status = PM2.run, PM2.statuses


def app_under_pm2(app_host):
    return PM2.app(app_host, PM2_NAME)


def request_many(proxy_host, count, path="/", timeout=5):
    """Send `count` HTTPS requests for the domain to the proxy's own nginx, trusting the site's certificate;
    return (status codes, probe id)."""
    return topology.request_many(
        proxy_host, count, f"https://{DOMAIN}{path}", f"--cacert {CERT_FILE} --resolve {DOMAIN}:443:127.0.0.1", timeout
    )


def upstreams_for(proxy_host, probe, count):
    """The $upstream_addr of each of the `count` logged requests carrying this probe id (exactly `count`)."""
    return topology.upstreams_for(proxy_host, probe, count, ACCESS_LOG, sudo="sudo -n ")
