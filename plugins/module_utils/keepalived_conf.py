# -*- coding: utf-8 -*-
# Copyright: dumbflix.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""keepalived.conf for one VRRP instance holding a floating address, from checked values.

Pure code (no AnsibleModule): the module ``keepalived_vrrp`` renders with it and the
``keepalived_vrrp`` filter checks the inventory with the same functions before any host
changes.  Every value is parsed into a known shape (an ``ipaddress`` object, an int in its
range, a word of a fixed alphabet); nothing is pasted into the file as given.

Why the file looks the way it does:

- ``state BACKUP`` on every proxy with ``nopreempt``: the proxy with the highest priority
  takes the address when none holds it, and a proxy that comes back does not take it back
  from a healthy one (no second interruption, no flapping).  ``preempt: true`` drops
  ``nopreempt``.
- Unicast peers: multicast is unreliable on cloud networks and container bridges.
- The check runs as an unprivileged user with ``enable_script_security`` (keepalived then
  refuses scripts that a non-root user could replace), and its failure puts the instance
  in FAULT: the proxy gives the address up at once, whatever its priority.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.dumbflix.stack.plugins.module_utils.values import (
    NOT_SET,
    ValueRefused,
    item_field,
    parse_bool,
    parse_int,
    validate_unix_user_name,
    with_defaults,
)

# The first line of every file the module writes; state=absent removes only such a file.
MARKER = "# Managed by dumbflix.stack.keepalived_vrrp: changes made here are overwritten."

# The module's options that describe the file (the module adds path, state, backup, ...).
VRRP_OPTIONS = dict(
    instance=dict(type="str", default="dumbflix"),
    router_id=dict(type="str", default=""),
    interface=dict(type="str"),
    virtual_address=dict(type="str"),
    virtual_router_id=dict(type="raw", default=51),
    priority=dict(type="raw"),
    advert_int=dict(type="raw", default=1),
    unicast_src=dict(type="str"),
    unicast_peers=dict(type="list", elements="raw", default=[]),
    auth_pass=dict(type="str", default="", no_log=True),
    preempt=dict(type="raw", default=False),
    track_command=dict(type="list", elements="str", default=[]),
    track_interval=dict(type="raw", default=1),
    track_timeout=dict(type="raw", default=2),
    track_fall=dict(type="raw", default=2),
    track_rise=dict(type="raw", default=2),
    script_user=dict(type="str", default="keepalived_script"),
)

# keepalived's instance and script names are single words; interface names are at most 15 bytes (IFNAMSIZ - 1).
_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}\Z")
_ROUTER_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")
_INTERFACE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,14}\Z")
# VRRPv2 simple-text authentication: keepalived keeps the first 8 characters and drops the rest silently.
_AUTH_PASS_RE = re.compile(r"[A-Za-z0-9_.,:+=@%-]{1,8}\Z")
# A word of a command line keepalived splits on white space; quotes, braces and '#'/'!' (comments) would be read.
_ARGUMENT_RE = re.compile(r"[A-Za-z0-9_./:=@%+,-]+\Z")


def _word(value, field, pattern, what):
    if not isinstance(value, str) or not pattern.match(value):
        raise ValueRefused(field, value, what)
    return value


def parse_ipv4(value, field):
    """An IPv4 address (VRRPv2, whose unicast peers and source this file names, is IPv4 only)."""
    try:
        address = ipaddress.ip_address(value if isinstance(value, str) else "")
    except ValueError:
        raise ValueRefused(field, value, "is not an IPv4 address") from None
    if address.version != 4:
        raise ValueRefused(field, value, "is an IPv6 address; VRRP between the proxies runs over IPv4 (VRRPv2)")
    return address


def parse_virtual_address(value, field):
    """The floating address with its prefix, ``172.30.239.100/24``: an ``IPv4Interface``."""
    if not isinstance(value, str) or "/" not in value:
        raise ValueRefused(field, value, "is not an IPv4 address with its prefix length, e.g. 192.168.239.100/24")
    try:
        interface = ipaddress.ip_interface(value)
    except ValueError:
        raise ValueRefused(
            field, value, "is not an IPv4 address with its prefix length, e.g. 192.168.239.100/24"
        ) from None
    if interface.version != 4:
        raise ValueRefused(field, value, "is an IPv6 address; the floating address is IPv4 (VRRPv2)")
    if (
        interface.ip in (interface.network.network_address, interface.network.broadcast_address)
        and interface.network.prefixlen < 31
    ):
        raise ValueRefused(field, value, "is the network's own or broadcast address, which no host can hold")
    if interface.ip.is_loopback or interface.ip.is_multicast or interface.ip.is_unspecified:
        raise ValueRefused(field, value, "is not an address hosts on a network can share")
    return interface


def normalize_vrrp(options):
    """Check every option of :data:`VRRP_OPTIONS`; return them as plain, safe values (a dict)."""
    values = with_defaults(options, VRRP_OPTIONS)
    for required in ("interface", "virtual_address", "priority", "unicast_src"):
        if values[required] in (None, ""):
            raise ValueRefused(required, NOT_SET, "is required")
    result = dict(
        instance=_word(
            values["instance"],
            "instance",
            _NAME_RE,
            "is not a name keepalived reads as one word (a letter, then letters, digits or '_', at most 32 characters)",
        ),
        router_id=(
            _word(
                values["router_id"],
                "router_id",
                _ROUTER_ID_RE,
                "is not a router id (letters, digits, '_', '.', '-', at most 64 characters)",
            )
            if values["router_id"]
            else ""
        ),
        interface=_word(
            values["interface"],
            "interface",
            _INTERFACE_RE,
            "is not a network interface name (at most 15 letters, digits, '_', '.', '@', '-')",
        ),
        virtual_router_id=parse_int(values["virtual_router_id"], "virtual_router_id", 1, 255),
        # 255 belongs to the owner of the address, which none of the proxies is
        priority=parse_int(values["priority"], "priority", 1, 254),
        advert_int=parse_int(values["advert_int"], "advert_int", 1, 255),
        preempt=parse_bool(values["preempt"], "preempt"),
        script_user=validate_unix_user_name(values["script_user"], "script_user"),
        track_interval=parse_int(values["track_interval"], "track_interval", 1, 3600),
        track_timeout=parse_int(values["track_timeout"], "track_timeout", 1, 3600),
        track_fall=parse_int(values["track_fall"], "track_fall", 1, 100),
        track_rise=parse_int(values["track_rise"], "track_rise", 1, 100),
    )
    vip = parse_virtual_address(values["virtual_address"], "virtual_address")
    src = parse_ipv4(values["unicast_src"], "unicast_src")
    if src not in vip.network:
        raise ValueRefused(
            "virtual_address",
            values["virtual_address"],
            "is not on the network of this host's own address %s (unicast_src): it could not be "
            "reached through the interface that holds it" % src,
        )
    if src == vip.ip:
        raise ValueRefused(
            "virtual_address",
            values["virtual_address"],
            "is unicast_src, the proxy's own address; the floating address must be a free one",
        )
    peers = values["unicast_peers"]
    if isinstance(peers, (str, bytes)) or not isinstance(peers, (list, tuple)):
        raise ValueRefused("unicast_peers", peers, "is not a list of IPv4 addresses")
    result["unicast_peers"] = []
    for index, value in enumerate(peers):
        field = item_field("unicast_peers", index)
        peer = parse_ipv4(value, field)
        if peer == src:
            raise ValueRefused(field, value, "is unicast_src, this proxy itself")
        if peer == vip.ip:
            raise ValueRefused(field, value, "is the floating address (virtual_address)")
        if str(peer) in result["unicast_peers"]:
            raise ValueRefused(field, value, "is listed twice")
        result["unicast_peers"].append(str(peer))
    result["unicast_src"] = str(src)
    result["virtual_address"] = str(vip)
    auth_pass = values["auth_pass"]
    # the password is never shown: it would end up in logs
    if auth_pass not in (None, "") and (not isinstance(auth_pass, str) or not _AUTH_PASS_RE.match(auth_pass)):
        raise ValueRefused(
            "auth_pass", NOT_SET, "must be 1 to 8 letters, digits or _ . , : + = @ %% - (keepalived keeps only 8)"
        )
    result["auth_pass"] = auth_pass or ""
    command = values["track_command"]
    if isinstance(command, (str, bytes)) or not isinstance(command, (list, tuple)):
        raise ValueRefused("track_command", command, "is not a list of words (the program, then its arguments)")
    for index, word in enumerate(command):
        _word(
            word,
            item_field("track_command", index),
            _ARGUMENT_RE,
            "is not a word keepalived passes on unchanged (letters, digits and _ . / : = @ % + , -)",
        )
    if command and not command[0].startswith("/"):
        raise ValueRefused(
            item_field("track_command", 0),
            command[0],
            "is not an absolute path (keepalived's script security wants one)",
        )
    result["track_command"] = list(command)
    if result["track_command"] and result["track_timeout"] > result["track_interval"] * result["track_fall"]:
        raise ValueRefused(
            "track_timeout",
            result["track_timeout"],
            "is longer than track_interval x track_fall: a hung check would outlast the failures "
            "that should move the address",
        )
    return result


def render_vrrp(normalized):
    """keepalived.conf text for a :func:`normalize_vrrp` result."""
    v = normalized
    script = "%s_check" % v["instance"]
    lines = [MARKER, "", "global_defs {"]
    if v["router_id"]:
        lines.append("    router_id %s" % v["router_id"])
    lines += [
        "    script_user %s" % v["script_user"],
        "    enable_script_security",
        "}",
        "",
    ]
    if v["track_command"]:
        lines += [
            "vrrp_script %s {" % script,
            '    script "%s"' % " ".join(v["track_command"]),
            "    interval %d" % v["track_interval"],
            "    timeout %d" % v["track_timeout"],
            "    fall %d" % v["track_fall"],
            "    rise %d" % v["track_rise"],
            "}",
            "",
        ]
    lines += [
        "vrrp_instance %s {" % v["instance"],
        "    state BACKUP",
        "    interface %s" % v["interface"],
        "    virtual_router_id %d" % v["virtual_router_id"],
        "    priority %d" % v["priority"],
        "    advert_int %d" % v["advert_int"],
    ]
    if not v["preempt"]:
        lines.append("    nopreempt")
    if v["unicast_peers"]:
        # a lone host (one proxy so far) has nobody to tell: keepalived refuses unicast without peers
        lines.append("    unicast_src_ip %s" % v["unicast_src"])
        lines.append("    unicast_peer {")
        lines += ["        %s" % peer for peer in v["unicast_peers"]]
        lines.append("    }")
    if v["auth_pass"]:
        lines += [
            "    authentication {",
            "        auth_type PASS",
            "        auth_pass %s" % v["auth_pass"],
            "    }",
        ]
    lines += [
        "    virtual_ipaddress {",
        "        %s dev %s" % (v["virtual_address"], v["interface"]),
        "    }",
    ]
    if v["track_command"]:
        lines += [
            "    track_script {",
            "        %s" % script,
            "    }",
        ]
    lines += ["}", ""]
    return "\n".join(lines)


# SIGTERM as subprocess reports it (-15) and as a shell does (128 + 15)
_SIGTERM_STATUSES = (-15, 143)


def config_test_passed(returncode, stdout, stderr):
    """keepalived's own verdict on a file, from ``keepalived --config-test``'s exit status and output.

    keepalived prints every problem it finds and nothing on a clean file. keepalived 2.2.7 (Debian 12's) ends
    every test of a file that has a vrrp_script by sending itself SIGTERM, after parsing the whole file and
    printing what it found, clean or not; so with that signal the file passes only when nothing was printed.
    """
    if returncode == 0:
        return True
    return returncode in _SIGTERM_STATUSES and not ((stdout or "") + (stderr or "")).strip()
