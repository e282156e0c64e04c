# -*- coding: utf-8 -*-
"""Fixtures for running pm2_app against a real pm2 with a private PM2_HOME.

pm2 is installed once into ``.cache/pm2`` (``npm install --prefix``); every test
gets its own pm2 daemon (own PM2_HOME in a short /tmp directory: the daemon's unix
socket path must stay under 108 bytes), killed with ``pm2 kill`` afterwards.
"""

import json
import os
import shutil
import subprocess
import tempfile

import pytest
from ansible.module_utils.testing import patch_module_args
from pm2_helpers import Pm2

from ansible_collections.dumbflix.stack.plugins.modules import pm2_app

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PM2_VERSION = "7.0.4"
PM2_PREFIX = os.path.join(ROOT, ".cache", "pm2")
PM2_BIN = os.path.join(PM2_PREFIX, "node_modules", ".bin", "pm2")


def installed_pm2_version():
    try:
        with open(os.path.join(PM2_PREFIX, "node_modules", "pm2", "package.json")) as handle:
            return json.load(handle)["version"]
    except (OSError, ValueError, KeyError):
        return None


@pytest.fixture(scope="session")
def pm2_binary():
    if not shutil.which("node") or not shutil.which("npm"):
        pytest.skip("node and npm are needed for the real-pm2 tests")
    if installed_pm2_version() != PM2_VERSION or not os.access(PM2_BIN, os.X_OK):
        os.makedirs(PM2_PREFIX, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", PM2_PREFIX, "pm2@" + PM2_VERSION],
            check=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
    assert installed_pm2_version() == PM2_VERSION
    return PM2_BIN


@pytest.fixture
def pm2_home():
    home = tempfile.mkdtemp(prefix="pm2t-")
    yield home
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def pm2(pm2_binary, pm2_home):
    daemon = Pm2(pm2_binary, pm2_home)
    yield daemon
    daemon.kill()


@pytest.fixture
def run_module(capsys, pm2_binary, pm2_home):
    """Call pm2_app's main() in-process, as Ansible would, with this test's pm2."""

    def _run(check=False, diff=False, **args):
        args.setdefault("pm2_binary", pm2_binary)
        args.setdefault("pm2_home", pm2_home)
        args.setdefault("wait", 1)
        args.update(_ansible_check_mode=check, _ansible_diff=diff)
        with patch_module_args(args), pytest.raises(SystemExit):
            pm2_app.main()
        return json.loads(capsys.readouterr().out)

    return _run
