# -*- coding: utf-8 -*-
# Copyright: dumbflix.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One nftables table of allow-lists: its option table, its checks and its rendering.

A rule is data, ``{protocol, ports, sources}``: traffic of ``protocol`` to ``ports``
is accepted from ``sources`` and refused from everywhere else. Only what the rules
name is governed; every other packet passes this table untouched (the input chain's
policy is accept), so SSH, Docker's tables and the user's own tables keep deciding
everything else. Loopback and established connections are always accepted.

The rendered file declares the table, deletes it and declares it again, so
``nft -f FILE`` replaces exactly this table in one kernel transaction and never
flushes the ruleset. The table's comment carries the sha256 of the rules, so the
module can tell whether the live table is the one the file describes.

Nothing a user gives is pasted into the file: protocols become numbers or the words
tcp/udp, ports integers, sources the text Python's ipaddress makes of them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import ipaddress
import re

from ansible_collections.dumbflix.stack.plugins.module_utils.values import (
    NOT_SET,
    ValueRefused,
    item_field,
    join_field,
    parse_int,
    parse_port,
    with_defaults,
)

HEADER = "# Managed by dumbflix.stack.nftables_allowlist \u2014 local edits are overwritten."
COMMENT_PREFIX = "dumbflix.stack sha256="
COMMENT_RE = re.compile(r'comment "%s([0-9a-f]{64})"' % re.escape(COMMENT_PREFIX))

# nft's own names would depend on /etc/protocols; numbers don't. tcp and udp are
# the protocols with ports.
PROTOCOL_NUMBERS = {
    "icmp": 1,
    "igmp": 2,
    "tcp": 6,
    "udp": 17,
    "gre": 47,
    "esp": 50,
    "ah": 51,
    "icmpv6": 58,
    "ospf": 89,
    "pim": 103,
    "vrrp": 112,
    "sctp": 132,
}
PORT_PROTOCOLS = {6: "tcp", 17: "udp"}

# How refused traffic is refused: reject answers at once (TCP reset, ICMP
# port unreachable), drop stays silent.
DENY_ACTIONS = ("reject", "drop")

# nft identifiers are wider; this keeps a table name a plain word in any context.
TABLE_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}\Z")
RULE_KEYS = ("protocol", "ports", "sources")
_PORT_RANGE_RE = re.compile(r"([0-9]+)-([0-9]+)\Z")

# raw: typed suboptions would not say which rule was wrong (rules[1].ports does).
RULE_OPTIONS = dict((key, dict(type="raw")) for key in RULE_KEYS)

ALLOWLIST_OPTIONS = dict(
    table=dict(type="str", default="dumbflix"),
    rules=dict(type="list", elements="dict", options=RULE_OPTIONS),
    deny=dict(type="str", default="reject", choices=list(DENY_ACTIONS)),
    protected_ports=dict(type="list", elements="raw", default=[]),
)


class FirewallConfigError(ValueRefused):
    """A refused firewall value."""


def validate_table_name(value, field="table"):
    if not isinstance(value, str) or not TABLE_NAME_RE.match(value):
        raise FirewallConfigError(
            field, value, "is not a table name (a letter, then letters, digits or '_', at most 64 characters)"
        )
    return value


def normalize_protocol(value, field):
    """``tcp``, ``udp``, a name from :data:`PROTOCOL_NUMBERS` or an IP protocol number 0-255 -> the number."""
    if isinstance(value, str) and value.lower() in PROTOCOL_NUMBERS:
        return PROTOCOL_NUMBERS[value.lower()]
    if isinstance(value, str) and not value.isdigit():
        raise FirewallConfigError(
            field, value, "is not a protocol (%s, or an IP protocol number 0-255)" % ", ".join(sorted(PROTOCOL_NUMBERS))
        )
    return parse_int(value, field, 0, 255, error=FirewallConfigError)


def _merge_ranges(ranges):
    merged = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def normalize_ports(value, field):
    """A list of ports (``3000``, ``"3000"``) and ranges (``"8000-8010"``) -> sorted, merged ``(low, high)`` pairs."""
    if isinstance(value, (int, str)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, (list, tuple)) or not value:
        raise FirewallConfigError(
            field, value, "is not a non-empty list of ports (1-65535) or ranges such as 8000-8010"
        )
    ranges = []
    for index, port in enumerate(value):
        where = item_field(field, index)
        match = _PORT_RANGE_RE.match(port) if isinstance(port, str) else None
        if match:
            low, high = (
                parse_port(match.group(1), where, FirewallConfigError),
                parse_port(match.group(2), where, FirewallConfigError),
            )
            if low > high:
                raise FirewallConfigError(where, port, "is a range whose start is above its end")
        else:
            low = high = parse_port(port, where, FirewallConfigError)
        ranges.append((low, high))
    return _merge_ranges(ranges)


def normalize_source(value, field):
    """One IPv4/IPv6 address or network -> an ``ipaddress`` network (an address is a /32 or /128)."""
    if not isinstance(value, str):
        raise FirewallConfigError(
            field, value, "is not an IP address or network (a string such as 10.0.0.5, 10.0.0.0/24 or 2001:db8::/64)"
        )
    try:
        return ipaddress.ip_network(value, strict=True)
    except ValueError:
        pass
    try:
        loose = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise FirewallConfigError(
            field, value, "is not an IP address or network (such as 10.0.0.5, 10.0.0.0/24 or 2001:db8::/64)"
        ) from None
    raise FirewallConfigError(field, value, "has host bits set; the network is %s" % loose)


def normalize_sources(value, field):
    """A list of sources -> ``{4: [networks], 6: [networks]}``, each list collapsed and sorted. May be empty."""
    if not isinstance(value, (list, tuple)):
        raise FirewallConfigError(field, value, "is not a list of IP addresses or networks")
    by_version = {4: [], 6: []}
    for index, source in enumerate(value):
        network = normalize_source(source, item_field(field, index))
        by_version[network.version].append(network)
    return dict((version, list(ipaddress.collapse_addresses(networks))) for version, networks in by_version.items())


def normalize_rule(rule, field, protected_ports=()):
    """One rule dict -> ``{protocol: int, ports: [(low, high)] or None, sources: {4: [...], 6: [...]}}``."""
    if not isinstance(rule, dict):
        raise FirewallConfigError(field, rule, "is not a rule (a dict of %s)" % ", ".join(RULE_KEYS))
    unknown = sorted(str(key) for key in rule if key not in RULE_KEYS)
    if unknown:
        raise FirewallConfigError(
            join_field(field, unknown[0]), NOT_SET, "is not a rule key (allowed: %s)" % ", ".join(RULE_KEYS)
        )
    if rule.get("protocol") is None:
        raise FirewallConfigError(join_field(field, "protocol"), NOT_SET, "is required")
    protocol = normalize_protocol(rule["protocol"], join_field(field, "protocol"))
    ports_field = join_field(field, "ports")
    ports = None
    if protocol in PORT_PROTOCOLS:
        if rule.get("ports") in (None, []):
            raise FirewallConfigError(
                ports_field,
                NOT_SET,
                "is required for %s (a rule for every %s port would "
                "govern SSH too)" % ((PORT_PROTOCOLS[protocol],) * 2),
            )
        ports = normalize_ports(rule["ports"], ports_field)
        if protocol == 6:
            for port in protected_ports:
                if any(low <= port <= high for low, high in ports):
                    raise FirewallConfigError(
                        ports_field,
                        rule["ports"],
                        "covers TCP port %d, which is protected "
                        "(the port Ansible connects on); a rule "
                        "there could lock Ansible out" % port,
                    )
    elif rule.get("ports") not in (None, []):
        raise FirewallConfigError(ports_field, rule["ports"], "only tcp and udp rules have ports")
    if rule.get("sources") is None:
        raise FirewallConfigError(
            join_field(field, "sources"), NOT_SET, "is required (a list of addresses or networks; [] lets nobody in)"
        )
    sources = normalize_sources(rule["sources"], join_field(field, "sources"))
    return {"protocol": protocol, "ports": ports, "sources": sources}


def normalize_allowlist(options):
    """The module's options (table, rules, deny, protected_ports) -> checked, normalized values."""
    options = with_defaults(options, ALLOWLIST_OPTIONS)
    table = validate_table_name(options["table"])
    if options["deny"] not in DENY_ACTIONS:
        raise FirewallConfigError("deny", options["deny"], "is not one of %s" % ", ".join(DENY_ACTIONS))
    protected = options["protected_ports"]
    if not isinstance(protected, (list, tuple)):
        raise FirewallConfigError("protected_ports", protected, "is not a list of TCP ports")
    protected = sorted(
        set(
            parse_port(port, item_field("protected_ports", index), FirewallConfigError)
            for index, port in enumerate(protected)
        )
    )
    rules = options["rules"]
    if rules is None:
        rules = []
    if not isinstance(rules, (list, tuple)):
        raise FirewallConfigError("rules", rules, "is not a list of rules")
    normalized = [normalize_rule(rule, item_field("rules", index), protected) for index, rule in enumerate(rules)]
    return {"table": table, "rules": normalized, "deny": options["deny"], "protected_ports": protected}


def _set(items):
    return items[0] if len(items) == 1 else "{ %s }" % ", ".join(items)


def _ports_text(ports):
    return _set(["%d" % low if low == high else "%d-%d" % (low, high) for low, high in ports])


def _match(rule):
    if rule["ports"] is None:
        return "meta l4proto %d" % rule["protocol"]
    return "%s dport %s" % (PORT_PROTOCOLS[rule["protocol"]], _ports_text(rule["ports"]))


def _deny(rule, deny):
    if deny == "drop":
        return "drop"
    return "reject with tcp reset" if rule["protocol"] == 6 else "reject"


def render_rules(normalized):
    """The input chain's statements, in order: loopback, established, every accept, then every refusal."""
    lines = ['iif "lo" accept', "ct state established,related accept"]
    for rule in normalized["rules"]:
        for version, keyword in ((4, "ip"), (6, "ip6")):
            networks = rule["sources"][version]
            if networks:
                # a single address renders as 10.0.0.5, not 10.0.0.5/32; neighbours collapse (.2 and .3: .2/31)
                texts = [str(n.network_address) if n.prefixlen == n.max_prefixlen else str(n) for n in networks]
                lines.append("%s %s saddr %s accept" % (_match(rule), keyword, _set(texts)))
    for rule in normalized["rules"]:
        lines.append("%s %s" % (_match(rule), _deny(rule, normalized["deny"])))
    return lines


def rules_digest(normalized):
    """sha256 of what the table does (its name, statements); the table's comment carries it."""
    text = "\n".join(["table inet %s" % normalized["table"]] + render_rules(normalized)) + "\n"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def render_allowlist(normalized):
    """The whole file ``nft -f`` loads: replaces table inet TABLE and nothing else."""
    table = normalized["table"]
    statements = "".join("\t\t%s\n" % line for line in render_rules(normalized))
    return (
        "#!/usr/sbin/nft -f\n"
        "%s\n"
        "# Declared, deleted and declared again: loading this file replaces table inet %s\n"
        "# in one transaction and leaves every other table (Docker's, yours) alone.\n"
        "table inet %s\n"
        "delete table inet %s\n"
        "table inet %s {\n"
        '\tcomment "%s%s"\n'
        "\tchain input {\n"
        "\t\ttype filter hook input priority filter; policy accept;\n"
        "%s"
        "\t}\n"
        "}\n"
    ) % (HEADER, table, table, table, table, COMMENT_PREFIX, rules_digest(normalized), statements)


def render_removal(table):
    """A file that removes table inet TABLE (and is harmless when it is not there)."""
    validate_table_name(table)
    return "#!/usr/sbin/nft -f\n%s\ntable inet %s\ndelete table inet %s\n" % (HEADER, table, table)


def live_digest(listing):
    """The digest in the comment of ``nft list table inet TABLE`` output, or None."""
    match = COMMENT_RE.search(listing or "")
    return match.group(1) if match else None
