# -*- coding: utf-8 -*-
# Copyright: (c) 2025, dumbflix.stack maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure pm2 helpers for the ``dumbflix.stack.pm2_app`` module.

Nothing here runs a command or imports AnsibleModule: the module feeds in its
parameters and the text ``pm2 jlist`` printed, and gets back a normalized spec,
a plan (which pm2 commands to run), the argv for each command and the
environment to run them with.  Unit tests call these functions directly.

Idempotence works like this: the normalized *desired spec* (what to run, where,
with which environment and how many instances) is hashed; the hash and the spec
itself travel into the app's environment as ``PM2_APP_SPEC`` and
``PM2_APP_SPEC_JSON``.  ``pm2 jlist`` shows every process's environment, so the
next run compares hashes: equal means the running app is what was asked for,
different means delete and start again.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import re

from ansible_collections.dumbflix.stack.plugins.module_utils.values import (
    NOT_SET,
    ValueRefused,
    item_field,
    join_field,
    parse_bool,
    parse_port,
    with_defaults,
)

SPEC_HASH_ENV = "PM2_APP_SPEC"
SPEC_JSON_ENV = "PM2_APP_SPEC_JSON"
SPEC_FORMAT = "dumbflix.stack.pm2_app/1"

STATES = ("started", "stopped", "restarted", "reloaded", "absent")
# The options that say how to run the app; at most one of them is given.
APP_MODES = ("script", "npm_script", "serve")

SERVE_OPTIONS = dict(
    path=dict(type="str", required=True),
    port=dict(type="int", required=True),
    spa=dict(type="bool", default=False),
)

# The options build_spec and plan read; pm2_app's argument spec is built from this table.
PM2_APP_OPTIONS = dict(
    name=dict(type="str", required=True),
    state=dict(type="str", default="started", choices=list(STATES)),
    script=dict(type="str"),
    npm_script=dict(type="str"),
    serve=dict(type="dict", options=SERVE_OPTIONS),
    cwd=dict(type="str"),
    args=dict(type="list", elements="str"),
    env=dict(type="dict"),
    instances=dict(type="int", default=1),
)

# Variables taken over from the environment the module runs in; everything else
# (the SSH session, Ansible's own variables, root's settings) stays out of the app.
PASSTHROUGH_ENV = ("PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ")
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,127}$")
ENV_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
NPM_SCRIPT_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_:.+-]{0,127}$")
NODE_SCRIPT_EXTENSIONS = (".js", ".cjs", ".mjs")
RESERVED_ENV = (SPEC_HASH_ENV, SPEC_JSON_ENV, "PM2_HOME")

# pm2 statuses that mean "the process is running" (launching turns into online).
RUNNING_STATUSES = ("online", "launching")


def _fmt(value):
    """Show a user value in an error message without pasting it raw (YAML's words for null/true/false)."""
    return repr(value) if isinstance(value, str) else json.dumps(value, default=repr)


class Pm2Error(ValueRefused):
    """Bad input or unusable pm2 output; the message names the field and the value."""

    show = staticmethod(_fmt)


# --------------------------------------------------------------------------
# validation and normalization
# --------------------------------------------------------------------------


def validate_name(name):
    """Return *name* if pm2 can address it unambiguously by name."""
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise Pm2Error(
            "name",
            name,
            "is not a valid pm2 app name (1-128 of letters, digits, '_', '.', '@', '-'; "
            "not starting with '.', '@' or '-')",
        )
    if name.isdigit():
        raise Pm2Error("name", name, "is only digits, which pm2 reads as a process id")
    if name == "all":
        raise Pm2Error("name", name, "is reserved by pm2 (it means every process)")
    return name


def _no_nul(field, value):
    if "\x00" in value:
        raise Pm2Error(field, value, "contains a NUL character")
    return value


def normalize_env(env):
    """Return *env* as ``{str: str}``; booleans become ``true``/``false`` like a shell would write them."""
    if env is None:
        return {}
    if not isinstance(env, dict):
        raise Pm2Error("env", env, "is not a mapping of variable names to values")
    result = {}
    for key, value in env.items():
        if not isinstance(key, str) or not ENV_KEY_RE.match(key):
            raise Pm2Error("env", key, "is not a valid environment variable name ([A-Za-z_][A-Za-z0-9_]*)")
        field = join_field("env", key)
        if key in RESERVED_ENV:
            raise Pm2Error(
                field, NOT_SET, "this variable is set by the module itself (use the pm2_home option for PM2_HOME)"
            )
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (int, float)):
            text = str(value)
        elif isinstance(value, str):
            text = value
        else:
            raise Pm2Error(field, value, "is not a string, number or boolean")
        result[key] = _no_nul(field, text)
    return dict(sorted(result.items()))


def _abs_path(field, value):
    if not isinstance(value, str) or not value:
        raise Pm2Error(field, value, "is not a path")
    _no_nul(field, value)
    if not os.path.isabs(value):
        raise Pm2Error(field, value, "is not an absolute path")
    return os.path.normpath(value)


def _serve(serve):
    """The normalized ``serve`` suboptions (path, port, spa)."""
    if not isinstance(serve, dict):
        raise Pm2Error("serve", serve, "is not a mapping with path, port and spa")
    unknown = sorted(set(serve) - set(SERVE_OPTIONS))
    if unknown:
        raise Pm2Error(
            "serve", NOT_SET, "unknown key(s) %s (known: %s)" % (", ".join(unknown), ", ".join(SERVE_OPTIONS))
        )
    serve = with_defaults(serve, SERVE_OPTIONS)
    if serve["path"] is None:
        raise Pm2Error("serve.path", NOT_SET, "the directory to serve is required")
    if serve["port"] is None:
        raise Pm2Error("serve.port", NOT_SET, "the port to listen on is required")
    return {
        "path": _abs_path("serve.path", serve["path"]),
        "port": parse_port(serve["port"], "serve.port", error=Pm2Error),
        "spa": parse_bool(serve["spa"], "serve.spa", error=Pm2Error),
    }


def build_spec(name, script=None, npm_script=None, serve=None, cwd=None, env=None, args=None, instances=None):
    """Validate the module options and return the normalized spec, or None when no app is described.

    At most one of *script*, *npm_script* and *serve* (:data:`APP_MODES`) describes
    the app.  None of them (with no other app option either) means "act on the app
    by name only", which the states stopped / restarted / reloaded / absent allow.
    ``None`` means "not set" (the default of :data:`PM2_APP_OPTIONS`).
    """
    validate_name(name)
    given_modes = {"script": script, "npm_script": npm_script, "serve": serve}
    modes = [key for key in APP_MODES if given_modes[key] is not None]
    if len(modes) > 1:
        raise Pm2Error(None, NOT_SET, "%s are mutually exclusive: give one way to run the app" % " and ".join(modes))
    default_instances = PM2_APP_OPTIONS["instances"]["default"]
    if not modes:
        given = [key for key, value in (("cwd", cwd), ("env", env), ("args", args)) if value]
        if instances not in (None, default_instances):
            given.append("instances")
        if given:
            raise Pm2Error(
                None, NOT_SET, "%s given without script, npm_script or serve: say what to run" % ", ".join(given)
            )
        return None

    if instances is None:
        instances = default_instances
    if isinstance(instances, bool) or not isinstance(instances, int):
        raise Pm2Error("instances", instances, "is not a whole number")
    if instances < 0:
        raise Pm2Error(
            "instances", instances, "must be 0 (one per CPU core, cluster mode), 1 (fork mode) or more (cluster mode)"
        )

    arg_list = []
    for index, arg in enumerate(args or []):
        if not isinstance(arg, str):
            raise Pm2Error(item_field("args", index), arg, "is not a string")
        arg_list.append(_no_nul(item_field("args", index), arg))

    spec = {"name": name, "env": normalize_env(env), "instances": instances}
    mode = modes[0]

    if cwd is not None:
        cwd = _abs_path("cwd", cwd)

    if mode == "serve":
        serve = _serve(serve)
        if arg_list:
            raise Pm2Error("args", NOT_SET, "not used with serve (pm2's static server takes no arguments)")
        if cwd is not None:
            raise Pm2Error("cwd", NOT_SET, "not used with serve (serve.path is the directory that is served)")
        if instances != 1:
            raise Pm2Error(
                "instances", instances, "is not possible with serve; pm2's static server runs as one process"
            )
        spec.update(mode="serve", serve=serve)
        return spec

    if mode == "npm_script":
        if not isinstance(npm_script, str) or not NPM_SCRIPT_RE.match(npm_script):
            raise Pm2Error(
                "npm_script", npm_script, "is not a package.json script name (letters, digits, '_', ':', '.', '+', '-')"
            )
        if cwd is None:
            raise Pm2Error("cwd", NOT_SET, "required with npm_script (the directory holding package.json)")
        if instances != 1:
            raise Pm2Error(
                "instances",
                instances,
                "is not possible with npm_script; cluster mode needs a Node.js script "
                "(use script: with the app's entry file instead)",
            )
        spec.update(mode="npm", npm_script=npm_script, args=arg_list, cwd=cwd)
        return spec

    if not isinstance(script, str) or not script:
        raise Pm2Error("script", script, "is not a path")
    _no_nul("script", script)
    if script.startswith("-"):
        raise Pm2Error("script", script, "starts with '-'")
    if not os.path.isabs(script):
        if cwd is None:
            raise Pm2Error("script", script, "is relative; give an absolute path or set cwd")
        script = os.path.join(cwd, script)
    script = os.path.normpath(script)
    if cwd is None:
        cwd = os.path.dirname(script)
    if instances != 1 and not script.endswith(NODE_SCRIPT_EXTENSIONS):
        raise Pm2Error(
            "instances",
            instances,
            "(cluster mode) needs a Node.js script ending in %s, not %s"
            % (", ".join(NODE_SCRIPT_EXTENSIONS), _fmt(script)),
        )
    spec.update(mode="script", script=script, args=arg_list, cwd=cwd)
    return spec


def spec_json(spec):
    """Canonical JSON text of a spec (sorted keys, no spaces)."""
    return json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def spec_hash(spec):
    """Stable sha256 hex digest of a normalized spec."""
    data = (SPEC_FORMAT + "\n" + spec_json(spec)).encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def app_env(spec):
    """Variables the started app gets on top of the base environment: env plus the spec markers."""
    result = dict(spec["env"])
    result[SPEC_HASH_ENV] = spec_hash(spec)
    result[SPEC_JSON_ENV] = spec_json(spec)
    return result


# --------------------------------------------------------------------------
# pm2 jlist
# --------------------------------------------------------------------------


def parse_jlist(output):
    """Return the process list printed by ``pm2 jlist``.

    When pm2 has to spawn its daemon first it prints a banner before the JSON, so
    the JSON is taken from the last line that parses as a list.
    """
    text = (output or "").strip()
    candidates = [text] + [line.strip() for line in reversed(text.splitlines()) if line.strip().startswith("[")]
    for candidate in candidates:
        try:
            data = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(data, list) and all(isinstance(item, dict) for item in data):
            return data
    shown = text if len(text) <= 2000 else text[:1000] + "\n[...]\n" + text[-1000:]
    raise Pm2Error(
        None, NOT_SET, "pm2 jlist did not print a JSON process list; its output was:\n%s" % (shown or "(nothing)")
    )


def _proc_env(proc):
    pm2_env = proc.get("pm2_env") or {}
    env = pm2_env.get("env") if isinstance(pm2_env.get("env"), dict) else {}
    return pm2_env, env


def summarize(processes, name):
    """Summarize the pm2 processes called *name* (one per cluster instance); None when there are none."""
    mine = [proc for proc in processes if proc.get("name") == name]
    if not mine:
        return None
    mine.sort(key=lambda proc: proc.get("pm_id") if isinstance(proc.get("pm_id"), int) else -1)
    statuses, pids, hashes, restarts, logs = [], [], [], [], []
    stored_spec = None
    for proc in mine:
        pm2_env, env = _proc_env(proc)
        status = pm2_env.get("status") or "unknown"
        statuses.append(status)
        pid = proc.get("pid")
        pids.append(pid if isinstance(pid, int) and pid > 0 and status in RUNNING_STATUSES else None)
        hashes.append(env.get(SPEC_HASH_ENV, pm2_env.get(SPEC_HASH_ENV)))
        restarts.append(pm2_env.get("restart_time"))
        logs.append(pm2_env.get("pm_err_log_path"))
        if stored_spec is None:
            raw = env.get(SPEC_JSON_ENV, pm2_env.get(SPEC_JSON_ENV))
            try:
                stored_spec = json.loads(raw) if raw else None
            except ValueError:
                stored_spec = None
    return {
        "name": name,
        "status": aggregate_status(statuses),
        "statuses": statuses,
        "pid": next((pid for pid in pids if pid), None),
        "pids": [pid for pid in pids if pid],
        # one hash only when every instance carries the same one
        "spec_hash": hashes[0] if len(set(hashes)) == 1 else None,
        "spec": stored_spec,
        "restart_times": restarts,
        "err_logs": logs,
        "count": len(mine),
    }


def aggregate_status(statuses):
    """One status for all instances: the common one, else errored if any is, else 'mixed'."""
    unique = set(statuses)
    if len(unique) == 1:
        return statuses[0]
    if "errored" in unique:
        return "errored"
    return "mixed"


def is_running(app):
    return app is not None and all(status == "online" for status in app["statuses"])


# --------------------------------------------------------------------------
# planning
# --------------------------------------------------------------------------


def plan(state, name, spec, app):
    """Return ``(actions, reason)``: the pm2 actions that bring *app* to *state*.

    *spec* is the normalized desired spec or None (act on the app by name only);
    *app* is :func:`summarize` of ``pm2 jlist`` (None: not in pm2).  Actions are
    taken from start, delete, stop, restart, reload.
    """
    if state not in STATES:
        raise Pm2Error("state", state, "is not one of %s" % ", ".join(STATES))
    if state == "absent":
        return (["delete"], "app is in pm2") if app else ([], "app is not in pm2")
    if state == "stopped":
        if app is None:
            return [], "app is not in pm2, so it is not running"
        if all(status == "stopped" for status in app["statuses"]):
            return [], "app is stopped"
        return ["stop"], "app is %s" % app["status"]
    if app is None:
        if spec is None:
            raise Pm2Error(
                "name", name, "is not in pm2; give script, npm_script or serve to start it (state=%s)" % state
            )
        return ["start"], "app is not in pm2"
    if spec is not None and app["spec_hash"] != spec_hash(spec):
        reason = "app was started by hand or by another spec" if app["spec_hash"] is None else "spec changed"
        return ["delete", "start"], reason
    if state == "restarted":
        return ["restart"], "state is restarted"
    if state == "reloaded":
        return ["reload"], "state is reloaded"
    if is_running(app):
        return [], "app is online with the requested spec"
    return ["restart"], "app is %s" % app["status"]


def predicted_status(state, app):
    """Status after the plan ran, for check mode."""
    if state == "absent":
        return "absent"
    if state == "stopped":
        return "stopped" if app else "absent"
    return "online"


def diff_text(status, spec):
    """Before/after text for Ansible's diff: status plus the spec."""
    if status == "absent":
        return ""
    data = {"status": status}
    if spec is not None:
        data["spec"] = spec
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


# --------------------------------------------------------------------------
# commands
# --------------------------------------------------------------------------


def start_argv(pm2, spec):
    """argv that starts *spec* under pm2 (the app environment comes from :func:`app_env`)."""
    name = spec["name"]
    if spec["mode"] == "serve":
        serve = spec["serve"]
        argv = [pm2, "serve", serve["path"], str(serve["port"]), "--name", name]
        if serve["spa"]:
            argv.append("--spa")
        return argv
    if spec["mode"] == "npm":
        argv = [pm2, "start", "npm", "--name", name, "--cwd", spec["cwd"], "--", "run", spec["npm_script"]]
        if spec["args"]:
            argv += ["--"] + spec["args"]
        return argv
    argv = [pm2, "start", spec["script"], "--name", name, "--cwd", spec["cwd"]]
    if spec["instances"] != 1:
        argv += ["--instances", str(spec["instances"])]
    if spec["args"]:
        argv += ["--"] + spec["args"]
    return argv


def action_argv(pm2, action, name):
    """argv for stop / restart / reload / delete of the app called *name*."""
    if action not in ("stop", "restart", "reload", "delete"):
        raise Pm2Error(None, NOT_SET, "unknown pm2 action %s" % _fmt(action))
    return [pm2, action, name]


def save_argv(pm2):
    # --force: also save an empty list, or a deleted app comes back on resurrect
    return [pm2, "save", "--force"]


def jlist_argv(pm2):
    return [pm2, "jlist"]


def user_prefix(user):
    """Prefix that runs a command as *user* (the module runs as root)."""
    return ["runuser", "-u", user, "--"]


def base_environ(ambient, home=None, user=None, pm2_home=None, bin_dir=None):
    """Environment for every pm2 command: a few variables from *ambient*, then the user's identity.

    *home* / *user* are set when pm2 runs as another user; *pm2_home* when it is
    fixed (otherwise an ambient PM2_HOME is kept); *bin_dir* (pm2's directory) is
    put first on PATH so pm2 and a node next to it are found.
    """
    env = {key: ambient[key] for key in PASSTHROUGH_ENV if ambient.get(key)}
    path = [part for part in env.get("PATH", DEFAULT_PATH).split(os.pathsep) if part]
    if bin_dir:
        path = [bin_dir] + [part for part in path if part != bin_dir]
    env["PATH"] = os.pathsep.join(path)
    if user is not None:
        env.update(HOME=home, USER=user, LOGNAME=user)
        env["PM2_HOME"] = pm2_home or os.path.join(home, ".pm2")
    else:
        for key in ("HOME", "USER", "LOGNAME"):
            if ambient.get(key):
                env[key] = ambient[key]
        if pm2_home:
            env["PM2_HOME"] = pm2_home
        elif ambient.get("PM2_HOME"):
            env["PM2_HOME"] = ambient["PM2_HOME"]
    return env


def tail(text, lines=20):
    """Last *lines* lines of *text*."""
    return "\n".join((text or "").rstrip("\n").splitlines()[-lines:])
