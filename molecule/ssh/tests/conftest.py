"""The ssh scenario's hosts, reached the way the converge reached them: SSH as deploy."""
import os
import subprocess

import pytest
import testinfra

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
SITE = os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], "playbooks", "site.yml")
DOMAIN = "alvin.xyz"
PROXY = "mol-ssh-proxy1"
# where molecule.yml publishes the proxy's ports 80 and 443 on this machine
HTTP_PORT = 18080
HTTPS_PORT = 18443
# dumbflix_tls: self_signed keeps the site's certificate here (lb_tls_dir/<lb_site_name>.crt)
CERT_FILE = "/etc/nginx/tls/dumbflix.crt"
SITE_FILE = "/etc/nginx/sites-available/dumbflix"


def host(name):
    return testinfra.get_host(f"ansible://{name}", ansible_inventory=INVENTORY)


@pytest.fixture(scope="session")
def proxy():
    return host(PROXY)


@pytest.fixture(scope="session")
def proxies():
    return {name: host(name) for name in ("mol-ssh-proxy1", "mol-ssh-proxy2")}


@pytest.fixture(scope="session")
def apps():
    return {name: host(name) for name in ("mol-ssh-app1", "mol-ssh-app2")}


def site(*args):
    """Run playbooks/site.yml on the proxies as a user would, with extra arguments; return the finished process.

    Both proxies: they share the floating address and, with dumbflix_tls self_signed, one certificate."""
    # molecule forces colour on; the output is read as plain text
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", PY_COLORS="0")
    return subprocess.run(["ansible-playbook", SITE, "-i", INVENTORY, "--limit", "proxy", *args],
                          capture_output=True, text=True, check=False, env=env)
