# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Attributes and options shared by the modules that write nginx files and test them with ``nginx -t``.

The attributes' descriptions come from ansible.builtin.action_common_attributes, which these modules also extend.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
attributes:
  check_mode:
    support: full
    details: Reports what would change and shows the diff; writes nothing and does not run C(nginx -t).
  diff_mode:
    support: full
    details: Shows every file (and symlink) the module manages, before and after.
  platform:
    support: full
    platforms: posix
    details: Targets with nginx.
options:
  validate:
    description:
      - Test the whole nginx configuration with C(nginx -t) after putting the change in place; on failure restore every
        touched path (or its absence) exactly and fail with nginx's error text.
    type: bool
    default: true
  nginx_binary:
    description:
      - nginx executable used for C(nginx -t) (and C(nginx -v) where a feature depends on the version); a name looked up
        in PATH and C(/usr/sbin), or an absolute path.
    type: str
    default: nginx
  nginx_config:
    description: Main configuration file passed to C(nginx -t) as C(-c). Unset means nginx's compiled-in default.
    type: path
  nginx_prefix:
    description: Prefix passed to C(nginx -t) as C(-p). Unset means nginx's compiled-in default.
    type: path
"""
