# -*- coding: utf-8 -*-
"""The grammars of role variables (module_utils/rules.py): what they refuse and how they say it.

Which values pass is tested through the Jinja tests (tests/unit/plugins/test/); here, the message
every refusal carries and the values the rules return.
"""

import pytest

from ansible_collections.dumbflix.stack.plugins.module_utils import rules
from ansible_collections.dumbflix.stack.plugins.module_utils.values import ValueRefused


def refusal(func, *args):
    with pytest.raises(ValueRefused) as info:
        func(*args)
    return str(info.value)


@pytest.mark.parametrize(
    "func, value, message",
    [
        (
            rules.validate_exact_version,
            "^7",
            "v: '^7' is not an exact version such as 7.0.4 (ranges and tags are not pinned)",
        ),
        (
            rules.validate_http_url,
            "https://x/?q",
            "v: 'https://x/?q' is not an http(s) URL such as https://example.com/api (no quotes, spaces, query or fragment)",
        ),
        (rules.validate_url_path, "movies", "v: 'movies' is not a URL path starting with / (e.g. /movies)"),
        (
            rules.validate_git_url,
            "-x",
            "v: '-x' is not a git URL (https://, ssh://, git://, file:// or user@host:path)",
        ),
        (rules.validate_git_ref, "a..b", "v: 'a..b' is not a branch, tag or commit name"),
        (
            rules.validate_absolute_path,
            "/a/../b",
            "v: '/a/../b' is not an absolute, normalized path of letters, digits and _ . @ + -",
        ),
        (rules.validate_npm_long_option, "-g", "v: '-g' is not an npm long option (e.g. --no-audit, --omit=dev)"),
        (rules.validate_node_options, "a;b", "v: 'a;b' is not a NODE_OPTIONS string (e.g. --max-old-space-size=2048)"),
        (rules.validate_cron, "daily", "v: 'daily' is not a cron expression such as \"0 0 * * *\""),
        (rules.validate_size, "10MB", "v: '10MB' is not a size such as 10M (a number with K, M or G)"),
        (rules.validate_debian_package_name, "A", "v: 'A' is not a Debian package name"),
        (
            rules.validate_systemd_unit_name,
            "x.service",
            "v: 'x.service' is not a unit name (letters, digits, _ . @ -, without .service)",
        ),
        (rules.validate_release_id, "abc", "v: 'abc' is not a release id (16 lower-case hex digits)"),
    ],
)
def test_refusal_names_field_value_and_reason(func, value, message):
    assert refusal(func, value, "v") == message


@pytest.mark.parametrize(
    "func, value",
    [
        (rules.validate_exact_version, "7.0.4"),
        (rules.validate_http_url, "http://[::1]:8080/a"),
        (rules.validate_git_url, "git@host:repo.git"),
        (rules.validate_absolute_path, "/srv/app"),
        (rules.validate_cron, "0 0 * * *"),
        (rules.validate_size, "10M"),
    ],
)
def test_accepted_values_come_back_unchanged(func, value):
    assert func(value, "v") == value


def test_size_takes_an_int_as_yaml_reads_a_bare_number():
    assert rules.validate_size(1024, "v") == "1024"


def test_url_port_and_host_are_the_modules_rules():
    # the port is values.parse_port's range, the host nginx_grammar.validate_host's (octets, [IPv6] only)
    assert refusal(rules.validate_http_url, "http://h:65536", "v").startswith(
        "v: 'http://h:65536' is not an http(s) URL"
    )
    assert refusal(rules.validate_http_url, "http://1.2.3.256/", "v").startswith("v: 'http://1.2.3.256/' is not")
    assert refusal(rules.validate_http_url, "http://[1.2.3.4]/", "v").startswith("v: 'http://[1.2.3.4]/' is not")
