"""The ssh scenario's hosts, reached the way the converge reached them: SSH as deploy."""
import os

import pytest
import testinfra

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
DOMAIN = "alvin.xyz"


def host(name):
    return testinfra.get_host(f"ansible://{name}", ansible_inventory=INVENTORY)


@pytest.fixture(scope="session")
def proxy():
    return host("mol-ssh-proxy1")


@pytest.fixture(scope="session")
def apps():
    return {name: host(name) for name in ("mol-ssh-app1", "mol-ssh-app2")}
