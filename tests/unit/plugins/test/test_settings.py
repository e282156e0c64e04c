# -*- coding: utf-8 -*-
"""Versions, npm and Node.js options, schedules and sizes (plugins/test/settings.py)."""

import pytest
from jinja_render import needs_ansible, through_ansible

from ansible_collections.dumbflix.stack.plugins.test import settings

CASES = {
    "exact_version": [
        ("7.0.4", True),
        ("3.0.0", True),
        ("10.20.30", True),
        ("6.0.0-rc.1", True),
        ("7.0", False),
        ("^7.0.4", False),
        ("~7.0.4", False),
        ("7.x", False),
        ("latest", False),
        ("v7.0.4", False),
        ("7.0.4 ", False),
        ("7.0.4-", False),
        (7.0, False),
        (None, False),
    ],
    "npm_long_option": [
        ("--no-audit", True),
        ("--legacy-peer-deps", True),
        ("--omit=dev", True),
        ("--registry=http://10.0.0.1:4873/", True),
        ("-g", False),
        ("--", False),
        ("--Save", False),
        ("--prefix=/x y", False),
        ("--script-shell=$(id)", False),
        ("install", False),
        (None, False),
    ],
    "node_options": [
        ("", True),
        ("--openssl-legacy-provider", True),
        ("--openssl-legacy-provider --max-old-space-size=2048", True),
        ("--require=/srv/app/hook.js", True),
        ("--max-old-space-size=2048;id", False),
        ("--title='x'", False),
        ('--title="x"', False),
        ("$(id)", False),
        ("--a\n--b", False),
        (2048, False),
        (None, False),
    ],
    "cron_expression": [
        ("0 0 * * *", True),
        ("*/5 * * * *", True),
        ("0 30 1,13 * * 1-5", True),
        ("daily", False),
        ("0 0 * *", False),
        ("0 0 * * * * *", False),
        ("0  0 * * *", False),
        ("@daily", False),
        ("0 0 * * MON", False),
        (None, False),
    ],
    "log_size": [
        ("10M", True),
        ("512K", True),
        ("1G", True),
        ("1024", True),
        (1024, True),
        ("10MB", False),
        ("10m", False),
        ("0", False),
        ("0M", False),
        ("-1M", False),
        ("", False),
        (True, False),
        (None, False),
    ],
}
FLAT = [(test, value, expected) for test, cases in CASES.items() for value, expected in cases]


@pytest.mark.parametrize("test, value, expected", FLAT, ids=["%s-%d" % (t, i) for i, (t, v, e) in enumerate(FLAT)])
def test_direct(test, value, expected):
    assert getattr(settings, test)(value) is expected


def test_every_test_is_registered_and_covered():
    assert settings.TestModule().tests() == {name: getattr(settings, name) for name in CASES}


@needs_ansible
def test_through_ansible_by_fqcn(tmp_path):
    table = {test: [value for value, dummy in cases] for test, cases in CASES.items()}
    assert through_ansible(tmp_path, table) == {
        test: [expected for dummy, expected in cases] for test, cases in CASES.items()
    }
