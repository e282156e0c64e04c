# -*- coding: utf-8 -*-
"""The firewall's pure code (module_utils/nftables_allowlist.py): checks, normalization, the exact rendered rules."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.dumbflix.stack.plugins.module_utils.nftables_allowlist import (
    FirewallConfigError,
    live_digest,
    normalize_allowlist,
    render_allowlist,
    render_removal,
    render_rules,
    rules_digest,
)

APP = {"protocol": "tcp", "ports": [3000], "sources": ["172.30.239.10"]}


def rules(*items, **options):
    return normalize_allowlist(dict(options, rules=list(items)))


def refusal(options):
    with pytest.raises(FirewallConfigError) as info:
        normalize_allowlist(options)
    return str(info.value)


def test_the_app_port_from_one_proxy():
    assert render_rules(rules(APP)) == [
        'iif "lo" accept',
        "ct state established,related accept",
        "tcp dport 3000 ip saddr 172.30.239.10 accept",
        "tcp dport 3000 reject with tcp reset",
    ]


def test_ipv4_and_ipv6_sources_sorted_collapsed_and_split_by_family():
    rule = {
        "protocol": "tcp",
        "ports": ["3000", "8000-8010", 8005],
        "sources": ["10.0.0.9", "2001:db8::/64", "10.0.0.0/24", "172.16.0.1", "2001:db8::5"],
    }
    assert render_rules(rules(rule, deny="drop"))[2:] == [
        "tcp dport { 3000, 8000-8010 } ip saddr { 10.0.0.0/24, 172.16.0.1 } accept",
        "tcp dport { 3000, 8000-8010 } ip6 saddr 2001:db8::/64 accept",
        "tcp dport { 3000, 8000-8010 } drop",
    ]


def test_vrrp_between_proxies_is_a_rule_without_ports():
    vrrp = {"protocol": "vrrp", "sources": ["10.0.0.3", "10.0.0.2"]}
    assert render_rules(rules(vrrp, {"protocol": 112, "sources": []}))[2:] == [
        "meta l4proto 112 ip saddr 10.0.0.2/31 accept",
        "meta l4proto 112 reject",
        "meta l4proto 112 reject",
    ]


def test_every_accept_comes_before_every_refusal():
    lines = render_rules(rules(APP, {"protocol": "udp", "ports": [53], "sources": ["10.0.0.1"]}))
    kinds = [line.rsplit(" ", 1)[-1] for line in lines[2:]]
    assert kinds == ["accept", "accept", "reset", "reject"]


def test_file_replaces_only_its_own_table_and_carries_the_digest():
    normalized = rules(APP)
    text = render_allowlist(normalized)
    assert "flush" not in text
    statements = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert statements[:3] == ["table inet dumbflix", "delete table inet dumbflix", "table inet dumbflix {"]
    assert "\t\ttype filter hook input priority filter; policy accept;\n" in text
    assert live_digest(text) == rules_digest(normalized)
    # the digest says what the table does: another source is another digest
    other = rules(dict(APP, sources=["172.30.239.11"]))
    assert rules_digest(other) != rules_digest(normalized)
    assert live_digest("table inet dumbflix {\n}") is None


def test_removal_file_deletes_the_table_only():
    assert render_removal("dumbflix").splitlines()[-2:] == ["table inet dumbflix", "delete table inet dumbflix"]


@pytest.mark.parametrize(
    "options, message",
    [
        ({"rules": [dict(APP, sources=["proxy1"])]}, "rules[0].sources[0]: 'proxy1' is not an IP address or network"),
        (
            {"rules": [dict(APP, sources=["10.0.0.1/24"])]},
            "rules[0].sources[0]: '10.0.0.1/24' has host bits set; the network is 10.0.0.0/24",
        ),
        ({"rules": [dict(APP, sources="10.0.0.1")]}, "rules[0].sources: '10.0.0.1' is not a list"),
        ({"rules": [dict(APP, sources=["10.0.0.1; flush ruleset"])]}, "is not an IP address"),
        ({"rules": [APP, dict(APP, ports=[0])]}, "rules[1].ports[0]: 0 is below the minimum 1"),
        ({"rules": [dict(APP, ports=[65536])]}, "rules[0].ports[0]: 65536 is above the maximum 65535"),
        ({"rules": [dict(APP, ports=["9000-8000"])]}, "rules[0].ports[0]: '9000-8000' is a range whose start"),
        ({"rules": [dict(APP, ports=[])]}, "rules[0].ports: is required for tcp"),
        ({"rules": [dict(APP, ports=["3000;"])]}, "rules[0].ports[0]: '3000;' is not an integer"),
        ({"rules": [{"protocol": "vrrp", "ports": [1], "sources": []}]}, "rules[0].ports: [1] only tcp and udp"),
        ({"rules": [dict(APP, protocol="quic")]}, "rules[0].protocol: 'quic' is not a protocol"),
        ({"rules": [dict(APP, protocol=256)]}, "rules[0].protocol: 256 is above the maximum 255"),
        ({"rules": [{"ports": [1], "sources": []}]}, "rules[0].protocol: is required"),
        ({"rules": [{"protocol": "tcp", "ports": [1]}]}, "rules[0].sources: is required"),
        ({"rules": [dict(APP, name="x")]}, "rules[0].name: is not a rule key"),
        ({"rules": ["tcp 3000"]}, "rules[0]: 'tcp 3000' is not a rule"),
        (
            {"rules": [dict(APP, ports=["20-30"])], "protected_ports": [22]},
            "rules[0].ports: ['20-30'] covers TCP port 22, which is protected",
        ),
        ({"rules": [APP], "table": "dumbflix; flush ruleset"}, "table: 'dumbflix; flush ruleset' is not a table name"),
        ({"rules": [APP], "deny": "accept"}, "deny: 'accept' is not one of reject, drop"),
    ],
)
def test_bad_input_is_refused_naming_the_field(options, message):
    assert message in refusal(options)


def test_udp_may_use_the_protected_tcp_port():
    assert rules({"protocol": "udp", "ports": [22], "sources": []}, protected_ports=[22])


ADDRESSES = st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)).map(str)


@given(st.lists(ADDRESSES, max_size=6), st.lists(st.integers(1, 65535), min_size=1, max_size=5))
def test_rendered_rules_hold_only_numbers_addresses_and_fixed_words(sources, ports):
    lines = render_rules(rules({"protocol": "tcp", "ports": ports, "sources": sources}))
    allowed = re.compile(r'^[a-z0-9 ,.:/{}"_-]+$')
    assert all(allowed.match(line) for line in lines), lines
    # every source is allowed exactly once per family it belongs to, and the refusal comes last
    assert lines[-1].endswith("reject with tcp reset")
    assert len(lines) == 3 + len({4 if ":" not in s else 6 for s in sources})
