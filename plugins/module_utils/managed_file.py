# -*- coding: utf-8 -*-
# Copyright: dumbflix.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a file a module manages, and the private temporary file it is checked as before it replaces it.

Shared by the modules that write a whole file and have a program test it first (nftables_allowlist with
``nft -c``, keepalived_vrrp with ``keepalived --config-test``). No AnsibleModule: the caller moves the
temporary file into place with ``atomic_move``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tempfile


def read_bytes(path):
    """The file's bytes, or None when it does not exist or can't be read."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def write_private_temp(directory, content, prefix):
    """``content`` (bytes) in a new dot file of ``directory`` readable by its owner only; returns its path.

    In the target's own directory, so that moving it into place is a rename on one file system; private,
    because what it holds may be secret (a VRRP password) until the caller sets the final mode.
    """
    fd, path = tempfile.mkstemp(dir=directory, prefix=prefix, suffix=".tmp")
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    os.chmod(path, 0o600)
    return path
