# -*- coding: utf-8 -*-
# Copyright: dumbflix.stack maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja tests for names the roles check before anything runs.

The rules live in module_utils, so a role asks ``x is dumbflix.stack.pm2_app_name``
instead of copying a regex that could drift from the one pm2_app enforces.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.dumbflix.stack.plugins.module_utils.nftables_allowlist import validate_table_name
from ansible_collections.dumbflix.stack.plugins.module_utils.pm2 import normalize_env, validate_name
from ansible_collections.dumbflix.stack.plugins.module_utils.values import ValueRefused, validate_unix_user_name


def _accepted(check, value, *args):
    try:
        check(value, *args)
    except ValueRefused:
        return False
    return True


def pm2_app_name(value):
    """True if ``dumbflix.stack.pm2_app`` takes ``value`` as its ``name``."""
    return _accepted(validate_name, value)


def pm2_app_env(value):
    """True if ``dumbflix.stack.pm2_app`` takes ``value`` as its ``env`` (names, reserved names, value types)."""
    return _accepted(normalize_env, value)


def unix_user_name(value):
    """True if ``value`` is a portable Unix user name (lower case, at most 32 characters)."""
    return _accepted(validate_unix_user_name, value, "name")


def nftables_table_name(value):
    """True if ``dumbflix.stack.nftables_allowlist`` takes ``value`` as its ``table``."""
    return _accepted(validate_table_name, value)


class TestModule(object):
    """dumbflix.stack name tests."""

    def tests(self):
        return {
            "nftables_table_name": nftables_table_name,
            "pm2_app_env": pm2_app_env,
            "pm2_app_name": pm2_app_name,
            "unix_user_name": unix_user_name,
        }
