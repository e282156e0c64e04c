"""Helpers for tests against a real nginx binary (fixtures are in conftest.py).

Every nginx here runs from a private configuration in tmp_path (own pid file,
logs, temp dirs, 127.0.0.1 ports), so the host's own nginx is never touched.
Backends are Python HTTP servers on 127.0.0.1 started by the tests.
"""

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from module_runner import run_module

# DUMBFLIX_TEST_NGINX: another nginx to run every test against, e.g. scripts/nginx-release-tests.sh's wrapper that
# runs an older Debian release's nginx in a container sharing this machine's network, process ids and /tmp
NGINX = (
    os.environ.get("DUMBFLIX_TEST_NGINX")
    or shutil.which("nginx")
    or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


MAIN_CONF = """\
{user}worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/logs/error.log;
events {{ worker_connections 256; }}
http {{
    access_log {root}/logs/access.log;
    client_body_temp_path {root}/tmp/body;
    proxy_temp_path {root}/tmp/proxy;
    fastcgi_temp_path {root}/tmp/fastcgi;
    uwsgi_temp_path {root}/tmp/uwsgi;
    scgi_temp_path {root}/tmp/scgi;
    include {root}/conf.d/*.conf;
    include {root}/sites-enabled/*;
}}
"""


class PrivateNginx:
    """A private nginx configuration tree (conf.d, sites-available, sites-enabled) under ``root``."""

    def __init__(self, root):
        self.root = str(root)
        self.binary = NGINX
        for sub in ("conf.d", "sites-available", "sites-enabled", "logs", "tmp"):
            os.makedirs(os.path.join(self.root, sub), exist_ok=True)
        self.conf = os.path.join(self.root, "nginx.conf")
        user = "user root;\n" if os.geteuid() == 0 else ""
        with open(self.conf, "w") as handle:
            handle.write(MAIN_CONF.format(root=self.root, user=user))
        self.running = False

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def module_args(self):
        """Options pointing the modules' nginx -t at this private configuration."""
        return {"nginx_binary": self.binary, "nginx_config": self.conf, "nginx_prefix": self.root + "/"}

    def site_args(self, **kwargs):
        args = dict(self.module_args(), config_dir=self.root, access_log=self.path("logs", "site.access.log"))
        args.update(kwargs)
        return args

    def _run(self, *extra):
        return subprocess.run(
            [self.binary, "-c", self.conf, "-p", self.root + "/"] + list(extra),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    def config_test(self):
        """``nginx -t`` on the whole private configuration: (ok, output)."""
        proc = self._run("-t")
        return proc.returncode == 0, proc.stderr

    def start(self):
        proc = self._run()
        assert proc.returncode == 0, proc.stderr
        self.running = True
        self._wait(lambda: os.path.exists(self.path("nginx.pid")))

    def reload(self):
        pid = self.master_pid()
        proc = self._run("-s", "reload")
        assert proc.returncode == 0, proc.stderr
        return pid

    def master_pid(self):
        with open(self.path("nginx.pid")) as handle:
            return int(handle.read().strip())

    def stop(self):
        if not self.running:
            return
        try:
            pid = self.master_pid()
        except (OSError, ValueError):
            pid = None
        self._run("-s", "stop")
        if pid is not None and not self._wait(lambda: not _alive(pid), timeout=10):
            os.kill(pid, signal.SIGKILL)  # the master we started, by its pid
        self.running = False

    @staticmethod
    def _wait(predicate, timeout=10.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if predicate():
                return True
            time.sleep(0.05)
        return False


def _alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


class Backend:
    """An HTTP backend on 127.0.0.1 answering JSON {name, path, headers}."""

    def __init__(self, name):
        self.name = name
        self.hits = 0
        self.connections = set()
        backend = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                backend.hits += 1
                body = json.dumps(
                    {
                        "name": backend.name,
                        "path": self.path,
                        "headers": dict((k.lower(), v) for k, v in self.headers.items()),
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def setup(self):
                super().setup()
                backend.connections.add(self.connection)

            def finish(self):
                backend.connections.discard(self.connection)
                super().finish()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.address = "127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.stopped = False

    def stop(self):
        """Stop like a crashed process: stop listening and cut every open (keep-alive) connection."""
        if not self.stopped:
            self.server.shutdown()
            self.server.server_close()
            for conn in list(self.connections):
                with contextlib.suppress(OSError):  # the client may have closed it already
                    conn.shutdown(socket.SHUT_RDWR)
            self.stopped = True


def http_get(port, path="/", host="alvin.test", headers=None, tls=False, timeout=10):
    """GET http(s)://127.0.0.1:port/path with a Host header; returns (status, headers dict, body)."""
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=context)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=dict({"Host": host}, **(headers or {})))
        response = conn.getresponse()
        return response.status, dict((k.lower(), v) for k, v in response.getheaders()), response.read()
    finally:
        conn.close()


__all__ = ["NGINX", "Backend", "PrivateNginx", "free_port", "http_get", "run_module"]
