# -*- coding: utf-8 -*-
# Copyright: (c) 2025, dumbflix.stack maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pm2 command line for the ``dumbflix.stack.pm2_app`` module.

The argv of every pm2 command, the clean environment they run in, reading what
``pm2 jlist`` printed, and :class:`Pm2Runner`, which runs them.  No AnsibleModule
import: the functions that run or fail take the module from ``main()`` as an
argument; the rest is pure and unit-tested directly.  What the app *is* (spec,
hash, plan) is :mod:`pm2`'s.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import pwd
import shlex
import time

from ansible_collections.dumbflix.stack.plugins.module_utils.pm2 import (
    SPEC_HASH_ENV,
    SPEC_JSON_ENV,
    Pm2Error,
    is_running,
)
from ansible_collections.dumbflix.stack.plugins.module_utils.values import NOT_SET

# Variables taken over from the environment the module runs in; everything else
# (the SSH session, Ansible's own variables, root's settings) stays out of the app.
PASSTHROUGH_ENV = ("PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ")
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# pm2 statuses that mean "the process is running" (launching turns into online).
RUNNING_STATUSES = ("online", "launching")


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
        raise Pm2Error(None, NOT_SET, "unknown pm2 action %s" % Pm2Error.show(action))
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


# --------------------------------------------------------------------------
# running pm2
# --------------------------------------------------------------------------


PM2_DIRS = ["/usr/local/bin", "/usr/bin"]
POLL_SECONDS = 0.5
LOG_LINES = 20


class Pm2Runner:
    """Runs pm2 commands as the right user with a clean, known environment."""

    def __init__(self, module, pm2, prefix, environ):
        self.module = module
        self.pm2 = pm2
        self.prefix = prefix
        self.environ = environ

    @classmethod
    def for_module(cls, module):
        """The runner for the module's ``user``, ``pm2_home`` and ``pm2_binary`` options (fails the module when
        the user or pm2 can't be found)."""
        params = module.params
        prefix, home, user = resolve_user(module, params["user"])
        pm2 = find_pm2(module, params["pm2_binary"], home)
        environ = base_environ(
            dict(os.environ), home=home, user=user, pm2_home=params["pm2_home"], bin_dir=os.path.dirname(pm2)
        )
        return cls(module, pm2, prefix, environ)

    def run(self, argv, extra_env=None, cwd="/"):
        env = dict(self.environ)
        env.update(extra_env or {})
        # run_command only adds to os.environ; swap it so pm2 (and through pm2 the app)
        # sees exactly env, not the SSH session or root's settings.
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(env)
        try:
            rc, out, err = self.module.run_command(self.prefix + argv, cwd=cwd, expand_user_and_vars=False)
        finally:
            os.environ.clear()
            os.environ.update(saved)
        if rc != 0:
            self.module.fail_json(
                msg="%s failed with exit code %d: %s" % (shlex.join(argv), rc, tail(err or out, 20)),
                rc=rc,
                stdout=out,
                stderr=err,
                cmd=self.prefix + argv,
            )
        return out

    def app(self, name):
        out = self.run(jlist_argv(self.pm2))
        try:
            return summarize(parse_jlist(out), name)
        except Pm2Error as exc:
            self.module.fail_json(msg=str(exc), stdout=out)


def find_pm2(module, binary, home):
    if "/" in binary:
        if os.path.isfile(binary) and os.access(binary, os.X_OK):
            return binary
        module.fail_json(
            msg="pm2_binary: %r is not an executable file; install pm2 (npm install -g pm2@<version>, "
            "for example with the dumbflix.stack.pm2 role) or fix the path" % binary
        )
    dirs = list(PM2_DIRS)
    if home:
        dirs.insert(0, os.path.join(home, ".npm-global", "bin"))
    found = module.get_bin_path(binary, opt_dirs=dirs)
    if not found:
        module.fail_json(
            msg="pm2_binary: %r was not found on PATH or in %s; install pm2 first (npm install -g "
            "pm2@<version>, for example with the dumbflix.stack.pm2 role) or set pm2_binary to "
            "its full path" % (binary, ", ".join(dirs))
        )
    return found


def resolve_user(module, user):
    """Return (prefix, home, user) for running pm2 as *user*."""
    if not user:
        return [], None, None
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        module.fail_json(msg="user: %r does not exist on this host" % user)
    if entry.pw_uid == os.geteuid():
        return [], entry.pw_dir, user
    if os.geteuid() != 0:
        module.fail_json(
            msg="user: running pm2 as %r needs root, but the module runs as %r; use become: true"
            % (user, pwd.getpwuid(os.geteuid()).pw_name)
        )
    runuser = module.get_bin_path("runuser", opt_dirs=["/usr/sbin", "/sbin"])
    if not runuser:
        module.fail_json(msg="user: running pm2 as %r needs runuser (util-linux), which was not found" % user)
    return [runuser] + user_prefix(user)[1:], entry.pw_dir, user


def check_paths(module, spec):
    """Refuse to start an app whose files are missing (only a warning in check mode: an earlier task may create them)."""
    problems = []
    if spec["mode"] == "serve":
        if not os.path.isdir(spec["serve"]["path"]):
            problems.append("serve.path: %r is not a directory" % spec["serve"]["path"])
    else:
        if not os.path.isdir(spec["cwd"]):
            problems.append("cwd: %r is not a directory" % spec["cwd"])
        if spec["mode"] == "script" and not os.path.exists(spec["script"]):
            problems.append("script: %r does not exist" % spec["script"])
        if spec["mode"] == "npm" and not os.path.isfile(os.path.join(spec["cwd"], "package.json")):
            problems.append("cwd: %r has no package.json for npm_script %r" % (spec["cwd"], spec["npm_script"]))
    for problem in problems:
        if module.check_mode:
            module.warn(problem)
    if problems and not module.check_mode:
        module.fail_json(msg="; ".join(problems))


def read_log_tail(path):
    if not path:
        return "(pm2 reports no error log)"
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 16384))
            data = handle.read().decode("utf-8", errors="replace")
    except (IOError, OSError) as exc:
        return "(cannot read %s: %s)" % (path, exc)
    return tail(data, LOG_LINES) or "(%s is empty)" % path


def watch(module, runner, name, wait):
    """Fail if the app does not stay online for *wait* seconds after a start/restart/reload."""
    deadline = time.time() + max(0.0, wait)
    first_pids = None
    while True:
        app = runner.app(name)
        if app is None:
            module.fail_json(msg="app %r disappeared from pm2 right after it was started" % name)
        problem = None
        if "errored" in app["statuses"]:
            problem = "is errored"
        elif is_running(app):
            if first_pids is None:
                first_pids = app["pids"]
            elif app["pids"] != first_pids:
                problem = "was restarted by pm2 (pids %s, then %s): it exits soon after it starts" % (
                    first_pids,
                    app["pids"],
                )
        if problem is None and time.time() >= deadline:
            if is_running(app):
                return app
            problem = "is %s, not online, %s seconds after it was started" % (app["status"], wait)
        if problem is not None:
            restarts = [count for count in app["restart_times"] if isinstance(count, int)]
            log = next((path for path in app["err_logs"] if path), None)
            module.fail_json(
                msg="app %r %s (pm2 restarts: %s); last lines of its error log %s:\n%s"
                % (name, problem, max(restarts) if restarts else "unknown", log, read_log_tail(log)),
                status=app["status"],
                pid=app["pid"],
                pids=app["pids"],
            )
        time.sleep(POLL_SECONDS)
