# -*- coding: utf-8 -*-
# Copyright: (c) 2025, dumbflix.stack maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The app spec of ``dumbflix.stack.pm2_app``: validation, normalization, hash and plan.

Nothing here runs a command or imports AnsibleModule: the module feeds in its
parameters and the app as ``pm2 jlist`` shows it, and gets back a normalized
spec and a plan (which pm2 actions to take).  The pm2 command line (argv,
environment, reading ``pm2 jlist``, running pm2) is :mod:`pm2_cli`'s.  Unit
tests call these functions directly.

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

NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,127}$")
ENV_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
NPM_SCRIPT_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_:.+-]{0,127}$")
NODE_SCRIPT_EXTENSIONS = (".js", ".cjs", ".mjs")
RESERVED_ENV = (SPEC_HASH_ENV, SPEC_JSON_ENV, "PM2_HOME")


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
# planning
# --------------------------------------------------------------------------


def is_running(app):
    """True when every instance of *app* (a :func:`pm2_cli.summarize` result) is online."""
    return app is not None and all(status == "online" for status in app["statuses"])


def plan(state, name, spec, app):
    """Return ``(actions, reason)``: the pm2 actions that bring *app* to *state*.

    *spec* is the normalized desired spec or None (act on the app by name only);
    *app* is ``pm2_cli.summarize`` of ``pm2 jlist`` (None: not in pm2).  Actions are
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
