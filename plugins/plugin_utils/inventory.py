# -*- coding: utf-8 -*-
# Copyright: dumbflix.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading the inventory the filters are given: a group's host names, a host's vars, its primary IPv4 facts.

Controller-side code shared by the filters that build something from a group (the load balancer's servers,
the firewall's sources, keepalived's peers), so that a group that is not a list, an empty group and a host
without hostvars are refused in the same words whichever filter meets them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError


def group_hosts(value, group, when_empty=None):
    """The host names ``groups[group]`` gave, as a list.

    Refuses what is not a list of names; an empty group too when ``when_empty`` says why it can't be empty
    (the message then says the group has no hosts, followed by ``when_empty``).
    """
    if value is None or isinstance(value, (str, bytes, Mapping)):
        raise AnsibleFilterError("the %s group: expected a list of host names, got %r" % (group, value))
    hosts = list(value)
    if not hosts and when_empty:
        raise AnsibleFilterError("the %s group has no hosts: %s" % (group, when_empty))
    return hosts


def host_vars(hostvars, host, group):
    """``hostvars[host]`` of a host of ``group``; refused, naming both, when the inventory has none for it."""
    try:
        return hostvars[host]
    except KeyError:
        raise AnsibleFilterError("host %s: is in the %s group but has no hostvars" % (host, group)) from None


def default_ipv4(vars_of_host, key="address"):
    """``key`` of the host's gathered ``ansible_default_ipv4`` fact, or None when the facts don't have it."""
    facts = vars_of_host.get("ansible_default_ipv4")
    return facts.get(key) if isinstance(facts, Mapping) else None


def primary_ipv4(vars_of_host, host, variable):
    """The host's primary IPv4 from its facts, for a ``variable`` the user left unset; refused saying what to do."""
    address = default_ipv4(vars_of_host)
    if not address:
        raise AnsibleFilterError(
            "host %s: %s: not set, and the host has no primary IPv4 in its facts (ansible_default_ipv4.address): "
            "gather facts for %s or set %s" % (host, variable, host, variable)
        )
    return address
