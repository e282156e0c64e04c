#!/usr/bin/env python3
"""The lab's webhook receiver: where Alertmanager's notifications land, so that a test (or you) can see them.

  alert-receiver.py --listen 127.0.0.1:9099 --out /var/lib/alert-receiver/alerts.jsonl

POST (any path) with a JSON body: the body is appended to --out as one line and answered 200; a body that is not
JSON is answered 400 and not kept. GET /alerts: every body kept so far, oldest first, as one JSON list. Each
notification is also logged on stderr (the journal, under systemd) with its status and alerts, which gives the
time it arrived. Python 3's standard library only: it runs on every release the lab and the tests use.
"""

import argparse
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Alertmanager's bodies are a few kB; anything far larger is not a notification
MAX_BODY = 10 * 1024 * 1024


def summary(body):
    """One line about a notification: Alertmanager's status and its alerts with their host, else its type."""
    if not isinstance(body, dict) or not isinstance(body.get("alerts"), list):
        return f"a JSON {type(body).__name__}"
    alerts = []
    for alert in body["alerts"]:
        labels = alert.get("labels", {}) if isinstance(alert, dict) else {}
        alerts.append(f"{labels.get('alertname', '?')}{{host={labels.get('host', '?')}}} {alert.get('status', '?')}")
    return f"status {body.get('status', '?')}: {', '.join(alerts) or 'no alerts'}"


class Store:
    """The JSON-lines file; one lock, so that concurrent notifications never interleave."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)

    def append(self, body):
        line = json.dumps(body, separators=(",", ":"), sort_keys=True)
        with self.lock, open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")

    def read(self):
        with self.lock:
            try:
                with open(self.path, encoding="utf-8") as handle:
                    return [json.loads(line) for line in handle if line.strip()]
            except FileNotFoundError:
                return []


class Handler(BaseHTTPRequestHandler):
    server_version = "dumbflix-alert-receiver"
    store = None  # set by serve()

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            return self.answer(411, {"error": "a Content-Length header is required"})
        if int(length) > MAX_BODY:
            return self.answer(413, {"error": f"a body of {length} bytes is over {MAX_BODY}"})
        raw = self.rfile.read(int(length))
        try:
            body = json.loads(raw)
        except ValueError as err:
            return self.answer(400, {"error": f"the body is not JSON: {err}"})
        self.store.append(body)
        self.log_message("kept %s on %s: %s", self.command, self.path, summary(body))
        return self.answer(200, {"status": "ok"})

    def do_GET(self):
        if self.path.split("?", 1)[0].rstrip("/") != "/alerts":
            return self.answer(404, {"error": f"nothing at {self.path}: GET /alerts lists what was received"})
        return self.answer(200, self.store.read())

    def log_message(self, fmt, *args):
        # the journal stamps the time itself
        sys.stderr.write(f"{self.address_string()} {fmt % args}\n")
        sys.stderr.flush()


def listen_address(text):
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"--listen {text!r} is not HOST:PORT, e.g. 127.0.0.1:9099")
    return host.strip("[]"), int(port)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen", type=listen_address, default="127.0.0.1:9099", help="HOST:PORT to listen on")
    parser.add_argument("--out", default="/var/lib/alert-receiver/alerts.jsonl", help="the JSON-lines file")
    return parser.parse_args(argv)


def serve(listen, out):
    """A server bound to listen (port 0: any free one), not yet serving; its address is server.server_address."""
    handler = type("BoundHandler", (Handler,), {"store": Store(out)})
    return ThreadingHTTPServer(listen, handler)


def main(argv=None):
    args = parse_args(argv)
    server = serve(args.listen, args.out)
    host, port = server.server_address[:2]
    print(f"alert-receiver: listening on {host}:{port}, keeping notifications in {args.out}", file=sys.stderr)
    sys.stderr.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
