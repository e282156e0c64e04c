# -*- coding: utf-8 -*-
"""The name tests roles use instead of copying a regex (plugins/test/names.py)."""

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.dumbflix.stack.plugins.test import names

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


@pytest.mark.parametrize("value", ["dumbflix-frontend", "api@2", "web.v2", "_x", "a" * 128, "0app"])
def test_pm2_app_names_the_module_takes(value):
    assert names.pm2_app_name(value) is True


@pytest.mark.parametrize("value", ["", "my app", "42", "all", "-x", ".x", "@x", "a" * 129, "a;b", None, 42, ["web"]])
def test_pm2_app_names_the_module_refuses(value):
    assert names.pm2_app_name(value) is False


@pytest.mark.parametrize(
    "value, expected",
    [
        ("dumbflix", True),
        ("_svc", True),
        ("app-1", True),
        ("a" * 32, True),
        ("Dumbflix", False),
        ("1app", False),
        ("a" * 33, False),
        ("app user", False),
        ("", False),
        (None, False),
    ],
)
def test_unix_user_name(value, expected):
    assert names.unix_user_name(value) is expected


def test_every_test_is_registered():
    assert names.TestModule().tests() == {
        "pm2_app_env": names.pm2_app_env,
        "pm2_app_name": names.pm2_app_name,
        "unix_user_name": names.unix_user_name,
        "nftables_table_name": names.nftables_table_name,
    }


@pytest.mark.parametrize(
    "value, expected",
    [
        ("dumbflix", True),
        ("dumbflix_vrrp", True),
        ("T" + "a" * 63, True),
        ("", False),
        ("1table", False),
        ("dumbflix-fw", False),
        ("a" * 65, False),
        ("x; flush ruleset", False),
        (None, False),
    ],
)
def test_nftables_table_names_the_module_takes(value, expected):
    assert names.nftables_table_name(value) is expected


@pytest.mark.parametrize(
    "value, expected",
    [
        ({"API": "https://api.alvin.xyz", "DEBUG": True, "WORKERS": 2}, True),
        ({}, True),
        ({"bad-name": "x"}, False),
        ({"PM2_HOME": "/tmp"}, False),
        ({"NESTED": {"a": 1}}, False),
        (["API=x"], False),
    ],
)
def test_pm2_app_env(value, expected):
    assert names.pm2_app_env(value) is expected


@pytest.mark.skipif(
    not os.path.exists(os.path.join(os.path.dirname(sys.executable), "ansible")),
    reason="ansible is not installed next to this Python",
)
def test_through_ansible_by_fqcn(tmp_path):
    expression = (
        "{{ ['dumbflix-frontend' is dumbflix.stack.pm2_app_name, 'all' is dumbflix.stack.pm2_app_name,"
        " 'dumbflix' is dumbflix.stack.unix_user_name, 'Root' is dumbflix.stack.unix_user_name] }}"
    )
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith("ANSIBLE_"))
    env.update(
        ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".ansible", "collections"),
        ANSIBLE_LOCAL_TEMP=str(tmp_path),
        ANSIBLE_HOME=str(tmp_path / "home"),
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_STDOUT_CALLBACK="json",
        ANSIBLE_LOAD_CALLBACK_PLUGINS="true",
    )
    proc = subprocess.run(
        [
            os.path.join(os.path.dirname(sys.executable), "ansible"),
            "localhost",
            "-m",
            "ansible.builtin.debug",
            "-a",
            "msg=%s" % expression,
            "-e",
            "ansible_python_interpreter=%s" % sys.executable,
        ],
        cwd=str(tmp_path),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]["msg"]
    assert result == [True, False, True, False]
