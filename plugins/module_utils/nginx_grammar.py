# -*- coding: utf-8 -*-
# Copyright: dumbflix.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The grammar of the values dumbflix.stack writes into nginx files, and their validators.

Every user value that ends up in a rendered file first passes one of the
``validate_*`` functions below.  Each accepts only a narrow, documented
grammar that cannot contain nginx syntax (``;``, ``{``, ``}``, quotes,
backslashes, ``#``, whitespace or control characters), so nothing a user
writes is ever pasted raw into a configuration file and no value needs
quoting.

Refusals raise :class:`NginxConfigError`, whose message always starts with the
field path, then the offending value, then the reason, e.g.::

    servers[1].fail_timeout: 'abc' is not an nginx time (e.g. 10, 30s, 500ms, 1m)

Callers that know more context (a host name, an inventory variable) may
rename the field: ``host app2: lb_backend.weight: 0 is below the minimum 1``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools
import ipaddress
import re

from ansible_collections.dumbflix.stack.plugins.module_utils.values import (
    ValueRefused,
    parse_bool,
    parse_int,
    parse_port,
)

# Largest count nginx stores in a 32-bit signed int on every platform.
MAX_INT32 = 2147483647
# Times are capped so they fit a 32-bit millisecond timer (about 24.8 days).
MAX_TIME_MS = 2147483647
# sockaddr_un.sun_path holds 108 bytes including the terminating NUL.
MAX_UNIX_PATH = 107

_TIME_UNITS_MS = {
    "ms": 1,
    "s": 1000,
    "m": 60000,
    "h": 3600000,
    "d": 86400000,
    "w": 7 * 86400000,
    "M": 30 * 86400000,
    "y": 365 * 86400000,
}
_TIME_RE = re.compile(r"([0-9]+)(ms|s|m|h|d|w|M|y)?\Z")
_SIZE_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
_SIZE_RE = re.compile(r"([0-9]+)([kKmMgG]?)\Z")
_IDENTIFIER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")
_LABEL_RE = re.compile(r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?\Z")
_PATH_RE = re.compile(r"/[A-Za-z0-9_.@+,=/-]*\Z")
_URL_PATH_RE = re.compile(r"/[A-Za-z0-9_.~/-]*\Z")
_HASH_KEY_RE = re.compile(r"(?:[A-Za-z0-9_.:/@-]|\$[A-Za-z_][A-Za-z0-9_]*)+\Z")
# Characters that would end a token, open/close a block, start a comment,
# quote or escape something in nginx's configuration grammar.
_SYNTAX_CHARS = frozenset(";{}\"'\\#`")


class NginxConfigError(ValueRefused):
    """A value refused by the nginx grammar (or by an nginx block's cross-field rules)."""


# The collection's one bool/int/port parser, raising NginxConfigError like every nginx check.
validate_bool = functools.partial(parse_bool, error=NginxConfigError)
validate_int = functools.partial(parse_int, error=NginxConfigError)
validate_port = functools.partial(parse_port, error=NginxConfigError)


def check_no_syntax(value, field):
    """Refuse a string holding any character that could smuggle nginx syntax.

    Refused: ``; { } " ' \\ # ```, whitespace (including newlines) and every
    other control or non-ASCII character.  Returns the value unchanged.
    """
    for char in value:
        if char in _SYNTAX_CHARS or char.isspace() or ord(char) < 32 or ord(char) > 126:
            raise NginxConfigError(field, value, "contains %r, which is not allowed in an nginx value" % (char,))
    return value


def _require_string(value, field, what):
    if not isinstance(value, str):
        raise NginxConfigError(field, value, "is not %s (expected a string)" % what)
    if value == "":
        raise NginxConfigError(field, value, "is empty; expected %s" % what)
    return check_no_syntax(value, field)


def _number_and_unit(value, field, pattern, not_this):
    """Split an int or a ``<digits><unit>`` string (nginx time or size) into (int, unit).

    Booleans and other types, strings carrying nginx syntax, and text ``pattern``
    does not match are refused with ``not_this`` as the reason.
    """
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise NginxConfigError(field, value, not_this)
    text = str(value) if isinstance(value, int) else (check_no_syntax(value, field) if value else value)
    match = pattern.match(text)
    if not match:
        raise NginxConfigError(field, value, not_this)
    return int(match.group(1)), match.group(2) or ""


def validate_time(value, field, seconds_only=False, allow_zero=True):
    """Return an nginx time as a normalized string (``'10'``, ``'30s'``, ``'500ms'``).

    A time is a whole number with an optional unit (ms, s, m, h, d, w, M, y;
    no unit means seconds); an int is taken as seconds.  ``seconds_only``
    refuses milliseconds for directives nginx parses in whole seconds (such
    as an upstream server's ``fail_timeout``).  Times above 2147483647 ms
    (about 24.8 days) are refused so the value fits every nginx timer.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        raise NginxConfigError(field, value, "is negative; an nginx time must be 0 or more")
    number, unit = _number_and_unit(value, field, _TIME_RE, "is not an nginx time (e.g. 10, 30s, 500ms, 1m)")
    if seconds_only and unit == "ms":
        raise NginxConfigError(
            field, value, "is in milliseconds, but nginx reads this value in whole seconds (e.g. 10, 30s, 1m)"
        )
    if number * _TIME_UNITS_MS[unit or "s"] > MAX_TIME_MS:
        raise NginxConfigError(field, value, "is above the maximum nginx time 2147483647ms (about 24 days)")
    if number == 0 and not allow_zero:
        raise NginxConfigError(field, value, "must be greater than 0")
    return "%d%s" % (number, unit)


def validate_size(value, field):
    """Return an nginx size (``0``, ``512``, ``10k``, ``1m``, ``2g``) as a normalized string."""
    number, unit = _number_and_unit(value, field, _SIZE_RE, "is not an nginx size (e.g. 0, 512k, 1m, 2g)")
    unit = unit.lower()
    if number > (2**63 - 1) // _SIZE_UNITS[unit]:
        raise NginxConfigError(field, value, "is larger than nginx can store")
    return "%d%s" % (number, unit)


def size_bytes(size):
    """The number of bytes of a size :func:`validate_size` returned."""
    number, unit = _SIZE_RE.match(size).groups()
    return int(number) * _SIZE_UNITS[unit]


def validate_identifier(value, field):
    """Return an nginx identifier (upstream name, site name): ``[A-Za-z_][A-Za-z0-9_.-]*``."""
    _require_string(value, field, "a name")
    if len(value) > 128:
        raise NginxConfigError(field, value, "is longer than 128 characters")
    if not _IDENTIFIER_RE.match(value):
        raise NginxConfigError(
            field, value, "is not a valid name (start with a letter or '_', then letters, digits, '_', '.' or '-')"
        )
    return value


def _hostname(value, field, what):
    """Validate an RFC 1123 host name (underscores tolerated) and return it lowercased."""
    name = value.lower()
    if len(name) > 253:
        raise NginxConfigError(field, value, "is longer than 253 characters, the limit for %s" % what)
    labels = name.split(".")
    for label in labels:
        if not label:
            raise NginxConfigError(field, value, "has an empty label; it is not a valid %s" % what)
        if len(label) > 63 or not _LABEL_RE.match(label):
            raise NginxConfigError(
                field,
                value,
                "is not a valid %s (labels of letters, digits, '-' or '_', at most 63 characters, "
                "not starting or ending with '-')" % what,
            )
    if re.match(r"[0-9]+\Z", labels[-1]):
        raise NginxConfigError(field, value, "is neither a valid IPv4 address nor a %s" % what)
    return name


def _ipv4(value, field):
    try:
        return str(ipaddress.IPv4Address(value))
    except ValueError:
        raise NginxConfigError(field, value, "is not a valid IPv4 address") from None


def _ipv6(text, value, field):
    if "%" in text:
        raise NginxConfigError(field, value, "has an IPv6 zone index ('%'), which nginx does not accept here")
    try:
        return ipaddress.IPv6Address(text).compressed
    except ValueError:
        raise NginxConfigError(field, value, "is not a valid IPv6 address") from None


def validate_host(value, field, allow_unix=False):
    """Validate a backend address and return ``(kind, normalized)``.

    ``kind`` is ``'ipv4'``, ``'ipv6'`` (normalized without brackets),
    ``'hostname'`` (lowercased) or ``'unix'`` (``unix:/absolute/path``, only
    when ``allow_unix``).
    """
    _require_string(value, field, "an address")
    if value.startswith("unix:"):
        if not allow_unix:
            raise NginxConfigError(field, value, "is a unix socket, which is not allowed here")
        path = value[5:]
        if not _PATH_RE.match(path):
            raise NginxConfigError(
                field,
                value,
                "is not a valid unix socket (expected unix:/absolute/path of letters, digits and _ . @ + , = / -)",
            )
        if len(path) > MAX_UNIX_PATH:
            raise NginxConfigError(field, value, "has a socket path longer than %d bytes" % MAX_UNIX_PATH)
        return "unix", "unix:" + path
    if value.startswith("[") or value.endswith("]"):
        if not (value.startswith("[") and value.endswith("]")):
            raise NginxConfigError(field, value, "is not a valid IPv6 address")
        return "ipv6", _ipv6(value[1:-1], value, field)
    if ":" in value:
        return "ipv6", _ipv6(value, value, field)
    if re.match(r"[0-9.]+\Z", value):
        return "ipv4", _ipv4(value, field)
    return "hostname", _hostname(value, field, "host name")


def validate_server_name(name, field):
    """Return a normalized (lowercased) nginx ``server_name`` entry.

    Accepted: host names, IPv4 addresses, ``localhost``, the catch-all ``_``,
    a leading wildcard label (``*.example.com``), a trailing wildcard label
    (``www.example.*``) and nginx's ``.example.com`` shorthand.  Regular
    expressions (``~...``) are refused.
    """
    _require_string(name, field, "a server name")
    if name.startswith("~"):
        raise NginxConfigError(field, name, "is a regular expression; only host names and wildcards are supported")
    if name == "_":
        return name
    if re.match(r"[0-9.]+\Z", name):
        return _ipv4(name, field)
    rest, prefix, suffix = name, "", ""
    if rest.startswith("*."):
        prefix, rest = "*.", rest[2:]
    elif rest.startswith(".") and len(rest) > 1:
        prefix, rest = ".", rest[1:]
    if rest.endswith(".*") and not prefix:
        suffix, rest = ".*", rest[:-2]
    if "*" in rest:
        raise NginxConfigError(
            field,
            name,
            "has a misplaced '*'; a wildcard must be the whole first label (*.example.com) or last label (www.example.*)",
        )
    if suffix:
        labels = rest.lower().split(".")
        for label in labels:
            if not label or len(label) > 63 or not _LABEL_RE.match(label):
                raise NginxConfigError(field, name, "is not a valid server name")
        return rest.lower() + suffix
    return prefix + _hostname(rest, field, "server name")


def validate_path(value, field):
    """Return an absolute file path made only of letters, digits and ``_ . @ + , = / -``."""
    _require_string(value, field, "a path")
    if not _PATH_RE.match(value) or value.endswith("/"):
        raise NginxConfigError(
            field, value, "is not an absolute file path of letters, digits and _ . @ + , = / - (not ending in '/')"
        )
    return value


def validate_hash_key(value, field):
    """Return an upstream ``hash`` key: text and ``$variables`` such as ``$request_uri``."""
    _require_string(value, field, "a hash key")
    if not _HASH_KEY_RE.match(value):
        raise NginxConfigError(
            field, value, "is not a valid hash key (letters, digits, _ . : / @ - and $variables such as $request_uri)"
        )
    return value


def _embedded_port(port, value, field):
    """Validate the port part of a larger value (the one port rule, values.parse_port); errors show the whole value."""
    try:
        return validate_port(port, field)
    except NginxConfigError:
        raise NginxConfigError(field, value, "has port %r; a port is an integer from 1 to 65535" % port) from None


def validate_listen(value, field):
    """Return a ``listen`` address: a port, ``IPv4:port``, ``*:port`` or ``[IPv6]:port``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(validate_port(value, field))
    _require_string(value, field, "a port or address:port")
    if re.match(r"[0-9]+\Z", value):
        return str(validate_port(value, field))
    match = re.match(r"(\*|[0-9.]+|\[[^\]]*\]):([0-9]+)\Z", value)
    if not match:
        raise NginxConfigError(field, value, "is not a port, IPv4:port, *:port or [IPv6]:port")
    host, port = match.group(1), _embedded_port(match.group(2), value, field)
    if host.startswith("["):
        host = "[%s]" % _ipv6(host[1:-1], value, field)
    elif host != "*":
        host = _ipv4(host, field)
    return "%s:%d" % (host, port)


def validate_backend_url(value, field):
    """Return a normalized ``http://`` or ``https://`` backend URL (host, optional port and path)."""
    _require_string(value, field, "a URL")
    match = re.match(r"(https?)://([^/]*)(/.*)?\Z", value)
    if not match:
        raise NginxConfigError(field, value, "is not an http:// or https:// URL")
    scheme, hostport, path = match.group(1), match.group(2), match.group(3) or ""
    port = None
    if hostport.startswith("["):
        end = hostport.find("]")
        host, rest = hostport[: end + 1], hostport[end + 1 :]
        if end < 0 or (rest and not rest.startswith(":")):
            raise NginxConfigError(field, value, "has a malformed [IPv6] host")
        port = rest[1:] if rest else None
    elif ":" in hostport:
        host, port = hostport.rsplit(":", 1)
    else:
        host = hostport
    if not host:
        raise NginxConfigError(field, value, "has no host")
    kind, host = validate_host(host, field)
    if kind == "ipv6":
        host = "[%s]" % host
    if port is not None:
        host = "%s:%d" % (host, _embedded_port(port, value, field))
    if path and not _URL_PATH_RE.match(path):
        raise NginxConfigError(field, value, "has a path with characters other than letters, digits and _ . ~ / -")
    return "%s://%s%s" % (scheme, host, path)
