# -*- coding: utf-8 -*-
# Copyright: dumbflix.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write nginx files safely: diff, backup, atomic move, ``nginx -t``, rollback.

Both ``nginx_upstream`` and ``nginx_reverse_proxy`` describe what they want as
a list of :class:`Change` objects (a file with some content, a symlink, or
nothing at a path) and hand it to :func:`apply_changes`.  The decision logic
(:func:`read_state`, :func:`needs_change`, :func:`diff_entry`,
:func:`nginx_test_command`) is pure and unit-tested directly; only
:func:`apply_changes` needs the AnsibleModule, for ``atomic_move``,
``backup_local``, file attributes and ``run_command``.

Rollback keeps each replaced path's previous directory entry as a hard link
(``.NAME.dumbflix-rollback.PID``, a dot file so nginx's ``*`` and ``*.conf``
includes never see it) until ``nginx -t`` has passed.  Restoring renames that
link back, so the previous file comes back byte for byte with its inode,
mode, owner and mtime; a path that did not exist before is removed again.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tempfile

from ansible_collections.dumbflix.stack.plugins.module_utils.managed_file import MANAGED_FILE_ARGS

FILE = "file"
LINK = "link"
ABSENT = "absent"
OTHER = "other"


class Change:
    """What one path should become: ``file`` with ``content`` (bytes), ``link`` to ``target``, or ``absent``.

    ``attributes`` marks the path whose mode/owner options (add_file_common_args)
    apply; ``backup=False`` keeps the module's backup option from copying this
    path (for directories nginx includes with ``*``, such as sites-enabled).
    """

    def __init__(self, path, kind, content=None, target=None, attributes=False, backup=True):
        if kind not in (FILE, LINK, ABSENT):
            raise ValueError("unknown change kind %r" % (kind,))
        self.path = path
        self.kind = kind
        self.content = content
        self.target = target
        self.attributes = attributes
        self.backup = backup

    def __repr__(self):
        return "Change(%r, %r)" % (self.path, self.kind)


def read_state(path):
    """Return ``(kind, data)`` for ``path``: ``('absent', None)``, ``('file', bytes)``,
    ``('link', target)`` or ``('other', None)`` (a directory, socket, ...)."""
    if os.path.islink(path):
        return LINK, os.readlink(path)
    if not os.path.lexists(path):
        return ABSENT, None
    if os.path.isfile(path):
        with open(path, "rb") as handle:
            return FILE, handle.read()
    return OTHER, None


def needs_change(change, state):
    """True when ``state`` (from :func:`read_state`) differs from ``change``."""
    kind, data = state
    if change.kind == ABSENT:
        return kind != ABSENT
    if change.kind == FILE:
        return kind != FILE or data != change.content
    return kind != LINK or data != change.target


def _describe(kind, data):
    if kind == FILE:
        return data.decode("utf-8", "replace")
    if kind == LINK:
        return "symlink -> %s\n" % data
    if kind == OTHER:
        return "(not a regular file)\n"
    return ""


def diff_entry(change, state):
    """Return an Ansible ``diff`` dict (before/after text) for one change."""
    after = {FILE: (FILE, change.content), LINK: (LINK, change.target), ABSENT: (ABSENT, None)}[change.kind]
    return {
        "before_header": "%s (absent)" % change.path if state[0] == ABSENT else change.path,
        "after_header": "%s (absent)" % change.path if change.kind == ABSENT else change.path,
        "before": _describe(*state),
        "after": _describe(*after),
    }


def nginx_test_command(binary, config=None, prefix=None):
    """argv for testing the whole nginx configuration."""
    argv = [binary, "-t", "-q"]
    if config:
        argv += ["-c", config]
    if prefix:
        argv += ["-p", prefix]
    return argv


def find_nginx(module, binary):
    """Resolve the nginx executable (absolute path, or a name in PATH, /usr/sbin, /sbin); None if missing."""
    if os.sep in binary:
        return binary if os.path.isfile(binary) and os.access(binary, os.X_OK) else None
    return module.get_bin_path(binary, opt_dirs=["/usr/sbin", "/sbin", "/usr/local/sbin"])


# The options validator() reads; documented once in the dumbflix.stack.nginx_test doc fragment.
NGINX_TEST_ARGS = dict(
    validate=dict(type="bool", default=True),
    nginx_binary=dict(type="str", default="nginx"),
    nginx_config=dict(type="path"),
    nginx_prefix=dict(type="path"),
)

# Every option of both nginx modules that is about the file rather than its content
# (state and backup documented in the dumbflix.stack.managed_file doc fragment).
NGINX_FILE_ARGS = dict(MANAGED_FILE_ARGS, **NGINX_TEST_ARGS)


def validator(module):
    """Return a callable giving the ``nginx -t`` argv for ``module``'s options, or None when validate is off.

    The callable fails the module (before anything is written) when the nginx
    binary can't be found.
    """
    if not module.params.get("validate"):
        return None

    def argv():
        binary = find_nginx(module, module.params["nginx_binary"])
        if binary is None:
            module.fail_json(
                msg="validate=true needs nginx to test the configuration, but nginx_binary %r was not found; "
                "install nginx or set validate=false" % module.params["nginx_binary"]
            )
        return nginx_test_command(binary, module.params.get("nginx_config"), module.params.get("nginx_prefix"))

    return argv


def nginx_version(module, binary):
    """Return nginx's version string (``'1.22.1'``) or None when it can't be determined. Read-only."""
    path = find_nginx(module, binary)
    if path is None:
        return None
    rc, out, err = module.run_command([path, "-v"])
    text = (err or "") + (out or "")
    marker = "nginx/"
    if rc != 0 or marker not in text:
        return None
    return text.split(marker, 1)[1].split()[0]


def preflight(changes, states):
    """Return an error message if some change can't be made, before anything is touched."""
    for change, state in zip(changes, states):
        if state[0] == OTHER:
            return "%s exists and is not a regular file or symlink; refusing to replace it" % change.path
        if change.kind != ABSENT and not os.path.isdir(os.path.dirname(change.path) or "."):
            return "directory %s does not exist (needed for %s)" % (os.path.dirname(change.path), change.path)
    return None


def _rollback_name(path):
    directory, base = os.path.split(path)
    return os.path.join(directory, ".%s.dumbflix-rollback.%d" % (base, os.getpid()))


def _keep(path):
    """Keep the current entry at ``path`` under a rollback name (hard link, or copy as a last resort)."""
    keep = _rollback_name(path)
    if os.path.lexists(keep):
        os.unlink(keep)
    try:
        os.link(path, keep, follow_symlinks=False)
    except OSError:
        if os.path.islink(path):
            os.symlink(os.readlink(path), keep)
        else:
            import shutil

            shutil.copy2(path, keep)
    return keep


def _place_link(path, target):
    directory = os.path.dirname(path) or "."
    tmp = os.path.join(directory, ".%s.dumbflix-link.%d" % (os.path.basename(path), os.getpid()))
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(target, tmp)
    os.replace(tmp, path)


def _place_file(module, path, content):
    fd, tmp = tempfile.mkstemp(dir=module.tmpdir)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        module.atomic_move(tmp, path, unsafe_writes=module.params.get("unsafe_writes", False))
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class _Journal:
    """Records what was done so it can be undone in reverse order."""

    def __init__(self):
        self.entries = []  # (path, rollback_name or None, backup_file or None)

    def rollback(self):
        errors = []
        for path, keep, backup in reversed(self.entries):
            try:
                if keep is not None:
                    os.replace(keep, path)
                elif os.path.lexists(path):
                    os.unlink(path)
                if backup and os.path.lexists(backup):
                    os.unlink(backup)
            except OSError as exc:
                errors.append("%s: %s" % (path, exc))
        self.entries = []
        return errors

    def commit(self):
        for dummy_path, keep, dummy_backup in self.entries:
            if keep is not None and os.path.lexists(keep):
                os.unlink(keep)
        self.entries = []


def run_nginx_test(module, argv):
    """Run ``nginx -t``; return ``(ok, output)``."""
    rc, out, err = module.run_command(argv)
    return rc == 0, (err or out or "nginx -t exited with %d" % rc).strip()


def apply_changes(module, changes, validate_argv=None, backup=False):
    """Make ``changes`` real, test the whole nginx config, roll everything back on failure.

    ``validate_argv`` is the ``nginx -t`` argv, a callable returning it (see
    :func:`validator`; only called when something is to be written) or None.

    Returns ``(changed, diffs, backup_file)``.  In check mode nothing is
    written and nothing is run.  On any failure (nginx -t rejecting the
    result, an I/O error, bad owner/group) every touched path is restored
    and ``module.fail_json`` is called with nginx's own error text.
    """
    states = [read_state(change.path) for change in changes]
    problem = preflight(changes, states)
    if problem:
        module.fail_json(msg=problem)
    pending = [(change, state) for change, state in zip(changes, states) if needs_change(change, state)]
    diffs = [diff_entry(change, state) for change, state in pending]
    attr_paths = [change.path for change in changes if change.attributes and change.kind == FILE]

    if module.check_mode:
        changed = bool(pending)
        for path in attr_paths:
            if os.path.exists(path) and not changed:
                changed = module.set_fs_attributes_if_different(
                    module.load_file_common_arguments(module.params, path=path), False
                )
        return changed, diffs, None

    if pending and callable(validate_argv):
        validate_argv = validate_argv()  # may fail the module; nothing is touched yet
    journal = _Journal()
    backup_file = None
    try:
        for change, state in pending:
            keep = None
            this_backup = None
            if state[0] != ABSENT:
                if backup and change.backup and state[0] == FILE:
                    this_backup = module.backup_local(change.path)
                    backup_file = backup_file or this_backup
                if change.kind == ABSENT:
                    keep = _rollback_name(change.path)
                    if os.path.lexists(keep):
                        os.unlink(keep)
                    os.rename(change.path, keep)
                    journal.entries.append((change.path, keep, this_backup))
                    continue
                keep = _keep(change.path)
                if state[0] == LINK and change.kind == FILE:
                    # atomic_move would copy the attributes of the link's target; drop the link first.
                    os.unlink(change.path)
            journal.entries.append((change.path, keep, this_backup))
            if change.kind == FILE:
                _place_file(module, change.path, change.content)
            else:
                _place_link(change.path, change.target)
        changed = bool(pending)
        for path in attr_paths:
            file_args = module.load_file_common_arguments(module.params, path=path)
            changed = module.set_fs_attributes_if_different(file_args, changed)
    except BaseException as exc:  # also SystemExit from fail_json inside atomic_move & co.
        errors = journal.rollback()
        if not isinstance(exc, (OSError, ValueError)) and exc.__class__ is not Exception:
            raise
        module.fail_json(
            msg="could not write the nginx configuration (%s); the previous files were restored%s"
            % (exc, "" if not errors else "; rollback problems: " + "; ".join(errors))
        )

    if pending and validate_argv:
        ok, output = run_nginx_test(module, validate_argv)
        if not ok:
            errors = journal.rollback()
            ok_before, output_before = run_nginx_test(module, validate_argv)
            msg = "nginx -t rejected the new configuration; the previous files were restored: %s" % output
            if errors:
                msg += " (rollback problems: %s)" % "; ".join(errors)
            if not ok_before:
                msg += (
                    " -- note: nginx -t also fails with the previous files restored, so the configuration"
                    " was already broken: %s" % output_before
                )
            module.fail_json(msg=msg, nginx_error=output, diff=diffs)
    journal.commit()
    return changed, diffs, backup_file


def exit_with_changes(module, changes, **result):
    """Make ``changes`` (with the module's validate and backup options) and exit with ``result``.

    ``changed`` is added, ``backup_file`` when a backup was made and ``diff`` in diff mode.
    """
    changed, diffs, backup_file = apply_changes(
        module, changes, validate_argv=validator(module), backup=module.params["backup"]
    )
    result["changed"] = changed
    if backup_file:
        result["backup_file"] = backup_file
    if module._diff:
        result["diff"] = diffs
    module.exit_json(**result)
