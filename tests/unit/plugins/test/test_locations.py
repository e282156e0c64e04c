# -*- coding: utf-8 -*-
"""Ports, host names, URLs, git remotes and paths (plugins/test/locations.py)."""

import pytest
from jinja_render import needs_ansible, through_ansible

from ansible_collections.dumbflix.stack.plugins.test import locations

CASES = {
    "tcp_port": [
        (1, True),
        (3000, True),
        (65535, True),
        ("8080", True),
        (0, False),
        (65536, False),
        (-1, False),
        ("80a", False),
        ("", False),
        (True, False),
        (30.5, False),
        (None, False),
    ],
    "host_name": [
        ("alvin.xyz", True),
        ("API.Example.com", True),
        ("app-1", True),
        ("10.0.0.1", False),
        ("[::1]", False),
        ("-bad.example", False),
        ("a..b", False),
        ("bad host", False),
        ("a" * 64 + ".com", False),
        (None, False),
    ],
    "http_url": [
        ("https://deb.nodesource.com", True),
        ("https://api.example.com/api/v1", True),
        ("http://10.0.0.5:8080/api/v1", True),
        ("http://[2001:db8::1]:3000/", True),
        ("http://localhost", True),
        ("https://api.example.com/a;b=1/%20/~x@y:z", True),
        ("ftp://deb.nodesource.com", False),
        ("https://", False),
        ("http://host:", False),
        ("http://host:0", False),
        ("http://host:65536", False),
        ("http://300.1.1.1/", False),
        ("http://[example.com]/", False),
        ("http://2001:db8::1/", False),
        ("https://api.example.com/?x=1", False),
        ("https://api.example.com/#top", False),
        ("https://user@api.example.com/", False),
        ("https://api.example.com/'+alert(1)+'", False),
        ('https://api.example.com/"', False),
        ("https://api.example.com/a b", False),
        ("https://api.example.com/\\", False),
        ("https://api.example.com/`id`", False),
        ("https://api.example.com\n", False),
        (None, False),
    ],
    "url_path": [
        ("/", True),
        ("/movies", True),
        ("/a/b-c_d.e~f%20", True),
        ("movies", False),
        ("", False),
        ("/movies?x=1", False),
        ("/a;b", False),
        ("/a b", False),
        (None, False),
    ],
    "git_url": [
        ("https://github.com/dumbwaysdev/dumbflix-frontend.git", True),
        ("ssh://git@example.com/repo.git", True),
        ("git://example.com/repo", True),
        ("file:///srv/repo.git", True),
        ("git@github.com:dumbwaysdev/dumbflix-frontend.git", True),
        ("git@host:-upload-pack=x", False),
        ("ext::sh -c id", False),
        ("https://example.com/a repo", False),
        ("/srv/repo.git", False),
        ("", False),
        (None, False),
    ],
    "absolute_path": [
        ("/srv/dumbflix-frontend", True),
        ("/etc/nftables.d/dumbflix.nft", True),
        ("/opt/app@2/v+1", True),
        ("/", False),
        ("srv/app", False),
        ("/srv/../etc", False),
        ("/srv/./app", False),
        ("/srv//app", False),
        ("/srv/app/", False),
        ("/srv/my app", False),
        ("/srv/$HOME", False),
        (None, False),
    ],
}
FLAT = [(test, value, expected) for test, cases in CASES.items() for value, expected in cases]


@pytest.mark.parametrize("test, value, expected", FLAT, ids=["%s-%d" % (t, i) for i, (t, v, e) in enumerate(FLAT)])
def test_direct(test, value, expected):
    assert getattr(locations, test)(value) is expected


def test_every_test_is_registered_and_covered():
    assert locations.TestModule().tests() == {name: getattr(locations, name) for name in CASES}


@needs_ansible
def test_through_ansible_by_fqcn(tmp_path):
    table = {test: [value for value, dummy in cases] for test, cases in CASES.items()}
    assert through_ansible(tmp_path, table) == {
        test: [expected for dummy, expected in cases] for test, cases in CASES.items()
    }
