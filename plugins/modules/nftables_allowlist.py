#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dumbflix.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: nftables_allowlist
short_description: Let only the given sources reach some ports or protocols, in one nftables table of its own
version_added: 0.1.0
description:
  - Owns one nftables table, C(table inet TABLE), and the file that loads it (O(path)). Each rule names a protocol,
    for tcp and udp its ports, and the sources (IPv4/IPv6 addresses or networks) allowed to reach them; the same
    traffic from anywhere else is refused (O(deny)). Loopback and established connections are accepted.
  - Only what the rules name is governed. The table's input chain has policy accept, so every other packet (SSH,
    anything else) is left to the other tables, Docker's and the user's own, which this module never reads or
    changes. The ruleset is never flushed.
  - The file declares the table, deletes it and declares it again, so C(nft -f PATH) replaces this table and only
    this table in one kernel transaction. Every value is checked before anything is touched (refusals name the
    field, for example V(rules[1].sources[0])); nothing is pasted into the file as given.
  - Like M(ansible.builtin.blockinfile) the file is rendered in memory, compared, written only when it changed and
    not in check mode, optionally backed up, checked with C(nft -c -f) as a temporary file and moved into place
    atomically; then it is loaded. If loading fails the previous file is put back and the kernel keeps the previous
    table (nft applies a file all or nothing).
  - The table's comment carries the sha256 of its rules, so a table that is missing (after a reboot without the
    unit that loads O(path)) or different is loaded again even when the file is unchanged.
  - With O(rollback_after), the previous table (and file) is restored by the host itself that many seconds later
    (a transient systemd timer, RV(rollback_unit)) unless the module runs again before and finds nothing to change;
    that run, over a new connection, is the proof that the new rules let Ansible in, and cancels the rollback
    (RV(rollback_cancelled)).
author:
  - dumbflix.stack maintainers (!UNKNOWN)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - dumbflix.stack.managed_file
attributes:
  check_mode:
    support: full
    details: Reports whether the file or the live table would change, with the diff of the file; writes and loads nothing.
  diff_mode:
    support: full
    details: The file before and after.
  platform:
    support: full
    platforms: posix
options:
  table:
    description:
      - Name of the table in the C(inet) family (IPv4 and IPv6). A letter, then letters, digits or C(_), at most 64.
    type: str
    default: dumbflix
  rules:
    description:
      - What the table allows. Required when O(state=present); an empty list leaves a table that only accepts
        loopback and established traffic, which governs nothing.
      - A port (or protocol) named by several rules is reachable from the union of their sources.
    type: list
    elements: dict
    suboptions:
      protocol:
        description:
          - V(tcp), V(udp), one of V(icmp), V(igmp), V(gre), V(esp), V(ah), V(icmpv6), V(ospf), V(pim), V(vrrp),
            V(sctp), or an IP protocol number 0-255 (V(112) is VRRP).
          - Required.
        type: raw
      ports:
        description:
          - For tcp and udp (and required there), a list of ports 1-65535 and ranges such as V(8000-8010).
          - Refused for other protocols.
        type: raw
      sources:
        description:
          - IPv4 and IPv6 addresses or networks (V(10.0.0.5), V(10.0.0.0/24), V(2001:db8::/64)) allowed in.
            Host names are refused, and so is a network with host bits set.
          - Required; V([]) lets nobody in but loopback.
        type: raw
  deny:
    description:
      - How traffic to a rule's ports from other sources is refused.
      - V(reject) answers at once (a TCP reset, an ICMP port unreachable), so a client that should not come
        here fails immediately instead of waiting for a timeout; V(drop) stays silent.
    type: str
    choices: [reject, drop]
    default: reject
  protected_ports:
    description:
      - TCP ports no rule may cover, typically the port Ansible connects on, so that applying rules can never
        decide who may open a new SSH connection. A rule covering one is refused before anything changes.
    type: list
    elements: raw
    default: []
  path:
    description:
      - The file that loads the table (C(nft -f PATH)); its directory must exist.
      - Defaults to C(/etc/nftables.d/TABLE.nft).
    type: path
  state:
    description: V(absent) deletes the table from the kernel and removes O(path).
  rollback_after:
    description:
      - Seconds after a change of the live table at which the host restores the previous table (and file) on its
        own, unless the module runs again before and finds nothing to change (or C(UNIT.timer) of RV(rollback_unit)
        is stopped). Needs systemd. V(0) turns this off.
    type: int
    default: 0
  nft_binary:
    description: The nft command, a name looked up in PATH, C(/usr/sbin) and C(/sbin), or an absolute path.
    type: str
    default: nft
notes:
  - Needs the nftables package and CAP_NET_ADMIN (in a container, C(--cap-add NET_ADMIN)).
  - Persistence across reboots is the caller's, a unit or an C(include) that runs C(nft -f PATH) at boot;
    the dumbflix.stack.firewall role installs one.
seealso:
  - name: nftables wiki, Atomic rule replacement
    description: Why the file declares, deletes and declares the table again.
    link: https://wiki.nftables.org/wiki-nftables/index.php/Atomic_rule_replacement
"""

EXAMPLES = r"""
- name: Only the proxies may reach the app's port
  dumbflix.stack.nftables_allowlist:
    table: dumbflix
    rules:
      - protocol: tcp
        ports: [3000]
        sources: [172.30.239.10, "2001:db8::10"]
    protected_ports: [22]
    rollback_after: 60
  register: firewall
# then ansible.builtin.meta reset_connection (the next task opens a new connection through the new
# rules) and the same task again: it finds nothing to change and cancels the rollback

- name: VRRP only between the two load balancers
  dumbflix.stack.nftables_allowlist:
    table: dumbflix_vrrp
    rules:
      - protocol: vrrp
        sources: [10.0.0.2, 10.0.0.3]
    deny: drop

- name: Remove the table and its file
  dumbflix.stack.nftables_allowlist:
    table: dumbflix
    state: absent
"""

RETURN = r"""
path:
  description: The file that loads the table.
  returned: always
  type: str
  sample: /etc/nftables.d/dumbflix.nft
content:
  description: The rendered file; with O(state=absent) the file that deletes the table.
  returned: always
  type: str
digest:
  description: The sha256 of the rules, also in the live table's comment. Empty with O(state=absent).
  returned: always
  type: str
table_changed:
  description: Whether the live table was (or, in check mode, would be) loaded or deleted.
  returned: always
  type: bool
backup_file:
  description: The backup copy of the previous file, when O(backup=true) and it changed.
  returned: changed and O(backup=true) and a previous file existed
  type: str
rollback_unit:
  description:
    - The transient systemd unit this run scheduled to restore the previous table at O(rollback_after). Empty when
      it scheduled none.
  returned: always
  type: str
  sample: dumbflix-firewall-rollback-dumbflix
rollback_cancelled:
  description: Whether this run found the table as wanted and cancelled an earlier run's pending rollback.
  returned: always
  type: bool
nft_error:
  description: nft's error text when it refused the rendered file or could not load it.
  returned: failure
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dumbflix.stack.plugins.module_utils.managed_file import (
    KEEP,
    MANAGED_FILE_ARGS,
    REMOVE,
    REPLACE,
    finish_write,
    read_bytes,
    replace_tested,
)
from ansible_collections.dumbflix.stack.plugins.module_utils.nftables_allowlist import (
    ALLOWLIST_OPTIONS,
    live_digest,
    normalize_allowlist,
    render_allowlist,
    render_removal,
    rules_digest,
    validate_table_name,
)
from ansible_collections.dumbflix.stack.plugins.module_utils.values import ValueRefused

ARGUMENT_SPEC = dict(
    ALLOWLIST_OPTIONS,
    path=dict(type="path"),
    rollback_after=dict(type="int", default=0),
    nft_binary=dict(type="str", default="nft"),
    **MANAGED_FILE_ARGS,
)


def rollback_unit_name(table):
    return "dumbflix-firewall-rollback-%s" % table.replace("_", "-")


class Nft:
    def __init__(self, module):
        self.module = module
        name = module.params["nft_binary"]
        if os.sep in name:
            self.binary = name if os.access(name, os.X_OK) else None
        else:
            self.binary = module.get_bin_path(name, opt_dirs=["/usr/sbin", "/sbin", "/usr/local/sbin"])

    def require(self):
        if self.binary is None:
            self.module.fail_json(
                msg="nft_binary %r was not found: install the nftables package" % self.module.params["nft_binary"]
            )

    def run(self, *args):
        self.require()
        return self.module.run_command([self.binary] + list(args))

    def listing(self, table):
        """``nft list table inet TABLE`` output, or None when the table is not there."""
        rc, out, dummy = self.run("list", "table", "inet", table)
        return out if rc == 0 else None

    def load(self, path, check=False):
        rc, out, err = self.run(*(["-c", "-f", path] if check else ["-f", path]))
        return rc == 0, (err or out or "nft exited with %d" % rc).strip()


def rollback_path(path):
    """A dot file next to PATH, which an ``include "DIR/*"`` of nft does not pick up."""
    directory, base = os.path.split(path)
    return os.path.join(directory, ".%s.rollback" % base)


def schedule_rollback(module, nft_binary, unit, path, previous):
    """Keep the live table's current state in PATH.rollback and have systemd load it later unless cancelled."""
    if not os.path.isdir("/run/systemd/system"):
        module.fail_json(msg="rollback_after needs systemd to restore the previous rules; set rollback_after: 0")
    systemd_run = module.get_bin_path("systemd-run", required=True)
    systemctl = module.get_bin_path("systemctl", required=True)
    # an earlier run's pending rollback: this run is connected, so it is no longer needed
    module.run_command([systemctl, "stop", unit + ".timer"])
    module.run_command([systemctl, "reset-failed", unit + ".service"])
    rollback = rollback_path(path)
    with open(rollback, "wb") as handle:
        handle.write(previous)
    # it becomes PATH when the rollback runs
    os.chmod(rollback, 0o644)
    rc, out, err = module.run_command(
        [
            systemd_run,
            "--unit",
            unit,
            "--on-active",
            "%ds" % module.params["rollback_after"],
            "--timer-property",
            "AccuracySec=1s",
            "--description",
            "restore the previous nftables rules of " + path,
            "/bin/sh",
            "-c",
            'mv -f "$1" "$2" && exec "$3" -f "$2"',
            "sh",
            rollback,
            path,
            nft_binary,
        ]
    )
    if rc != 0:
        os.unlink(rollback)
        module.fail_json(msg="could not schedule the rollback with systemd-run: %s" % (err or out).strip())
    return rollback


def cancel_rollback(module, unit, rollback):
    systemctl = module.get_bin_path("systemctl")
    if systemctl:
        module.run_command([systemctl, "stop", unit + ".timer"])
    if rollback and os.path.exists(rollback):
        os.unlink(rollback)


def cancel_pending_rollback(module, unit, path):
    """Stop this table's pending rollback, if there is one; True when there was."""
    systemctl = module.get_bin_path("systemctl")
    if systemctl is None or not os.path.isdir("/run/systemd/system"):
        return False
    dummy_rc, out, dummy = module.run_command([systemctl, "is-active", unit + ".timer"])
    if out.strip() not in ("active", "activating"):
        return False
    cancel_rollback(module, unit, rollback_path(path))
    return True


def previous_state(table, listing):
    """A file that puts the live table back as it is now (or removes it, when there is none)."""
    text = render_removal(table)
    if listing:
        text += listing if listing.endswith("\n") else listing + "\n"
    return text.encode("utf-8")


def loader(module, nft, table, listing, path, result):
    """``apply`` for replace_tested: loads the tested file into the kernel, scheduling the rollback first."""
    unit = rollback_unit_name(table)

    def load(candidate):
        rollback = None
        if module.params["rollback_after"] > 0:
            rollback = schedule_rollback(module, nft.binary, unit, path, previous_state(table, listing))
            result["rollback_unit"] = unit
        ok, output = nft.load(candidate)
        if not ok:
            cancel_rollback(module, unit, rollback)
            module.fail_json(
                msg="nft could not load the rules; the previous table and file stay: %s" % output,
                nft_error=output,
                **{**result, "rollback_unit": ""},
            )

    return load


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    try:
        table = validate_table_name(params["table"])
        if params["state"] == "present":
            if params["rules"] is None:
                module.fail_json(msg="rules: is required with state=present", field="rules")
            normalized = normalize_allowlist(dict((key, params[key]) for key in ALLOWLIST_OPTIONS))
            content, digest = render_allowlist(normalized), rules_digest(normalized)
        else:
            content, digest = render_removal(table), ""
    except ValueRefused as exc:
        module.fail_json(msg=str(exc), field=exc.field)
    if params["rollback_after"] < 0:
        module.fail_json(
            msg="rollback_after: %d is below the minimum 0" % params["rollback_after"], field="rollback_after"
        )
    path = params["path"] or "/etc/nftables.d/%s.nft" % table
    directory = os.path.dirname(path)
    present = params["state"] == "present"
    encoded = content.encode("utf-8")

    nft = Nft(module)
    before = read_bytes(path)
    listing = nft.listing(table) if nft.binary else None
    file_changed = (before != encoded) if present else before is not None
    table_changed = (live_digest(listing) != digest) if present else listing is not None
    if nft.binary is None and not module.check_mode:
        nft.require()

    result = dict(
        path=path,
        content=content,
        digest=digest,
        table_changed=table_changed,
        rollback_unit="",
        rollback_cancelled=False,
        changed=file_changed or table_changed,
    )
    if module._diff:
        result["diff"] = [
            {
                "before_header": path if before is not None else "%s (absent)" % path,
                "after_header": path if present else "%s (absent)" % path,
                "before": (before or b"").decode("utf-8", "replace"),
                "after": content if present else "",
            }
        ]
    if module.check_mode:
        module.exit_json(**result)
    if not result["changed"]:
        # connected again, and the table is as wanted: the new rules stay
        result["rollback_cancelled"] = cancel_pending_rollback(module, rollback_unit_name(table), path)
        result["changed"] = result["rollback_cancelled"]
        module.exit_json(**result)
    if present and not os.path.isdir(directory):
        module.fail_json(msg="directory %s does not exist (needed for %s)" % (directory, path))

    outcome = REPLACE if present and file_changed else REMOVE if not present else KEEP
    finish_write(
        module,
        result,
        lambda: replace_tested(
            module,
            path,
            encoded,
            lambda candidate: nft.load(candidate, check=True),
            0o644,
            params["backup"],
            ".dumbflix-nft.",
            apply=loader(module, nft, table, listing, path, result) if table_changed else None,
            outcome=outcome,
        ),
        "nft -c refused the rendered rules",
        "nft_error",
    )


if __name__ == "__main__":
    main()
