# -*- coding: utf-8 -*-
# Copyright: dumbflix.stack maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja tests for the values handed to other programs: versions, npm and Node.js options, schedules, sizes.

The rules live in module_utils/rules.py; each test only says whether a value passes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.dumbflix.stack.plugins.module_utils import rules
from ansible_collections.dumbflix.stack.plugins.module_utils.values import accepts


def exact_version(value):
    """True if ``value`` is an exact version such as ``7.0.4`` (no range, no tag)."""
    return accepts(rules.validate_exact_version, value, "version")


def npm_long_option(value):
    """True if ``value`` is one npm long option such as ``--no-audit`` or ``--omit=dev``."""
    return accepts(rules.validate_npm_long_option, value, "option")


def node_options(value):
    """True if ``value`` is a NODE_OPTIONS string such as ``--max-old-space-size=2048``."""
    return accepts(rules.validate_node_options, value, "options")


def cron_expression(value):
    """True if ``value`` is a cron expression of five or six fields."""
    return accepts(rules.validate_cron, value, "schedule")


def log_size(value):
    """True if ``value`` is a size such as ``10M`` (a positive number with K, M or G)."""
    return accepts(rules.validate_size, value, "size")


class TestModule(object):
    """dumbflix.stack tests for values handed to other programs."""

    def tests(self):
        return {
            "cron_expression": cron_expression,
            "exact_version": exact_version,
            "log_size": log_size,
            "node_options": node_options,
            "npm_long_option": npm_long_option,
        }
