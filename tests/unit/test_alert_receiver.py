"""lab/alert-receiver.py, the lab's webhook receiver, run for real: started as its own process on a free port of
the loopback, sent what Alertmanager sends, and asked for it back."""

import json
import os
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RECEIVER = os.path.join(ROOT, "lab", "alert-receiver.py")

# what Alertmanager 0.2x POSTs to a webhook_configs url (send_resolved: true), cut to the fields that matter
NOTIFICATION = {
    "version": "4",
    "groupKey": '{}:{alertname="BackendDown"}',
    "truncatedAlerts": 0,
    "status": "firing",
    "receiver": "webhook",
    "groupLabels": {"alertname": "BackendDown"},
    "commonLabels": {"alertname": "BackendDown", "host": "app1", "job": "backend", "severity": "warning"},
    "commonAnnotations": {"summary": "Backend app1 does not answer"},
    "externalURL": "http://proxy1:9093",
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "BackendDown", "host": "app1", "job": "backend", "severity": "warning"},
            "annotations": {"summary": "Backend app1 does not answer", "description": "Start the app on app1."},
            "startsAt": "2026-12-07T17:00:00.000Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://proxy1:9090/graph?g0.expr=probe_success",
            "fingerprint": "0123456789abcdef",
        }
    ],
}


class Receiver:
    """The receiver as a process on 127.0.0.1, port chosen by the kernel and read from what it prints."""

    def __init__(self, out):
        self.out = out
        self.proc = subprocess.Popen(
            [sys.executable, RECEIVER, "--listen", "127.0.0.1:0", "--out", str(out)],
            stderr=subprocess.PIPE,
            text=True,
        )
        first = self.proc.stderr.readline()
        match = re.search(r"listening on 127\.0\.0\.1:(\d+), keeping notifications in (.+)$", first)
        assert match, f"the receiver said {first!r}"
        assert match.group(2) == str(out)
        self.url = f"http://127.0.0.1:{match.group(1)}"
        self.log = []
        # keep reading its log, so that a full pipe never blocks it
        self.reader = threading.Thread(target=lambda: self.log.extend(self.proc.stderr), daemon=True)
        self.reader.start()

    def request(self, method, path, data=None, headers=None):
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())

    def post(self, path, body):
        return self.request("POST", path, json.dumps(body).encode(), {"Content-Type": "application/json"})

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.reader.join(timeout=10)


@pytest.fixture
def receiver(tmp_path):
    running = Receiver(tmp_path / "state" / "alerts.jsonl")
    yield running
    running.stop()


def test_a_notification_is_kept_and_given_back(receiver):
    assert receiver.request("GET", "/alerts") == (200, [])
    assert receiver.post("/alerts", NOTIFICATION) == (200, {"status": "ok"})
    assert receiver.request("GET", "/alerts") == (200, [NOTIFICATION])
    # one line per body, in the file named by --out (its directory made on start)
    lines = receiver.out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [NOTIFICATION]


def test_any_path_takes_a_post_and_bodies_come_back_in_order(receiver):
    resolved = dict(NOTIFICATION, status="resolved", alerts=[dict(NOTIFICATION["alerts"][0], status="resolved")])
    assert receiver.post("/", NOTIFICATION)[0] == 200
    assert receiver.post("/hooks/alertmanager", resolved)[0] == 200
    assert receiver.post("/alerts", ["not", "alertmanager", "but", "JSON"])[0] == 200
    status, bodies = receiver.request("GET", "/alerts")
    assert status == 200
    assert bodies == [NOTIFICATION, resolved, ["not", "alertmanager", "but", "JSON"]]
    assert [b["status"] for b in bodies[:2]] == ["firing", "resolved"]


def test_what_is_not_json_is_refused_and_not_kept(receiver):
    status, answer = receiver.request("POST", "/alerts", b"alert: BackendDown")
    assert status == 400
    assert answer["error"].startswith("the body is not JSON")
    assert receiver.request("GET", "/alerts") == (200, [])


def test_get_anywhere_but_alerts_is_not_found(receiver):
    status, answer = receiver.request("GET", "/metrics")
    assert status == 404
    assert answer == {"error": "nothing at /metrics: GET /alerts lists what was received"}


def test_each_notification_is_logged_with_its_alerts(receiver):
    receiver.post("/alerts", NOTIFICATION)
    receiver.stop()
    assert any("kept POST on /alerts: status firing: BackendDown{host=app1} firing" in line for line in receiver.log)


def test_concurrent_notifications_are_all_kept_whole(receiver):
    bodies = [dict(NOTIFICATION, groupKey=f"group-{n}", padding="x" * 20000) for n in range(20)]
    threads = [threading.Thread(target=receiver.post, args=("/alerts", body)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    status, kept = receiver.request("GET", "/alerts")
    assert status == 200
    assert sorted(b["groupKey"] for b in kept) == sorted(b["groupKey"] for b in bodies)
    assert len(receiver.out.read_text(encoding="utf-8").splitlines()) == 20


def test_what_was_kept_survives_a_restart(tmp_path):
    out = tmp_path / "alerts.jsonl"
    first = Receiver(out)
    first.post("/alerts", NOTIFICATION)
    first.stop()
    second = Receiver(out)
    try:
        assert second.request("GET", "/alerts") == (200, [NOTIFICATION])
    finally:
        second.stop()


@pytest.mark.parametrize("listen", ["9099", "127.0.0.1:http", ":9099", "127.0.0.1:70000"])
def test_a_listen_address_that_is_not_host_port_is_refused(listen, tmp_path):
    res = subprocess.run(
        [sys.executable, RECEIVER, "--listen", listen, "--out", str(tmp_path / "a.jsonl")],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert res.returncode == 2
    assert f"--listen {listen!r} is not HOST:PORT" in res.stderr
