# -*- coding: utf-8 -*-
# Copyright: dumbflix.stack maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inventory -> the sources the app hosts' firewall lets in, checked on the controller.

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


def firewall_sources(
    proxy_hosts,
    hostvars,
    extra=None,
    host=None,
    group="proxy",
    variable="firewall_proxy_addresses",
    extra_variable="firewall_extra_sources",
):
    """The checked sources allowed to reach the app: every proxy's addresses, then ``extra``.

    Per proxy: its ``variable`` (a list) or, when that is empty, its fact
    ``ansible_default_ipv4.address``. ``extra`` belongs to ``host`` (the app host).
    Returns address strings, in inventory order, each once.
    """
    proxies = group_hosts(
        proxy_hosts,
        group,
        "the app hosts' firewall lets only proxies reach the app, so nothing could; "
        "add the proxies to %s or set dumbflix_firewall: false" % group,
    )
    sources = []
    for proxy in proxies:
        hv = host_vars(hostvars, proxy, group)
        own = _addresses(hv.get(variable), variable, proxy)
        if own:
            sources += [_checked(value, item_field(variable, index), proxy) for index, value in enumerate(own)]
            continue
        sources.append(_checked(primary_ipv4(hv, proxy, variable), "ansible_default_ipv4.address", proxy))
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
