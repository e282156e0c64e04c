# -*- coding: utf-8 -*-
# Copyright: dumbflix.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A whole file a module writes after a program has tested it: test the candidate, back up, replace atomically.

Shared by the modules whose program can test a file on its own (nftables_allowlist with ``nft -c``,
keepalived_vrrp with ``keepalived --config-test``). The candidate is a private temporary file next to the target;
the target is touched only once the test passed, and the temporary file never outlives the call. No
AnsibleModule import: ``main()`` passes its module in, of which :func:`replace_tested` and :func:`remove` use
``atomic_move`` and ``backup_local`` only.

(The nginx modules can't work this way: ``nginx -t`` tests the whole configuration, which includes the file,
so they put the file in place first and roll back on failure, in ``nginx_file``.)
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tempfile

# The options of every module that writes a whole file; documented once, in the dumbflix.stack.managed_file
# doc fragment.
MANAGED_FILE_ARGS = dict(
    state=dict(type="str", default="present", choices=["present", "absent"]),
    backup=dict(type="bool", default=False),
)

# what replace_tested does with the target once the candidate passed its test
REPLACE = "replace"
REMOVE = "remove"
KEEP = "keep"


class CandidateRefused(Exception):
    """The program's test refused the candidate; ``output`` is what it said. The target was not touched."""

    def __init__(self, output):
        super(CandidateRefused, self).__init__(output)
        self.output = output


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


def remove(module, path, backup=False):
    """Remove ``path`` (which exists), first copied aside when ``backup``; returns the backup's path or None."""
    backup_file = module.backup_local(path) if backup else None
    os.unlink(path)
    return backup_file


def replace_tested(module, path, content, test, mode, backup=False, prefix=".dumbflix.", apply=None, outcome=REPLACE):
    """Test ``content`` (bytes) as a private temporary file, then back ``path`` up and replace it atomically.

    ``test(candidate)`` runs the program's check on the candidate's path and returns ``(ok, output)``; when it
    is not ok, :class:`CandidateRefused` is raised with the output and ``path`` is left as it was. Then
    ``apply(candidate)``, when given, does what has to happen before the file changes (nftables loads the
    rules into the kernel); it fails the module itself when it can't, which also leaves ``path`` alone.
    Last ``outcome`` says what becomes of ``path``: :data:`REPLACE` moves the candidate over it and gives
    it ``mode``, :data:`REMOVE` removes it (the candidate then was the file that undoes it), :data:`KEEP`
    leaves it (only the live state changed). A file that is replaced or removed is first copied aside
    when ``backup``. Returns the backup's path or None; the temporary file is gone whatever happens.

    The candidate lives next to ``path``, or in the module's temporary directory when ``path``'s directory
    does not exist (only possible when nothing is written there).
    """
    directory = os.path.dirname(path)
    candidate = write_private_temp(directory if os.path.isdir(directory) else module.tmpdir, content, prefix)
    backup_file = None
    try:
        ok, output = test(candidate)
        if not ok:
            raise CandidateRefused(output)
        if apply is not None:
            apply(candidate)
        exists = os.path.exists(path)
        if outcome == REMOVE:
            if exists:
                backup_file = remove(module, path, backup)
        elif outcome == REPLACE:
            if exists and backup:
                backup_file = module.backup_local(path)
            module.atomic_move(candidate, path)
            candidate = None
            os.chmod(path, mode)
    finally:
        if candidate and os.path.exists(candidate):
            os.unlink(candidate)
    return backup_file


def finish_write(module, result, write, refused, error_key):
    """End a module that writes its file: run ``write()``, which returns the backup's path or None, then exit.

    When the program's test refused the candidate the module fails with ``refused`` (what refused what),
    the program's output after it and under ``error_key`` in the result, and nothing changed on the host.
    """
    try:
        backup_file = write()
    except CandidateRefused as exc:
        failed = dict(result)
        failed[error_key] = exc.output
        module.fail_json(msg="%s; nothing was changed: %s" % (refused, exc.output), **failed)
    if backup_file:
        result["backup_file"] = backup_file
    module.exit_json(**result)
