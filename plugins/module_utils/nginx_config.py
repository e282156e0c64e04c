# -*- coding: utf-8 -*-
# Copyright: dumbflix.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure validation and rendering of nginx configuration values and blocks.

Nothing here touches the file system or imports AnsibleModule, so the modules,
the ``dumbflix.stack.lb_servers`` filter and the unit tests all share one copy
of the rules.

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
prefix the message: ``host app2: lb_backend.weight: 0 is below the minimum 1``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

UPSTREAM_HEADER = "# Managed by dumbflix.stack.nginx_upstream \u2014 local edits are overwritten.\n"
REVERSE_PROXY_HEADER = "# Managed by dumbflix.stack.nginx_reverse_proxy \u2014 local edits are overwritten.\n"

INDENT = "    "

# Largest count nginx stores in a 32-bit signed int on every platform.
MAX_INT32 = 2147483647
# Largest weight accepted. nginx has no documented maximum, but "hash ... consistent"
# allocates 160 points per unit of weight, so huge weights exhaust memory at start-up.
MAX_WEIGHT = 1000
# nginx allocates the keep-alive connection cache up front at configuration time.
MAX_KEEPALIVE = 65535
# Times are capped so they fit a 32-bit millisecond timer (about 24.8 days).
MAX_TIME_MS = 2147483647
# sockaddr_un.sun_path holds 108 bytes including the terminating NUL.
MAX_UNIX_PATH = 107

UPSTREAM_METHODS = ("round_robin", "least_conn", "ip_hash", "hash", "random")
# nginx refuses "backup" servers with these balancing methods.
METHODS_WITHOUT_BACKUP = ("hash", "ip_hash", "random")

# proxy_next_upstream conditions, in the order they are rendered.
NEXT_UPSTREAM_CONDITIONS = (
    "error", "timeout", "invalid_header",
    "http_500", "http_502", "http_503", "http_504", "http_403", "http_404", "http_429",
    "non_idempotent", "off",
)

UPSTREAM_SERVER_KEYS = ("address", "port", "weight", "max_fails", "fail_timeout", "backup", "down", "max_conns")

_TIME_UNITS_MS = {
    "ms": 1, "s": 1000, "m": 60000, "h": 3600000, "d": 86400000,
    "w": 7 * 86400000, "M": 30 * 86400000, "y": 365 * 86400000,
}
_TIME_RE = re.compile(r"([0-9]+)(ms|s|m|h|d|w|M|y)?\Z")
_SIZE_UNITS = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}
# Shared memory for an upstream's runtime state: 64k holds hundreds of servers.
DEFAULT_ZONE_SIZE = "64k"
MIN_ZONE_SIZE = 32 * 1024
MAX_ZONE_SIZE = 1024 ** 3
_SIZE_RE = re.compile(r"([0-9]+)([kKmMgG]?)\Z")
_IDENTIFIER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")
_LABEL_RE = re.compile(r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?\Z")
_PATH_RE = re.compile(r"/[A-Za-z0-9_.@+,=/-]*\Z")
_URL_PATH_RE = re.compile(r"/[A-Za-z0-9_.~/-]*\Z")
_HASH_KEY_RE = re.compile(
    r"(?:[A-Za-z0-9_.:/@-]|\$[A-Za-z_][A-Za-z0-9_]*)+\Z"
)
# Characters that would end a token, open/close a block, start a comment,
# quote or escape something in nginx's configuration grammar.
_SYNTAX_CHARS = frozenset(";{}\"'\\#`")
_TRUE_STRINGS = ("yes", "on", "true", "y", "t", "1")
_FALSE_STRINGS = ("no", "off", "false", "n", "f", "0")

_STRING_TYPES = (str,)

# Passed as ``value`` when there is no value to show (a missing option).
NOT_SET = object()


class NginxConfigError(ValueError):
    """The one exception type raised by this module.

    ``str(err)`` is the complete, user-facing message: ``FIELD: VALUE reason``
    (values shown with Python's repr), or ``FIELD: reason`` when there is no
    value (``value`` is :data:`NOT_SET`).  ``err.field`` holds the field path,
    ``err.value`` the refused value and ``err.reason`` the reason alone.
    """

    def __init__(self, field, value, reason):
        self.field = field
        self.value = value
        self.reason = reason
        if value is NOT_SET:
            message = "%s: %s" % (field, reason)
        else:
            message = "%s: %r %s" % (field, value, reason)
        super().__init__(message)


def _join(field, key):
    return "%s.%s" % (field, key) if field else key


def _item(field, index):
    return "%s[%d]" % (field, index)


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
    if not isinstance(value, _STRING_TYPES):
        raise NginxConfigError(field, value, "is not %s (expected a string)" % what)
    if value == "":
        raise NginxConfigError(field, value, "is empty; expected %s" % what)
    return check_no_syntax(value, field)


def validate_bool(value, field):
    """Return ``value`` as a bool; accepts booleans and yes/no/true/false/on/off/1/0."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, _STRING_TYPES) and value.lower() in _TRUE_STRINGS + _FALSE_STRINGS:
        return value.lower() in _TRUE_STRINGS
    raise NginxConfigError(field, value, "is not a boolean (use true or false)")


def validate_int(value, field, minimum=None, maximum=None):
    """Return ``value`` as an int within ``[minimum, maximum]``.

    Accepts ints and strings of decimal digits (with an optional leading
    ``-``); refuses booleans, floats and anything else.
    """
    if isinstance(value, bool):
        raise NginxConfigError(field, value, "is a boolean, not an integer")
    if isinstance(value, int):
        number = value
    elif isinstance(value, _STRING_TYPES) and re.match(r"-?[0-9]+\Z", value):
        number = int(value)
    else:
        raise NginxConfigError(field, value, "is not an integer")
    if minimum is not None and number < minimum:
        raise NginxConfigError(field, value, "is below the minimum %d" % minimum)
    if maximum is not None and number > maximum:
        raise NginxConfigError(field, value, "is above the maximum %d" % maximum)
    return number


def validate_port(value, field):
    """Return a TCP port (1-65535) as an int."""
    return validate_int(value, field, 1, 65535)


def _number_and_unit(value, field, pattern, not_this):
    """Split an int or a ``<digits><unit>`` string (nginx time or size) into (int, unit).

    Booleans and other types, strings carrying nginx syntax, and text ``pattern``
    does not match are refused with ``not_this`` as the reason.
    """
    if isinstance(value, bool) or not isinstance(value, (int,) + _STRING_TYPES):
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
        raise NginxConfigError(field, value, "is in milliseconds, but nginx reads this value in whole seconds (e.g. 10, 30s, 1m)")
    if number * _TIME_UNITS_MS[unit or "s"] > MAX_TIME_MS:
        raise NginxConfigError(field, value, "is above the maximum nginx time 2147483647ms (about 24 days)")
    if number == 0 and not allow_zero:
        raise NginxConfigError(field, value, "must be greater than 0")
    return "%d%s" % (number, unit)


def validate_size(value, field):
    """Return an nginx size (``0``, ``512``, ``10k``, ``1m``, ``2g``) as a normalized string."""
    number, unit = _number_and_unit(value, field, _SIZE_RE, "is not an nginx size (e.g. 0, 512k, 1m, 2g)")
    unit = unit.lower()
    if number > (2 ** 63 - 1) // _SIZE_UNITS[unit]:
        raise NginxConfigError(field, value, "is larger than nginx can store")
    return "%d%s" % (number, unit)


def validate_identifier(value, field):
    """Return an nginx identifier (upstream name, site name): ``[A-Za-z_][A-Za-z0-9_.-]*``."""
    _require_string(value, field, "a name")
    if len(value) > 128:
        raise NginxConfigError(field, value, "is longer than 128 characters")
    if not _IDENTIFIER_RE.match(value):
        raise NginxConfigError(
            field, value,
            "is not a valid name (start with a letter or '_', then letters, digits, '_', '.' or '-')")
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
                field, value,
                "is not a valid %s (labels of letters, digits, '-' or '_', at most 63 characters, "
                "not starting or ending with '-')" % what)
    if re.match(r"[0-9]+\Z", labels[-1]):
        raise NginxConfigError(field, value, "is neither a valid IPv4 address nor a %s" % what)
    return name


def _ipv4(value, field):
    try:
        return str(ipaddress.IPv4Address(value))
    except ValueError:
        raise NginxConfigError(field, value, "is not a valid IPv4 address")


def _ipv6(text, value, field):
    if "%" in text:
        raise NginxConfigError(field, value, "has an IPv6 zone index ('%'), which nginx does not accept here")
    try:
        return ipaddress.IPv6Address(text).compressed
    except ValueError:
        raise NginxConfigError(field, value, "is not a valid IPv6 address")


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
                field, value,
                "is not a valid unix socket (expected unix:/absolute/path of letters, digits and _ . @ + , = / -)")
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
            field, name,
            "has a misplaced '*'; a wildcard must be the whole first label (*.example.com) or last label (www.example.*)")
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
            field, value,
            "is not an absolute file path of letters, digits and _ . @ + , = / - (not ending in '/')")
    return value


def validate_hash_key(value, field):
    """Return an upstream ``hash`` key: text and ``$variables`` such as ``$request_uri``."""
    _require_string(value, field, "a hash key")
    if not _HASH_KEY_RE.match(value):
        raise NginxConfigError(
            field, value,
            "is not a valid hash key (letters, digits, _ . : / @ - and $variables such as $request_uri)")
    return value


def _embedded_port(port, value, field):
    """Validate the port part of a larger value; errors show the whole value."""
    if re.match(r"[0-9]{1,5}\Z", port) and 1 <= int(port) <= 65535:
        return int(port)
    raise NginxConfigError(field, value, "has port %r; a port is an integer from 1 to 65535" % port)


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
        host, rest = hostport[:end + 1], hostport[end + 1:]
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


def _server_key(server):
    if server["port"] is None:
        return server["address"]
    return "%s:%d" % (_bracket(server["address"]), server["port"])


def _bracket(address):
    return "[%s]" % address if ":" in address and not address.startswith("unix:") else address


def normalize_upstream_server(server, index=None, field=None):
    """Validate one upstream server and return it with every key present.

    ``server`` is a dict with ``address`` (required) and optional ``port``,
    ``weight``, ``max_fails``, ``fail_timeout``, ``backup``, ``down``,
    ``max_conns``; ``None`` means "not set".  Errors name the field as
    ``servers[INDEX].KEY`` when ``index`` is given, ``FIELD.KEY`` when
    ``field`` is given (e.g. ``lb_backend``), else just ``KEY``.

    The result has ``address`` normalized (IPv6 without brackets, host names
    lowercased), ``port`` an int (80 when omitted for a TCP address, None for
    ``unix:``), numbers as ints, ``fail_timeout`` as a string and ``backup``
    / ``down`` as bools.
    """
    if field is None:
        field = _item("servers", index) if index is not None else ""
    if not isinstance(server, dict):
        raise NginxConfigError(field or "server", server, "is not a dictionary with an 'address' key")
    unknown = sorted(str(key) for key in server if key not in UPSTREAM_SERVER_KEYS)
    if unknown:
        raise NginxConfigError(
            field or "server", unknown[0],
            "is not a known server option (expected one of %s)" % ", ".join(UPSTREAM_SERVER_KEYS))
    if server.get("address") is None:
        raise NginxConfigError(_join(field, "address"), NOT_SET, "is missing; every server needs an address")
    kind, address = validate_host(server["address"], _join(field, "address"), allow_unix=True)
    port = server.get("port")
    if kind == "unix":
        if port is not None:
            raise NginxConfigError(_join(field, "port"), port, "is set, but a unix: socket address takes no port")
    else:
        port = 80 if port is None else validate_port(port, _join(field, "port"))
    result = {"address": address, "port": port}
    limits = {"weight": (1, MAX_WEIGHT), "max_fails": (0, MAX_INT32), "max_conns": (0, MAX_INT32)}
    for key in ("weight", "max_fails", "max_conns"):
        value = server.get(key)
        result[key] = None if value is None else validate_int(value, _join(field, key), *limits[key])
    value = server.get("fail_timeout")
    result["fail_timeout"] = None if value is None else validate_time(
        value, _join(field, "fail_timeout"), seconds_only=True)
    for key in ("backup", "down"):
        value = server.get(key)
        result[key] = False if value is None else validate_bool(value, _join(field, key))
    return result


def normalize_upstream_servers(servers, field="servers"):
    """Validate a list of upstream servers; refuse duplicate address:port pairs."""
    if not isinstance(servers, list):
        raise NginxConfigError(field, servers, "is not a list of servers")
    result, seen = [], {}
    for index, server in enumerate(servers):
        item = normalize_upstream_server(server, field=_item(field, index))
        key = _server_key(item)
        if key in seen:
            raise NginxConfigError(
                _item(field, index), key, "duplicates %s; each address:port may appear once" % _item(field, seen[key]))
        seen[key] = index
        result.append(item)
    return result


def normalize_upstream(options):
    """Validate the options of one ``upstream`` block and return them normalized.

    ``options`` holds ``name``, ``servers`` and optionally ``method``,
    ``hash_key``, ``consistent``, ``two``, ``keepalive``,
    ``keepalive_timeout``, ``keepalive_requests``, ``zone_size`` (``None`` = default).
    """
    opts = dict(options)
    name = validate_identifier(opts.get("name"), "name")
    method = opts.get("method") or "round_robin"
    if method not in UPSTREAM_METHODS:
        raise NginxConfigError("method", method, "is not one of %s" % ", ".join(UPSTREAM_METHODS))
    servers = opts.get("servers")
    if not servers:
        raise NginxConfigError("servers", NOT_SET, "is empty; an upstream needs at least one server when state=present")
    servers = normalize_upstream_servers(servers)
    if method in METHODS_WITHOUT_BACKUP:
        for index, server in enumerate(servers):
            if server["backup"]:
                raise NginxConfigError(
                    _item("servers", index) + ".backup", True,
                    "cannot be used with method=%s (nginx refuses backup servers with hash, ip_hash and random)" % method)
    if all(server["backup"] for server in servers):
        raise NginxConfigError("servers", NOT_SET, "are all backup servers; at least one server must not be a backup")
    hash_key = opts.get("hash_key")
    if method == "hash":
        if hash_key in (None, ""):
            raise NginxConfigError("hash_key", hash_key, "is required with method=hash (e.g. $request_uri)")
        hash_key = validate_hash_key(hash_key, "hash_key")
    elif hash_key not in (None, ""):
        raise NginxConfigError("hash_key", hash_key, "is only used with method=hash (method is %s)" % method)
    else:
        hash_key = None
    consistent = validate_bool(opts.get("consistent") or False, "consistent")
    if consistent and method != "hash":
        raise NginxConfigError("consistent", True, "is only used with method=hash (method is %s)" % method)
    two = validate_bool(opts.get("two") or False, "two")
    if two and method != "random":
        raise NginxConfigError("two", True, "is only used with method=random (method is %s)" % method)
    keepalive = opts.get("keepalive")
    keepalive = 0 if keepalive is None else validate_int(keepalive, "keepalive", 0, MAX_KEEPALIVE)
    keepalive_timeout = opts.get("keepalive_timeout")
    keepalive_requests = opts.get("keepalive_requests")
    if keepalive_timeout is not None:
        keepalive_timeout = validate_time(keepalive_timeout, "keepalive_timeout")
    if keepalive_requests is not None:
        keepalive_requests = validate_int(keepalive_requests, "keepalive_requests", 1, MAX_INT32)
    for key, value in (("keepalive_timeout", keepalive_timeout), ("keepalive_requests", keepalive_requests)):
        if value is not None and keepalive == 0:
            raise NginxConfigError(key, value, "is only used with keepalive > 0 (keepalive is 0, which is off)")
    return {
        "name": name, "servers": servers, "method": method, "hash_key": hash_key,
        "consistent": consistent, "two": two, "keepalive": keepalive,
        "keepalive_timeout": keepalive_timeout, "keepalive_requests": keepalive_requests,
        "zone_size": _zone_size(opts.get("zone_size")),
    }


def _zone_size(value):
    """The shared-memory zone size of an upstream, or None for no zone (``0``).

    Without a zone every nginx worker keeps its own failure counts and weight
    rotation, so ``max_fails`` / ``fail_timeout`` apply per worker, not per server.
    """
    size = validate_size(DEFAULT_ZONE_SIZE if value is None else value, "zone_size")
    number, unit = _SIZE_RE.match(size).groups()
    octets = int(number) * _SIZE_UNITS[unit]
    if octets == 0:
        return None
    if not MIN_ZONE_SIZE <= octets <= MAX_ZONE_SIZE:
        raise NginxConfigError("zone_size", value, "must be between 32k (nginx's minimum) and 1g, or 0 for no zone")
    return size


def render_upstream_server(server):
    """Render one normalized server as an nginx ``server ...;`` line (without indent)."""
    parts = ["server", _server_key(server)]
    for key in ("weight", "max_fails", "fail_timeout", "max_conns"):
        if server[key] is not None:
            parts.append("%s=%s" % (key, server[key]))
    for key in ("backup", "down"):
        if server[key]:
            parts.append(key)
    return " ".join(parts) + ";"


def render_upstream(normalized):
    """Render a normalized upstream (from :func:`normalize_upstream`) as file text."""
    lines = [UPSTREAM_HEADER.rstrip("\n"), "upstream %s {" % normalized["name"]]
    if normalized.get("zone_size"):
        lines.append(INDENT + "zone upstream_%s %s;" % (normalized["name"], normalized["zone_size"]))
    method = normalized["method"]
    if method == "least_conn":
        lines.append(INDENT + "least_conn;")
    elif method == "ip_hash":
        lines.append(INDENT + "ip_hash;")
    elif method == "hash":
        lines.append(INDENT + "hash %s%s;" % (normalized["hash_key"], " consistent" if normalized["consistent"] else ""))
    elif method == "random":
        lines.append(INDENT + ("random two;" if normalized["two"] else "random;"))
    for server in normalized["servers"]:
        lines.append(INDENT + render_upstream_server(server))
    if normalized["keepalive"]:
        lines.append(INDENT + "keepalive %d;" % normalized["keepalive"])
        if normalized["keepalive_timeout"] is not None:
            lines.append(INDENT + "keepalive_timeout %s;" % normalized["keepalive_timeout"])
        if normalized["keepalive_requests"] is not None:
            lines.append(INDENT + "keepalive_requests %d;" % normalized["keepalive_requests"])
    lines.append("}")
    return "\n".join(lines) + "\n"


def _unique_list(values, field, validator):
    if not isinstance(values, list):
        raise NginxConfigError(field, values, "is not a list")
    result, seen = [], {}
    for index, value in enumerate(values):
        item = validator(value, _item(field, index))
        if item in seen:
            raise NginxConfigError(_item(field, index), value, "is already listed as %s" % _item(field, seen[item]))
        seen[item] = index
        result.append(item)
    return result


def _next_upstream_condition(value, field):
    if value not in NEXT_UPSTREAM_CONDITIONS:
        if isinstance(value, _STRING_TYPES):
            check_no_syntax(value, field)
        raise NginxConfigError(field, value, "is not one of %s" % ", ".join(NEXT_UPSTREAM_CONDITIONS))
    return value


def _version_tuple(version):
    if not version:
        return None
    if isinstance(version, tuple):
        return version
    match = re.search(r"([0-9]+)\.([0-9]+)\.([0-9]+)", str(version))
    return tuple(int(part) for part in match.groups()) if match else None


def variable_suffix(name):
    """Map a site name onto the characters allowed in an nginx variable name."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


REVERSE_PROXY_DEFAULTS = {
    "listen": [80], "websocket": True, "connect_timeout": "3s", "read_timeout": "60s",
    "send_timeout": "60s", "next_upstream": ["error", "timeout", "http_502", "http_503", "http_504"],
    "next_upstream_tries": 0, "next_upstream_timeout": 0, "client_max_body_size": "1m",
    "tls_listen": [443], "tls_redirect": True, "hsts": False, "http2": False,
    "security_headers": True, "default_server": False,
}


def normalize_reverse_proxy(options):
    """Validate the options of one reverse-proxy site and return them normalized.

    Keys (``None`` or missing = default): ``name``, ``server_names``,
    ``listen``, ``default_server``, ``upstream`` XOR ``backend_url``,
    ``websocket``, ``connect_timeout``, ``read_timeout``, ``send_timeout``,
    ``next_upstream``, ``next_upstream_tries``, ``next_upstream_timeout``,
    ``client_max_body_size``, ``access_log``, ``tls_certificate``,
    ``tls_certificate_key``, ``tls_listen``, ``tls_redirect``, ``hsts``,
    ``http2``, ``security_headers``.
    """
    opts = dict(REVERSE_PROXY_DEFAULTS)
    opts.update((key, value) for key, value in options.items() if value is not None)
    name = validate_identifier(opts.get("name"), "name")
    server_names = opts.get("server_names")
    if not server_names:
        raise NginxConfigError("server_names", NOT_SET, "is empty; list at least one host name (or '_')")
    server_names = _unique_list(server_names, "server_names", validate_server_name)
    upstream, backend_url = opts.get("upstream"), opts.get("backend_url")
    if upstream is not None and backend_url is not None:
        raise NginxConfigError("backend_url", backend_url, "is set together with upstream; set only one of them")
    if upstream is not None:
        proxy_pass = "http://" + validate_identifier(upstream, "upstream")
    elif backend_url is not None:
        proxy_pass = validate_backend_url(backend_url, "backend_url")
    else:
        raise NginxConfigError("upstream", NOT_SET, "is missing; set upstream or backend_url")
    listen = _unique_list(opts["listen"], "listen", validate_listen)
    tls_certificate, tls_key = opts.get("tls_certificate"), opts.get("tls_certificate_key")
    if (tls_certificate is None) != (tls_key is None):
        missing = "tls_certificate_key" if tls_key is None else "tls_certificate"
        raise NginxConfigError(missing, NOT_SET, "is missing; TLS needs both tls_certificate and tls_certificate_key")
    tls = tls_certificate is not None
    result = {"name": name, "server_names": server_names, "proxy_pass": proxy_pass,
              "upstream": upstream, "backend_url": backend_url if upstream is None else None,
              "listen": listen, "tls": tls}
    if tls:
        result["tls_certificate"] = validate_path(tls_certificate, "tls_certificate")
        result["tls_certificate_key"] = validate_path(tls_key, "tls_certificate_key")
        tls_listen = _unique_list(opts["tls_listen"], "tls_listen", validate_listen)
        if not tls_listen:
            raise NginxConfigError("tls_listen", NOT_SET, "is empty; TLS needs at least one port")
        for index, item in enumerate(tls_listen):
            if item in listen:
                raise NginxConfigError(_item("tls_listen", index), item, "is also in listen; a port is either plain or TLS")
        result["tls_listen"] = tls_listen
    else:
        result["tls_certificate"] = result["tls_certificate_key"] = None
        result["tls_listen"] = []
        if not listen:
            raise NginxConfigError("listen", NOT_SET, "is empty; without TLS the site needs at least one port")
    for key in ("tls_redirect", "hsts", "http2", "websocket", "security_headers", "default_server"):
        result[key] = validate_bool(opts[key], key)
    for key in ("hsts", "http2"):
        if result[key] and not tls:
            raise NginxConfigError(key, True, "needs TLS; set tls_certificate and tls_certificate_key")
    result["tls_redirect"] = result["tls_redirect"] and tls and bool(listen)
    for key in ("connect_timeout", "read_timeout", "send_timeout"):
        result[key] = validate_time(opts[key], key, allow_zero=False)
    conditions = opts["next_upstream"]
    if isinstance(conditions, _STRING_TYPES):
        conditions = [conditions]
    conditions = _unique_list(conditions, "next_upstream", _next_upstream_condition)
    if not conditions:
        raise NginxConfigError("next_upstream", NOT_SET, "is empty; use [off] to disable retries")
    if "off" in conditions and len(conditions) > 1:
        raise NginxConfigError("next_upstream", "off", "cannot be combined with other conditions")
    result["next_upstream"] = [item for item in NEXT_UPSTREAM_CONDITIONS if item in conditions]
    result["next_upstream_tries"] = validate_int(opts["next_upstream_tries"], "next_upstream_tries", 0, MAX_INT32)
    result["next_upstream_timeout"] = validate_time(opts["next_upstream_timeout"], "next_upstream_timeout")
    result["client_max_body_size"] = validate_size(opts["client_max_body_size"], "client_max_body_size")
    access_log = opts.get("access_log")
    if access_log is None:
        access_log = "/var/log/nginx/%s.access.log" % name
    result["access_log"] = "off" if access_log == "off" else validate_path(access_log, "access_log")
    return result


def log_format_name(name):
    """Name of the ``log_format`` a site's access log uses."""
    return "%s_upstream" % name


LOG_FORMAT = (
    "'$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent "
    "\"$http_referer\" \"$http_user_agent\" request_time=$request_time '\n"
    "%s'upstream_addr=\"$upstream_addr\" upstream_status=\"$upstream_status\" "
    "upstream_response_time=\"$upstream_response_time\"'"
)


def _listen_line(address, ssl, http2_flag, default_server):
    flags = []
    if ssl:
        flags.append("ssl")
    if http2_flag:
        flags.append("http2")
    if default_server:
        flags.append("default_server")
    return INDENT + "listen %s;" % " ".join([address] + flags)


def render_reverse_proxy(normalized, nginx_version=None):
    """Render a normalized site (from :func:`normalize_reverse_proxy`) as file text.

    ``nginx_version`` (``'1.26.3'`` or a tuple) only matters with http2: from
    1.25.1 on the ``http2 on;`` directive is used, before that the ``listen``
    flag.  Unknown versions get the ``listen`` flag, which every version
    accepts.
    """
    name = normalized["name"]
    version = _version_tuple(nginx_version)
    http2_directive = normalized["http2"] and version is not None and version >= (1, 25, 1)
    upgrade_var = "$%s_connection_upgrade" % variable_suffix(name)
    log_format = log_format_name(name)
    out = [REVERSE_PROXY_HEADER.rstrip("\n")]
    if normalized["access_log"] != "off":
        out.append("log_format %s escape=default\n%s%s;" % (log_format, INDENT, LOG_FORMAT % INDENT))
    if normalized["websocket"]:
        out += ["map $http_upgrade %s {" % upgrade_var, INDENT + "default upgrade;", INDENT + "'' '';", "}"]
    common = [INDENT + "server_name %s;" % " ".join(normalized["server_names"])]
    if normalized["access_log"] == "off":
        common.append(INDENT + "access_log off;")
    else:
        common.append(INDENT + "access_log %s %s;" % (normalized["access_log"], log_format))

    proxy = [INDENT + "client_max_body_size %s;" % normalized["client_max_body_size"]]
    if normalized["security_headers"]:
        proxy += [
            INDENT + "add_header X-Content-Type-Options nosniff always;",
            INDENT + "add_header X-Frame-Options SAMEORIGIN always;",
            INDENT + "add_header Referrer-Policy strict-origin-when-cross-origin always;",
        ]
    if normalized["tls"] and normalized["hsts"]:
        proxy.append(INDENT + "add_header Strict-Transport-Security max-age=31536000 always;")
    location = [
        "proxy_pass %s;" % normalized["proxy_pass"],
        "proxy_http_version 1.1;",
        "proxy_set_header Host $host;",
        "proxy_set_header X-Real-IP $remote_addr;",
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
        "proxy_set_header X-Forwarded-Host $host;",
    ]
    if normalized["websocket"]:
        location += ["proxy_set_header Upgrade $http_upgrade;", "proxy_set_header Connection %s;" % upgrade_var]
    else:
        location.append("proxy_set_header Connection '';")
    location += [
        "proxy_connect_timeout %s;" % normalized["connect_timeout"],
        "proxy_read_timeout %s;" % normalized["read_timeout"],
        "proxy_send_timeout %s;" % normalized["send_timeout"],
        "proxy_next_upstream %s;" % " ".join(normalized["next_upstream"]),
        "proxy_next_upstream_tries %d;" % normalized["next_upstream_tries"],
        "proxy_next_upstream_timeout %s;" % normalized["next_upstream_timeout"],
    ]
    proxy.append(INDENT + "location / {")
    proxy += [INDENT * 2 + line for line in location]
    proxy.append(INDENT + "}")

    tls_lines = []
    if normalized["tls"]:
        tls_lines = [
            INDENT + "ssl_certificate %s;" % normalized["tls_certificate"],
            INDENT + "ssl_certificate_key %s;" % normalized["tls_certificate_key"],
            INDENT + "ssl_protocols TLSv1.2 TLSv1.3;",
            INDENT + "ssl_session_cache shared:%s_tls:1m;" % variable_suffix(name),
            INDENT + "ssl_session_timeout 1h;",
        ]
        if http2_directive:
            tls_lines.append(INDENT + "http2 on;")
    plain = [_listen_line(a, False, False, normalized["default_server"]) for a in normalized["listen"]]
    secure = [_listen_line(a, True, normalized["http2"] and not http2_directive, normalized["default_server"])
              for a in normalized["tls_listen"]]

    if normalized["tls_redirect"]:
        target_port = normalized["tls_listen"][0].rsplit(":", 1)[-1]
        target = "https://$host%s$request_uri" % ("" if target_port == "443" else ":" + target_port)
        out += ["server {"] + plain + common + [INDENT + "return 301 %s;" % target, "}"]
        out += ["server {"] + secure + common + tls_lines + proxy + ["}"]
    else:
        out += ["server {"] + plain + secure + common + tls_lines + proxy + ["}"]
    return "\n".join(out) + "\n"
