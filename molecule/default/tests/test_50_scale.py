"""Adding a host under `app` and re-running site.yml grows the upstream; removing it shrinks it."""
import os
import re

from conftest import PORT, UPSTREAM_FILE, address_of, host, request_many, site, upstreams_for

HERE = os.path.dirname(os.path.abspath(__file__))


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
    assert a3 in upstreams_for(proxy, probe, 30)

    site()
    assert not listed(proxy, a3)
    codes, probe = request_many(proxy, 20)
    assert codes == ["200"] * 20
    assert a3 not in upstreams_for(proxy, probe, 20)
