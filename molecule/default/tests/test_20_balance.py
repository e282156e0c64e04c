"""Task 4.2 / 4.4: both backends serve, in proportion to their weights (3 and 1)."""
from collections import Counter

from conftest import PORT, UPSTREAM_FILE, address_of, request_many, upstreams_for


def test_upstream_lists_every_app_host_with_its_parameters(proxy, apps):
    content = proxy.file(UPSTREAM_FILE).content_string
    a1, a2 = address_of(apps["mol-app1"]), address_of(apps["mol-app2"])
    assert f"server {a1}:{PORT} weight=3 max_fails=2 fail_timeout=10s" in content
    assert f"server {a2}:{PORT} weight=1 max_fails=2 fail_timeout=10s" in content


def test_requests_are_shared_by_weight(proxy, apps):
    codes, probe = request_many(proxy, 40)
    assert codes == ["200"] * 40
    served = Counter(upstreams_for(proxy, probe, 40))
    a1 = f"{address_of(apps['mol-app1'])}:{PORT}"
    a2 = f"{address_of(apps['mol-app2'])}:{PORT}"
    assert set(served) == {a1, a2}, served
    assert sum(served.values()) == 40
    # weights 3:1 -> app1 serves about 75 %; each nginx worker balances on its own,
    # so allow some drift around the exact 30/10
    assert 24 <= served[a1] <= 34, served
