"""Adding a host under `app` and re-running site.yml grows the upstream; removing it shrinks it."""
import os
import re
import subprocess

from conftest import INVENTORY, PORT, UPSTREAM_FILE, address_of, host, request_many, upstreams_for

HERE = os.path.dirname(os.path.abspath(__file__))
SITE = os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], "playbooks", "site.yml")


def site(*extra_inventories):
    args = ["ansible-playbook", SITE, "-i", INVENTORY]
    for inv in extra_inventories:
        args += ["-i", inv]
    res = subprocess.run(args, capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    return res.stdout


def listed(proxy, address):
    pattern = rf"^\s*server {re.escape(address)}[ ;]"
    return re.search(pattern, proxy.file(UPSTREAM_FILE).content_string, re.M) is not None


def test_third_backend_joins_then_leaves(proxy):
    app3 = host("mol-app3")
    a3 = f"{address_of(app3)}:{PORT}"

    site(os.path.join(HERE, "grow-inventory.yml"))
    assert listed(proxy, a3)
    codes, probe = request_many(proxy, 30)
    assert codes == ["200"] * 30
    assert a3 in upstreams_for(proxy, probe)

    site()
    assert not listed(proxy, a3)
    codes, probe = request_many(proxy, 20)
    assert codes == ["200"] * 20
    assert a3 not in upstreams_for(proxy, probe)
