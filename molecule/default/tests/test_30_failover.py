"""Failover: one backend down costs users nothing; all down answers 502."""

from conftest import PORT, address_of, app_under_pm2, request_many, upstreams_for
from topology import check_all_apps_stopped, check_one_app_stopped


def test_one_backend_down_every_request_still_succeeds(proxy, apps):
    check_one_app_stopped(
        lambda count: request_many(proxy, count),
        lambda probe, count: upstreams_for(proxy, probe, count),
        app_under_pm2(apps["mol-app1"]),
        survivor=f"{address_of(apps['mol-app2'])}:{PORT}",
    )


def test_all_backends_down_answers_502_fast_then_recovers(proxy, apps):
    check_all_apps_stopped(lambda count: request_many(proxy, count), [app_under_pm2(h) for h in apps.values()])
