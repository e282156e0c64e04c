"""Load balancing: both backends serve, in proportion to their weights (3 and 1)."""

from conftest import PORT, UPSTREAM_FILE, address_of, request_many, upstreams_for
from topology import check_shared_by_weight


def test_upstream_lists_every_app_host_with_its_parameters(proxy, apps):
    content = proxy.file(UPSTREAM_FILE).content_string
    a1, a2 = address_of(apps["mol-app1"]), address_of(apps["mol-app2"])
    assert f"server {a1}:{PORT} weight=3 max_fails=2 fail_timeout=10s" in content
    assert f"server {a2}:{PORT} weight=1 max_fails=2 fail_timeout=10s" in content


def test_requests_are_shared_by_weight(proxy, apps):
    check_shared_by_weight(
        lambda count: request_many(proxy, count),
        lambda probe, count: upstreams_for(proxy, probe, count),
        heavy=f"{address_of(apps['mol-app1'])}:{PORT}",
        light=f"{address_of(apps['mol-app2'])}:{PORT}",
    )
