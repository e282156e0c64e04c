#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dumbflix.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: keepalived_vrrp
short_description: keepalived's configuration for one floating address shared by several hosts over unicast VRRP
version_added: 0.1.0
description:
  - Writes the whole of keepalived's configuration file (O(path)) for one VRRP instance that holds
    O(virtual_address) on one of the hosts that share it. Every host is C(state BACKUP); the one with the highest
    O(priority) takes the address when nobody holds it, and with O(preempt=false) a host that comes back never
    takes it from a healthy holder.
  - VRRP adverts go from O(unicast_src) to O(unicast_peers) only, because multicast is unreliable on cloud networks
    and container bridges.
  - With O(track_command), keepalived runs that check every O(track_interval) seconds as O(script_user) (with
    C(enable_script_security)); O(track_fall) failures in a row put the instance in FAULT, and the host gives the
    address up whatever its priority.
  - Every value is checked before anything is touched (a refusal names the option); nothing is pasted into the
    file as given. Like M(ansible.builtin.blockinfile) the file is rendered in memory, compared, written only when
    it changed and not in check mode, optionally backed up, checked with C(keepalived --config-test) as a
    temporary file and moved into place atomically. Reloading keepalived is the caller's (a handler).
author:
  - dumbflix.stack maintainers (!UNKNOWN)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - dumbflix.stack.managed_file
attributes:
  check_mode:
    support: full
    details: Reports the change and its diff; writes nothing and does not run C(keepalived --config-test).
  diff_mode:
    support: full
    details: The file before and after, the password (if any) shown as C(********) on both sides.
  platform:
    support: full
    platforms: posix
options:
  instance:
    description: Name of the VRRP instance (its check is C(INSTANCE_check)); one word.
    type: str
    default: dumbflix
  router_id:
    description: keepalived's C(router_id) for this host (its logs and SNMP); empty leaves keepalived's default, the host name.
    type: str
    default: ""
  interface:
    description: The network interface that holds O(virtual_address) and sends the adverts, e.g. V(eth0). Required.
    type: str
  virtual_address:
    description:
      - The floating IPv4 address with its prefix length, V(192.168.239.100/24); it must be on the network of
        O(unicast_src) and be nobody's own address. Required.
    type: str
  virtual_router_id:
    description: The VRRP router id, 1-255, the same on every host sharing the address and unique on the network.
    type: raw
    default: 51
  priority:
    description: This host's priority, 1-254 (255 is the address owner's); the highest healthy host takes the address. Required.
    type: raw
  advert_int:
    description: Seconds between adverts. A holder that stops sending is replaced after about three of them.
    type: raw
    default: 1
  unicast_src:
    description: This host's own IPv4 address, the source of its adverts. Required.
    type: str
  unicast_peers:
    description: The other hosts' IPv4 addresses (not this host's, not the floating address, each once).
    type: list
    elements: raw
    default: []
  auth_pass:
    description:
      - VRRPv2 simple password authentication (C(auth_type PASS)), 1-8 letters, digits or C(_.,:+=@%-);
        empty means none. It is sent in clear text and keeps stray VRRP traffic of other setups out, it does not
        secure anything (a firewall that admits VRRP from the peers only does).
    type: str
    default: ""
  preempt:
    description:
      - Whether a host with a higher priority takes the address back from a healthy holder when it comes back.
        The default, V(false) (C(nopreempt)), moves the address only when its holder fails.
    type: raw
    default: false
  track_command:
    description:
      - The check, as the program's absolute path and its arguments, e.g.
        V([/usr/bin/curl, --silent, --output, /dev/null, --max-time, "1", "http://127.0.0.1:80/"]). Exit status 0 is
        healthy. Empty means no check.
    type: list
    elements: str
    default: []
  track_interval:
    description: Seconds between two checks.
    type: raw
    default: 1
  track_timeout:
    description: Seconds a check may take before it counts as failed; at most O(track_interval) x O(track_fall).
    type: raw
    default: 2
  track_fall:
    description: Failed checks in a row that put the instance in FAULT (the address goes elsewhere).
    type: raw
    default: 2
  track_rise:
    description: Passed checks in a row that take it out of FAULT again.
    type: raw
    default: 2
  script_user:
    description: The user the check runs as; it must exist on the host.
    type: str
    default: keepalived_script
  path:
    description: keepalived's configuration file.
    type: path
    default: /etc/keepalived/keepalived.conf
  state:
    description: V(absent) removes O(path) when this module wrote it (its first line says so); another file is left alone, with a warning.
  keepalived_binary:
    description: The keepalived command used for C(--config-test), a name looked up in PATH and C(/usr/sbin), or an absolute path.
    type: str
    default: keepalived
notes:
  - Needs keepalived 2.x and, in a container, C(--cap-add NET_ADMIN).
  - keepalived 2.2.7 (Debian 12) ends every C(--config-test) of a file with a C(vrrp_script) by signalling itself;
    the module then passes the file only when keepalived printed no complaint about it.
seealso:
  - name: keepalived.conf(5)
    description: The VRRP instance and script options this module writes.
    link: https://keepalived.org/manpage.html
"""

EXAMPLES = r"""
- name: The floating address, held by one of two load balancers
  dumbflix.stack.keepalived_vrrp:
    interface: eth0
    virtual_address: 192.168.239.100/24
    priority: 200
    unicast_src: 192.168.239.134
    unicast_peers: [192.168.239.136]
    track_command: [/usr/bin/curl, --silent, --output, /dev/null, --max-time, "1", "http://127.0.0.1:80/"]
  notify: reload keepalived
"""

RETURN = r"""
path:
  description: The configuration file.
  returned: always
  type: str
  sample: /etc/keepalived/keepalived.conf
content:
  description: The rendered file, with the password (if any) shown as C(********).
  returned: always
  type: str
backup_file:
  description: The backup copy of the previous file, when O(backup=true) and it changed.
  returned: changed and O(backup=true) and a previous file existed
  type: str
config_error:
  description: keepalived's output when it refused the rendered file.
  returned: failure
  type: str
"""

import os
import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dumbflix.stack.plugins.module_utils.keepalived_conf import (
    MARKER,
    VRRP_OPTIONS,
    config_test_passed,
    normalize_vrrp,
    render_vrrp,
)
from ansible_collections.dumbflix.stack.plugins.module_utils.managed_file import (
    MANAGED_FILE_ARGS,
    finish_write,
    read_bytes,
    remove,
    replace_tested,
)
from ansible_collections.dumbflix.stack.plugins.module_utils.values import ValueRefused

ARGUMENT_SPEC = dict(
    VRRP_OPTIONS,
    path=dict(type="path", default="/etc/keepalived/keepalived.conf"),
    keepalived_binary=dict(type="str", default="keepalived"),
    **MANAGED_FILE_ARGS,
)


_AUTH_PASS_LINE_RE = re.compile(r"^(\s*auth_pass\s+)\S+", re.M)


def masked(text):
    """The file as shown in results and diffs: every password replaced (a changed one shows as no change)."""
    return _AUTH_PASS_LINE_RE.sub(r"\g<1>********", text)


def config_test(module):
    """``keepalived --config-test`` of a candidate file, as ``replace_tested`` calls it (fails when keepalived is missing)."""
    name = module.params["keepalived_binary"]
    binary = name if os.sep in name else module.get_bin_path(name, opt_dirs=["/usr/sbin", "/sbin"])
    if not binary or not os.access(binary, os.X_OK):
        module.fail_json(msg="keepalived_binary %r was not found: install the keepalived package" % name)

    def test(candidate):
        rc, out, err = module.run_command([binary, "--config-test", "--use-file", candidate])
        # keepalived exits 0 for a file it could not read: only the candidate's own test counts
        return config_test_passed(rc, out, err), (err or out or "keepalived exited with %d" % rc).strip()

    return test


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    path = params["path"]
    present = params["state"] == "present"
    try:
        normalized = normalize_vrrp(dict((key, params[key]) for key in VRRP_OPTIONS)) if present else None
    except ValueRefused as exc:
        module.fail_json(msg=str(exc), field=exc.field)
    content = render_vrrp(normalized) if present else ""
    before = read_bytes(path)
    if before is not None:
        before = before.decode("utf-8", "replace")
    if not present and before is not None and not before.startswith(MARKER):
        # someone else's keepalived: not ours to remove
        module.warn(
            "%s was not written by dumbflix.stack.keepalived_vrrp (its first line is not %r): left alone"
            % (path, MARKER)
        )
        before = None
    changed = (before != content) if present else before is not None
    result = dict(path=path, content=masked(content), changed=changed)
    if module._diff:
        result["diff"] = [
            {
                "before_header": path if before is not None else "%s (absent)" % path,
                "after_header": path if present else "%s (absent)" % path,
                "before": masked(before or ""),
                "after": result["content"],
            }
        ]
    if module.check_mode or not changed:
        module.exit_json(**result)

    directory = os.path.dirname(path)
    if present and not os.path.isdir(directory):
        module.fail_json(
            msg="directory %s does not exist (needed for %s): install keepalived first" % (directory, path)
        )

    def write():
        if not present:
            return remove(module, path, params["backup"])
        # the password is in it: root only, also while it is a candidate
        return replace_tested(
            module, path, content.encode("utf-8"), config_test(module), 0o600, params["backup"], ".dumbflix-keepalived."
        )

    finish_write(module, result, write, "keepalived --config-test refused the rendered file", "config_error")


if __name__ == "__main__":
    main()
