"""Adding a host under `app` and re-running site.yml grows the upstream; removing it shrinks it.

The host is added exactly as the README tells a newcomer to: its "Add a backend" inventory block is read
from README.md and its `app` group applied, renamed to the scenario's hosts (tests/docs_blocks.py)."""

import os
import re

import yaml
from conftest import PORT, PROJECT, UPSTREAM_FILE, address_of, host, request_many, site, upstreams_for
from docs_blocks import LAB_HOSTS, inventory_block, scenario_app_group


def listed(proxy, address):
    pattern = rf"^\s*server {re.escape(address)}[ ;]"
    return re.search(pattern, proxy.file(UPSTREAM_FILE).content_string, re.M) is not None


def readme_edit(tmp_path):
    """The README's inventory with the third backend, as an inventory file for the scenario."""
    with open(os.path.join(PROJECT, "README.md"), encoding="utf-8") as handle:
        edited = yaml.safe_load(inventory_block(handle.read(), "add-a-backend", "README.md"))
    path = tmp_path / "add-a-backend.yml"
    path.write_text(yaml.safe_dump(scenario_app_group(edited)))
    return str(path)


def test_third_backend_joins_then_leaves(proxy, tmp_path):
    app3 = host(LAB_HOSTS["app3"])
    a3 = f"{address_of(app3)}:{PORT}"

    site(readme_edit(tmp_path))
    assert listed(proxy, a3)
    codes, probe = request_many(proxy, 30)
    assert codes == ["200"] * 30
    assert a3 in upstreams_for(proxy, probe, 30)

    site()
    assert not listed(proxy, a3)
    codes, probe = request_many(proxy, 20)
    assert codes == ["200"] * 20
    assert a3 not in upstreams_for(proxy, probe, 20)
