# -*- coding: utf-8 -*-
"""Unit tests for the pure pm2 helpers (no pm2 needed)."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.dumbflix.stack.plugins.module_utils import pm2, pm2_cli
from ansible_collections.dumbflix.stack.plugins.module_utils.pm2 import Pm2Error


def proc(name, pm_id=0, status="online", pid=100, env=None, restart_time=0, err_log=None):
    """One entry of `pm2 jlist` with the fields pm2 7 prints that the helpers read."""
    return {
        "name": name,
        "pm_id": pm_id,
        "pid": pid if status == "online" else 0,
        "pm2_env": {
            "status": status,
            "restart_time": restart_time,
            "env": dict(env or {}),
            "pm_err_log_path": err_log or "/home/u/.pm2/logs/%s-error.log" % name,
        },
    }


def started(spec, **kw):
    """A jlist entry as pm2_app would have started *spec*."""
    return proc(spec["name"], env=pm2.app_env(spec), **kw)


SCRIPT = dict(name="web", script="/srv/web/server.js", env={"PORT": 3000})


# ---------------------------------------------------------------- build_spec


def test_script_spec_is_normalized():
    spec = pm2.build_spec(**SCRIPT)
    assert spec == {
        "name": "web",
        "mode": "script",
        "script": "/srv/web/server.js",
        "args": [],
        "cwd": "/srv/web",
        "env": {"PORT": "3000"},
        "instances": 1,
    }


def test_relative_script_is_resolved_against_cwd():
    spec = pm2.build_spec("web", script="./bin/../server.js", cwd="/srv/web/")
    assert spec["script"] == "/srv/web/server.js"
    assert spec["cwd"] == "/srv/web"


def test_npm_spec_keeps_script_and_args():
    spec = pm2.build_spec("front", npm_script="start", cwd="/srv/front", args=["--port", "3000"])
    assert (spec["mode"], spec["npm_script"], spec["args"], spec["cwd"]) == (
        "npm",
        "start",
        ["--port", "3000"],
        "/srv/front",
    )


def test_serve_spec_coerces_port_and_spa():
    spec = pm2.build_spec("front", serve={"path": "/srv/front/build/", "port": "3000", "spa": "yes"})
    assert spec["serve"] == {"path": "/srv/front/build", "port": 3000, "spa": True}
    assert "cwd" not in spec and "args" not in spec


@pytest.mark.parametrize(
    "word, expected", [("t", True), ("Y", True), ("on", True), ("F", False), ("no", False), (0, False)]
)
def test_serve_spa_takes_the_boolean_words_nginx_options_take(word, expected):
    assert pm2.build_spec("front", serve={"path": "/srv/b", "port": 3000, "spa": word})["serve"]["spa"] is expected


def test_no_description_means_by_name_only():
    assert pm2.build_spec("web") is None


def test_env_booleans_and_numbers_become_shell_strings():
    assert pm2.normalize_env({"CI": True, "DEBUG": False, "PORT": 3000, "RATIO": 0.5}) == {
        "CI": "true",
        "DEBUG": "false",
        "PORT": "3000",
        "RATIO": "0.5",
    }


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(name="my app", script="/a.js"), "name: 'my app' is not a valid pm2 app name"),
        (dict(name="42", script="/a.js"), "name: '42' is only digits"),
        (dict(name="all", script="/a.js"), "name: 'all' is reserved"),
        (dict(name="-x", script="/a.js"), "name: '-x' is not a valid"),
        (dict(name="w", script="/a.js", npm_script="start"), "script and npm_script are mutually exclusive"),
        (dict(name="w", cwd="/srv"), "cwd given without script, npm_script or serve"),
        (dict(name="w", instances=4), "instances given without script"),
        (dict(name="w", script="a.js"), "script: 'a.js' is relative; give an absolute path or set cwd"),
        (dict(name="w", script="--inspect"), "script: '--inspect' starts with '-'"),
        (dict(name="w", script="/a.js", cwd="srv"), "cwd: 'srv' is not an absolute path"),
        (dict(name="w", script="/a.js", instances=-1), "instances: -1 must be 0"),
        (dict(name="w", script="/usr/bin/python3", instances=2), "instances: 2 (cluster mode) needs a Node.js script"),
        (dict(name="w", npm_script="start"), "cwd: required with npm_script"),
        (dict(name="w", npm_script="start", cwd="/srv", instances=0), "instances: 0 is not possible with npm_script"),
        (
            dict(name="w", npm_script="start; rm -rf /", cwd="/srv"),
            "npm_script: 'start; rm -rf /' is not a package.json script",
        ),
        (dict(name="w", npm_script="--help", cwd="/srv"), "npm_script: '--help' is not"),
        (dict(name="w", serve={"path": "/b", "port": 0}), "serve.port: 0 is below the minimum 1"),
        (dict(name="w", serve={"path": "/b", "port": "80x"}), "serve.port: '80x' is not an integer"),
        (dict(name="w", serve={"path": "build", "port": 80}), "serve.path: 'build' is not an absolute path"),
        (dict(name="w", serve={"path": "/b", "port": 80, "spa": "maybe"}), "serve.spa: 'maybe' is not a boolean"),
        (dict(name="w", serve={"path": "/b", "port": 80, "root": "/"}), "serve: unknown key(s) root"),
        (dict(name="w", serve={"path": "/b", "port": 80}, instances=2), "instances: 2 is not possible with serve"),
        (dict(name="w", serve={"path": "/b", "port": 80}, cwd="/srv"), "cwd: not used with serve"),
        (dict(name="w", serve={"path": "/b", "port": 80}, args=["x"]), "args: not used with serve"),
        (dict(name="w", script="/a.js", args=["ok", 3]), "args[1]: 3 is not a string"),
        (dict(name="w", script="/a.js", args=["a\x00b"]), "args[0]: 'a\\x00b' contains a NUL character"),
        (dict(name="w", script="/a.js", env={"1PORT": "1"}), "env: '1PORT' is not a valid environment variable name"),
        (dict(name="w", script="/a.js", env={"PORT-X": "1"}), "env: 'PORT-X' is not a valid"),
        (dict(name="w", script="/a.js", env={"PM2_HOME": "/x"}), "env.PM2_HOME: this variable is set by the module"),
        (dict(name="w", script="/a.js", env={"PM2_APP_SPEC": "x"}), "env.PM2_APP_SPEC: this variable is set"),
        (dict(name="w", script="/a.js", env={"PORT": None}), "env.PORT: null is not a string, number or boolean"),
        (dict(name="w", script="/a.js", env={"PORT": [1]}), "env.PORT: [1] is not a string"),
        (dict(name="w", script="/a.js", env="PORT=1"), "env: 'PORT=1' is not a mapping"),
    ],
)
def test_bad_input_is_refused_naming_field_and_value(kwargs, message):
    with pytest.raises(Pm2Error) as err:
        pm2.build_spec(**kwargs)
    assert message in str(err.value)


# ---------------------------------------------------------------- hashing


def test_hash_ignores_env_order_and_type_spelling():
    a = pm2.build_spec("web", script="/srv/server.js", env={"A": "1", "B": True})
    b = pm2.build_spec("web", script="/srv/server.js", env={"B": "true", "A": 1})
    assert pm2.spec_hash(a) == pm2.spec_hash(b)


@pytest.mark.parametrize(
    "change",
    [
        dict(env={"PORT": "3001"}),
        dict(env={"PORT": 3000, "X": "1"}),
        dict(args=["--x"]),
        dict(cwd="/srv"),
        dict(script="/srv/web/other.js"),
        dict(instances=2),
    ],
)
def test_hash_changes_with_every_field(change):
    base = pm2.build_spec(**SCRIPT)
    changed = pm2.build_spec(**dict(SCRIPT, **change))
    assert pm2.spec_hash(base) != pm2.spec_hash(changed)


def test_hash_changes_with_serve_spa():
    one = pm2.build_spec("f", serve={"path": "/b", "port": 3000, "spa": False})
    two = pm2.build_spec("f", serve={"path": "/b", "port": 3000, "spa": True})
    assert pm2.spec_hash(one) != pm2.spec_hash(two)


@given(
    st.dictionaries(
        st.from_regex(r"[A-Z_][A-Z0-9_]{0,8}", fullmatch=True).filter(lambda k: k not in pm2.RESERVED_ENV),
        st.text(alphabet=st.characters(blacklist_characters="\x00")),
        max_size=6,
    )
)
def test_app_env_round_trips_the_spec(env):
    spec = pm2.build_spec("web", script="/srv/a.js", env=env)
    marker_env = pm2.app_env(spec)
    # what pm2 jlist gives back is what the next run compares against
    app = pm2_cli.summarize([proc("web", env=json.loads(json.dumps(marker_env)))], "web")
    assert app["spec_hash"] == pm2.spec_hash(spec)
    assert app["spec"] == spec
    assert {k: marker_env[k] for k in env} == env


# ---------------------------------------------------------------- jlist


def test_parse_jlist_after_daemon_banner():
    banner = "\n".join(
        [
            "                        -------------",
            "__/\\\\\\\\___",
            "[PM2] Spawning PM2 daemon with pm2_home=/x",
            "[PM2] PM2 Successfully daemonized",
        ]
    )
    data = [proc("web")]
    assert pm2_cli.parse_jlist(banner + "\n" + json.dumps(data)) == data
    assert pm2_cli.parse_jlist("[]\n") == []


@pytest.mark.parametrize(
    "output", ["", "Error: connect ENOENT /root/.pm2/rpc.sock", '{"name": "web"}', "[1, 2]", "[PM2] x\n[oops"]
)
def test_parse_jlist_refuses_and_shows_output(output):
    with pytest.raises(Pm2Error) as err:
        pm2_cli.parse_jlist(output)
    assert "pm2 jlist did not print a JSON process list" in str(err.value)
    assert (output.strip() or "(nothing)") in str(err.value)


def test_parse_jlist_shortens_huge_output():
    with pytest.raises(Pm2Error) as err:
        pm2_cli.parse_jlist("x" * 10000)
    assert len(str(err.value)) < 2200


def test_summarize_cluster_instances():
    spec = pm2.build_spec("api", script="/srv/api.js", instances=2)
    procs = [started(spec, pm_id=3, pid=31), proc("other", pm_id=1), started(spec, pm_id=2, pid=21)]
    app = pm2_cli.summarize(procs, "api")
    assert (app["status"], app["pid"], app["pids"], app["count"]) == ("online", 21, [21, 31], 2)
    assert app["spec_hash"] == pm2.spec_hash(spec)
    assert pm2_cli.summarize(procs, "missing") is None


def test_summarize_mixed_hashes_and_statuses():
    spec = pm2.build_spec("api", script="/srv/api.js", instances=2)
    procs = [started(spec, pm_id=0), proc("api", pm_id=1, status="errored")]
    app = pm2_cli.summarize(procs, "api")
    assert app["spec_hash"] is None
    assert app["status"] == "errored"
    assert app["pids"] == [100]
    assert pm2_cli.aggregate_status(["online", "stopped"]) == "mixed"


# ---------------------------------------------------------------- plan

SPEC = pm2.build_spec(**SCRIPT)
OTHER = pm2.build_spec(**{**SCRIPT, "env": {"PORT": "4000"}})


def app_of(spec, status="online"):
    return pm2_cli.summarize([started(spec, status=status)], spec["name"])


@pytest.mark.parametrize(
    "state, spec, app, actions",
    [
        ("started", SPEC, None, ["start"]),
        ("started", SPEC, app_of(SPEC), []),
        ("started", SPEC, app_of(OTHER), ["delete", "start"]),
        ("started", SPEC, pm2_cli.summarize([proc("web")], "web"), ["delete", "start"]),  # started by hand
        ("started", SPEC, app_of(SPEC, "stopped"), ["restart"]),
        ("started", SPEC, app_of(SPEC, "errored"), ["restart"]),
        ("started", None, app_of(SPEC), []),
        ("started", None, app_of(SPEC, "stopped"), ["restart"]),
        ("stopped", SPEC, app_of(SPEC), ["stop"]),
        ("stopped", None, app_of(SPEC, "errored"), ["stop"]),
        ("stopped", None, app_of(SPEC, "stopped"), []),
        ("stopped", SPEC, None, []),
        ("restarted", SPEC, app_of(SPEC), ["restart"]),
        ("restarted", None, app_of(SPEC, "stopped"), ["restart"]),
        ("restarted", SPEC, app_of(OTHER), ["delete", "start"]),
        ("restarted", SPEC, None, ["start"]),
        ("reloaded", SPEC, app_of(SPEC), ["reload"]),
        ("reloaded", None, app_of(SPEC), ["reload"]),
        ("absent", None, app_of(SPEC), ["delete"]),
        ("absent", SPEC, None, []),
    ],
)
def test_plan(state, spec, app, actions):
    assert pm2.plan(state, "web", spec, app)[0] == actions


@pytest.mark.parametrize("state", ["started", "restarted", "reloaded"])
def test_plan_by_name_needs_an_existing_app(state):
    with pytest.raises(Pm2Error) as err:
        pm2.plan(state, "web", None, None)
    assert "name: 'web' is not in pm2; give script, npm_script or serve" in str(err.value)


def test_plan_refuses_unknown_state():
    with pytest.raises(Pm2Error, match="state: 'running' is not one of"):
        pm2.plan("running", "web", SPEC, None)


def test_diff_text():
    assert pm2.diff_text("absent", SPEC) == ""
    assert json.loads(pm2.diff_text("online", SPEC)) == {"status": "online", "spec": SPEC}


# ---------------------------------------------------------------- commands


def test_start_argv_script_cluster_and_args():
    spec = pm2.build_spec("api", script="/srv/api.js", args=["--a", "b c"], instances=0)
    assert pm2_cli.start_argv("/usr/bin/pm2", spec) == [
        "/usr/bin/pm2",
        "start",
        "/srv/api.js",
        "--name",
        "api",
        "--cwd",
        "/srv",
        "--instances",
        "0",
        "--",
        "--a",
        "b c",
    ]


def test_start_argv_fork_without_args():
    assert pm2_cli.start_argv("pm2", SPEC) == [
        "pm2",
        "start",
        "/srv/web/server.js",
        "--name",
        "web",
        "--cwd",
        "/srv/web",
    ]


def test_start_argv_npm_like_the_bootcamp():
    spec = pm2.build_spec("dumbflix-frontend", npm_script="start", cwd="/srv/f")
    assert pm2_cli.start_argv("pm2", spec) == [
        "pm2",
        "start",
        "npm",
        "--name",
        "dumbflix-frontend",
        "--cwd",
        "/srv/f",
        "--",
        "run",
        "start",
    ]
    spec = pm2.build_spec("f", npm_script="start", cwd="/srv/f", args=["-x"])
    assert pm2_cli.start_argv("pm2", spec)[-4:] == ["run", "start", "--", "-x"]


def test_start_argv_serve():
    spa = pm2.build_spec("f", serve={"path": "/srv/build", "port": 3000, "spa": True})
    assert pm2_cli.start_argv("pm2", spa) == ["pm2", "serve", "/srv/build", "3000", "--name", "f", "--spa"]
    plain = pm2.build_spec("f", serve={"path": "/srv/build", "port": 3000})
    assert "--spa" not in pm2_cli.start_argv("pm2", plain)


def test_other_argv():
    assert pm2_cli.action_argv("pm2", "reload", "web") == ["pm2", "reload", "web"]
    assert pm2_cli.save_argv("pm2") == ["pm2", "save", "--force"]
    assert pm2_cli.user_prefix("dumbflix") == ["runuser", "-u", "dumbflix", "--"]
    with pytest.raises(Pm2Error):
        pm2_cli.action_argv("pm2", "flush", "web")


def test_base_environ_for_other_user_keeps_only_known_variables():
    ambient = {
        "PATH": "/root/bin:/usr/bin",
        "LANG": "C.UTF-8",
        "HOME": "/root",
        "SSH_CONNECTION": "x",
        "AWS_SECRET_ACCESS_KEY": "s",
        "PM2_HOME": "/root/.pm2",
    }
    env = pm2_cli.base_environ(ambient, home="/home/d", user="d", bin_dir="/usr/local/bin")
    assert env == {
        "PATH": "/usr/local/bin:/root/bin:/usr/bin",
        "LANG": "C.UTF-8",
        "HOME": "/home/d",
        "USER": "d",
        "LOGNAME": "d",
        "PM2_HOME": "/home/d/.pm2",
    }
    assert pm2_cli.base_environ(ambient, home="/home/d", user="d", pm2_home="/var/pm2")["PM2_HOME"] == "/var/pm2"


def test_base_environ_for_current_user():
    env = pm2_cli.base_environ({"HOME": "/root", "PM2_HOME": "/p", "X": "1"}, bin_dir="/usr/bin")
    assert env == {
        "PATH": "/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/sbin:/bin",
        "HOME": "/root",
        "PM2_HOME": "/p",
    }
    assert pm2_cli.base_environ({"PM2_HOME": "/p"}, pm2_home="/q")["PM2_HOME"] == "/q"


def test_tail():
    assert pm2_cli.tail("a\nb\nc\n", 2) == "b\nc"
    assert pm2_cli.tail("", 5) == ""
