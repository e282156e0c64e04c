# -*- coding: utf-8 -*-
"""The name tests roles use instead of copying a regex (plugins/test/names.py)."""

import pytest
from jinja_render import needs_ansible, through_ansible

from ansible_collections.dumbflix.stack.plugins.test import names

# test -> [(value, whether the test passes it)]
CASES = {
    "pm2_app_name": [
        *((value, True) for value in ["dumbflix-frontend", "api@2", "web.v2", "_x", "a" * 128, "0app"]),
        *(
            (value, False)
            for value in ["", "my app", "42", "all", "-x", ".x", "@x", "a" * 129, "a;b", None, 42, ["web"]]
        ),
    ],
    "unix_user_name": [
        ("dumbflix", True),
        ("_svc", True),
        ("app-1", True),
        ("a" * 32, True),
        # root is a user name; whether a role may run as root is the role's rule (pm2 refuses it)
        ("root", True),
        ("Dumbflix", False),
        ("1app", False),
        ("a" * 33, False),
        ("app user", False),
        ("", False),
        (None, False),
    ],
    "nftables_table_name": [
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
    "pm2_app_env": [
        ({"API": "https://api.alvin.xyz", "DEBUG": True, "WORKERS": 2}, True),
        ({}, True),
        ({"bad-name": "x"}, False),
        ({"PM2_HOME": "/tmp"}, False),
        ({"NESTED": {"a": 1}}, False),
        (["API=x"], False),
    ],
    "systemd_unit_name": [
        ("dumbflix-firewall", True),
        ("getty@tty1", True),
        ("a_b.c", True),
        ("dumbflix-firewall.service", False),
        ("dumbflix firewall", False),
        ("x;reboot", False),
        ("", False),
        (None, False),
    ],
    "debian_package_name": [
        ("nodejs", True),
        ("libstdc++6", True),
        ("node-gyp", True),
        ("g", False),
        ("Nodejs", False),
        ("-nodejs", False),
        ("nodejs=18.19.0", False),
        ("node js", False),
        (None, False),
    ],
    "git_ref": [
        ("master", True),
        ("v1.2.3", True),
        ("feature/login-page", True),
        ("0123abcd", True),
        ("main..evil", False),
        ("-c", False),
        ("--upload-pack=x", False),
        (".hidden", False),
        ("/abs", False),
        ("a b", False),
        ("", False),
        (1, False),
    ],
    "release_id": [
        ("0123456789abcdef", True),
        ("0123456789ABCDEF", False),
        ("0123456789abcde", False),
        ("0123456789abcdef0", False),
        ("../../etc/passwd", False),
        (None, False),
    ],
}
FLAT = [(test, value, expected) for test, cases in CASES.items() for value, expected in cases]


@pytest.mark.parametrize("test, value, expected", FLAT, ids=["%s-%d" % (t, i) for i, (t, v, e) in enumerate(FLAT)])
def test_direct(test, value, expected):
    assert getattr(names, test)(value) is expected


def test_every_test_is_registered_and_covered():
    registered = names.TestModule().tests()
    assert registered == {name: getattr(names, name) for name in CASES}


@needs_ansible
def test_through_ansible_by_fqcn(tmp_path):
    table = {test: [value for value, dummy in cases] for test, cases in CASES.items()}
    assert through_ansible(tmp_path, table) == {
        test: [expected for dummy, expected in cases] for test, cases in CASES.items()
    }
