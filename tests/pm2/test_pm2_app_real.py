# -*- coding: utf-8 -*-
"""pm2_app against a real pm2 7 daemon (private PM2_HOME) and real HTTP on 127.0.0.1.

What a user would check by hand: the app answers on its port with the environment
it was given, a second run changes nothing, a changed env really restarts it, stop
closes the port, absent removes it from ``pm2 jlist`` and from the saved list,
``pm2 serve --spa`` answers client-side routes with index.html.
"""

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile

import pytest
from pm2_helpers import ECHO_SERVER, Pm2, free_port, http_get, port_refuses

pytestmark = pytest.mark.pm2

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def echo(port, path="/"):
    status, body = http_get(port, path)
    assert status == 200
    return json.loads(body)


def test_start_serves_http_and_second_run_is_unchanged(run_module, pm2):
    port = free_port()
    args = dict(name="echo", script=ECHO_SERVER, env={"PORT": port, "GREETING": "hello"})

    first = run_module(**args)
    assert first["changed"] is True, first
    assert first["status"] == "online"
    reply = echo(port)
    assert reply["pid"] == first["pid"]
    assert reply["env"]["GREETING"] == "hello"

    second = run_module(**args)
    assert second["changed"] is False, second
    assert second["commands"] == []
    assert second["pid"] == first["pid"]
    assert echo(port)["pid"] == first["pid"]  # not restarted behind our back
    assert len(pm2.procs("echo")) == 1


def test_app_gets_exactly_the_requested_environment_args_and_cwd(run_module, pm2, monkeypatch, tmp_path):
    monkeypatch.setenv("CONTROLLER_ONLY_SECRET", "must-not-leak")
    port = free_port()
    result = run_module(
        name="echo",
        script=ECHO_SERVER,
        cwd=str(tmp_path),
        args=["--flag", "two words", "$HOME"],
        env={"PORT": port, "CI": True, "BROWSER": "none", "NODE_OPTIONS": "--max-old-space-size=64"},
    )
    assert result["changed"] is True, result
    reply = echo(port)
    assert reply["argv"] == ["--flag", "two words", "$HOME"]  # no shell, no variable expansion
    assert reply["cwd"] == str(tmp_path)
    env = reply["env"]
    assert (env["CI"], env["BROWSER"], env["NODE_OPTIONS"], env["PORT"]) == (
        "true",
        "none",
        "--max-old-space-size=64",
        str(port),
    )
    assert env["PM2_APP_SPEC"] == result["spec_hash"]
    assert "CONTROLLER_ONLY_SECRET" not in env


def test_changed_env_replaces_the_app_and_shows_a_diff(run_module, pm2):
    port = free_port()
    old = run_module(name="echo", script=ECHO_SERVER, env={"PORT": port, "GREETING": "old"})
    assert echo(port)["env"]["GREETING"] == "old"

    new = run_module(name="echo", script=ECHO_SERVER, env={"PORT": port, "GREETING": "new"}, diff=True)
    assert new["changed"] is True, new
    assert new["reason"] == "spec changed"
    assert '"GREETING": "old"' in new["diff"]["before"]
    assert '"GREETING": "new"' in new["diff"]["after"]
    reply = echo(port)
    assert reply["env"]["GREETING"] == "new"
    assert reply["pid"] == new["pid"] != old["pid"]
    procs = pm2.procs("echo")
    assert len(procs) == 1
    assert procs[0]["pm2_env"]["env"]["PM2_APP_SPEC"] == new["spec_hash"] != old["spec_hash"]


def test_app_started_by_hand_is_taken_over(run_module, pm2, pm2_binary, pm2_home):
    port = free_port()
    subprocess.run(
        [pm2_binary, "start", ECHO_SERVER, "--name", "echo"],
        check=True,
        stdout=subprocess.DEVNULL,
        env=dict(os.environ, PM2_HOME=pm2_home, PORT=str(port)),
    )
    assert "PM2_APP_SPEC" not in echo(port)["env"]
    result = run_module(name="echo", script=ECHO_SERVER, env={"PORT": port})
    assert result["changed"] is True
    assert result["reason"] == "app was started by hand or by another spec"
    assert echo(port)["env"]["PM2_APP_SPEC"] == result["spec_hash"]
    assert len(pm2.procs("echo")) == 1


def test_stopped_closes_the_port_and_started_brings_it_back(run_module, pm2):
    port = free_port()
    args = dict(name="echo", script=ECHO_SERVER, env={"PORT": port})
    run_module(**args)
    echo(port)

    stopped = run_module(name="echo", state="stopped")
    assert stopped["changed"] is True
    assert stopped["status"] == "stopped"
    assert port_refuses(port)
    assert [proc["pm2_env"]["status"] for proc in pm2.procs("echo")] == ["stopped"]
    assert run_module(name="echo", state="stopped")["changed"] is False

    again = run_module(**args)
    assert again["changed"] is True
    assert again["reason"] == "app is stopped"
    assert again["commands"][0].endswith(" restart echo")  # same spec: restarted, not re-created
    assert echo(port)["pid"] == again["pid"]


def test_absent_removes_the_app_from_pm2_and_from_the_saved_list(run_module, pm2, pm2_home):
    port = free_port()
    run_module(name="echo", script=ECHO_SERVER, env={"PORT": port})
    with open(os.path.join(pm2_home, "dump.pm2")) as handle:
        assert [app["name"] for app in json.load(handle)] == ["echo"]

    result = run_module(name="echo", state="absent")
    assert result["changed"] is True
    assert result["status"] == "absent"
    assert pm2.procs("echo") == []
    assert port_refuses(port)
    with open(os.path.join(pm2_home, "dump.pm2")) as handle:
        assert json.load(handle) == []
    assert run_module(name="echo", state="absent")["changed"] is False


def test_saved_list_brings_the_app_back_after_a_daemon_restart(run_module, pm2):
    """What pm2-<user>.service does at boot: pm2 resurrect from the saved list."""
    port = free_port()
    run_module(name="echo", script=ECHO_SERVER, env={"PORT": port, "GREETING": "saved"})
    pm2.cli("kill")
    assert port_refuses(port)
    pm2.cli("resurrect")
    assert echo(port)["env"]["GREETING"] == "saved"
    # and the resurrected app still counts as "what was asked for"
    assert run_module(name="echo", script=ECHO_SERVER, env={"PORT": port, "GREETING": "saved"})["changed"] is False


def test_serve_spa_answers_client_side_routes_with_index_html(run_module, pm2, tmp_path):
    build = tmp_path / "build"
    (build / "static").mkdir(parents=True)
    (build / "index.html").write_text("<!doctype html><div id=root>dumbflix-index</div>")
    (build / "static" / "main.js").write_text("console.log('bundle')")
    port = free_port()

    plain = run_module(name="front", serve=dict(path=str(build), port=port))
    assert plain["changed"] is True, plain
    assert http_get(port, "/static/main.js") == (200, "console.log('bundle')")
    assert http_get(port, "/movies")[0] == 404  # without spa a deep link is broken

    spa = run_module(name="front", serve=dict(path=str(build), port=port, spa=True))
    assert spa["changed"] is True
    status, body = http_get(port, "/movies")
    assert (status, "dumbflix-index" in body) == (200, True)
    status, body = http_get(port, "/detail/42")
    assert (status, "dumbflix-index" in body) == (200, True)
    assert http_get(port, "/static/main.js") == (200, "console.log('bundle')")
    assert run_module(name="front", serve=dict(path=str(build), port=port, spa=True))["changed"] is False
    assert len(pm2.procs("front")) == 1


def test_npm_script_runs_like_the_bootcamp(run_module, pm2, tmp_path):
    (tmp_path / "package.json").write_text(
        json.dumps({"name": "demo", "version": "1.0.0", "private": True, "scripts": {"start": "node %s" % ECHO_SERVER}})
    )
    port = free_port()
    args = dict(
        name="dumbflix-frontend",
        npm_script="start",
        cwd=str(tmp_path),
        args=["--extra"],
        env={"PORT": port, "BROWSER": "none", "CI": "true"},
    )
    result = run_module(**args)
    assert result["changed"] is True, result
    reply = echo(port)
    assert reply["argv"] == ["--extra"]
    assert reply["env"]["npm_lifecycle_event"] == "start"  # really ran through `npm run start`
    assert reply["cwd"] == str(tmp_path)
    assert run_module(**args)["changed"] is False


def test_cluster_mode_runs_several_instances_behind_one_port(run_module, pm2):
    port = free_port()
    result = run_module(name="api", script=ECHO_SERVER, instances=2, env={"PORT": port})
    assert result["changed"] is True, result
    procs = pm2.procs("api")
    assert len(procs) == 2
    assert {proc["pm2_env"]["exec_mode"] for proc in procs} == {"cluster_mode"}
    assert sorted(result["pids"]) == sorted(proc["pid"] for proc in procs)
    seen = {echo(port)["pid"] for dummy in range(20)}
    assert seen <= set(result["pids"])

    assert run_module(name="api", script=ECHO_SERVER, instances=2, env={"PORT": port})["changed"] is False
    fork = run_module(name="api", script=ECHO_SERVER, instances=1, env={"PORT": port})
    assert fork["changed"] is True
    assert [proc["pm2_env"]["exec_mode"] for proc in pm2.procs("api")] == ["fork_mode"]


def test_restarted_and_reloaded_always_change(run_module, pm2):
    port = free_port()
    args = dict(name="echo", script=ECHO_SERVER, env={"PORT": port})
    first = run_module(**args)
    restarted = run_module(state="restarted", **args)
    assert restarted["changed"] is True
    assert echo(port)["pid"] == restarted["pid"] != first["pid"]
    reloaded = run_module(name="echo", state="reloaded")  # by name only
    assert reloaded["changed"] is True
    assert echo(port)["pid"] == reloaded["pid"] != restarted["pid"]


def test_check_mode_reports_but_changes_nothing(run_module, pm2):
    port = free_port()
    would = run_module(name="echo", script=ECHO_SERVER, env={"PORT": port}, check=True)
    assert would["changed"] is True
    assert pm2.procs("echo") == []
    assert port_refuses(port)

    run_module(name="echo", script=ECHO_SERVER, env={"PORT": port, "GREETING": "a"})
    pid = echo(port)["pid"]
    for args in (
        dict(script=ECHO_SERVER, env={"PORT": port, "GREETING": "b"}),
        dict(state="stopped"),
        dict(state="absent"),
        dict(state="restarted"),
    ):
        assert run_module(name="echo", check=True, **args)["changed"] is True, args
        reply = echo(port)
        assert (reply["pid"], reply["env"]["GREETING"]) == (pid, "a")


def test_app_that_exits_at_once_fails_with_its_error_log(run_module, pm2):
    # no PORT: exits 2 as soon as node has loaded it. The watch fails the moment it sees that, so a window longer
    # than the fixture's 1 s costs nothing here; on a busy machine (make test runs this beside two molecule
    # scenarios) node may not even have loaded the script within 1 s, and the app would pass as online.
    result = run_module(name="broken", script=ECHO_SERVER, env={"GREETING": "no port"}, wait=15)
    assert result["failed"] is True
    assert "app 'broken'" in result["msg"]
    assert "echo_server: PORT is not set (got undefined)" in result["msg"]  # from pm_err_log_path


def test_ansible_playbook_check_apply_idempotent(pm2, pm2_binary, pm2_home, tmp_path):
    """The module as Ansible ships it (AnsiballZ, target python3), in check mode, then twice for real."""
    python = shutil.which("python3", path="/usr/bin:/bin") or sys.executable
    port = free_port()
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        """
- name: Run the echo app under pm2
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Echo app
      dumbflix.stack.pm2_app:
        name: echo
        script: %s
        env:
          PORT: "%d"
          CI: true
        pm2_binary: %s
        pm2_home: %s
        wait: 1
"""
        % (ECHO_SERVER, port, pm2_binary, pm2_home)
    )

    def play(*extra):
        env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")
        proc = subprocess.run(
            [
                os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
                "-i",
                "localhost,",
                "-c",
                "local",
                "-e",
                "ansible_python_interpreter=%s" % python,
                str(playbook),
            ]
            + list(extra),
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            check=False,  # asserted below, with the output in the message
            universal_newlines=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        # ansible.cfg enables profile_tasks, which prints around the JSON document
        start = proc.stdout.index("{\n")
        return json.JSONDecoder().raw_decode(proc.stdout, start)[0]["stats"]["localhost"]

    assert play("--check")["changed"] == 1
    assert port_refuses(port)
    assert play()["changed"] == 1
    assert echo(port)["env"]["CI"] == "true"
    assert play()["changed"] == 0


@pytest.mark.skipif(os.geteuid() != 0, reason="running pm2 as another user needs root")
def test_runs_pm2_and_the_app_as_the_given_user(pm2_binary, capsys):
    from ansible.module_utils.testing import patch_module_args

    from ansible_collections.dumbflix.stack.plugins.modules import pm2_app

    user = pwd.getpwnam("nobody")
    base = tempfile.mkdtemp(prefix="pm2u-")
    os.chmod(base, 0o755)
    home = os.path.join(base, "pm2")
    os.mkdir(home)
    os.chown(home, user.pw_uid, user.pw_gid)
    daemon = Pm2(pm2_binary, home, user="nobody")
    port = free_port()
    try:
        with (
            patch_module_args(
                dict(
                    name="echo",
                    script=ECHO_SERVER,
                    env={"PORT": port},
                    user="nobody",
                    pm2_home=home,
                    pm2_binary=pm2_binary,
                    wait=1,
                )
            ),
            pytest.raises(SystemExit),
        ):
            pm2_app.main()
        result = json.loads(capsys.readouterr().out)
        assert result["changed"] is True, result
        reply = echo(port)
        assert reply["uid"] == user.pw_uid
        assert (reply["env"]["USER"], reply["env"]["HOME"], reply["env"]["PM2_HOME"]) == ("nobody", user.pw_dir, home)
        assert [proc["name"] for proc in daemon.jlist()] == ["echo"]  # in nobody's daemon
        with open("/proc/%d/status" % result["pid"]) as handle:
            uids = next(line.split()[1:] for line in handle if line.startswith("Uid:"))
        assert set(uids) == {str(user.pw_uid)}
        assert os.stat(os.path.join(home, "dump.pm2")).st_uid == user.pw_uid
    finally:
        daemon.kill()
        shutil.rmtree(base, ignore_errors=True)
