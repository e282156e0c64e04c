# -*- coding: utf-8 -*-
# Copyright: dumbflix.stack maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inventory -> the sources a host's firewall lets in (the proxies, the monitor hosts), checked on the controller.

The address rules are the module's (module_utils/nftables_allowlist.py); this filter only
says where a bad value came from: ``host proxy2: firewall_proxy_addresses[0]: 'lb2' is not
an IP address or network``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


from ansible.errors import AnsibleFilterError

from ansible_collections.dumbflix.stack.plugins.module_utils.nftables_allowlist import normalize_source
from ansible_collections.dumbflix.stack.plugins.module_utils.values import ValueRefused, item_field
from ansible_collections.dumbflix.stack.plugins.plugin_utils.inventory import group_hosts, host_vars, primary_ipv4


def _checked(value, field, host):
    try:
        network = normalize_source(value, field)
    except ValueRefused as exc:
        raise AnsibleFilterError("host %s: %s" % (host, exc)) from None
    return str(network.network_address) if network.prefixlen == network.max_prefixlen else str(network)


def _addresses(value, variable, host):
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise AnsibleFilterError("host %s: %s: %r is not a list of IP addresses or networks" % (host, variable, value))
    return list(value)


def _own(value, variable, host, single):
    """A host's own addresses: a list, or with ``single`` one address (a string, no network)."""
    if not single:
        own = _addresses(value, variable, host)
        return [_checked(item, item_field(variable, index), host) for index, item in enumerate(own)]
    if value in (None, ""):
        return []
    address = _checked(value, variable, host)
    if "/" in address:
        raise AnsibleFilterError("host %s: %s: %r is a network, not the host's address" % (host, variable, value))
    return [address]


def firewall_sources(
    proxy_hosts,
    hostvars,
    extra=None,
    host=None,
    group="proxy",
    variable="firewall_proxy_addresses",
    extra_variable="firewall_extra_sources",
    single=False,
    required=True,
):
    """The checked sources allowed in: every host's addresses, then ``extra``.

    Per host of ``proxy_hosts`` (the proxies; the monitor hosts for the exporters): its ``variable`` (a list,
    or with ``single`` one address) or, when that is empty, its fact ``ansible_default_ipv4.address``.
    ``extra`` belongs to ``host`` (the host the rule is on). An empty ``proxy_hosts`` is refused unless
    ``required`` is false. Returns address strings, in inventory order, each once.
    """
    hosts = group_hosts(
        proxy_hosts,
        group,
        "the firewall lets only its hosts reach the port it guards, so nothing could; "
        "add hosts to %s or set dumbflix_firewall: false" % group
        if required
        else None,
    )
    sources = []
    for name in hosts:
        hv = host_vars(hostvars, name, group)
        own = _own(hv.get(variable), variable, name, single)
        if own:
            sources += own
            continue
        sources.append(_checked(primary_ipv4(hv, name, variable), "ansible_default_ipv4.address", name))
    extra = _addresses(extra, extra_variable, host)
    sources += [_checked(value, item_field(extra_variable, index), host) for index, value in enumerate(extra)]
    unique = []
    for source in sources:
        if source not in unique:
            unique.append(source)
    return unique


class FilterModule(object):
    """dumbflix.stack firewall filters."""

    def filters(self):
        return {"firewall_sources": firewall_sources}
