#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2025, dumbflix.stack maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: pm2_app
short_description: Run one Node.js application under pm2, idempotently
version_added: 0.1.0
description:
  - Starts, stops, restarts, reloads or deletes one pm2 application, found by O(name).
  - The app is described by exactly one of O(script) (a script, optionally in cluster mode), O(npm_script)
    (C(pm2 start npm -- run <script>) in O(cwd)) or O(serve) (pm2's built-in static file server, optionally
    with the single-page-app fallback to C(index.html)).
  - Idempotent by reading C(pm2 jlist). The normalized spec (what runs, where, with which environment and how
    many instances) is hashed and stored in the app's environment as E(PM2_APP_SPEC) (the spec itself as
    E(PM2_APP_SPEC_JSON)). When the hash of the requested spec differs, the app is deleted and started again;
    when it is equal and the app is online nothing happens.
  - The app does not inherit the environment the module runs in. It gets E(PATH), E(LANG), E(LANGUAGE), E(LC_ALL),
    E(LC_CTYPE), E(LC_MESSAGES) and E(TZ) from it, E(HOME), E(USER), E(LOGNAME) and E(PM2_HOME) for the user pm2
    runs as, and O(env).
  - After a change C(pm2 save --force) stores the process list so a C(pm2-<user>) systemd unit made by
    C(pm2 startup) brings the app back after a reboot.
author:
  - dumbflix.stack maintainers (!UNKNOWN)
options:
  name:
    description:
      - Name of the pm2 application. With O(instances) other than V(1) all cluster instances share it.
      - 1-128 of letters, digits, V(_), V(.), V(@), V(-); not only digits (pm2 would read a process id) and not V(all).
    type: str
    required: true
  state:
    description:
      - V(started) starts the app if it is not in pm2, replaces it if its spec changed and starts it if it is
        stopped or errored.
      - V(stopped) stops it if it runs; an app that is not in pm2 is left alone.
      - V(restarted) and V(reloaded) always restart (reload is zero-downtime in cluster mode) and so always
        report a change; they start the app first when it is not in pm2 or its spec changed.
      - V(absent) deletes it from pm2.
      - V(stopped), V(restarted), V(reloaded) and V(absent) may name an existing app without describing it;
        V(started) without a description only works for an app that is already in pm2.
    type: str
    choices: [started, stopped, restarted, reloaded, absent]
    default: started
  script:
    description:
      - Script or executable to run, C(pm2 start <script>). Absolute, or relative to O(cwd).
      - Mutually exclusive with O(npm_script) and O(serve).
    type: str
  npm_script:
    description:
      - Name of a C(package.json) script to run with C(pm2 start npm -- run <npm_script>). Needs O(cwd).
      - Runs in fork mode only (O(instances=1)).
      - Mutually exclusive with O(script) and O(serve).
    type: str
  serve:
    description:
      - Serve a directory of static files with C(pm2 serve <path> <port> --spa).
      - Runs in fork mode only (O(instances=1)) and takes neither O(args) nor O(cwd).
      - Mutually exclusive with O(script) and O(npm_script).
    type: dict
    suboptions:
      path:
        description: Absolute path of the directory to serve, for example a React C(build/) directory.
        type: str
        required: true
      port:
        description: TCP port to listen on (1-65535).
        type: int
        required: true
      spa:
        description:
          - Answer requests for unknown paths with C(index.html), so client-side routes such as C(/movies)
            of a single-page app work when loaded directly.
        type: bool
        default: false
  cwd:
    description:
      - Absolute working directory of the app. Required with O(npm_script) (the directory holding
        C(package.json)); defaults to the directory of O(script). Not used with O(serve).
    type: str
  args:
    description:
      - Arguments passed to O(script), or after C(--) to the O(npm_script). Passed as a list, never through a shell.
    type: list
    elements: str
  env:
    description:
      - Environment variables for the app, for example C(PORT), C(NODE_ENV), C(CI=true), C(BROWSER=none),
        C(NODE_OPTIONS=--openssl-legacy-provider).
      - Names must match C([A-Za-z_][A-Za-z0-9_]*). Values must be strings, numbers or booleans; booleans
        become V(true) / V(false).
      - E(PM2_HOME), E(PM2_APP_SPEC) and E(PM2_APP_SPEC_JSON) are set by the module and refused here.
    type: dict
  instances:
    description:
      - V(1) runs one process in fork mode. V(0) (one per CPU core) or more runs the app in pm2's cluster mode,
        which needs a Node.js O(script) ending in C(.js), C(.cjs) or C(.mjs).
    type: int
    default: 1
  user:
    description:
      - Run pm2 (and so the app) as this user, with its home from the password database and
        E(PM2_HOME=<home>/.pm2) unless O(pm2_home) is set. Commands run through C(runuser -u <user> --),
        so the module must run as root (C(become=true)) unless it already runs as this user.
      - When not set, pm2 runs as the user the module runs as, with its E(HOME) and E(PM2_HOME).
    type: str
  pm2_home:
    description:
      - pm2's state directory (E(PM2_HOME)) with the daemon socket, logs and saved process list.
      - Defaults to C(<home of user>/.pm2) with O(user), else E(PM2_HOME) of the module's environment, else pm2's
        own default C(~/.pm2).
    type: path
  pm2_binary:
    description:
      - Name or absolute path of the pm2 executable. A name is looked up on E(PATH), then in C(/usr/local/bin)
        and C(/usr/bin). Its directory goes first on the E(PATH) pm2 runs with.
    type: str
    default: pm2
  save:
    description:
      - Run C(pm2 save --force) after any change so C(pm2 resurrect) (the C(pm2-<user>) unit) restores the
        current process list after a reboot.
    type: bool
    default: true
  wait:
    description:
      - Seconds to watch the app after it was started, restarted or reloaded. If in that time it goes
        V(errored) or stops, or pm2 restarts it (its pid changes), the module fails and shows the last lines
        of its error log. V(0) checks once, right away.
    type: float
    default: 3
notes:
  - The values of O(env) are stored in the app's environment and returned in RV(spec) and the diff; use C(no_log)
    on the task if they are secret.
  - C(pm2 startup) (the systemd unit) and installing pm2 are not done here; see the C(dumbflix.stack.pm2) role.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Only C(pm2 jlist) runs (which starts the pm2 daemon if it is not running).
  diff_mode:
    support: full
    details: The app's status and spec, before and after.
  platform:
    support: full
    platforms: posix
requirements:
  - pm2 and Node.js on the target
  - runuser (util-linux) when O(user) is set
seealso:
  - name: pm2 process management
    description: pm2's documentation of start, serve, cluster mode and the process list.
    link: https://pm2.keymetrics.io/docs/usage/quick-start/
"""

EXAMPLES = r"""
- name: Run the React dev server like the bootcamp did, but idempotent
  dumbflix.stack.pm2_app:
    name: dumbflix-frontend
    npm_script: start
    cwd: /srv/dumbflix-frontend
    env:
      PORT: "3000"
      CI: "true"
      BROWSER: none
      NODE_OPTIONS: --openssl-legacy-provider
    user: dumbflix
  become: true

- name: Serve the production build as a single-page app
  dumbflix.stack.pm2_app:
    name: dumbflix-frontend
    serve:
      path: /srv/dumbflix-frontend/build
      port: 3000
      spa: true
    user: dumbflix
  become: true

- name: Run an API in cluster mode, one process per core
  dumbflix.stack.pm2_app:
    name: api
    script: /srv/api/server.js
    args: [--listen, 127.0.0.1]
    instances: 0
    env:
      NODE_ENV: production

- name: Zero-downtime reload after a deploy
  dumbflix.stack.pm2_app:
    name: api
    state: reloaded

- name: Remove the app and save the empty list
  dumbflix.stack.pm2_app:
    name: dumbflix-frontend
    state: absent
    user: dumbflix
  become: true
"""

RETURN = r"""
name:
  description: Name of the app.
  returned: always
  type: str
  sample: dumbflix-frontend
status:
  description:
    - pm2 status after the module ran (predicted in check mode), the same for all instances, or V(errored) if one
      is errored, or V(mixed); V(absent) when the app is not in pm2.
  returned: always
  type: str
  sample: online
pid:
  description: Process id of the (first) running instance; null when it does not run or in check mode before a start.
  returned: always
  type: int
  sample: 4242
pids:
  description: Process ids of all running instances.
  returned: always
  type: list
  elements: int
  sample: [4242, 4243]
spec:
  description:
    - Normalized spec of the app (the requested one, or the stored one when only O(name) was given).
    - Keys C(name), C(mode) (V(script), V(npm) or V(serve)), C(env), C(instances) and per mode C(script), C(args),
      C(cwd), C(npm_script) or C(serve) (C(path), C(port), C(spa)).
  returned: when known
  type: dict
  sample:
    name: dumbflix-frontend
    mode: serve
    serve: {path: /srv/dumbflix-frontend/build, port: 3000, spa: true}
    env: {}
    instances: 1
spec_hash:
  description: sha256 of the spec, as stored in the app's E(PM2_APP_SPEC).
  returned: when spec is known
  type: str
  sample: 0f3c9a...e1
commands:
  description: pm2 commands run (or that would run in check mode), apart from C(pm2 jlist).
  returned: always
  type: list
  elements: str
  sample: ["pm2 delete dumbflix-frontend", "pm2 serve /srv/dumbflix-frontend/build 3000 --name dumbflix-frontend --spa",
           "pm2 save --force"]
reason:
  description: Why the module did or did not act.
  returned: always
  type: str
  sample: spec changed
"""

import copy
import shlex

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dumbflix.stack.plugins.module_utils.pm2 import (
    PM2_APP_OPTIONS,
    Pm2Error,
    app_env,
    build_spec,
    diff_text,
    plan,
    predicted_status,
    spec_hash,
)
from ansible_collections.dumbflix.stack.plugins.module_utils.pm2_cli import (
    Pm2Runner,
    action_argv,
    check_paths,
    save_argv,
    start_argv,
    watch,
)

ARGUMENT_SPEC = dict(
    PM2_APP_OPTIONS,
    user=dict(type="str"),
    pm2_home=dict(type="path"),
    pm2_binary=dict(type="str", default="pm2"),
    save=dict(type="bool", default=True),
    wait=dict(type="float", default=3),
)


def main():
    module = AnsibleModule(argument_spec=copy.deepcopy(ARGUMENT_SPEC), supports_check_mode=True)
    params = module.params
    name, state = params["name"], params["state"]
    try:
        spec = build_spec(name, **dict((key, params[key]) for key in PM2_APP_OPTIONS if key not in ("name", "state")))
    except Pm2Error as exc:
        module.fail_json(msg=str(exc))
    if params["wait"] < 0:
        module.fail_json(msg="wait: %s is negative" % params["wait"])

    runner = Pm2Runner.for_module(module)
    pm2 = runner.pm2

    before = runner.app(name)
    try:
        actions, reason = plan(state, name, spec, before)
    except Pm2Error as exc:
        module.fail_json(msg=str(exc))
    if "start" in actions:
        check_paths(module, spec)

    known_spec = spec if spec is not None else (before or {}).get("spec")
    commands = []
    for action in actions:
        commands.append(start_argv(pm2, spec) if action == "start" else action_argv(pm2, action, name))
    if actions and params["save"]:
        commands.append(save_argv(pm2))

    result = dict(changed=bool(actions), name=name, reason=reason, commands=[shlex.join(argv) for argv in commands])
    if known_spec is not None:
        result.update(spec=known_spec, spec_hash=spec_hash(known_spec))
    after_status = predicted_status(state, before)
    if module._diff:
        result["diff"] = dict(
            before_header="pm2 app %s" % name,
            after_header="pm2 app %s" % name,
            before=diff_text(before["status"], before["spec"]) if before else "",
            after=diff_text(after_status, known_spec) if after_status != "absent" else "",
        )

    if module.check_mode or not actions:
        current = before if not actions else None
        result.update(
            status=current["status"] if current else after_status,
            pid=current["pid"] if current else None,
            pids=current["pids"] if current else [],
        )
        if not actions and before is None:
            result["status"] = "absent"
        module.exit_json(**result)

    for action, argv in zip(actions, commands):
        if action == "start":
            runner.run(argv, extra_env=app_env(spec), cwd=spec.get("cwd") or "/")
        else:
            runner.run(argv)
    started = any(action in ("start", "restart", "reload") for action in actions)
    after = watch(module, runner, name, params["wait"]) if started else runner.app(name)
    # save only a list that works: a crashing app fails above and is not saved
    if params["save"]:
        runner.run(save_argv(pm2))
    result.update(
        status=after["status"] if after else "absent",
        pid=after["pid"] if after else None,
        pids=after["pids"] if after else [],
    )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
