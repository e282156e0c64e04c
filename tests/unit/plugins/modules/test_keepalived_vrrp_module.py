# -*- coding: utf-8 -*-
"""keepalived_vrrp's main(): check mode and diff never write and never show the password; state=absent removes
only a file the module wrote. (Writing runs keepalived --config-test, which the molecule production scenario exercises on
real proxies: outside systemd keepalived ends even a clean test by signalling itself.)"""

import pathlib

from ansible_collections.dumbflix.stack.plugins.module_utils.keepalived_conf import MARKER
from ansible_collections.dumbflix.stack.plugins.modules import keepalived_vrrp
from ansible_collections.dumbflix.stack.tests.module_runner import run_module

ARGS = dict(
    interface="eth0",
    virtual_address="192.168.239.100/24",
    priority=200,
    unicast_src="192.168.239.134",
    unicast_peers=["192.168.239.136"],
    auth_pass="s3cret",
)


def test_check_mode_reports_the_change_writes_nothing_and_masks_the_password(tmp_path):
    path = tmp_path / "keepalived.conf"
    path.write_text(MARKER + "\nvrrp_instance dumbflix {\n    authentication {\n        auth_pass oldpass\n    }\n}\n")
    before = path.read_text()
    result = run_module(keepalived_vrrp, dict(ARGS, path=str(path)), check_mode=True, diff=True)
    assert result["changed"] and path.read_text() == before
    shown = result["content"] + result["diff"][0]["before"] + result["diff"][0]["after"]
    assert "s3cret" not in shown and "oldpass" not in shown and "auth_pass ********" in result["content"]


def test_a_refused_value_changes_nothing(tmp_path):
    path = tmp_path / "keepalived.conf"
    result = run_module(keepalived_vrrp, dict(ARGS, path=str(path), virtual_address="10.0.0.1/24"))
    assert result["failed"] and result["field"] == "virtual_address" and not path.exists()


def test_absent_removes_the_modules_file_and_leaves_anyone_elses(tmp_path):
    ours, theirs = tmp_path / "ours.conf", tmp_path / "theirs.conf"
    ours.write_text(MARKER + "\n")
    theirs.write_text("vrrp_instance theirs {\n}\n")
    assert run_module(keepalived_vrrp, dict(path=str(ours), state="absent"))["changed"]
    assert not ours.exists()
    result = run_module(keepalived_vrrp, dict(path=str(theirs), state="absent"))
    assert not result["changed"] and theirs.read_text() == "vrrp_instance theirs {\n}\n"


def fake_keepalived(tmp_path, verdict):
    """A keepalived whose --config-test prints ``verdict`` and fails when it is not empty."""
    binary = tmp_path / "keepalived"
    binary.write_text("#!/bin/sh\n" + ("echo '%s' >&2; exit 1\n" % verdict if verdict else "exit 0\n"))
    binary.chmod(0o755)
    return str(binary)


def test_a_tested_file_replaces_the_old_one_root_only_with_a_backup(tmp_path):
    path = tmp_path / "keepalived.conf"
    path.write_text(MARKER + "\nold\n")
    path.chmod(0o644)
    args = dict(ARGS, path=str(path), backup=True, keepalived_binary=fake_keepalived(tmp_path, ""))
    result = run_module(keepalived_vrrp, args, tmpdir=tmp_path)
    assert result["changed"] and "auth_pass s3cret" in path.read_text()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert pathlib.Path(result["backup_file"]).read_text() == MARKER + "\nold\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == []
    assert not run_module(keepalived_vrrp, args, tmpdir=tmp_path)["changed"]


def test_a_file_keepalived_refuses_leaves_the_old_one(tmp_path):
    path = tmp_path / "keepalived.conf"
    path.write_text(MARKER + "\nold\n")
    args = dict(ARGS, path=str(path), backup=True, keepalived_binary=fake_keepalived(tmp_path, "unknown keyword"))
    result = run_module(keepalived_vrrp, args, tmpdir=tmp_path)
    assert result["failed"] and result["config_error"] == "unknown keyword"
    assert path.read_text() == MARKER + "\nold\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keepalived", "keepalived.conf"]
