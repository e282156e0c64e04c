"""Evaluate Jinja tests the way a role does: `ansible localhost -m debug` with the collection loaded."""

import json
import os
import sys

import pytest
from ansible_run import run_ansible

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ANSIBLE = os.path.join(os.path.dirname(sys.executable), "ansible")

needs_ansible = pytest.mark.skipif(not os.path.exists(ANSIBLE), reason="ansible is not installed next to this Python")


def render(tmp_path, expression, extra_vars=None):
    """The value of ``{{ expression }}``, with ``extra_vars`` defined (as ``-e`` JSON, so types are kept)."""
    argv = ["localhost", "-m", "ansible.builtin.debug", "-a", "msg={{ %s }}" % expression]
    argv += ["-e", "ansible_python_interpreter=%s" % sys.executable]
    if extra_vars:
        argv += ["-e", json.dumps(extra_vars)]
    proc, document = run_ansible("ansible", tmp_path, *argv, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return document["plays"][0]["tasks"][0]["hosts"]["localhost"]["msg"]


def through_ansible(tmp_path, table):
    """``{test: [value is dumbflix.stack.<test> for value in values]}`` for ``table`` = ``{test: values}``."""
    checks = ", ".join(
        "'%s': [%s]" % (test, ", ".join("v.%s[%d] is dumbflix.stack.%s" % (test, i, test) for i in range(len(values))))
        for test, values in table.items()
    )
    return render(tmp_path, "{%s}" % checks, {"v": table})
