# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options every module that writes a whole file shares: whether it should be there, and a backup of it.

A module that says more about V(absent) (what else it removes) gives ``state`` its own ``description``; Ansible
takes the rest (type, choices, default) from here. The argument spec they document is
``module_utils.managed_file.MANAGED_FILE_ARGS``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  state:
    description: Whether the file (and whatever else the module manages with it) should exist.
    type: str
    choices: [present, absent]
    default: present
  backup:
    description: Keep a timestamped copy of a file being replaced or removed, next to it (C(NAME.PID.DATE@TIME~)).
    type: bool
    default: false
"""
