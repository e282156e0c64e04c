# -*- coding: utf-8 -*-
"""Whether an install task can be skipped, by the host's installed package names (plugins/test/packages.py)."""

import pytest
from jinja_render import needs_ansible, render

from ansible_collections.dumbflix.stack.plugins.test import packages

INSTALLED = ["acl", "gzip", "logrotate"]
CASES = [
    ("logrotate", INSTALLED, True),
    (["acl", "logrotate"], INSTALLED, True),
    ([], INSTALLED, True),
    (["acl", "procps"], INSTALLED, False),
    ("nginx", INSTALLED, False),
    # a version or release pin is never found, so its install still runs
    ("logrotate=3.22.0-1", INSTALLED, False),
    # no list (a role run without site.yml's check play): the install runs
    ("logrotate", None, False),
    ("logrotate", "logrotate", False),
    ("logrotate", {"logrotate": []}, False),
    ([None], INSTALLED, False),
]


@pytest.mark.parametrize("names, installed, expected", CASES)
def test_direct(names, installed, expected):
    assert packages.installed(names, installed) is expected


def test_registered():
    assert packages.TestModule().tests() == {"installed": packages.installed}


@needs_ansible
def test_through_ansible_by_fqcn(tmp_path):
    result = render(
        tmp_path,
        "[['acl', 'logrotate'] is dumbflix.stack.installed(f), 'procps' is dumbflix.stack.installed(f),"
        " 'acl' is dumbflix.stack.installed(none)]",
        {"f": INSTALLED},
    )
    assert result == [True, False, False]
