"""Run an Ansible module's main() in-process and return its JSON result.

Shared by the unit tests and the real-nginx tests; tests/conftest.py puts this folder on sys.path.
"""

import contextlib
import io
import json
import os
import stat

from ansible.module_utils.testing import patch_module_args


def run_module(module, args, check_mode=False, diff=False, tmpdir=None):
    """Call ``module.main()`` with ``args``; return the result dict (``failed`` set on failure)."""
    args = dict(args)
    args["_ansible_check_mode"] = check_mode
    args["_ansible_diff"] = diff
    if tmpdir is not None:
        args["_ansible_remote_tmp"] = str(tmpdir)
    out = io.StringIO()
    with patch_module_args(args), contextlib.redirect_stdout(out):
        try:
            module.main()
        except SystemExit:
            pass
        else:
            raise AssertionError("module main() returned without exit_json/fail_json")
    text = out.getvalue()
    # The JSON result is the last line the module printed.
    return json.loads(text.strip().splitlines()[-1])


def snapshot(path):
    """What a test compares to prove a module left ``path`` alone: its bytes (or a link's target), mtime, inode
    and mode."""
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        data = os.readlink(path)
    else:
        with open(path, "rb") as handle:
            data = handle.read()
    return data, st.st_mtime_ns, st.st_ino, stat.S_IMODE(st.st_mode)
