# -*- coding: utf-8 -*-
# Copyright: dumbflix.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The values every part of the collection reads the same way: booleans, integers, ports, user names.

Where a rule lives (one policy for the three modules and the filters):

- The argument spec states shape, Ansible-native types, defaults and choices.  It is
  generated from the option table in the module's module_utils file, so a default or
  a choice list is written once (a constant) even where two entry points enforce it.
- module_utils states grammar, ranges and cross-field rules (nginx values, pm2 names,
  "hash_key only with method=hash").  The filters, which have no argument spec in
  front of them, reach the same checks through the same functions, never a copy.
- An option whose refusal must name its place (``servers[1].weight``) stays ``raw``
  in the spec: Ansible's conversion error would not say which list item was wrong.

Refusals raise :class:`ValueRefused` (or a subclass: ``NginxConfigError``,
``Pm2Error``).  Its message is ``FIELD: VALUE reason`` with the value shown as
Python's repr, or ``FIELD: reason`` when there is no value (:data:`NOT_SET`).
A field is a path: ``servers[1].weight`` (see :func:`item_field`,
:func:`join_field`, :func:`split_field`).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re

# Passed as ``value`` when there is no value to show (a missing option).
NOT_SET = object()

# The words Ansible's own boolean() takes, compared case-insensitively.  Unlike
# Ansible, surrounding white space and floats are refused: nothing here is sloppy
# input a template produced by accident.
TRUE_WORDS = ("yes", "on", "true", "y", "t", "1")
FALSE_WORDS = ("no", "off", "false", "n", "f", "0")

# useradd's default NAME_REGEX (Debian's adduser is stricter still), capped at
# the 32 characters utmp keeps.
UNIX_USER_NAME_RE = re.compile(r"[a-z_][a-z0-9_-]{0,31}\Z")

_INT_RE = re.compile(r"-?[0-9]+\Z")
_FIELD_RE = re.compile(r"([^.\[]*)(?:\[([0-9]+)\])?(.*)\Z")


class ValueRefused(ValueError):
    """A user value that is refused; ``str(err)`` is the complete, user-facing message.

    ``err.field`` holds the field path, ``err.value`` the refused value (or
    :data:`NOT_SET`) and ``err.reason`` the reason alone.  ``field`` may be None
    for a refusal that is about several fields at once; the message is then the
    reason alone.
    """

    @staticmethod
    def show(value):
        """How a value appears in the message."""
        return repr(value)

    def __init__(self, field, value, reason):
        self.field = field
        self.value = value
        self.reason = reason
        parts = [] if field is None else ["%s:" % field]
        if value is not NOT_SET:
            parts.append(self.show(value))
        super(ValueRefused, self).__init__(" ".join(parts + [reason]))

    def renamed(self, field):
        """The same refusal, said about ``field`` (e.g. the inventory variable the value came from)."""
        return type(self)(field, self.value, self.reason)


def join_field(field, key):
    """``servers[1]`` + ``weight`` -> ``servers[1].weight``; no prefix when ``field`` is empty."""
    return "%s.%s" % (field, key) if field else key


def item_field(field, index):
    """``servers`` + ``1`` -> ``servers[1]``."""
    return "%s[%d]" % (field, index)


def split_field(field):
    """``servers[1].weight`` -> ``('servers', 1, '.weight')``; ``name`` -> ``('name', None, '')``."""
    name, index, rest = _FIELD_RE.match(field).groups()
    return name, None if index is None else int(index), rest


def parse_bool(value, field, error=ValueRefused):
    """Return ``value`` as a bool: a bool, 0/1, or one of the words Ansible reads as a boolean."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in TRUE_WORDS + FALSE_WORDS:
        return value.lower() in TRUE_WORDS
    raise error(field, value, "is not a boolean (use true or false)")


def parse_int(value, field, minimum=None, maximum=None, error=ValueRefused):
    """Return ``value`` as an int within ``[minimum, maximum]``.

    Accepts ints and strings of decimal digits (with an optional leading ``-``),
    as an inventory or a template gives them; refuses booleans, floats and
    anything else.
    """
    if isinstance(value, bool):
        raise error(field, value, "is a boolean, not an integer")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _INT_RE.match(value):
        number = int(value)
    else:
        raise error(field, value, "is not an integer")
    if minimum is not None and number < minimum:
        raise error(field, value, "is below the minimum %d" % minimum)
    if maximum is not None and number > maximum:
        raise error(field, value, "is above the maximum %d" % maximum)
    return number


def parse_port(value, field, error=ValueRefused):
    """Return a TCP port (1-65535) as an int."""
    return parse_int(value, field, 1, 65535, error=error)


def validate_unix_user_name(value, field, error=ValueRefused):
    """Return ``value`` if it is a portable Unix user name (see :data:`UNIX_USER_NAME_RE`)."""
    if not isinstance(value, str) or not UNIX_USER_NAME_RE.match(value):
        raise error(
            field,
            value,
            "is not a valid user name (lower-case letters, digits, '_' and '-', "
            "starting with a letter or '_', at most 32 characters)",
        )
    return value


def accepts(check, value, *args, **kwargs):
    """True if ``check(value, *args)`` takes ``value``, False if it raises :class:`ValueRefused`.

    What a Jinja test (plugins/test/) returns: the rule is the check's, the message the role's.
    """
    try:
        check(value, *args, **kwargs)
    except ValueRefused:
        return False
    return True


def with_defaults(options, table):
    """Every option of ``table`` (an argument-spec dict) with ``None`` or missing replaced by its default.

    Keys ``table`` does not know are dropped; defaults are copies, so callers may change them.
    """
    result = {}
    for key, spec in table.items():
        value = options.get(key)
        result[key] = copy.deepcopy(spec.get("default")) if value is None else value
    return result
