"""Run this venv's Ansible the way the tests that drive real Ansible need it: the checkout as the installed
collection, the json callback (its document parsed), and nothing from the caller's ANSIBLE_* environment."""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)


def ansible_env(scratch, **extra):
    """The environment for one run, with Ansible's temporary files and home under ``scratch``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    env.update(
        ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".ansible", "collections"),
        ANSIBLE_LOCAL_TEMP=os.path.join(str(scratch), "tmp"),
        ANSIBLE_HOME=os.path.join(str(scratch), "home"),
        ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
        ANSIBLE_LOAD_CALLBACK_PLUGINS="true",
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_NOCOLOR="1",
    )
    env.update(extra)
    return env


def json_document(stdout):
    """The json callback's document: the first top-level object of ``stdout`` (a callback such as
    profile_tasks, which the project's ansible.cfg enables, may print after it)."""
    return json.loads(stdout[stdout.index("{\n") : stdout.index("\n}\n") + 2])


def run_ansible(program, scratch, *args, timeout=300, **extra_env):
    """Run ``program`` (``ansible-playbook``, ``ansible``) in ``scratch`` with ``args``; returns the finished
    process and the json callback's document (None when the run printed none). The caller asserts on both."""
    proc = subprocess.run(
        [os.path.join(BIN, program), *args],
        cwd=str(scratch),
        env=ansible_env(scratch, **extra_env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    try:
        document = json_document(proc.stdout)
    except ValueError:
        document = None
    return proc, document
