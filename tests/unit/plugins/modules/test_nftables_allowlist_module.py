# -*- coding: utf-8 -*-
"""nftables_allowlist's own helpers: what a rollback restores and where it is kept."""

from ansible_collections.dumbflix.stack.plugins.modules.nftables_allowlist import (
    previous_state,
    rollback_path,
    rollback_unit_name,
)

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
