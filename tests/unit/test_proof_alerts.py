"""make proof's pictures of Prometheus's alerts page (scripts/proof/alerts.py): where it finds Prometheus, when it
says BackendDown fired or resolved (asked over a stand-in of Prometheus's HTTP API on the loopback), what it
checks on the page, and how the report shows it."""

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from scripts.proof import ROOT, ProofError, alerts, cli, deployment, report

FIRING = {"labels": {"alertname": "BackendDown", "host": "app1", "severity": "warning"}, "state": "firing"}


def alert(state, host="app1", name="BackendDown"):
    return {"labels": {"alertname": name, "host": host}, "state": state}


@pytest.mark.parametrize(
    "active, state",
    [
        ([], None),
        ([alert("pending")], "pending"),
        ([alert("pending"), alert("firing")], "firing"),
        ([alert("firing", host="app2")], None),
        ([alert("firing", name="SiteDown")], None),
        ([{"labels": {}}, {"state": "firing"}], None),
    ],
)
def test_the_alert_state_is_that_of_backenddown_for_that_host(active, state):
    assert alerts.alert_state(active, "app1") == state


class FakePrometheus:
    """Answers the three URLs the proof asks, from `self.active` and `self.rules`; the classic page when `classic`."""

    def __init__(self, rules=("BackendDown", "SiteDown"), classic=True):
        self.active, self.rules, self.classic = [], list(rules), classic
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/api/v1/alerts":
                    body = {"status": "success", "data": {"alerts": fake.active}}
                elif self.path == "/api/v1/rules?type=alert":
                    group = {"name": "dumbflix", "rules": [{"name": name} for name in fake.rules]}
                    body = {"status": "success", "data": {"groups": [group]}}
                elif self.path == "/classic/alerts" and fake.classic:
                    body = {}
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.connect = "127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake():
    running = FakePrometheus()
    yield running
    running.close()


def test_the_rule_and_the_classic_page_are_found(fake):
    prom = alerts.Prometheus(fake.connect)
    alerts.require_rule(prom)
    assert prom.alerts_page() == f"http://{fake.connect}/classic/alerts"
    assert prom.resolver_rules() == "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
    assert prom.allowed_connections() == [fake.connect]


def test_a_prometheus_without_the_classic_page_is_shown_at_alerts():
    other = FakePrometheus(classic=False)
    try:
        assert alerts.Prometheus(other.connect).alerts_page() == f"http://{other.connect}/alerts"
    finally:
        other.close()


def test_a_prometheus_without_the_rule_is_refused():
    bare = FakePrometheus(rules=["Watchdog"])
    try:
        with pytest.raises(ProofError, match=r"has no BackendDown rule \(its alert rules: Watchdog\): deploy"):
            alerts.require_rule(alerts.Prometheus(bare.connect))
    finally:
        bare.close()


def test_a_prometheus_that_does_not_answer_says_what_to_do():
    with pytest.raises(ProofError, match=r"Prometheus at http://127.0.0.1:9 does not answer .* --prometheus"):
        alerts.Prometheus("127.0.0.1:9").alerts()


def test_the_wait_ends_when_the_alert_fires_and_when_it_resolves(fake):
    prom = alerts.Prometheus(fake.connect)
    fake.active = [alert("pending")]
    timer = threading.Timer(1.5, lambda: setattr(fake, "active", [FIRING]))
    timer.start()
    assert 1 <= alerts.wait_for_alert(prom, "app1", "firing", 10) < 5
    fake.active = []
    assert alerts.wait_for_alert(prom, "app1", None, 10) < 1


def test_an_alert_that_never_fires_is_a_failure_that_says_so(fake):
    fake.active = [alert("pending")]
    with pytest.raises(ProofError, match=r"BackendDown for host app1 is pending after 1 s, not firing"):
        alerts.wait_for_alert(alerts.Prometheus(fake.connect), "app1", "firing", 1)


PROM = alerts.Prometheus("127.0.0.1:9090")


def alerts_page(**over):
    page = {
        "url": "http://127.0.0.1:9090/classic/alerts",
        "title": "Prometheus Time Series Collection and Processing Server",
        "status": 200,
        "found": True,
        "header": "BackendDown (1 active)",
        "headerClass": "alert alert-danger alert_header",
        "rows": [{"labels": ['alertname="BackendDown"', 'host="app1"', 'severity="warning"'], "state": "firing"}],
        "body": "Alerts",
        "connections": ["127.0.0.1:9090"],
        "blocked": [],
    }
    return page | over


RESOLVED = {"header": "BackendDown (0 active)", "headerClass": "alert alert-success alert_header", "rows": []}


def test_the_alerts_page_passes_in_its_own_moment_only():
    assert alerts.page_problems(alerts_page(), "firing", "app1", PROM) == []
    assert alerts.page_problems(alerts_page(**RESOLVED), None, "app1", PROM) == []
    assert alerts.page_problems(alerts_page(**RESOLVED), "firing", "app1", PROM) == [
        "the BackendDown rule is not shown firing (row class 'alert alert-success alert_header')",
        'no firing BackendDown alert with host="app1" on the page',
    ]
    assert alerts.page_problems(alerts_page(), None, "app1", PROM) == [
        "the BackendDown rule is still active: 'BackendDown (1 active)'",
        'an alert with host="app1" is still on the page',
    ]
    # firing, but for another host
    assert alerts.page_problems(alerts_page(), "firing", "app2", PROM) == [
        'no firing BackendDown alert with host="app2" on the page'
    ]


def test_a_page_without_the_rule_or_from_elsewhere_is_a_problem():
    assert alerts.page_problems(alerts_page(found=False), "firing", "app1", PROM) == [
        "no BackendDown rule on the alerts page"
    ]
    assert alerts.page_problems(
        alerts_page(url="http://example.com/", status=404, connections=["127.0.0.1:9090", "8.8.8.8:80"]),
        "firing",
        "app1",
        PROM,
    ) == [
        "the browser ended on http://example.com/, not on Prometheus at http://127.0.0.1:9090",
        "HTTP status 404, expected 200",
        "chromium connected to 8.8.8.8:80, not only to Prometheus at 127.0.0.1:9090",
    ]


def test_the_lab_publishes_prometheus_on_the_monitor_host():
    inv = deployment.read_inventory(os.path.join(ROOT, "inventory", "lab"))
    assert (inv["monitor"], inv["monitoring"], inv["prometheus"]) == ("proxy1", True, "127.0.0.1:9090")
    # the two-proxy lab publishes nothing: no alert pictures unless told where Prometheus is
    ha = deployment.read_inventory(os.path.join(ROOT, "inventory", "lab-ha"))
    assert (ha["monitor"], ha["prometheus"]) == ("proxy1", None)


def test_prometheus_is_the_option_else_the_published_port_else_none(tmp_path, capsys):
    inv = {"monitor": "proxy1", "monitoring": True, "prometheus": "127.0.0.1:9090"}
    assert cli.prometheus_for(cli.parse_args(["-i", str(tmp_path)]), inv).connect == "127.0.0.1:9090"
    told = cli.parse_args(["-i", str(tmp_path), "--prometheus", "10.0.0.2:9090"])
    assert cli.prometheus_for(told, dict(inv, monitoring=False)).connect == "10.0.0.2:9090"
    assert cli.prometheus_for(cli.parse_args(["-i", str(tmp_path)]), dict(inv, monitoring=False)) is None
    assert "dumbflix_monitoring is off for proxy1" in capsys.readouterr().out
    assert cli.prometheus_for(cli.parse_args(["-i", str(tmp_path)]), dict(inv, prometheus=None)) is None
    assert "pass --prometheus HOST:PORT" in capsys.readouterr().out


def test_prometheus_that_is_not_host_port_is_refused(tmp_path):
    with pytest.raises(SystemExit):
        cli.parse_args(["-i", str(tmp_path), "--prometheus", "127.0.0.1"])


def test_the_report_shows_the_alerts_page_with_its_alerts(tmp_path):
    shot = {
        "n": "2a",
        "key": "alert-firing",
        "kind": "alerts",
        "title": "BackendDown firing",
        "what": "Prometheus's alerts page 41 s after the app on app1 was stopped.",
        "expect": "firing",
        "file": "2a-alert-firing.png",
        "pm2": {"app1": "stopped", "app2": "online"},
        "page": alerts_page(),
        "seconds": 41.0,
        "problems": [],
    }
    meta = {
        "domain": "alvin.xyz",
        "proxy": "proxy1",
        "connect": "127.0.0.1:8080",
        "browser": "Chromium 120",
        "url": "http://alvin.xyz/",
        "pinned": None,
        "inventory": "inventory/lab",
        "taken": "today",
        "prometheus": "http://127.0.0.1:9090/classic/alerts",
    }
    report.write_report(str(tmp_path), [shot], meta)
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "2a. BackendDown firing — passed" in index
    assert '<img src="2a-alert-firing.png"' in index
    assert "rule “BackendDown (1 active)” · its alerts:" in index
    assert "alertname=&quot;BackendDown&quot; host=&quot;app1&quot; severity=&quot;warning&quot; firing" in index
    assert "Pictures 2a and 4a are Prometheus's alerts page (http://127.0.0.1:9090/classic/alerts)" in index
