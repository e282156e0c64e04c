"""Prometheus's alerts page, twice: BackendDown firing for the backend the proof stopped, and resolved once it is
back. Prometheus is asked over its HTTP API when the alert fires or resolves; the picture is of the page a user
opens, Debian's classic UI (/classic/alerts: the package ships no React UI, /alerts only says so), with the
BackendDown rule unfolded to show its alerts and their labels."""

import http.client
import json
import re
import time

from . import ProofError

ALERT = "BackendDown"
# the rule's `for: 30s`, plus a scrape and an evaluation interval, plus margin for the defaults (15 s each)
FIRE_TIMEOUT = 120
# the probe succeeds on the next scrape and the rule clears on the next evaluation
RESOLVE_TIMEOUT = 90

# Unfolds the rule named NAME (the classic page folds every rule), shows its annotations, brings it into view,
# and reports what the page shows of it.
PAGE_FACTS = """(() => {
  const name = NAME;
  const header = [...document.querySelectorAll('tr.alert_header')]
    .find(tr => (tr.querySelector('b') || {}).textContent === name);
  const facts = {
    url: location.href,
    title: document.title,
    status: (performance.getEntriesByType('navigation')[0] || {}).responseStatus || null,
    found: !!header, header: '', headerClass: '', rows: [],
    body: (document.body || {innerText: ''}).innerText.trim().slice(0, 4000),
  };
  if (header) {
    const details = header.nextElementSibling;
    details.style.display = 'table-row';
    details.querySelectorAll('.alert_annotations').forEach(row => { row.style.display = 'table-row'; });
    if (header.getBoundingClientRect().top > 260) header.scrollIntoView({block: 'start'});
    facts.header = header.innerText.trim();
    facts.headerClass = header.className;
    facts.rows = [...details.querySelectorAll('table.alert_elements_table tr')]
      .filter(row => row.querySelector('.state_indicator'))
      .map(row => ({
        labels: [...row.querySelectorAll('.badge')].map(badge => badge.textContent.trim()),
        state: row.querySelector('.state_indicator').textContent.trim().toLowerCase(),
      }));
  }
  return JSON.stringify(facts);
})()"""


class Prometheus:
    """Prometheus as this machine reaches it (HOST:PORT); the browser may connect there and nowhere else."""

    def __init__(self, connect):
        self.connect = connect
        self.domain = connect.rsplit(":", 1)[0]
        self.base = f"http://{connect}"
        self.pin = None
        self.page = None

    def resolver_rules(self):
        return f"MAP * ~NOTFOUND, EXCLUDE {self.domain}"

    def allowed_connections(self):
        return [self.connect]

    def get(self, path):
        """(status, body) of GET path; a failure to answer is a ProofError that says where and what to do."""
        host, port = self.connect.rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            return resp.status, resp.read()
        except (OSError, http.client.HTTPException) as err:
            raise ProofError(
                f"Prometheus at {self.base} does not answer ({err}): is the monitoring deployed (dumbflix_monitoring, "
                "make up)? or pass --prometheus HOST:PORT, where this machine reaches it"
            ) from None
        finally:
            conn.close()

    def api(self, path):
        status, body = self.get(path)
        try:
            answer = json.loads(body)
        except ValueError:
            answer = {}
        if status != 200 or answer.get("status") != "success":
            raise ProofError(f"Prometheus at {self.base}: GET {path} answered HTTP {status}: {body[:300]!r}")
        return answer["data"]

    def alerts(self):
        return self.api("/api/v1/alerts")["alerts"]

    def alert_rules(self):
        return [rule["name"] for group in self.api("/api/v1/rules?type=alert")["groups"] for rule in group["rules"]]

    def alerts_page(self):
        """The alerts page's URL: Debian's classic UI, else (a Prometheus with its own UI) /alerts."""
        if self.page is None:
            status, _ = self.get("/classic/alerts")
            self.page = f"{self.base}/classic/alerts" if status == 200 else f"{self.base}/alerts"
        return self.page


def alert_state(alerts, host, name=ALERT):
    """'firing', 'pending' or None: the state of the alert `name` for the host label `host` among alerts."""
    states = {a.get("state") for a in alerts if _is(a, name, host)}
    for state in ("firing", "pending"):
        if state in states:
            return state
    return None


def _is(alert, name, host):
    labels = alert.get("labels") or {}
    return labels.get("alertname") == name and labels.get("host") == host


def require_rule(prom):
    """Prometheus runs the collection's rules: BackendDown is among them."""
    rules = prom.alert_rules()
    if ALERT not in rules:
        raise ProofError(
            f"Prometheus at {prom.base} has no {ALERT} rule (its alert rules: {', '.join(rules) or 'none'}): "
            "deploy the monitoring with site.yml (dumbflix_monitoring: true), or pass the right --prometheus"
        )


def wait_for_alert(prom, host, want, seconds):
    """Wait until BackendDown for host is `want` ('firing'), or with `want` None until no BackendDown is active for
    any host: the resolved picture follows "all down", which made every backend's alert pending or firing, and shows
    the rule as a whole. Returns the seconds taken."""
    started = time.monotonic()
    while True:
        alerts = prom.alerts()
        state = alert_state(alerts, host)
        if want is None and state is None:
            state = next((a.get("state") for a in alerts if (a.get("labels") or {}).get("alertname") == ALERT), None)
        if state == want:
            return time.monotonic() - started
        if time.monotonic() - started > seconds:
            raise ProofError(
                f"{ALERT} for host {host} is {state or 'not active'} after {seconds} s, not "
                f"{want or 'resolved'} (Prometheus at {prom.base}; see its /classic/alerts and /classic/targets)"
            )
        time.sleep(1)


def page_problems(page, want, host, prom):
    """What's wrong with the alerts page for this moment: `want` 'firing' (BackendDown active for host) or None
    (resolved: nothing active)."""
    problems = []
    if not page["url"].startswith(prom.base + "/"):
        problems.append(f"the browser ended on {page['url']}, not on Prometheus at {prom.base}")
    if page["status"] != 200:
        problems.append(f"HTTP status {page['status']}, expected 200")
    if not page["found"]:
        problems.append(f"no {ALERT} rule on the alerts page")
    else:
        ours = [row for row in page["rows"] if f'host="{host}"' in row["labels"]]
        if want == "firing":
            if "alert-danger" not in page["headerClass"]:
                problems.append(f"the {ALERT} rule is not shown firing (row class {page['headerClass']!r})")
            if not any(row["state"] == "firing" for row in ours):
                problems.append(f'no firing {ALERT} alert with host="{host}" on the page')
        else:
            if "alert-success" not in page["headerClass"] or not re.search(r"\(0 active\)", page["header"]):
                problems.append(f"the {ALERT} rule is still active: {page['header']!r}")
            if ours:
                problems.append(f'an alert with host="{host}" is still on the page')
    strays = [c for c in page["connections"] if c not in prom.allowed_connections()]
    if strays:
        problems.append(f"chromium connected to {', '.join(strays)}, not only to Prometheus at {prom.connect}")
    if not page["connections"]:
        problems.append("chromium's net log shows no connection to Prometheus at all")
    return problems


def capture_alerts(load_page, binary, prom, workdir, host, want):
    """The alerts page in a fresh browser: (PNG bytes, what it showed, its problems)."""
    expression = PAGE_FACTS.replace("NAME", json.dumps(ALERT))
    png, page = load_page(binary, prom, workdir, prom.alerts_page(), expression)
    return png, page, page_problems(page, want, host, prom)
