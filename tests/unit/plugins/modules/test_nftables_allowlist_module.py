# -*- coding: utf-8 -*-
"""nftables_allowlist's own helpers (what a rollback restores and where it is kept), and its main() with a fake
nft: the file changes only after nft tested and loaded it."""

import os
import pathlib

from ansible_collections.dumbflix.stack.plugins.modules import nftables_allowlist
from ansible_collections.dumbflix.stack.plugins.modules.nftables_allowlist import (
    previous_state,
    rollback_path,
    rollback_unit_name,
)
from ansible_collections.dumbflix.stack.tests.module_runner import run_module

LIVE = "table inet dumbflix {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t}\n}"


def test_rollback_of_a_live_table_replaces_it_with_what_it_was():
    text = previous_state("dumbflix", LIVE).decode()
    statements = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert statements[:3] == ["table inet dumbflix", "delete table inet dumbflix", "table inet dumbflix {"]
    assert text.endswith("}\n")


def test_rollback_when_there_was_no_table_removes_it():
    statements = [line for line in previous_state("dumbflix", None).decode().splitlines() if not line.startswith("#")]
    assert statements == ["table inet dumbflix", "delete table inet dumbflix"]


def test_rollback_file_is_a_dot_file_an_include_of_the_directory_skips():
    assert rollback_path("/etc/nftables.d/dumbflix.nft") == "/etc/nftables.d/.dumbflix.nft.rollback"
    assert rollback_unit_name("dumbflix_vrrp") == "dumbflix-firewall-rollback-dumbflix-vrrp"


def fake_nft(tmp_path, check_rc=0, load_rc=0):
    """An nft with no live table, whose ``-c -f`` and ``-f`` exit with the given codes and log their calls."""
    binary = tmp_path / "nft"
    binary.write_text(
        "#!/bin/sh\n"
        'echo "$*" >> "%s/calls"\n'
        'case "$1" in list) exit 1;; -c) echo "check refused" >&2; exit %d;; -f) echo "load refused" >&2; exit %d;; esac\n'
        % (tmp_path, check_rc, load_rc)
    )
    binary.chmod(0o755)
    return str(binary)


def allowlist(tmp_path, binary, **extra):
    rules = [dict(protocol="tcp", ports=[3000], sources=["10.0.0.5"])]
    return dict(table="dumbflix", rules=rules, path=str(tmp_path / "etc" / "dumbflix.nft"), nft_binary=binary, **extra)


def setup_old(tmp_path):
    (tmp_path / "etc").mkdir()
    old = tmp_path / "etc" / "dumbflix.nft"
    old.write_text("old\n")
    return old


def test_tested_rules_are_loaded_then_the_file_is_replaced_with_a_backup(tmp_path):
    old = setup_old(tmp_path)
    result = run_module(nftables_allowlist, allowlist(tmp_path, fake_nft(tmp_path), backup=True), tmpdir=tmp_path)
    assert result["changed"] and result["table_changed"] and old.read_text() == result["content"]
    assert oct(old.stat().st_mode & 0o777) == "0o644" and pathlib.Path(result["backup_file"]).read_text() == "old\n"
    calls = (tmp_path / "calls").read_text().splitlines()
    assert [call.split()[0] for call in calls] == ["list", "-c", "-f"]
    assert sorted(p.name for p in (tmp_path / "etc").iterdir()) == [
        "dumbflix.nft",
        os.path.basename(result["backup_file"]),
    ]


def test_rules_nft_refuses_change_nothing(tmp_path):
    old = setup_old(tmp_path)
    result = run_module(
        nftables_allowlist, allowlist(tmp_path, fake_nft(tmp_path, check_rc=1), backup=True), tmpdir=tmp_path
    )
    assert result["failed"] and result["nft_error"] == "check refused" and old.read_text() == "old\n"
    assert [call.split()[0] for call in (tmp_path / "calls").read_text().splitlines()] == ["list", "-c"]
    assert sorted(p.name for p in (tmp_path / "etc").iterdir()) == ["dumbflix.nft"]


def test_rules_the_kernel_refuses_leave_the_file_and_take_no_backup(tmp_path):
    old = setup_old(tmp_path)
    result = run_module(
        nftables_allowlist, allowlist(tmp_path, fake_nft(tmp_path, load_rc=1), backup=True), tmpdir=tmp_path
    )
    assert result["failed"] and result["nft_error"] == "load refused" and old.read_text() == "old\n"
    assert sorted(p.name for p in (tmp_path / "etc").iterdir()) == ["dumbflix.nft"]
