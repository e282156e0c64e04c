"""Monitoring on the converged releases topology (no converge of its own): the Debian 12 and 11 hosts, each proxy
and app, run their exporters, and Debian 12, the first proxy (the inventory has no monitor group), runs Prometheus,
Alertmanager and the blackbox exporter too. A stopped backend fires BackendDown for that host, the notification reaches the lab's webhook receiver,
and both resolve when it is back; all backends stopped fire the site-down alerts (the seed's 4.6); exporters
answer the monitor only; a broken extra rule is refused with Prometheus still running the old rules."""

import json
import os
import time

import pytest
from conftest import (
    MONITOR,
    PM2,
    PM2_NAME,
    PROMETHEUS,
    firing,
    get_json,
    one_line,
    received,
    run_site,
    wait_until,
)
from topology import recap

PROXIES = APPS = ("rel-bookworm", "rel-bullseye")
RULES_DIR = "/etc/prometheus/rules"
EXTRA_RULES = f"{RULES_DIR}/extra.rules.yml"
# what the issue asks of a stopped backend: its alert fires within 90 s
FIRE_WITHIN = 90
EXPECTED_TARGETS = (
    {("node", h) for h in APPS}
    | {(job, p) for p in PROXIES for job in ("nginx", "nginx_log", "site")}
    | {("backend", a) for a in APPS}
    | {("prometheus", MONITOR), ("alertmanager", MONITOR)}
)
ALERTS = {
    "BackendDown",
    "AllBackendsDown",
    "SiteDown",
    "ProxyDown",
    "Nginx5xxRate",
    "AppRestarting",
    "CertificateExpiring",
    "DiskFilling",
}


def targets(monitor):
    """{(job, host label): health} of every target Prometheus scrapes."""
    active = get_json(monitor, f"{PROMETHEUS}/api/v1/targets")["data"]["activeTargets"]
    return {(t["labels"]["job"], t["labels"].get("host", "")): t["health"] for t in active}


def loaded_rules(monitor):
    """Names of the alerting and recording rules Prometheus has loaded."""
    groups = get_json(monitor, f"{PROMETHEUS}/api/v1/rules")["data"]["groups"]
    return {rule["name"] for group in groups for rule in group["rules"]}


def address(h):
    return h.check_output("hostname -I | cut -d' ' -f1")


def test_every_target_is_up(monitor):
    assert wait_until(lambda: all(h == "up" for h in targets(monitor).values()), 60) is not None, targets(monitor)
    assert set(targets(monitor)) == EXPECTED_TARGETS


def test_the_rules_for_this_topology_are_loaded_and_nothing_fires_on_a_healthy_site(monitor):
    assert loaded_rules(monitor) >= ALERTS
    assert firing(monitor) == set()


def test_what_monitoring_costs_each_host(hosts, capsys):
    exporters = ("prometheus-node-exporter", "prometheus-nginx-exporter", "mtail")
    servers = ("prometheus", "prometheus-alertmanager", "prometheus-blackbox-exporter")
    services = {name: exporters + (servers if name == MONITOR else ()) for name in hosts}
    for name, h in hosts.items():
        rss = {}
        for service in services[name]:
            assert h.service(service).is_running, (name, service)
            pid = h.check_output(f"systemctl show -p MainPID --value {service}")
            rss[service] = int(h.check_output(f"ps -o rss= -p {pid}")) // 1024
        size = h.check_output(
            "dpkg-query -W -f='${Installed-Size}\\n' " + " ".join(services[name]) + " | awk '{s+=$1} END {print s}'"
        )
        with capsys.disabled():
            print(f"\n  {name}: {sum(rss.values())} MiB resident ({rss}), packages {int(size) // 1024} MiB on disk")


def test_a_stopped_backend_fires_backend_down_and_the_webhook_hears_it_fire_and_resolve(hosts, monitor, capsys):
    app = PM2.app(hosts["rel-bullseye"], PM2_NAME)
    already = len(received(monitor))
    stopped = time.time()
    assert app.stop()
    try:
        assert wait_until(lambda: ("BackendDown", "rel-bullseye") in firing(monitor), 150) is not None
        fired = time.time() - stopped
        assert wait_until(lambda: ("firing", "BackendDown", "rel-bullseye") in received(monitor)[already:], 60)
        notified = time.time() - stopped
        # the other backend is healthy, and the site is up through both proxies: only the stopped one alerts
        assert firing(monitor) == {("BackendDown", "rel-bullseye")}
    finally:
        assert app.start()
    back = time.time()
    assert wait_until(lambda: ("BackendDown", "rel-bullseye") not in firing(monitor), 60) is not None
    resolved = time.time() - back
    assert wait_until(lambda: ("resolved", "BackendDown", "rel-bullseye") in received(monitor)[already:], 60)
    resolved_notified = time.time() - back
    with capsys.disabled():
        print(
            f"\n  BackendDown: fired {fired:.0f} s after the stop, at the webhook {notified:.0f} s; "
            f"resolved {resolved:.0f} s after the start, at the webhook {resolved_notified:.0f} s"
        )
    assert fired <= FIRE_WITHIN


def test_every_backend_stopped_fires_the_site_down_alerts_until_they_are_back(hosts, monitor, capsys):
    apps = [PM2.app(hosts[name], PM2_NAME) for name in APPS]
    wanted = {("AllBackendsDown", "")} | {("SiteDown", p) for p in PROXIES} | {("BackendDown", a) for a in APPS}
    already = len(received(monitor))
    stopped = time.time()
    for app in apps:
        assert app.stop()
    try:
        assert wait_until(lambda: wanted <= firing(monitor), 150) is not None, firing(monitor)
        fired = time.time() - stopped
        assert wait_until(lambda: ("firing", "AllBackendsDown", "") in received(monitor)[already:], 60)
    finally:
        for app in apps:
            assert app.start()
    assert wait_until(lambda: firing(monitor) == set(), 90) is not None, firing(monitor)
    with capsys.disabled():
        print(f"\n  every backend stopped: AllBackendsDown and SiteDown on both proxies fired {fired:.0f} s after")


@pytest.mark.parametrize("port", [9100, 9113, 3903])
def test_an_exporter_answers_the_monitor_and_refuses_any_other_host(hosts, monitor, port):
    # the monitor across the network to Debian 11's exporter; Debian 11, not a monitor, to the monitor's own
    other = hosts["rel-bullseye"]
    url = f"http://{address(other)}:{port}/metrics"
    assert monitor.check_output(f"curl -s -o /dev/null -w '%{{http_code}}' -m 5 {url}") == "200"
    refused = other.run(f"curl -s -o /dev/null -m 5 http://{address(monitor)}:{port}/metrics")
    # the firewall rejects: curl cannot connect (7), it does not wait for a timeout (28)
    assert refused.rc == 7, (refused.rc, refused.stderr)


def test_nginx_status_answers_on_the_proxys_loopback_only(hosts):
    proxy = hosts["rel-bookworm"]
    assert "Active connections:" in proxy.check_output("curl -s -m 5 http://127.0.0.1:8080/stub_status")
    # from the proxy itself to its network address, which its firewall admits (loopback): nothing listens there
    refused = proxy.run(f"curl -s -m 5 http://{address(proxy)}:8080/stub_status")
    assert refused.rc == 7, (refused.rc, refused.stdout)


def extra_rules_file(rules):
    path = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "extra-rules.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"monitoring_extra_rules": rules}, handle)
    return path


def test_the_users_extra_rule_is_loaded_and_a_broken_one_is_refused_with_the_old_rules_serving(monitor):
    # the scenario's inventory sets one good rule (monitoring_extra_rules), loaded since the converge
    assert "dumbflix:backends_up:sum" in loaded_rules(monitor)
    before = monitor.file(EXTRA_RULES).content_string
    pid = monitor.check_output("systemctl show -p MainPID --value prometheus")

    broken = [{"alert": "Broken", "expr": "sum(rate(", "labels": {"severity": "warning"}}]
    res = run_site("-e", f"@{extra_rules_file(broken)}")

    assert res.returncode != 0
    out = one_line(res)
    assert f"host {MONITOR}: monitoring_extra_rules:" in out and "sum(rate(" in out, out[-3000:]
    # Prometheus is installed, so the preflight asked its promtool: the run stopped before any host changed
    assert "PLAY [Deploy the app]" not in res.stdout, out[-3000:]
    assert {name: counts["changed"] for name, counts in recap(res.stdout).items()} == dict.fromkeys(PROXIES, 0)
    assert monitor.file(EXTRA_RULES).content_string == before
    assert monitor.check_output("systemctl show -p MainPID --value prometheus") == pid
    assert {"dumbflix:backends_up:sum", "BackendDown"} <= loaded_rules(monitor)
    assert "Broken" not in loaded_rules(monitor)
