# -*- coding: utf-8 -*-
# Copyright: dumbflix.stack maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inventory -> one proxy's floating-address settings, checked on the controller.

- ``keepalived_vrrp``: the options of the ``keepalived_vrrp`` module for one proxy, from the
  proxy group: its own address and interface, its peers (the other proxies), its priority
  (``keepalived_priority``, or by inventory order), and the settings every proxy must share.
- ``vrrp_addresses``: every proxy's VRRP address, the sources the proxies' firewall admits
  VRRP from.

The value rules are the module's (module_utils/keepalived_conf.py); these filters only say
where a bad value came from: ``host proxy2: dumbflix_vip: '10.0.0.5/24' is not on the
network of unicast_src 172.30.239.13 ...``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.dumbflix.stack.plugins.module_utils.keepalived_conf import normalize_vrrp, parse_ipv4
from ansible_collections.dumbflix.stack.plugins.module_utils.values import ValueRefused, parse_int
from ansible_collections.dumbflix.stack.plugins.plugin_utils.inventory import (
    default_ipv4,
    group_hosts,
    host_vars,
    primary_ipv4,
)

# The module's options as the inventory names them: a refusal names the variable the user set.
VARIABLES = dict(
    virtual_address="dumbflix_vip",
    interface="keepalived_interface",
    unicast_src="keepalived_address",
    priority="keepalived_priority",
    virtual_router_id="keepalived_virtual_router_id",
    advert_int="keepalived_advert_int",
    auth_pass="keepalived_auth_pass",
    preempt="keepalived_preempt",
    instance="keepalived_instance",
    track_command="keepalived_check_command",
    track_interval="keepalived_check_interval",
    track_timeout="keepalived_check_timeout",
    track_fall="keepalived_check_fall",
    track_rise="keepalived_check_rise",
    script_user="keepalived_script_user",
)
# Settings that must be the same on every proxy sharing the address.
SHARED = ("dumbflix_vip", "keepalived_virtual_router_id", "keepalived_advert_int", "keepalived_auth_pass")
# keepalived_priority 0 means "by inventory order": the first proxy FIRST_PRIORITY, each next one STEP lower.
FIRST_PRIORITY = 200
STEP = 10


def _address(hv, proxy):
    own = hv.get("keepalived_address")
    address = own or primary_ipv4(hv, proxy, "keepalived_address")
    try:
        return str(parse_ipv4(address, "keepalived_address" if own else "ansible_default_ipv4.address"))
    except ValueRefused as exc:
        raise AnsibleFilterError("host %s: %s" % (proxy, exc)) from None


def _refused(exc, host):
    field = exc.field or ""
    name, dot, rest = field.partition("[")
    variable = VARIABLES.get(name, name)
    renamed = exc.renamed(variable + dot + rest) if exc.field else exc
    return AnsibleFilterError("host %s: %s" % (host, renamed))


def vrrp_addresses(proxy_hosts, hostvars, group="proxy"):
    """Every proxy's VRRP address (``keepalived_address``, or its primary IPv4), in inventory order, each once."""
    addresses = []
    for proxy in group_hosts(proxy_hosts, group):
        address = _address(host_vars(hostvars, proxy, group), proxy)
        if address not in addresses:
            addresses.append(address)
    return addresses


def keepalived_vrrp(proxy_hosts, hostvars, options, host, group="proxy"):
    """The checked options of the keepalived_vrrp module for ``host``, one of ``proxy_hosts``; ``{}`` without a VIP.

    ``options`` holds ``host``'s own settings, keyed by inventory variable (``dumbflix_vip``,
    ``keepalived_priority``, ...). Every proxy must share the settings in :data:`SHARED`.
    """
    proxies = group_hosts(proxy_hosts, group)
    if host not in proxies:
        raise AnsibleFilterError(
            "host %s: is not in the %s group, whose hosts share the floating address" % (host, group)
        )
    if not isinstance(options, Mapping):
        raise AnsibleFilterError("host %s: keepalived options: expected a mapping, got %r" % (host, options))
    own = host_vars(hostvars, host, group)
    for proxy in proxies:
        if proxy == host:
            continue
        other = host_vars(hostvars, proxy, group)
        for variable in SHARED:
            if other.get(variable, options.get(variable)) != options.get(variable):
                # the password is never shown
                shown = (
                    ""
                    if variable == "keepalived_auth_pass"
                    else " (%r on %s, %r here)" % (other.get(variable), proxy, options.get(variable))
                )
                raise AnsibleFilterError(
                    "host %s: %s differs from %s's%s: every host of the %s group must share it (set it in "
                    "group_vars)" % (host, variable, proxy, shown, group)
                )
    if not options.get("dumbflix_vip"):
        # no floating address anywhere (a proxy with one and one without was refused above)
        return {}
    priority = options.get("keepalived_priority", 0)
    try:
        priority = parse_int(priority, "keepalived_priority", 0, 254)
    except ValueRefused as exc:
        raise AnsibleFilterError("host %s: %s" % (host, exc)) from None
    if priority == 0:
        priority = max(FIRST_PRIORITY - STEP * proxies.index(host), 1)
    src = _address(own, host)
    interface = options.get("keepalived_interface") or default_ipv4(own, "interface")
    if not interface:
        raise AnsibleFilterError(
            "host %s: keepalived_interface: not set, and the host has no primary IPv4 interface in its facts "
            "(ansible_default_ipv4.interface): gather facts or set keepalived_interface" % host
        )
    peers = [address for address in vrrp_addresses(proxies, hostvars, group) if address != src]
    module_options = dict((option, options[variable]) for option, variable in VARIABLES.items() if variable in options)
    module_options.update(interface=interface, unicast_src=src, unicast_peers=peers, priority=priority)
    try:
        normalized = normalize_vrrp(module_options)
    except ValueRefused as exc:
        raise _refused(exc, host) from None
    # checked, but not returned: a fact holding it would be printed by -v
    del normalized["auth_pass"]
    return normalized


class FilterModule(object):
    """dumbflix.stack keepalived filters."""

    def filters(self):
        return {"keepalived_vrrp": keepalived_vrrp, "vrrp_addresses": vrrp_addresses}
