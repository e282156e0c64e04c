# -*- coding: utf-8 -*-
"""Whether an install task can be skipped, by the host's installed package names (plugins/test/packages.py)."""

import pytest
from jinja_render import needs_ansible, render

from ansible_collections.dumbflix.stack.plugins.test import packages

FACTS = ["acl", "gzip", "logrotate"]
CASES = [
    ("logrotate", FACTS, True),
    (["acl", "logrotate"], FACTS, True),
    ([], FACTS, True),
    (["acl", "procps"], FACTS, False),
    ("nginx", FACTS, False),
    # a version or release pin is never found, so its install still runs
    ("logrotate=3.22.0-1", FACTS, False),
    # no list (a role run without site.yml's check play): the install runs
    ("logrotate", None, False),
    ("logrotate", "logrotate", False),
    ("logrotate", {"logrotate": []}, False),
    ([None], FACTS, False),
]


@pytest.mark.parametrize("names, facts, expected", CASES)
def test_direct(names, facts, expected):
    assert packages.installed(names, facts) is expected


def test_registered():
    assert packages.TestModule().tests() == {"installed": packages.installed}


@needs_ansible
def test_through_ansible_by_fqcn(tmp_path):
    result = render(
        tmp_path,
        "[['acl', 'logrotate'] is dumbflix.stack.installed(f), 'procps' is dumbflix.stack.installed(f),"
        " 'acl' is dumbflix.stack.installed(none)]",
        {"f": FACTS},
    )
    assert result == [True, False, False]
