# -*- coding: utf-8 -*-
# Copyright: dumbflix.stack maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Made once, shipped everywhere: who makes an artifact, who packs it, who unpacks it.

The app release (dumbflix_frontend, build mode) and the pm2 install (pm2, ``pm2_ship``)
travel the same way: one host makes the artifact, a host that has it packs it into the
control node's cache, and every host that lacks it unpacks it from there. Every host
works out the same plan from what all of them have, so only a host that lacks the
artifact changes, and nothing is made while the cache or any host has it. The internal role
dumbflix.stack.ship_artefact (tasks_from: plan) is its one caller in the roles.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError


def ship_plan(hosts, have, make_host, cached=False, variable="make_host"):
    """The plan for the hosts of a play.

    ``hosts``: the hosts taking part, in inventory order; ``have``: those that have the
    artifact already; ``make_host``: the host that makes it when nobody has it;
    ``cached``: whether the control node's cache holds it; ``variable``: the variable that
    named ``make_host``, for the error when that host is not in the play.

    Returns ``have`` and ``need`` (hosts lacking it, who unpack it from the cache),
    ``make`` (true when nothing has it: ``make_host`` makes it) and ``pack_host`` (who
    packs it into the cache, or None when the cache has it or no host needs it): the
    make host after making it, or when it has it already, else the first host that has it.
    """
    hosts = list(hosts)
    have = [host for host in hosts if host in set(have)]
    need = [host for host in hosts if host not in have]
    make = not cached and not have
    if make and make_host not in hosts:
        raise AnsibleFilterError(
            "%s: %r is not a host of this play (%s), and no host and no cache has what it would make"
            % (variable, make_host, ", ".join(hosts))
        )
    if cached or not need:
        pack_host = None
    elif make or make_host in have:
        pack_host = make_host
    else:
        pack_host = have[0]
    return {"have": have, "need": need, "make": make, "pack_host": pack_host}


class FilterModule(object):
    """dumbflix.stack shipping filters."""

    def filters(self):
        return {"ship_plan": ship_plan}
