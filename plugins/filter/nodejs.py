# -*- coding: utf-8 -*-
# Copyright: dumbflix.stack maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which Node.js major a host will run, and which one the pieces on it need.

``node_major`` reads a version as node, npm and apt print it (``v20.19.2``,
``12.22.12~dfsg-1~deb11u4``, ``18.19.0+dfsg-6~deb12u2``, NodeSource's ``20.18.1-1nodesource1``).
``node_floor`` reads the ``engines.node`` range of a package.json (npm's semver range grammar)
and returns the lowest major it admits: the oldest Node.js the package says it runs on.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.errors import AnsibleFilterError

# an apt version may carry an epoch ("1:18.19.0"); node prints a leading v
_VERSION = re.compile(r"^\s*(?:[0-9]+:)?v?([0-9]+)(?:\.|$|[^0-9])")
# one comparator of a range: an operator, then a partial version (1, 1.2, 1.2.3, with x/X/* wildcards)
_COMPARATOR = re.compile(
    r"^(<=|>=|<|>|=|\^|~>?)?\s*v?([0-9]+|[xX*])(?:\.([0-9]+|[xX*]))?(?:\.([0-9]+|[xX*]))?(?:[-+][0-9A-Za-z.+-]*)?$"
)


def node_major(version):
    """The major number of a Node.js version string; AnsibleFilterError when there is none."""
    match = _VERSION.match(str(version)) if version is not None else None
    if not match:
        raise AnsibleFilterError(
            "node_major: %r is not a Node.js version (such as v20.19.2 or 12.22.12~dfsg-1)" % (version,)
        )
    return int(match.group(1))


def _set_floor(comparators):
    """The lowest major one comparator set (space-separated, all must hold) admits, or None for no lower bound."""
    floor = None
    for comp in comparators:
        match = _COMPARATOR.match(comp)
        if not match:
            raise ValueError(comp)
        op, major, minor, dummy_patch = match.groups()
        if major in ("x", "X", "*"):
            continue
        major = int(major)
        if op in ("<", "<="):
            continue
        # >12 admits 12.0.1 when minor/patch are given; >12 alone means >=13
        low = major + 1 if op == ">" and minor is None else major
        floor = low if floor is None else max(floor, low)
    return floor


def node_floor(engines, what="engines.node"):
    """The lowest Node.js major the npm range ``engines`` admits; 0 when it sets no lower bound.

    ``what`` names the value in the error (e.g. the package.json it came from).
    """
    if engines is None:
        return 0
    text = str(engines).strip()
    if not text or text in ("*", "x", "latest"):
        return 0
    floors = []
    for alternative in text.split("||"):
        # hyphen ranges: "12 - 16" admits from 12
        alternative = re.sub(r"\s+-\s+.*$", "", alternative.strip())
        # ">= 14" is ">=14": join an operator to its version
        alternative = re.sub(r"(<=|>=|<|>|=|\^|~>?)\s+", r"\1", alternative)
        comparators = alternative.split()
        try:
            floor = _set_floor(comparators) if comparators else None
        except ValueError as exc:
            raise AnsibleFilterError(
                "%s: %r is not an npm version range (%s is not a comparator such as >=14)" % (what, engines, exc)
            ) from None
        floors.append(floor or 0)
    return min(floors)


class FilterModule(object):
    """dumbflix.stack Node.js version filters."""

    def filters(self):
        return {"node_major": node_major, "node_floor": node_floor}
