# -*- coding: utf-8 -*-
# Copyright: dumbflix.stack maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja tests for where things are: ports, host names, URLs, git remotes, paths.

One grammar each, in module_utils (values.py, nginx_grammar.py, rules.py); a role asks
``dumbflix_api_url is dumbflix.stack.http_url`` instead of writing a regex of its own.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.dumbflix.stack.plugins.module_utils import rules
from ansible_collections.dumbflix.stack.plugins.module_utils.nginx_grammar import validate_host
from ansible_collections.dumbflix.stack.plugins.module_utils.values import ValueRefused, accepts, parse_port


def tcp_port(value):
    """True if ``value`` is a TCP port, 1-65535 (an int or a string of digits, as an INI inventory gives it)."""
    return accepts(parse_port, value, "port")


def host_name(value):
    """True if ``value`` is a DNS host name (not an IP address)."""
    try:
        return validate_host(value, "host")[0] == "hostname"
    except ValueRefused:
        return False


def http_url(value):
    """True if ``value`` is an http(s) URL with a host, an optional port and path, no query or fragment."""
    return accepts(rules.validate_http_url, value, "url")


def url_path(value):
    """True if ``value`` is a plain URL path starting with ``/``."""
    return accepts(rules.validate_url_path, value, "path")


def git_url(value):
    """True if ``value`` is a URL git clones from."""
    return accepts(rules.validate_git_url, value, "url")


def absolute_path(value):
    """True if ``value`` is an absolute, normalized path that no shell or systemd would split."""
    return accepts(rules.validate_absolute_path, value, "path")


class TestModule(object):
    """dumbflix.stack location tests."""

    def tests(self):
        return {
            "absolute_path": absolute_path,
            "git_url": git_url,
            "host_name": host_name,
            "http_url": http_url,
            "tcp_port": tcp_port,
            "url_path": url_path,
        }
