# -*- coding: utf-8 -*-
# Copyright: dumbflix.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A reverse-proxy site (log format, WebSocket map, server blocks) from a handful of options.

:data:`SITE_OPTIONS` holds those options with their types and defaults, for the
argument spec of nginx_reverse_proxy and for :func:`normalize_reverse_proxy`
alike.  The filter ``lb_site`` checks an inventory with the same function.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.dumbflix.stack.plugins.module_utils.nginx_emit import Block, Comment, Directive, emit
from ansible_collections.dumbflix.stack.plugins.module_utils.nginx_grammar import (
    MAX_INT32,
    NginxConfigError,
    check_no_syntax,
    validate_backend_url,
    validate_bool,
    validate_identifier,
    validate_int,
    validate_listen,
    validate_path,
    validate_server_name,
    validate_size,
    validate_time,
)
from ansible_collections.dumbflix.stack.plugins.module_utils.values import (
    NOT_SET,
    item_field,
    parse_port,
    with_defaults,
)

REVERSE_PROXY_HEADER = emit(
    [Comment("Managed by dumbflix.stack.nginx_reverse_proxy \u2014 local edits are overwritten.")]
)

# proxy_next_upstream conditions, in the order they are rendered.
NEXT_UPSTREAM_CONDITIONS = (
    "error",
    "timeout",
    "invalid_header",
    "http_500",
    "http_502",
    "http_503",
    "http_504",
    "http_403",
    "http_404",
    "http_429",
    "non_idempotent",
    "off",
)

SITE_OPTIONS = dict(
    name=dict(type="str", required=True),
    server_names=dict(type="list", elements="str"),
    listen=dict(type="list", elements="raw", default=[80]),
    default_server=dict(type="bool", default=False),
    upstream=dict(type="str"),
    backend_url=dict(type="str"),
    websocket=dict(type="bool", default=True),
    connect_timeout=dict(type="str", default="3s"),
    read_timeout=dict(type="str", default="60s"),
    send_timeout=dict(type="str", default="60s"),
    next_upstream=dict(
        type="list",
        elements="str",
        choices=list(NEXT_UPSTREAM_CONDITIONS),
        default=["error", "timeout", "http_502", "http_503", "http_504"],
    ),
    next_upstream_tries=dict(type="int", default=0),
    next_upstream_timeout=dict(type="str", default="0"),
    client_max_body_size=dict(type="str", default="1m"),
    access_log=dict(type="str"),
    tls_certificate=dict(type="str"),
    tls_certificate_key=dict(type="str", no_log=False),
    tls_listen=dict(type="list", elements="raw", default=[443]),
    tls_redirect=dict(type="bool", default=True),
    tls_redirect_port=dict(type="int"),
    hsts=dict(type="bool", default=False),
    hsts_max_age=dict(type="int", default=31536000),
    http2=dict(type="bool", default=False),
    security_headers=dict(type="bool", default=True),
    rate_limit=dict(type="str"),
    rate_limit_burst=dict(type="int", default=0),
)

# Per client address: 1 MB holds the state of about 16 000 addresses (nginx's limit_req_zone docs).
RATE_LIMIT_ZONE_SIZE = "1m"
RATE_RE = re.compile(r"([0-9]{1,7})r/([sm])\Z")
MAX_RATE_LIMIT_BURST = 100000

# The access log's format: the usual combined fields, then which backend answered.
LOG_FORMAT = (
    '\'$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
    '"$http_referer" "$http_user_agent" request_time=$request_time \'',
    '\'upstream_addr="$upstream_addr" upstream_status="$upstream_status" '
    'upstream_response_time="$upstream_response_time"\'',
)


def _unique_list(values, field, validator):
    if not isinstance(values, list):
        raise NginxConfigError(field, values, "is not a list")
    result, seen = [], {}
    for index, value in enumerate(values):
        item = validator(value, item_field(field, index))
        if item in seen:
            raise NginxConfigError(
                item_field(field, index), value, "is already listed as %s" % item_field(field, seen[item])
            )
        seen[item] = index
        result.append(item)
    return result


def validate_rate(value, field):
    """An nginx request rate, ``<N>r/s`` or ``<N>r/m`` with N >= 1, returned unchanged."""
    if not isinstance(value, str):
        raise NginxConfigError(field, value, "is not an nginx rate (e.g. 10r/s, 300r/m)")
    check_no_syntax(value, field)
    match = RATE_RE.match(value)
    if not match:
        raise NginxConfigError(field, value, "is not an nginx rate (e.g. 10r/s, 300r/m)")
    if int(match.group(1)) == 0:
        raise NginxConfigError(field, value, "must be at least 1r/s or 1r/m")
    return "%dr/%s" % (int(match.group(1)), match.group(2))


def _next_upstream_condition(value, field):
    if value not in NEXT_UPSTREAM_CONDITIONS:
        if isinstance(value, str):
            check_no_syntax(value, field)
        raise NginxConfigError(field, value, "is not one of %s" % ", ".join(NEXT_UPSTREAM_CONDITIONS))
    return value


def normalize_reverse_proxy(options):
    """Validate the options of one reverse-proxy site and return them normalized.

    ``options`` holds the keys of :data:`SITE_OPTIONS`; ``None`` or missing
    means the default.  ``upstream`` and ``backend_url`` exclude each other.
    """
    opts = with_defaults(options, SITE_OPTIONS)
    name = validate_identifier(opts["name"], "name")
    server_names = opts["server_names"]
    if not server_names:
        raise NginxConfigError("server_names", NOT_SET, "is empty; list at least one host name (or '_')")
    server_names = _unique_list(server_names, "server_names", validate_server_name)
    upstream, backend_url = opts["upstream"], opts["backend_url"]
    if upstream is not None and backend_url is not None:
        raise NginxConfigError("backend_url", backend_url, "is set together with upstream; set only one of them")
    if upstream is not None:
        proxy_pass = "http://" + validate_identifier(upstream, "upstream")
    elif backend_url is not None:
        proxy_pass = validate_backend_url(backend_url, "backend_url")
    else:
        raise NginxConfigError("upstream", NOT_SET, "is missing; set upstream or backend_url")
    listen = _unique_list(opts["listen"], "listen", validate_listen)
    tls_certificate, tls_key = opts["tls_certificate"], opts["tls_certificate_key"]
    if (tls_certificate is None) != (tls_key is None):
        missing = "tls_certificate_key" if tls_key is None else "tls_certificate"
        raise NginxConfigError(missing, NOT_SET, "is missing; TLS needs both tls_certificate and tls_certificate_key")
    tls = tls_certificate is not None
    result = {
        "name": name,
        "server_names": server_names,
        "proxy_pass": proxy_pass,
        "upstream": upstream,
        "backend_url": backend_url if upstream is None else None,
        "listen": listen,
        "tls": tls,
    }
    if tls:
        result["tls_certificate"] = validate_path(tls_certificate, "tls_certificate")
        result["tls_certificate_key"] = validate_path(tls_key, "tls_certificate_key")
        tls_listen = _unique_list(opts["tls_listen"], "tls_listen", validate_listen)
        if not tls_listen:
            raise NginxConfigError("tls_listen", NOT_SET, "is empty; TLS needs at least one port")
        for index, item in enumerate(tls_listen):
            if item in listen:
                raise NginxConfigError(
                    item_field("tls_listen", index), item, "is also in listen; a port is either plain or TLS"
                )
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
    # the port a browser is sent to can differ from the one nginx listens on (a published or forwarded port)
    redirect_port = opts["tls_redirect_port"]
    if redirect_port is None and result["tls_redirect"]:
        redirect_port = result["tls_listen"][0].rsplit(":", 1)[-1]
    result["tls_redirect_port"] = (
        parse_port(redirect_port, "tls_redirect_port", NginxConfigError) if result["tls_redirect"] else None
    )
    result["hsts_max_age"] = validate_int(opts["hsts_max_age"], "hsts_max_age", 0, MAX_INT32)
    for key in ("connect_timeout", "read_timeout", "send_timeout"):
        result[key] = validate_time(opts[key], key, allow_zero=False)
    conditions = opts["next_upstream"]
    if isinstance(conditions, str):
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
    rate_limit = opts["rate_limit"]
    result["rate_limit"] = None if rate_limit is None else validate_rate(rate_limit, "rate_limit")
    result["rate_limit_burst"] = validate_int(opts["rate_limit_burst"], "rate_limit_burst", 0, MAX_RATE_LIMIT_BURST)
    if result["rate_limit"] is None and result["rate_limit_burst"]:
        raise NginxConfigError("rate_limit_burst", result["rate_limit_burst"], "needs rate_limit; set it (e.g. 10r/s)")
    access_log = opts["access_log"]
    if access_log is None:
        access_log = "/var/log/nginx/%s.access.log" % name
    result["access_log"] = "off" if access_log == "off" else validate_path(access_log, "access_log")
    return result


def log_format_name(name):
    """Name of the ``log_format`` a site's access log uses."""
    return "%s_upstream" % name


def variable_suffix(name):
    """Map a site name onto the characters allowed in an nginx variable name."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def _version_tuple(version):
    if not version:
        return None
    if isinstance(version, tuple):
        return version
    match = re.search(r"([0-9]+)\.([0-9]+)\.([0-9]+)", str(version))
    return tuple(int(part) for part in match.groups()) if match else None


def _listen(address, ssl, http2_flag, default_server):
    flags = [
        flag for flag, wanted in (("ssl", ssl), ("http2", http2_flag), ("default_server", default_server)) if wanted
    ]
    return Directive("listen", address, *flags)


def rate_limit_zone(name):
    """Name of the ``limit_req_zone`` a site's rate limit uses."""
    return "%s_req" % variable_suffix(name)


def _location(site, upgrade_var):
    """``location /``: pass everything to the backend, with the headers it needs to know the client."""
    body = []
    if site["rate_limit"]:
        # nodelay: the burst (a page load's index and assets) is served at once, not spread out at the rate
        burst = ["burst=%d" % site["rate_limit_burst"], "nodelay"] if site["rate_limit_burst"] else []
        body += [
            Directive("limit_req", "zone=%s" % rate_limit_zone(site["name"]), *burst),
            Directive("limit_req_status", "429"),
        ]
    body += [
        Directive("proxy_pass", site["proxy_pass"]),
        Directive("proxy_http_version", "1.1"),
        Directive("proxy_set_header", "Host", "$host"),
        Directive("proxy_set_header", "X-Real-IP", "$remote_addr"),
        Directive("proxy_set_header", "X-Forwarded-For", "$proxy_add_x_forwarded_for"),
        Directive("proxy_set_header", "X-Forwarded-Proto", "$scheme"),
        Directive("proxy_set_header", "X-Forwarded-Host", "$host"),
    ]
    if site["websocket"]:
        body += [
            Directive("proxy_set_header", "Upgrade", "$http_upgrade"),
            Directive("proxy_set_header", "Connection", upgrade_var),
        ]
    else:
        body.append(Directive("proxy_set_header", "Connection", "''"))
    body += [
        Directive("proxy_connect_timeout", site["connect_timeout"]),
        Directive("proxy_read_timeout", site["read_timeout"]),
        Directive("proxy_send_timeout", site["send_timeout"]),
        Directive("proxy_next_upstream", *site["next_upstream"]),
        Directive("proxy_next_upstream_tries", str(site["next_upstream_tries"])),
        Directive("proxy_next_upstream_timeout", site["next_upstream_timeout"]),
    ]
    return Block("location", "/", body=body)


def _proxy(site, upgrade_var):
    """What a server block that proxies holds after its names, listens and TLS settings."""
    body = [Directive("client_max_body_size", site["client_max_body_size"])]
    if site["security_headers"]:
        body += [
            Directive("add_header", "X-Content-Type-Options", "nosniff", "always"),
            Directive("add_header", "X-Frame-Options", "SAMEORIGIN", "always"),
            Directive("add_header", "Referrer-Policy", "strict-origin-when-cross-origin", "always"),
        ]
    if site["tls"] and site["hsts"]:
        body.append(Directive("add_header", "Strict-Transport-Security", "max-age=%d" % site["hsts_max_age"], "always"))
    return body + [_location(site, upgrade_var)]


def _tls(site, http2_directive):
    if not site["tls"]:
        return []
    body = [
        Directive("ssl_certificate", site["tls_certificate"]),
        Directive("ssl_certificate_key", site["tls_certificate_key"]),
        Directive("ssl_protocols", "TLSv1.2", "TLSv1.3"),
        Directive("ssl_session_cache", "shared:%s_tls:1m" % variable_suffix(site["name"])),
        Directive("ssl_session_timeout", "1h"),
    ]
    if http2_directive:
        body.append(Directive("http2", "on"))
    return body


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
    nodes = []
    if normalized["access_log"] != "off":
        nodes.append(Directive("log_format", log_format, "escape=default", continued=LOG_FORMAT))
    if normalized["rate_limit"]:
        nodes.append(
            Directive(
                "limit_req_zone",
                "$binary_remote_addr",
                "zone=%s:%s" % (rate_limit_zone(name), RATE_LIMIT_ZONE_SIZE),
                "rate=%s" % normalized["rate_limit"],
            )
        )
    if normalized["websocket"]:
        nodes.append(
            Block("map", "$http_upgrade", upgrade_var, body=[Directive("default", "upgrade"), Directive("''", "''")])
        )
    common = [Directive("server_name", *normalized["server_names"])]
    if normalized["access_log"] == "off":
        common.append(Directive("access_log", "off"))
    else:
        common.append(Directive("access_log", normalized["access_log"], log_format))
    plain = [_listen(address, False, False, normalized["default_server"]) for address in normalized["listen"]]
    secure = [
        _listen(address, True, normalized["http2"] and not http2_directive, normalized["default_server"])
        for address in normalized["tls_listen"]
    ]
    proxy = _tls(normalized, http2_directive) + _proxy(normalized, upgrade_var)
    if normalized["tls_redirect"]:
        target_port = normalized["tls_redirect_port"]
        target = "https://$host%s$request_uri" % ("" if target_port == 443 else ":%d" % target_port)
        nodes.append(Block("server", body=plain + common + [Directive("return", "301", target)]))
        nodes.append(Block("server", body=secure + common + proxy))
    else:
        nodes.append(Block("server", body=plain + secure + common + proxy))
    return REVERSE_PROXY_HEADER + emit(nodes)
