"""Every apt task of the roles runs with needrestart's apt hook suspended.

On Ubuntu (22.04 and later ship needrestart in their server images; Debian installs it only on request) apt's
DPkg::Post-Invoke hook runs needrestart after every install: 22.04's asks in a dialog which services to restart,
24.04's restarts them by itself. Neither belongs in the middle of an Ansible run that restarts (or reloads) exactly
what it changed. needrestart(1): "NEEDRESTART_SUSPEND: If set to a non-empty value the apt-get(8) hook will not
run needrestart after installing or updating packages"; the hook (ex/apt/apt-pinvoke) then leaves its marker,
so the next apt run without it, or `needrestart` by hand, still reports what wants a restart.
"""

import glob
import os

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
APT = {"ansible.builtin.apt", "apt"}
SUSPENDED = {"NEEDRESTART_SUSPEND": "1"}


def apt_tasks(tasks, environment=None):
    """(name, effective environment) of every apt task, blocks included (a block's environment is inherited)."""
    for task in tasks or []:
        own = task.get("environment") or {}
        # a templated environment ("{{ ... }}") can't be read here: it counts as setting nothing
        merged = dict(environment or {}, **(own if isinstance(own, dict) else {}))
        if "block" in task:
            for key in ("block", "rescue", "always"):
                yield from apt_tasks(task.get(key), merged)
        elif APT & set(task):
            yield task.get("name"), merged


def cases():
    for path in sorted(glob.glob(os.path.join(ROOT, "roles", "*", "tasks", "*.yml"))):
        relative = os.path.relpath(path, ROOT)
        with open(path, encoding="utf-8") as handle:
            tasks = yaml.safe_load(handle)
        for name, environment in apt_tasks(tasks):
            yield pytest.param(relative, name, environment, id="%s: %s" % (relative, name))


def test_the_roles_have_apt_tasks():
    assert len(list(cases())) >= 8


@pytest.mark.parametrize("path, name, environment", list(cases()))
def test_apt_task_suspends_needrestart(path, name, environment):
    assert {k: environment.get(k) for k in SUSPENDED} == SUSPENDED, (
        '%s: %r runs apt without environment NEEDRESTART_SUSPEND: "1"' % (path, name)
    )


def test_the_walk_sees_block_environments():
    tasks = [
        {"block": [{"name": "x", "ansible.builtin.apt": {"name": "nginx"}}], "environment": SUSPENDED},
        {"name": "y", "apt": {"name": "curl"}},
    ]
    assert list(apt_tasks(tasks)) == [("x", SUSPENDED), ("y", {})]
