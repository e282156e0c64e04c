# -*- coding: utf-8 -*-
# Copyright: dumbflix.stack maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja test that lets a role skip an install that the host's list of installed packages shows done already.

An ``apt`` task that finds everything installed changes nothing, but still costs a second per host (it opens the
apt cache); playbooks/site.yml reads every host's installed package names once, as ``dumbflix_installed_packages``,
and each install task asks this test first.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.six import string_types


def installed(names, packages):
    """True if every package in ``names`` (a name or a list) is in ``packages``, the names dpkg lists as installed.

    False when ``packages`` is no list (a role run without site.yml's check play), so the install runs.
    """
    if not isinstance(packages, (list, tuple, set, frozenset)):
        return False
    if isinstance(names, string_types):
        names = [names]
    installed_names = set(packages)
    return all(isinstance(name, string_types) and name in installed_names for name in names)


class TestModule(object):
    """dumbflix.stack package tests."""

    def tests(self):
        return {"installed": installed}
