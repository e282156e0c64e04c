# -*- coding: utf-8 -*-
"""Helpers for the real-pm2 tests: direct pm2 access, free ports, HTTP probes."""

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request

FILES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "files")
ECHO_SERVER = os.path.join(FILES, "echo_server.js")


class Pm2:
    """Direct access to one private pm2 daemon, independent of the module under test."""

    def __init__(self, binary, home, user=None):
        self.binary = binary
        self.home = home
        self.user = user

    def cli(self, *args):
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        env = dict(os.environ, PM2_HOME=self.home)
        return subprocess.run(
            prefix + [self.binary] + list(args),
            env=env,
            check=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            universal_newlines=True,
            timeout=60,
        ).stdout

    def jlist(self):
        # the JSON is the last line (a spawn banner may come first)
        return json.loads(self.cli("jlist").strip().splitlines()[-1])

    def procs(self, name):
        return [proc for proc in self.jlist() if proc["name"] == name]

    def kill(self):
        if os.path.exists(os.path.join(self.home, "pm2.pid")):
            subprocess.run(
                (["runuser", "-u", self.user, "--"] if self.user else []) + [self.binary, "kill"],
                env=dict(os.environ, PM2_HOME=self.home),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=60,
                check=False,  # clean-up: a daemon that is already gone is fine
            )


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(port, path="/", timeout=10.0):
    """GET http://127.0.0.1:port/path; retries while the app is still coming up. Returns (status, body)."""
    deadline = time.time() + timeout
    while True:
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=5) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8")
        except (urllib.error.URLError, ConnectionError):
            if time.time() > deadline:
                raise
            time.sleep(0.2)


def port_refuses(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(2)
        return sock.connect_ex(("127.0.0.1", port)) != 0
