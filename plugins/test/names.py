# -*- coding: utf-8 -*-
# Copyright: dumbflix.stack maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja tests for names the roles check before anything runs: users, apps, tables, units, packages, git refs.

The rules live in module_utils, so a role asks ``x is dumbflix.stack.pm2_app_name``
instead of copying a regex that could drift from the one pm2_app enforces.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.dumbflix.stack.plugins.module_utils import rules
from ansible_collections.dumbflix.stack.plugins.module_utils.nftables_allowlist import validate_table_name
from ansible_collections.dumbflix.stack.plugins.module_utils.pm2 import normalize_env, validate_name
from ansible_collections.dumbflix.stack.plugins.module_utils.values import accepts, validate_unix_user_name


def pm2_app_name(value):
    """True if ``dumbflix.stack.pm2_app`` takes ``value`` as its ``name``."""
    return accepts(validate_name, value)


def pm2_app_env(value):
    """True if ``dumbflix.stack.pm2_app`` takes ``value`` as its ``env`` (names, reserved names, value types)."""
    return accepts(normalize_env, value)


def unix_user_name(value):
    """True if ``value`` is a portable Unix user name (lower case, at most 32 characters)."""
    return accepts(validate_unix_user_name, value, "name")


def nftables_table_name(value):
    """True if ``dumbflix.stack.nftables_allowlist`` takes ``value`` as its ``table``."""
    return accepts(validate_table_name, value)


def systemd_unit_name(value):
    """True if ``value`` is a service name without ``.service``."""
    return accepts(rules.validate_systemd_unit_name, value, "name")


def debian_package_name(value):
    """True if ``value`` is a Debian package name."""
    return accepts(rules.validate_debian_package_name, value, "name")


def git_ref(value):
    """True if ``value`` is a branch, tag or commit name git can't read as an option or a range."""
    return accepts(rules.validate_git_ref, value, "ref")


def release_id(value):
    """True if ``value`` is the id of a dumbflix_frontend release (16 hex digits)."""
    return accepts(rules.validate_release_id, value, "release")


class TestModule(object):
    """dumbflix.stack name tests."""

    def tests(self):
        return {
            "debian_package_name": debian_package_name,
            "git_ref": git_ref,
            "nftables_table_name": nftables_table_name,
            "pm2_app_env": pm2_app_env,
            "pm2_app_name": pm2_app_name,
            "release_id": release_id,
            "systemd_unit_name": systemd_unit_name,
            "unix_user_name": unix_user_name,
        }
