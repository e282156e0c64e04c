"""roles/monitoring/files/dumbflix-pm2-metrics.py: pm2 jlist in, node exporter textfile out.

The pure parts (JSON to text) are checked line by line, the text with `promtool check metrics` (the
exposition format's own linter, from scripts/setup-host.sh), and main() end to end with a stand-in pm2.
"""

import importlib.util
import json
import os
import stat
import subprocess
import sys

import pytest
from host_tools import host_tool

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "roles", "monitoring", "files", "dumbflix-pm2-metrics.py")
_spec = importlib.util.spec_from_file_location("dumbflix_pm2_metrics", SCRIPT)
metrics = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(metrics)

NOW = 1_800_000_000.0


def proc(name, pm_id, status="online", restarts=0, memory=50_000_000, started=NOW - 600):
    """One process as pm2 7's jlist shows it (the fields the script reads, and a few it does not)."""
    return {
        "pid": 4000 + pm_id,
        "name": name,
        "pm_id": pm_id,
        "monit": {"memory": memory, "cpu": 0.3},
        "pm2_env": {
            "status": status,
            "restart_time": restarts,
            "unstable_restarts": 0,
            "pm_uptime": int(started * 1000),
            "exec_mode": "fork_mode",
            "env": {"PORT": "3000"},
        },
    }


HEAD_UP = "# HELP dumbflix_pm2_up 1 when pm2 answered pm2 jlist, else 0.\n# TYPE dumbflix_pm2_up gauge\n"


def test_render_apps():
    processes = [
        proc("dumbflix", 0, restarts=2, memory=61_000_000, started=NOW - 120.5),
        # cluster mode: one app, online only while every instance is, restarts and memory summed
        proc("api", 1, restarts=1, memory=30_000_000),
        proc("api", 2, status="errored", restarts=15, memory=0),
    ]
    assert metrics.render(processes, NOW) == HEAD_UP + (
        "dumbflix_pm2_up 1\n"
        "# HELP dumbflix_pm2_app_online 1 when every pm2 process of the app is online, else 0.\n"
        "# TYPE dumbflix_pm2_app_online gauge\n"
        'dumbflix_pm2_app_online{app="api"} 0\n'
        'dumbflix_pm2_app_online{app="dumbflix"} 1\n'
        "# HELP dumbflix_pm2_app_restarts_total Restarts pm2 made of the app's processes (restart_time).\n"
        "# TYPE dumbflix_pm2_app_restarts_total counter\n"
        'dumbflix_pm2_app_restarts_total{app="api"} 16\n'
        'dumbflix_pm2_app_restarts_total{app="dumbflix"} 2\n'
        "# HELP dumbflix_pm2_app_memory_bytes Resident memory of the app's processes, as pm2 measures it.\n"
        "# TYPE dumbflix_pm2_app_memory_bytes gauge\n"
        'dumbflix_pm2_app_memory_bytes{app="api"} 30000000\n'
        'dumbflix_pm2_app_memory_bytes{app="dumbflix"} 61000000\n'
        "# HELP dumbflix_pm2_app_uptime_seconds Seconds the app's youngest process has run (0 when not online).\n"
        "# TYPE dumbflix_pm2_app_uptime_seconds gauge\n"
        'dumbflix_pm2_app_uptime_seconds{app="api"} 0\n'
        'dumbflix_pm2_app_uptime_seconds{app="dumbflix"} 120.5\n'
    )


def test_render_pm2_down_and_no_apps():
    assert metrics.render(None, NOW) == HEAD_UP + "dumbflix_pm2_up 0\n"
    assert metrics.render([], NOW) == HEAD_UP + "dumbflix_pm2_up 1\n"


def test_stopped_app_and_odd_fields():
    processes = [
        proc("stopped", 0, status="stopped", restarts=4),
        {"name": "bare", "pm_id": 1},  # a process pm2 is still setting up: no pm2_env, no monit
        {"pm_id": 2, "pm2_env": {"status": "online"}},  # no name: nothing to label it with
        proc("odd", 3, restarts=True, memory=-1, started=0),
    ]
    assert metrics.app_values(processes, NOW) == {
        "stopped": {"online": 0, "restarts": 4, "memory": 50_000_000, "uptime": 0.0},
        "bare": {"online": 0, "restarts": 0, "memory": 0, "uptime": 0.0},
        "odd": {"online": 1, "restarts": 0, "memory": 0, "uptime": 0.0},
    }


def test_label_values_are_escaped():
    assert metrics.escape_label('a"b\\c\nd') == 'a\\"b\\\\c\\nd'
    text = metrics.render([proc('we"ird\\na\nme', 0)], NOW)
    assert 'dumbflix_pm2_app_online{app="we\\"ird\\\\na\\nme"} 1\n' in text


def test_text_passes_promtool_check_metrics():
    processes = [proc("dumbflix", 0, restarts=3), proc('q"uote', 1, status="stopped"), proc("api", 2)]
    for text in (metrics.render(processes, NOW), metrics.render(None, NOW)):
        result = subprocess.run(
            [host_tool("promtool"), "check", "metrics"],
            input=text,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert result.returncode == 0 and not result.stdout.strip(), result.stdout


def test_parse_jlist():
    listing = [proc("dumbflix", 0)]
    assert metrics.parse_jlist(json.dumps(listing)) == listing
    # pm2 prints a banner first when it updates or spawns its daemon
    banner = ">>>> In-memory PM2 is out-of-date, do:\n>>>> $ pm2 update\n"
    assert metrics.parse_jlist(banner + json.dumps(listing) + "\n") == listing
    assert metrics.parse_jlist("[]") == []
    for bad in ("", "[PM2] Spawning PM2 daemon", '{"a": 1}', "[1, 2]"):
        with pytest.raises(ValueError, match="pm2 jlist did not print a JSON process list"):
            metrics.parse_jlist(bad)


def test_jlist_argv():
    assert metrics.jlist_argv("dumbflix", "/home/dumbflix/.pm2", "/usr/local/bin/pm2", "root") == [
        "runuser", "-u", "dumbflix", "--", "env", "PM2_HOME=/home/dumbflix/.pm2", "/usr/local/bin/pm2", "jlist",
    ]  # fmt: skip
    assert metrics.jlist_argv("dumbflix", "/p", "pm2", "dumbflix") == ["env", "PM2_HOME=/p", "pm2", "jlist"]


def test_daemon_pid(tmp_path):
    assert metrics.daemon_pid(str(tmp_path)) is None
    pid_file = tmp_path / "pm2.pid"
    pid_file.write_text("%d\n" % os.getpid())
    assert metrics.daemon_pid(str(tmp_path)) == os.getpid()
    pid_file.write_text("garbage")
    assert metrics.daemon_pid(str(tmp_path)) is None
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    pid_file.write_text(str(gone.pid))
    assert metrics.daemon_pid(str(tmp_path)) is None


def test_write_atomically(tmp_path):
    out = tmp_path / "pm2.prom"
    out.write_text("old\n")
    old_inode = out.stat().st_ino
    umask = os.umask(0o077)
    try:
        metrics.write_atomically(str(out), "new\n")
    finally:
        os.umask(umask)
    assert out.read_text() == "new\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert out.stat().st_ino != old_inode  # a rename: a reader has the old file or the new one
    assert sorted(os.listdir(str(tmp_path))) == ["pm2.prom"]


def fake_pm2(tmp_path, body):
    """A stand-in pm2 that records its PM2_HOME and argv, then runs *body*."""
    script = tmp_path / "pm2"
    script.write_text('#!/bin/sh\necho "$PM2_HOME $*" > "%s"\n%s\n' % (tmp_path / "called", body))
    script.chmod(0o755)
    return str(script)


def run_main(tmp_path, pm2, daemon=True):
    home = tmp_path / "pm2home"
    home.mkdir()
    if daemon:
        (home / "pm2.pid").write_text(str(os.getpid()))
    out = tmp_path / "textfile" / "pm2.prom"
    out.parent.mkdir()
    user = __import__("pwd").getpwuid(os.geteuid()).pw_name
    rc = metrics.main(["--user", user, "--pm2-home", str(home), "--pm2", pm2, "--out", str(out)])
    return rc, out.read_text() if out.exists() else None


def test_main_writes_what_pm2_says(tmp_path, capsys):
    listing = json.dumps([proc("dumbflix", 0, restarts=1)])
    rc, text = run_main(tmp_path, fake_pm2(tmp_path, "echo '%s'" % listing))
    assert rc == 0
    assert (tmp_path / "called").read_text() == "%s jlist\n" % (tmp_path / "pm2home")
    assert "dumbflix_pm2_up 1\n" in text and 'dumbflix_pm2_app_restarts_total{app="dumbflix"} 1\n' in text


@pytest.mark.parametrize(
    "body, daemon, reason",
    [
        ("echo '[]'", False, "no pm2 daemon runs for"),
        ("echo 'connect ENOENT rpc.sock' >&2; exit 1", True, "exited with 1: connect ENOENT rpc.sock"),
        ("echo 'not json'", True, "pm2 jlist did not print a JSON process list"),
    ],
)
def test_main_pm2_down(tmp_path, capsys, body, daemon, reason):
    rc, text = run_main(tmp_path, fake_pm2(tmp_path, body), daemon=daemon)
    assert (rc, text) == (0, HEAD_UP + "dumbflix_pm2_up 0\n")
    assert reason in capsys.readouterr().err
    # no daemon: pm2 is not even asked, as asking would start one
    assert (tmp_path / "called").exists() == daemon


def test_main_cannot_write(tmp_path, capsys):
    rc = metrics.main(["--user", "nobody", "--pm2-home", str(tmp_path), "--pm2", "pm2", "--out", "/nonexistent/x.prom"])
    assert rc == 1
    assert "cannot write /nonexistent/x.prom" in capsys.readouterr().err
