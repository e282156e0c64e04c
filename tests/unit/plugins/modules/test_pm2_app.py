# -*- coding: utf-8 -*-
"""main() of pm2_app against a fake pm2, for the edge cases a real pm2 can't be made to show.

The real behaviour (start, idempotence, env changes, stop, delete, serve) is tested
against a real pm2 in tests/pm2/.  The fake is a shell script that logs every call
and prints a canned ``pm2 jlist``.
"""

import json
import os
import stat

import pytest

from ansible_collections.dumbflix.stack.plugins.module_utils import pm2 as pm2_utils
from ansible_collections.dumbflix.stack.plugins.modules import pm2_app
from ansible_collections.dumbflix.stack.tests.module_runner import run_module

FAKE = """#!/bin/sh
d=$(dirname "$0")
echo "$*" >> "$d/calls.log"
if [ "$1" = jlist ]; then
  cat "$d/jlist.out"
  exit "$(cat "$d/jlist.rc" 2>/dev/null || echo 0)"
fi
"""


@pytest.fixture
def fake_pm2(tmp_path):
    path = tmp_path / "pm2"
    path.write_text(FAKE)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    (tmp_path / "jlist.out").write_text("[]")
    return path


def calls(fake):
    log = fake.parent / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


@pytest.fixture
def run():
    def _run(args, check=False, diff=False):
        return run_module(pm2_app, args, check_mode=check, diff=diff)

    return _run


def test_unparsable_jlist_fails_and_shows_the_output(run, fake_pm2):
    (fake_pm2.parent / "jlist.out").write_text(">>>> In-memory PM2 is out-of-date, do:\n>>>> $ pm2 update\n")
    result = run(dict(name="web", script="/srv/a.js", pm2_binary=str(fake_pm2)))
    assert result["failed"] is True
    assert "pm2 jlist did not print a JSON process list" in result["msg"]
    assert "In-memory PM2 is out-of-date" in result["msg"]
    assert calls(fake_pm2) == ["jlist"]


def test_failing_jlist_shows_exit_code_and_output(run, fake_pm2):
    (fake_pm2.parent / "jlist.out").write_text("connect EACCES /home/x/.pm2/rpc.sock")
    (fake_pm2.parent / "jlist.rc").write_text("1")
    result = run(dict(name="web", state="absent", pm2_binary=str(fake_pm2)))
    assert result["failed"] is True
    assert "jlist failed with exit code 1" in result["msg"]
    assert "EACCES" in result["msg"]


def test_missing_pm2_says_how_to_install(run, tmp_path):
    result = run(dict(name="web", script="/srv/a.js", pm2_binary=str(tmp_path / "nope" / "pm2")))
    assert result["failed"] is True
    assert "pm2_binary: '%s' is not an executable file" % (tmp_path / "nope" / "pm2") in result["msg"]
    assert "npm install -g pm2" in result["msg"]


def test_pm2_not_on_path_says_how_to_install(run):
    result = run(dict(name="web", script="/srv/a.js", pm2_binary="pm2-not-installed-here"))
    assert result["failed"] is True
    assert "pm2_binary: 'pm2-not-installed-here' was not found on PATH" in result["msg"]
    assert "npm install -g pm2" in result["msg"]


@pytest.mark.parametrize(
    "args, message",
    [
        (
            dict(name="web", script="/srv/a.js", env={"BAD-NAME": "1"}),
            "env: 'BAD-NAME' is not a valid environment variable name",
        ),
        (dict(name="web", npm_script="start"), "cwd: required with npm_script"),
        (dict(name="web", serve=dict(path="/srv/build", port=70000)), "serve.port: 70000 is above the maximum 65535"),
        (dict(name="1234", script="/srv/a.js"), "name: '1234' is only digits"),
        (dict(name="web", script="/srv/a.js", wait=-1), "wait: -1.0 is negative"),
        (
            dict(name="web", script="/srv/a.js", user="no-such-user-pm2app"),
            "user: 'no-such-user-pm2app' does not exist",
        ),
    ],
)
def test_bad_input_fails_before_pm2_runs(run, fake_pm2, args, message):
    result = run(dict(args, pm2_binary=str(fake_pm2)))
    assert result["failed"] is True
    assert message in result["msg"]
    assert calls(fake_pm2) == []


def test_script_and_serve_are_mutually_exclusive(run, fake_pm2):
    result = run(dict(name="web", script="/srv/a.js", serve=dict(path="/b", port=1), pm2_binary=str(fake_pm2)))
    assert result["failed"] is True
    assert result["msg"] == "script and serve are mutually exclusive: give one way to run the app"
    assert calls(fake_pm2) == []


def test_by_name_only_on_unknown_app_fails(run, fake_pm2):
    result = run(dict(name="web", state="restarted", pm2_binary=str(fake_pm2)))
    assert result["failed"] is True
    assert "name: 'web' is not in pm2; give script, npm_script or serve to start it" in result["msg"]


def test_check_mode_with_changed_spec_only_reads(run, fake_pm2, tmp_path):
    script = tmp_path / "a.js"
    script.write_text("")
    old = pm2_utils.build_spec("web", script=str(script), env={"PORT": "3000"})
    jlist = [
        {
            "name": "web",
            "pm_id": 0,
            "pid": 77,
            "pm2_env": {"status": "online", "restart_time": 0, "env": pm2_utils.app_env(old)},
        }
    ]
    (fake_pm2.parent / "jlist.out").write_text("[PM2] Spawning PM2 daemon\n" + json.dumps(jlist))

    result = run(
        dict(name="web", script=str(script), env={"PORT": 3001}, pm2_binary=str(fake_pm2)), check=True, diff=True
    )
    assert result["changed"] is True
    assert result["reason"] == "spec changed"
    assert calls(fake_pm2) == ["jlist"]
    assert result["commands"] == [
        "%s delete web" % fake_pm2,
        "%s start %s --name web --cwd %s" % (fake_pm2, script, tmp_path),
        "%s save --force" % fake_pm2,
    ]
    assert '"PORT": "3000"' in result["diff"]["before"]
    assert '"PORT": "3001"' in result["diff"]["after"]
    assert result["spec"]["env"] == {"PORT": "3001"}


def test_check_mode_start_warns_about_missing_script(run, fake_pm2, tmp_path, monkeypatch):
    # where warnings end up depends on whether controller code was imported in this
    # process (ansible-core 2.19), so record what the module warns directly
    warned = []
    monkeypatch.setattr(pm2_app.AnsibleModule, "warn", lambda self, msg: warned.append(msg))
    missing = str(tmp_path / "build" / "server.js")
    result = run(dict(name="web", script=missing, pm2_binary=str(fake_pm2)), check=True)
    assert result["changed"] is True
    assert result["status"] == "online"
    assert "script: %r does not exist" % missing in warned
    assert calls(fake_pm2) == ["jlist"]


def test_start_with_missing_script_fails_before_starting(run, fake_pm2, tmp_path):
    missing = str(tmp_path / "server.js")
    result = run(dict(name="web", script=missing, pm2_binary=str(fake_pm2)))
    assert result["failed"] is True
    assert "script: %r does not exist" % missing in result["msg"]
    assert calls(fake_pm2) == ["jlist"]


def test_same_spec_online_is_unchanged_without_commands(run, fake_pm2, tmp_path):
    script = tmp_path / "a.js"
    script.write_text("")
    spec = pm2_utils.build_spec("web", script=str(script))
    jlist = [{"name": "web", "pm_id": 0, "pid": 77, "pm2_env": {"status": "online", "env": pm2_utils.app_env(spec)}}]
    (fake_pm2.parent / "jlist.out").write_text(json.dumps(jlist))
    result = run(dict(name="web", script=str(script), pm2_binary=str(fake_pm2)))
    assert (result["changed"], result["status"], result["pid"], result["commands"]) == (False, "online", 77, [])
    assert calls(fake_pm2) == ["jlist"]


def test_environment_given_to_pm2_is_clean(run, fake_pm2, monkeypatch, tmp_path):
    """pm2 (and through it the app) must not see the module's own environment."""
    monkeypatch.setenv("SECRET_OF_THE_CONTROLLER", "leak")
    dump = tmp_path / "env.txt"
    fake_pm2.write_text(FAKE.replace('echo "$*"', 'env > "$d/env.txt"; echo "$*"'))
    fake_pm2.chmod(0o755)
    run(dict(name="web", state="absent", pm2_binary=str(fake_pm2), pm2_home=str(tmp_path / "pm2home")))
    env = dict(line.split("=", 1) for line in dump.read_text().splitlines() if "=" in line)
    assert "SECRET_OF_THE_CONTROLLER" not in env
    assert env["PM2_HOME"] == str(tmp_path / "pm2home")
    assert env["PATH"].split(os.pathsep)[0] == str(tmp_path)
    assert os.environ["SECRET_OF_THE_CONTROLLER"] == "leak"  # the module's own environment is restored
