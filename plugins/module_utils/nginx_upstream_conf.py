# -*- coding: utf-8 -*-
# Copyright: dumbflix.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One nginx ``upstream`` block: its option table, its checks and its rendering.

nginx_upstream's argument spec is :data:`UPSTREAM_OPTIONS` plus the file options,
and :func:`normalize_upstream` reads its defaults from the same table; the
``lb_upstream`` filter runs :func:`normalize_upstream` on the controller.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.dumbflix.stack.plugins.module_utils.nginx_emit import Block, Comment, Directive, emit
from ansible_collections.dumbflix.stack.plugins.module_utils.nginx_grammar import (
    MAX_INT32,
    NginxConfigError,
    size_bytes,
    validate_bool,
    validate_hash_key,
    validate_host,
    validate_identifier,
    validate_int,
    validate_port,
    validate_size,
    validate_time,
)
from ansible_collections.dumbflix.stack.plugins.module_utils.values import (
    NOT_SET,
    item_field,
    join_field,
    with_defaults,
)

UPSTREAM_HEADER = emit([Comment("Managed by dumbflix.stack.nginx_upstream \u2014 local edits are overwritten.")])

# Largest weight accepted. nginx has no documented maximum, but "hash ... consistent"
# allocates 160 points per unit of weight, so huge weights exhaust memory at start-up.
MAX_WEIGHT = 1000
# nginx allocates the keep-alive connection cache up front at configuration time.
MAX_KEEPALIVE = 65535
MIN_ZONE_SIZE = 32 * 1024
MAX_ZONE_SIZE = 1024**3

UPSTREAM_METHODS = ("round_robin", "least_conn", "ip_hash", "hash", "random")
# nginx refuses "backup" servers with these balancing methods.
METHODS_WITHOUT_BACKUP = ("hash", "ip_hash", "random")

UPSTREAM_SERVER_KEYS = ("address", "port", "weight", "max_fails", "fail_timeout", "backup", "down", "max_conns")

# raw: typed suboptions would make Ansible refuse "servers: [.., {weight: abc}]" with
# "argument 'weight' is of type str found in 'servers'", which does not say which
# server; normalize_upstream_server names it (servers[1].weight).
SERVER_OPTIONS = dict((key, dict(type="raw")) for key in UPSTREAM_SERVER_KEYS)

UPSTREAM_OPTIONS = dict(
    name=dict(type="str", required=True),
    servers=dict(type="list", elements="dict", options=SERVER_OPTIONS),
    method=dict(type="str", default="round_robin", choices=list(UPSTREAM_METHODS)),
    hash_key=dict(type="str", no_log=False),
    consistent=dict(type="bool", default=False),
    two=dict(type="bool", default=False),
    keepalive=dict(type="int", default=0),
    keepalive_timeout=dict(type="str"),
    keepalive_requests=dict(type="int"),
    # Shared memory for the servers' runtime state: 64k holds hundreds of servers.
    zone_size=dict(type="str", default="64k"),
)

_SERVER_LIMITS = {"weight": (1, MAX_WEIGHT), "max_fails": (0, MAX_INT32), "max_conns": (0, MAX_INT32)}


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
        field = item_field("servers", index) if index is not None else ""
    if not isinstance(server, dict):
        raise NginxConfigError(field or "server", server, "is not a dictionary with an 'address' key")
    unknown = sorted(str(key) for key in server if key not in UPSTREAM_SERVER_KEYS)
    if unknown:
        raise NginxConfigError(
            field or "server",
            unknown[0],
            "is not a known server option (expected one of %s)" % ", ".join(UPSTREAM_SERVER_KEYS),
        )
    if server.get("address") is None:
        raise NginxConfigError(join_field(field, "address"), NOT_SET, "is missing; every server needs an address")
    kind, address = validate_host(server["address"], join_field(field, "address"), allow_unix=True)
    port = server.get("port")
    if kind == "unix":
        if port is not None:
            raise NginxConfigError(join_field(field, "port"), port, "is set, but a unix: socket address takes no port")
    else:
        port = 80 if port is None else validate_port(port, join_field(field, "port"))
    result = {"address": address, "port": port}
    for key, (minimum, maximum) in _SERVER_LIMITS.items():
        value = server.get(key)
        result[key] = None if value is None else validate_int(value, join_field(field, key), minimum, maximum)
    value = server.get("fail_timeout")
    result["fail_timeout"] = (
        None if value is None else validate_time(value, join_field(field, "fail_timeout"), seconds_only=True)
    )
    for key in ("backup", "down"):
        value = server.get(key)
        result[key] = False if value is None else validate_bool(value, join_field(field, key))
    return result


def normalize_upstream_servers(servers, field="servers"):
    """Validate a list of upstream servers; refuse duplicate address:port pairs."""
    if not isinstance(servers, list):
        raise NginxConfigError(field, servers, "is not a list of servers")
    result, seen = [], {}
    for index, server in enumerate(servers):
        item = normalize_upstream_server(server, field=item_field(field, index))
        key = _server_key(item)
        if key in seen:
            raise NginxConfigError(
                item_field(field, index),
                key,
                "duplicates %s; each address:port may appear once" % item_field(field, seen[key]),
            )
        seen[key] = index
        result.append(item)
    return result


def _only_with(key, value, wanted, method):
    if method != wanted:
        raise NginxConfigError(key, value, "is only used with method=%s (method is %s)" % (wanted, method))


def normalize_upstream(options):
    """Validate the options of one ``upstream`` block and return them normalized.

    ``options`` holds the keys of :data:`UPSTREAM_OPTIONS`; ``None`` or missing
    means the default.
    """
    opts = with_defaults(options, UPSTREAM_OPTIONS)
    for key in ("method", "consistent", "two"):
        # any false value ('' from a template) has always meant the default for these three
        opts[key] = opts[key] or UPSTREAM_OPTIONS[key]["default"]
    name = validate_identifier(opts["name"], "name")
    method = opts["method"]
    if method not in UPSTREAM_METHODS:
        raise NginxConfigError("method", method, "is not one of %s" % ", ".join(UPSTREAM_METHODS))
    servers = opts["servers"]
    if not servers:
        raise NginxConfigError("servers", NOT_SET, "is empty; an upstream needs at least one server when state=present")
    servers = normalize_upstream_servers(servers)
    if method in METHODS_WITHOUT_BACKUP:
        for index, server in enumerate(servers):
            if server["backup"]:
                raise NginxConfigError(
                    join_field(item_field("servers", index), "backup"),
                    True,
                    "cannot be used with method=%s (nginx refuses backup servers with hash, ip_hash and random)"
                    % method,
                )
    if all(server["backup"] for server in servers):
        raise NginxConfigError("servers", NOT_SET, "are all backup servers; at least one server must not be a backup")
    hash_key = opts["hash_key"]
    if method == "hash":
        if hash_key in (None, ""):
            raise NginxConfigError("hash_key", hash_key, "is required with method=hash (e.g. $request_uri)")
        hash_key = validate_hash_key(hash_key, "hash_key")
    elif hash_key not in (None, ""):
        _only_with("hash_key", hash_key, "hash", method)
    else:
        hash_key = None
    consistent = validate_bool(opts["consistent"], "consistent")
    if consistent:
        _only_with("consistent", True, "hash", method)
    two = validate_bool(opts["two"], "two")
    if two:
        _only_with("two", True, "random", method)
    keepalive = validate_int(opts["keepalive"], "keepalive", 0, MAX_KEEPALIVE)
    keepalive_timeout, keepalive_requests = opts["keepalive_timeout"], opts["keepalive_requests"]
    if keepalive_timeout is not None:
        keepalive_timeout = validate_time(keepalive_timeout, "keepalive_timeout")
    if keepalive_requests is not None:
        keepalive_requests = validate_int(keepalive_requests, "keepalive_requests", 1, MAX_INT32)
    for key, value in (("keepalive_timeout", keepalive_timeout), ("keepalive_requests", keepalive_requests)):
        if value is not None and keepalive == 0:
            raise NginxConfigError(key, value, "is only used with keepalive > 0 (keepalive is 0, which is off)")
    return {
        "name": name,
        "servers": servers,
        "method": method,
        "hash_key": hash_key,
        "consistent": consistent,
        "two": two,
        "keepalive": keepalive,
        "keepalive_timeout": keepalive_timeout,
        "keepalive_requests": keepalive_requests,
        "zone_size": _zone_size(opts["zone_size"]),
    }


def _zone_size(value):
    """The shared-memory zone size of an upstream, or None for no zone (``0``).

    Without a zone every nginx worker keeps its own failure counts and weight
    rotation, so ``max_fails`` / ``fail_timeout`` apply per worker, not per server.
    """
    size = validate_size(value, "zone_size")
    octets = size_bytes(size)
    if octets == 0:
        return None
    if not MIN_ZONE_SIZE <= octets <= MAX_ZONE_SIZE:
        raise NginxConfigError("zone_size", value, "must be between 32k (nginx's minimum) and 1g, or 0 for no zone")
    return size


def _server_directive(server):
    words = [_server_key(server)]
    for key in ("weight", "max_fails", "fail_timeout", "max_conns"):
        if server[key] is not None:
            words.append("%s=%s" % (key, server[key]))
    words += [key for key in ("backup", "down") if server[key]]
    return Directive("server", *words)


def _method_directives(upstream):
    """The balancing method's directive; round_robin is nginx's default and renders none."""
    method = upstream["method"]
    if method in ("least_conn", "ip_hash"):
        return [Directive(method)]
    if method == "hash":
        return [Directive("hash", upstream["hash_key"], *(["consistent"] if upstream["consistent"] else []))]
    if method == "random":
        return [Directive("random", *(["two"] if upstream["two"] else []))]
    return []


def render_upstream(normalized):
    """Render a normalized upstream (from :func:`normalize_upstream`) as file text."""
    name = normalized["name"]
    body = []
    if normalized.get("zone_size"):
        body.append(Directive("zone", "upstream_%s" % name, normalized["zone_size"]))
    body += _method_directives(normalized)
    body += [_server_directive(server) for server in normalized["servers"]]
    if normalized["keepalive"]:
        body.append(Directive("keepalive", str(normalized["keepalive"])))
        if normalized["keepalive_timeout"] is not None:
            body.append(Directive("keepalive_timeout", normalized["keepalive_timeout"]))
        if normalized["keepalive_requests"] is not None:
            body.append(Directive("keepalive_requests", str(normalized["keepalive_requests"])))
    return UPSTREAM_HEADER + emit([Block("upstream", name, body=body)])
