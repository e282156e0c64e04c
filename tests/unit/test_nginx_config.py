"""Unit tests for the pure nginx validation and rendering code
(plugins/module_utils/nginx_grammar.py, nginx_upstream_conf.py and nginx_site_conf.py)."""

import pytest

from ansible_collections.dumbflix.stack.plugins.module_utils import nginx_grammar as grammar
from ansible_collections.dumbflix.stack.plugins.module_utils import nginx_site_conf as site_conf
from ansible_collections.dumbflix.stack.plugins.module_utils import nginx_upstream_conf as upstream_conf
from ansible_collections.dumbflix.stack.plugins.module_utils.nginx_grammar import NginxConfigError


def refusal(func, *args, **kwargs):
    with pytest.raises(NginxConfigError) as info:
        func(*args, **kwargs)
    return str(info.value)


# --- scalar validators -------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        (10, "10"),
        ("10", "10"),
        ("30s", "30s"),
        ("500ms", "500ms"),
        ("1m", "1m"),
        ("0", "0"),
        ("010s", "10s"),
        ("2h", "2h"),
        ("1d", "1d"),
        ("24d", "24d"),
    ],
)
def test_validate_time_accepts(value, expected):
    assert grammar.validate_time(value, "t") == expected


@pytest.mark.parametrize(
    "value, reason",
    [
        ("abc", "is not an nginx time (e.g. 10, 30s, 500ms, 1m)"),
        ("", "is not an nginx time (e.g. 10, 30s, 500ms, 1m)"),
        ("10x", "is not an nginx time (e.g. 10, 30s, 500ms, 1m)"),
        ("-5s", "is not an nginx time (e.g. 10, 30s, 500ms, 1m)"),
        ("1.5s", "is not an nginx time (e.g. 10, 30s, 500ms, 1m)"),
        (True, "is not an nginx time (e.g. 10, 30s, 500ms, 1m)"),
        (2.5, "is not an nginx time (e.g. 10, 30s, 500ms, 1m)"),
        (-1, "is negative; an nginx time must be 0 or more"),
        ("25d", "is above the maximum nginx time 2147483647ms (about 24 days)"),
        ("10 s", "contains ' ', which is not allowed in an nginx value"),
        ("10s;", "contains ';', which is not allowed in an nginx value"),
    ],
)
def test_validate_time_refuses(value, reason):
    assert refusal(grammar.validate_time, value, "servers[1].fail_timeout") == "servers[1].fail_timeout: %r %s" % (
        value,
        reason,
    )


def test_validate_time_seconds_only_and_zero():
    assert refusal(grammar.validate_time, "500ms", "f", seconds_only=True) == (
        "f: '500ms' is in milliseconds, but nginx reads this value in whole seconds (e.g. 10, 30s, 1m)"
    )
    assert grammar.validate_time("1m", "f", seconds_only=True) == "1m"
    assert (
        refusal(grammar.validate_time, "0s", "connect_timeout", allow_zero=False)
        == "connect_timeout: '0s' must be greater than 0"
    )


def test_design_doc_error_example():
    """The exact message quoted in docs/design.md."""
    with pytest.raises(NginxConfigError) as info:
        upstream_conf.normalize_upstream_servers(
            [{"address": "a", "port": 1}, {"address": "b", "port": 1, "fail_timeout": "abc"}]
        )
    assert str(info.value) == "servers[1].fail_timeout: 'abc' is not an nginx time (e.g. 10, 30s, 500ms, 1m)"
    assert info.value.field == "servers[1].fail_timeout"
    assert info.value.value == "abc"


@pytest.mark.parametrize(
    "func, value, expected, message",
    [
        (grammar.validate_int, "7", 7, "n: '7.5' is not an integer"),
        (grammar.validate_bool, "Off", False, "n: '7.5' is not a boolean (use true or false)"),
        (grammar.validate_port, "443", 443, "n: '7.5' is not an integer"),
    ],
)
def test_bool_int_and_port_are_the_collections_parsers(func, value, expected, message):
    """values.py's parsers (tested in test_values.py), refusing with NginxConfigError like every nginx check."""
    assert func(value, "n") == expected
    assert refusal(func, "7.5", "n") == message


@pytest.mark.parametrize("value, expected", [(0, "0"), ("1m", "1m"), ("512K", "512k"), ("2g", "2g"), ("100", "100")])
def test_validate_size(value, expected):
    assert grammar.validate_size(value, "s") == expected


@pytest.mark.parametrize("value", ["1t", "1.5m", "m", "", "-1", True, "99999999999999999999g"])
def test_validate_size_refuses(value):
    with pytest.raises(NginxConfigError):
        grammar.validate_size(value, "s")


@pytest.mark.parametrize("value", ["dumbflix", "_x", "a.b-c_d", "A1"])
def test_validate_identifier(value):
    assert grammar.validate_identifier(value, "name") == value


@pytest.mark.parametrize("value", ["1abc", "-x", ".x", "a b", "a/b", "a;b", "", None, "x" * 129, "ünïcode"])
def test_validate_identifier_refuses(value):
    with pytest.raises(NginxConfigError) as info:
        grammar.validate_identifier(value, "name")
    assert str(info.value).startswith("name: ")


@pytest.mark.parametrize("char", list(";{}\"'\\#`") + [" ", "\t", "\n", "\r", "\x00", "\x7f", "\u00e9"])
def test_syntax_characters_are_refused_everywhere(char):
    value = "a%sb" % char
    for func in (
        grammar.validate_identifier,
        grammar.validate_server_name,
        grammar.validate_path,
        grammar.validate_hash_key,
        grammar.validate_time,
        grammar.validate_size,
        grammar.validate_backend_url,
        grammar.validate_listen,
    ):
        with pytest.raises(NginxConfigError) as info:
            func(value, "f")
        assert str(info.value).startswith("f: %r " % value)
    assert refusal(grammar.validate_host, value, "f") == "f: %r contains %r, which is not allowed in an nginx value" % (
        value,
        char,
    )


# --- hosts -------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("127.0.0.1", ("ipv4", "127.0.0.1")),
        ("::1", ("ipv6", "::1")),
        ("[2001:DB8:0:0::1]", ("ipv6", "2001:db8::1")),
        ("App1.Internal", ("hostname", "app1.internal")),
        ("dumbflix_app_1", ("hostname", "dumbflix_app_1")),
        ("unix:/run/app.sock", ("unix", "unix:/run/app.sock")),
    ],
)
def test_validate_host(value, expected):
    assert grammar.validate_host(value, "a", allow_unix=True) == expected


@pytest.mark.parametrize(
    "value, reason",
    [
        ("256.1.1.1", "is not a valid IPv4 address"),
        ("1.2.3", "is not a valid IPv4 address"),
        ("01.2.3.4", "is not a valid IPv4 address"),
        ("fe80::1%eth0", "has an IPv6 zone index ('%'), which nginx does not accept here"),
        ("[::1", "is not a valid IPv6 address"),
        ("1::2::3", "is not a valid IPv6 address"),
        (
            "-bad.example",
            "is not a valid host name (labels of letters, digits, '-' or '_', at most 63 characters, "
            "not starting or ending with '-')",
        ),
        ("a..b", "has an empty label; it is not a valid host name"),
        ("host.123", "is neither a valid IPv4 address nor a host name"),
        (
            "unix:relative.sock",
            "is not a valid unix socket (expected unix:/absolute/path of letters, digits and _ . @ + , = / -)",
        ),
        ("unix:/" + "x" * 107, "has a socket path longer than 107 bytes"),
        (
            "a$host",
            "is not a valid host name (labels of letters, digits, '-' or '_', at most 63 characters, "
            "not starting or ending with '-')",
        ),
    ],
)
def test_validate_host_refuses(value, reason):
    assert refusal(grammar.validate_host, value, "a", allow_unix=True) == "a: %r %s" % (value, reason)


def test_unix_socket_only_where_allowed():
    assert (
        refusal(grammar.validate_host, "unix:/x.sock", "a")
        == "a: 'unix:/x.sock' is a unix socket, which is not allowed here"
    )


@pytest.mark.parametrize(
    "value, expected",
    [
        ("Alvin.XYZ", "alvin.xyz"),
        ("*.alvin.xyz", "*.alvin.xyz"),
        ("www.alvin.*", "www.alvin.*"),
        (".alvin.xyz", ".alvin.xyz"),
        ("_", "_"),
        ("localhost", "localhost"),
        ("10.0.0.1", "10.0.0.1"),
    ],
)
def test_validate_server_name(value, expected):
    assert grammar.validate_server_name(value, "server_names[0]") == expected


@pytest.mark.parametrize(
    "value, reason",
    [
        ("~^www\\.", None),
        ("~^(www)$", "is a regular expression; only host names and wildcards are supported"),
        (
            "a.*.b",
            "has a misplaced '*'; a wildcard must be the whole first label (*.example.com) or last label (www.example.*)",
        ),
        (
            "*",
            "has a misplaced '*'; a wildcard must be the whole first label (*.example.com) or last label (www.example.*)",
        ),
        (
            "*.a.*",
            "has a misplaced '*'; a wildcard must be the whole first label (*.example.com) or last label (www.example.*)",
        ),
        (
            "ex_ample-.com",
            "is not a valid server name (labels of letters, digits, '-' or '_', at most 63 characters, "
            "not starting or ending with '-')",
        ),
        (
            "x" * 64 + ".com",
            "is not a valid server name (labels of letters, digits, '-' or '_', at most 63 characters, "
            "not starting or ending with '-')",
        ),
    ],
)
def test_validate_server_name_refuses(value, reason):
    message = refusal(grammar.validate_server_name, value, "server_names[2]")
    if reason is not None:
        assert message == "server_names[2]: %r %s" % (value, reason)
    else:
        assert message.startswith("server_names[2]: ")


@pytest.mark.parametrize(
    "value, expected",
    [
        ("http://127.0.0.1:3000", "http://127.0.0.1:3000"),
        ("https://Backend.Example/app/", "https://backend.example/app/"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("http://app", "http://app"),
    ],
)
def test_validate_backend_url(value, expected):
    assert grammar.validate_backend_url(value, "backend_url") == expected


@pytest.mark.parametrize(
    "value, reason",
    [
        ("ftp://x", "is not an http:// or https:// URL"),
        ("http://", "has no host"),
        ("http://x:0", "has port '0'; a port is an integer from 1 to 65535"),
        ("http://x:http", "has port 'http'; a port is an integer from 1 to 65535"),
        ("http://x:", "has port ''; a port is an integer from 1 to 65535"),
        ("http://x/a?b=1", "has a path with characters other than letters, digits and _ . ~ / -"),
        ("http://x/$uri", "has a path with characters other than letters, digits and _ . ~ / -"),
        ("http://[::1", "has a malformed [IPv6] host"),
    ],
)
def test_validate_backend_url_refuses(value, reason):
    assert refusal(grammar.validate_backend_url, value, "backend_url") == "backend_url: %r %s" % (value, reason)


@pytest.mark.parametrize(
    "value, expected",
    [
        (80, "80"),
        ("8080", "8080"),
        ("127.0.0.1:8080", "127.0.0.1:8080"),
        ("*:80", "*:80"),
        ("[::]:443", "[::]:443"),
    ],
)
def test_validate_listen(value, expected):
    assert grammar.validate_listen(value, "listen[0]") == expected


@pytest.mark.parametrize("value", [0, 70000, "localhost:80", "1.2.3.4", "[::1]", ":80", True, 8.5])
def test_validate_listen_refuses(value):
    with pytest.raises(NginxConfigError) as info:
        grammar.validate_listen(value, "listen[0]")
    assert str(info.value).startswith("listen[0]: ")


@pytest.mark.parametrize("value", ["$request_uri", "$remote_addr$request_uri", "$host-x", "static"])
def test_validate_hash_key(value):
    assert grammar.validate_hash_key(value, "hash_key") == value


@pytest.mark.parametrize("value", ["$", "$1abc", "a%b", "$request_uri;", "${host}"])
def test_validate_hash_key_refuses(value):
    with pytest.raises(NginxConfigError):
        grammar.validate_hash_key(value, "hash_key")


# --- upstream ----------------------------------------------------------------


def test_normalize_upstream_server_fills_every_key():
    assert upstream_conf.normalize_upstream_server({"address": "10.0.0.1"}) == {
        "address": "10.0.0.1",
        "port": 80,
        "weight": None,
        "max_fails": None,
        "max_conns": None,
        "fail_timeout": None,
        "backup": False,
        "down": False,
    }
    server = upstream_conf.normalize_upstream_server(
        {
            "address": "[2001:db8::1]",
            "port": "3000",
            "weight": "3",
            "max_fails": 0,
            "fail_timeout": 10,
            "backup": "yes",
            "down": False,
            "max_conns": "0",
        },
        index=4,
    )
    assert server == {
        "address": "2001:db8::1",
        "port": 3000,
        "weight": 3,
        "max_fails": 0,
        "max_conns": 0,
        "fail_timeout": "10",
        "backup": True,
        "down": False,
    }


def test_normalize_upstream_server_field_prefixes():
    assert (
        refusal(upstream_conf.normalize_upstream_server, {"address": "a", "weight": 0})
        == "weight: 0 is below the minimum 1"
    )
    assert (
        refusal(upstream_conf.normalize_upstream_server, {"address": "a", "weight": 0}, 2)
        == "servers[2].weight: 0 is below the minimum 1"
    )
    assert refusal(upstream_conf.normalize_upstream_server, {"address": "a", "weight": 0}, field="lb_backend") == (
        "lb_backend.weight: 0 is below the minimum 1"
    )


@pytest.mark.parametrize(
    "server, message",
    [
        ({}, "servers[0].address: is missing; every server needs an address"),
        ({"address": None}, "servers[0].address: is missing; every server needs an address"),
        ("10.0.0.1:80", "servers[0]: '10.0.0.1:80' is not a dictionary with an 'address' key"),
        (
            {"address": "a", "wieght": 2},
            "servers[0]: 'wieght' is not a known server option (expected one of address, port, "
            "weight, max_fails, fail_timeout, backup, down, max_conns)",
        ),
        (
            {"address": "unix:/a.sock", "port": 80},
            "servers[0].port: 80 is set, but a unix: socket address takes no port",
        ),
        ({"address": "a", "port": 65536}, "servers[0].port: 65536 is above the maximum 65535"),
        ({"address": "a", "max_fails": -1}, "servers[0].max_fails: -1 is below the minimum 0"),
        ({"address": "a", "max_conns": "lots"}, "servers[0].max_conns: 'lots' is not an integer"),
        ({"address": "a", "weight": 1001}, "servers[0].weight: 1001 is above the maximum 1000"),
        ({"address": "a", "down": "maybe"}, "servers[0].down: 'maybe' is not a boolean (use true or false)"),
    ],
)
def test_normalize_upstream_server_refuses(server, message):
    assert refusal(upstream_conf.normalize_upstream_server, server, 0) == message


def test_duplicate_servers_are_refused_after_normalization():
    servers = [{"address": "::1", "port": 3000}, {"address": "[0:0::1]", "port": "3000"}]
    assert refusal(upstream_conf.normalize_upstream_servers, servers) == (
        "servers[1]: '[::1]:3000' duplicates servers[0]; each address:port may appear once"
    )
    servers = [{"address": "App", "port": 80}, {"address": "app"}]
    assert refusal(upstream_conf.normalize_upstream_servers, servers) == (
        "servers[1]: 'app:80' duplicates servers[0]; each address:port may appear once"
    )
    assert upstream_conf.normalize_upstream_servers([{"address": "a", "port": 1}, {"address": "a", "port": 2}])


def upstream(**kwargs):
    options = {
        "name": "dumbflix",
        "servers": [{"address": "10.0.0.1", "port": 3000}, {"address": "10.0.0.2", "port": 3000}],
    }
    options.update(kwargs)
    return options


@pytest.mark.parametrize(
    "options, message",
    [
        (upstream(servers=[]), "servers: is empty; an upstream needs at least one server when state=present"),
        (upstream(servers=None), "servers: is empty; an upstream needs at least one server when state=present"),
        (upstream(method="sticky"), "method: 'sticky' is not one of round_robin, least_conn, ip_hash, hash, random"),
        (upstream(method="hash"), "hash_key: None is required with method=hash (e.g. $request_uri)"),
        (upstream(hash_key="$uri"), "hash_key: '$uri' is only used with method=hash (method is round_robin)"),
        (upstream(consistent=True), "consistent: True is only used with method=hash (method is round_robin)"),
        (upstream(two=True, method="least_conn"), "two: True is only used with method=random (method is least_conn)"),
        (upstream(keepalive=-1), "keepalive: -1 is below the minimum 0"),
        (upstream(keepalive=65536), "keepalive: 65536 is above the maximum 65535"),
        (
            upstream(keepalive_timeout="60s"),
            "keepalive_timeout: '60s' is only used with keepalive > 0 (keepalive is 0, which is off)",
        ),
        (upstream(keepalive=8, keepalive_requests=0), "keepalive_requests: 0 is below the minimum 1"),
        (
            upstream(servers=[{"address": "a", "backup": True}]),
            "servers: are all backup servers; at least one server must not be a backup",
        ),
    ],
)
def test_normalize_upstream_refuses(options, message):
    assert refusal(upstream_conf.normalize_upstream, options) == message


@pytest.mark.parametrize("method, extra", [("hash", {"hash_key": "$uri"}), ("ip_hash", {}), ("random", {})])
def test_backup_refused_with_methods_nginx_rejects(method, extra):
    options = upstream(method=method, **extra)
    options["servers"][1]["backup"] = True
    assert refusal(upstream_conf.normalize_upstream, options) == (
        "servers[1].backup: True cannot be used with method=%s "
        "(nginx refuses backup servers with hash, ip_hash and random)" % method
    )


def test_render_upstream_full():
    options = {
        "name": "dumbflix",
        "method": "least_conn",
        "keepalive": 16,
        "keepalive_timeout": "60s",
        "keepalive_requests": 100,
        "servers": [
            {
                "address": "172.18.0.3",
                "port": 3000,
                "weight": 3,
                "max_fails": 2,
                "fail_timeout": "10s",
                "max_conns": 50,
            },
            {"address": "2001:db8::5", "port": 3000, "backup": True},
            {"address": "unix:/run/app.sock", "down": True},
        ],
    }
    assert upstream_conf.render_upstream(upstream_conf.normalize_upstream(options)) == (
        "# Managed by dumbflix.stack.nginx_upstream \u2014 local edits are overwritten.\n"
        "upstream dumbflix {\n"
        "    zone upstream_dumbflix 64k;\n"
        "    least_conn;\n"
        "    server 172.18.0.3:3000 weight=3 max_fails=2 fail_timeout=10s max_conns=50;\n"
        "    server [2001:db8::5]:3000 backup;\n"
        "    server unix:/run/app.sock down;\n"
        "    keepalive 16;\n"
        "    keepalive_timeout 60s;\n"
        "    keepalive_requests 100;\n"
        "}\n"
    )


@pytest.mark.parametrize(
    "extra, line",
    [
        ({}, None),
        ({"method": "ip_hash"}, "    ip_hash;\n"),
        ({"method": "hash", "hash_key": "$request_uri"}, "    hash $request_uri;\n"),
        ({"method": "hash", "hash_key": "$request_uri", "consistent": True}, "    hash $request_uri consistent;\n"),
        ({"method": "random"}, "    random;\n"),
        ({"method": "random", "two": True}, "    random two;\n"),
        ({"method": "least_conn", "consistent": False, "two": False}, "    least_conn;\n"),
    ],
)
def test_render_methods(extra, line):
    text = upstream_conf.render_upstream(upstream_conf.normalize_upstream(upstream(**extra)))
    body = "    server 10.0.0.1:3000;\n    server 10.0.0.2:3000;\n}\n"
    zone = "    zone upstream_dumbflix 64k;\n"
    assert text == upstream_conf.UPSTREAM_HEADER + "upstream dumbflix {\n" + zone + (line or "") + body
    # a method left off must not leak in as a directive (the truthiness bug of template-based roles)
    for other in ("least_conn", "ip_hash", "hash ", "random"):
        if line is None or other not in line:
            assert other not in text.split("{", 1)[1]


@pytest.mark.parametrize(
    "size, line",
    [
        (None, "    zone upstream_dumbflix 64k;\n"),
        ("1m", "    zone upstream_dumbflix 1m;\n"),
        ("32k", "    zone upstream_dumbflix 32k;\n"),
        (0, None),
        ("0", None),
    ],
)
def test_render_zone(size, line):
    text = upstream_conf.render_upstream(upstream_conf.normalize_upstream(upstream(zone_size=size)))
    if line is None:
        assert "zone" not in text
    else:
        assert line in text


@pytest.mark.parametrize("size", ["16k", "31k", "2g", "abc", "64k;", "1 m", True])
def test_zone_size_refused(size):
    with pytest.raises(grammar.NginxConfigError) as err:
        upstream_conf.normalize_upstream(upstream(zone_size=size))
    assert str(err.value).startswith("zone_size: ")


def test_render_is_deterministic_and_keepalive_off_renders_nothing():
    first = upstream_conf.render_upstream(upstream_conf.normalize_upstream(upstream(keepalive=0)))
    assert first == upstream_conf.render_upstream(upstream_conf.normalize_upstream(upstream(keepalive="0")))
    assert "keepalive" not in first


# --- reverse proxy -----------------------------------------------------------


def site(**kwargs):
    options = {"name": "dumbflix", "server_names": ["alvin.xyz", "www.alvin.xyz"], "upstream": "dumbflix"}
    options.update(kwargs)
    return options


def test_render_reverse_proxy_defaults():
    text = site_conf.render_reverse_proxy(site_conf.normalize_reverse_proxy(site()))
    assert text.startswith(site_conf.REVERSE_PROXY_HEADER)
    lines = text.splitlines()
    for expected in [
        "log_format dumbflix_upstream escape=default",
        '    \'upstream_addr="$upstream_addr" upstream_status="$upstream_status" '
        'upstream_response_time="$upstream_response_time"\';',
        "map $http_upgrade $dumbflix_connection_upgrade {",
        "    listen 80;",
        "    server_name alvin.xyz www.alvin.xyz;",
        "    access_log /var/log/nginx/dumbflix.access.log dumbflix_upstream;",
        "    client_max_body_size 1m;",
        "    add_header X-Content-Type-Options nosniff always;",
        "        proxy_pass http://dumbflix;",
        "        proxy_http_version 1.1;",
        "        proxy_set_header Host $host;",
        "        proxy_set_header X-Real-IP $remote_addr;",
        "        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "        proxy_set_header X-Forwarded-Proto $scheme;",
        "        proxy_set_header Upgrade $http_upgrade;",
        "        proxy_set_header Connection $dumbflix_connection_upgrade;",
        "        proxy_connect_timeout 3s;",
        "        proxy_read_timeout 60s;",
        "        proxy_send_timeout 60s;",
        "        proxy_next_upstream error timeout http_502 http_503 http_504;",
        "        proxy_next_upstream_tries 0;",
        "        proxy_next_upstream_timeout 0;",
    ]:
        assert expected in lines, expected
    assert "ssl" not in text
    assert text.count("server {") == 1
    assert text.count("{") == text.count("}")


def test_render_reverse_proxy_options():
    text = site_conf.render_reverse_proxy(
        site_conf.normalize_reverse_proxy(
            site(
                name="api.v2",
                upstream=None,
                backend_url="http://127.0.0.1:5000",
                websocket=False,
                security_headers=False,
                next_upstream=["http_504", "error", "timeout"],
                next_upstream_tries="3",
                next_upstream_timeout="10s",
                listen=["127.0.0.1:8080", 8081],
                default_server=True,
                client_max_body_size="10M",
                access_log="off",
            )
        )
    )
    lines = text.splitlines()
    assert "    listen 127.0.0.1:8080 default_server;" in lines
    assert "    listen 8081 default_server;" in lines
    assert "        proxy_pass http://127.0.0.1:5000;" in lines
    assert "        proxy_set_header Connection '';" in lines
    assert "        proxy_next_upstream error timeout http_504;" in lines  # canonical order
    assert "        proxy_next_upstream_tries 3;" in lines
    assert "        proxy_next_upstream_timeout 10s;" in lines
    assert "    client_max_body_size 10m;" in lines
    assert "    access_log off;" in lines
    assert "log_format" not in text and "map " not in text and "add_header" not in text


def test_render_tls_redirect_hsts_http2():
    normalized = site_conf.normalize_reverse_proxy(
        site(
            tls_certificate="/etc/ssl/a.pem",
            tls_certificate_key="/etc/ssl/a.key",
            hsts=True,
            http2=True,
            tls_listen=[8443],
        )
    )
    old = site_conf.render_reverse_proxy(normalized, nginx_version="1.22.1")
    new = site_conf.render_reverse_proxy(normalized, nginx_version="nginx version: nginx/1.26.3")
    assert old.count("server {") == 2
    assert "    return 301 https://$host:8443$request_uri;" in old.splitlines()
    assert "    listen 8443 ssl http2;" in old.splitlines()
    assert "http2 on;" not in old
    assert "    listen 8443 ssl;" in new.splitlines() and "    http2 on;" in new.splitlines()
    assert "    add_header Strict-Transport-Security max-age=31536000 always;" in old.splitlines()
    redirect_block = old.split("server {")[1]
    assert "proxy_pass" not in redirect_block and "Strict-Transport" not in redirect_block
    # without a redirect one server block answers both plain and TLS ports
    both = site_conf.render_reverse_proxy(
        site_conf.normalize_reverse_proxy(
            site(tls_certificate="/a.pem", tls_certificate_key="/a.key", tls_redirect=False)
        )
    )
    assert (
        both.count("server {") == 1
        and "    listen 80;" in both.splitlines()
        and "    listen 443 ssl;" in both.splitlines()
    )
    # HTTPS only
    only = site_conf.render_reverse_proxy(
        site_conf.normalize_reverse_proxy(site(listen=[], tls_certificate="/a.pem", tls_certificate_key="/a.key"))
    )
    assert only.count("server {") == 1 and "return 301" not in only


def test_render_tls_redirect_port_and_hsts_max_age():
    tls = dict(tls_certificate="/a.pem", tls_certificate_key="/a.key")
    # nginx listens on 443, the browser reaches it on a published 8443
    published = site_conf.render_reverse_proxy(site_conf.normalize_reverse_proxy(site(tls_redirect_port=8443, **tls)))
    assert "    return 301 https://$host:8443$request_uri;" in published.splitlines()
    assert "    listen 443 ssl;" in published.splitlines()
    # the other way round: nginx on 8443 behind a router forwarding 443
    forwarded = site_conf.render_reverse_proxy(
        site_conf.normalize_reverse_proxy(site(tls_listen=["127.0.0.1:8443"], tls_redirect_port="443", **tls))
    )
    assert "    return 301 https://$host$request_uri;" in forwarded.splitlines()
    hsts = site_conf.render_reverse_proxy(site_conf.normalize_reverse_proxy(site(hsts=True, hsts_max_age=300, **tls)))
    assert "    add_header Strict-Transport-Security max-age=300 always;" in hsts.splitlines()
    # no redirect, no redirect port
    assert (
        site_conf.normalize_reverse_proxy(site(tls_redirect=False, tls_redirect_port=8443, **tls))["tls_redirect_port"]
        is None
    )


def test_render_rate_limit_zone_at_http_level_and_limit_in_the_location():
    text = site_conf.render_reverse_proxy(
        site_conf.normalize_reverse_proxy(site(rate_limit="10r/s", rate_limit_burst=30))
    )
    lines = text.splitlines()
    assert "limit_req_zone $binary_remote_addr zone=dumbflix_req:1m rate=10r/s;" in lines
    location = text.split("location / {")[1]
    assert location.splitlines()[1:3] == [
        "        limit_req zone=dumbflix_req burst=30 nodelay;",
        "        limit_req_status 429;",
    ]
    without_burst = site_conf.render_reverse_proxy(site_conf.normalize_reverse_proxy(site(rate_limit="300r/m")))
    assert "        limit_req zone=dumbflix_req;" in without_burst.splitlines()
    assert "limit_req" not in site_conf.render_reverse_proxy(site_conf.normalize_reverse_proxy(site()))


def test_render_tls_protocols_are_1_2_and_1_3_only():
    text = site_conf.render_reverse_proxy(
        site_conf.normalize_reverse_proxy(site(tls_certificate="/a.pem", tls_certificate_key="/a.key"))
    )
    assert "    ssl_protocols TLSv1.2 TLSv1.3;" in text.splitlines()


@pytest.mark.parametrize(
    "options, message",
    [
        (site(server_names=[]), "server_names: is empty; list at least one host name (or '_')"),
        (site(server_names=["a.b", "A.B"]), "server_names[1]: 'A.B' is already listed as server_names[0]"),
        (site(server_names="alvin.xyz"), "server_names: 'alvin.xyz' is not a list"),
        (site(upstream=None), "upstream: is missing; set upstream or backend_url"),
        (site(backend_url="http://a"), "backend_url: 'http://a' is set together with upstream; set only one of them"),
        (site(listen=[80, "80"]), "listen[1]: '80' is already listed as listen[0]"),
        (site(listen=[]), "listen: is empty; without TLS the site needs at least one port"),
        (
            site(tls_certificate="/a.pem"),
            "tls_certificate_key: is missing; TLS needs both tls_certificate and tls_certificate_key",
        ),
        (site(hsts=True), "hsts: True needs TLS; set tls_certificate and tls_certificate_key"),
        (site(http2=True), "http2: True needs TLS; set tls_certificate and tls_certificate_key"),
        (
            site(tls_certificate="/a.pem", tls_certificate_key="/a.key", tls_listen=[80]),
            "tls_listen[0]: '80' is also in listen; a port is either plain or TLS",
        ),
        (
            site(tls_certificate="a.pem", tls_certificate_key="/a.key"),
            "tls_certificate: 'a.pem' is not an absolute file path of letters, digits and _ . @ + , = / - (not ending in '/')",
        ),
        (
            site(tls_certificate="/a.pem", tls_certificate_key="/a.key", tls_redirect_port=0),
            "tls_redirect_port: 0 is below the minimum 1",
        ),
        (
            site(tls_certificate="/a.pem", tls_certificate_key="/a.key", tls_redirect_port="8443;"),
            "tls_redirect_port: '8443;' is not an integer",
        ),
        (
            site(tls_certificate="/a.pem", tls_certificate_key="/a.key", hsts=True, hsts_max_age=-1),
            "hsts_max_age: -1 is below the minimum 0",
        ),
        (site(rate_limit="10r/h"), "rate_limit: '10r/h' is not an nginx rate (e.g. 10r/s, 300r/m)"),
        (site(rate_limit="0r/s"), "rate_limit: '0r/s' must be at least 1r/s or 1r/m"),
        (site(rate_limit="10r/s;"), "rate_limit: '10r/s;' contains ';', which is not allowed in an nginx value"),
        (site(rate_limit=10), "rate_limit: 10 is not an nginx rate (e.g. 10r/s, 300r/m)"),
        (site(rate_limit_burst=5), "rate_limit_burst: 5 needs rate_limit; set it (e.g. 10r/s)"),
        (site(rate_limit="10r/s", rate_limit_burst=-1), "rate_limit_burst: -1 is below the minimum 0"),
        (site(connect_timeout="0"), "connect_timeout: '0' must be greater than 0"),
        (
            site(next_upstream=["error", "http_418"]),
            "next_upstream[1]: 'http_418' is not one of error, timeout, invalid_header, "
            "http_500, http_502, http_503, http_504, http_403, http_404, http_429, "
            "non_idempotent, off",
        ),
        (site(next_upstream=["off", "error"]), "next_upstream: 'off' cannot be combined with other conditions"),
        (site(next_upstream=[]), "next_upstream: is empty; use [off] to disable retries"),
        (site(next_upstream_tries=-1), "next_upstream_tries: -1 is below the minimum 0"),
        (
            site(client_max_body_size="1 m"),
            "client_max_body_size: '1 m' contains ' ', which is not allowed in an nginx value",
        ),
        (
            site(access_log="/var/log/x.log;error_log"),
            "access_log: '/var/log/x.log;error_log' contains ';', which is not allowed in an nginx value",
        ),
    ],
)
def test_normalize_reverse_proxy_refuses(options, message):
    assert refusal(site_conf.normalize_reverse_proxy, options) == message


def test_normalize_reverse_proxy_returns_normalized_names():
    result = site_conf.normalize_reverse_proxy(site(server_names=["WWW.Alvin.XYZ", "*.Alvin.xyz"]))
    assert result["server_names"] == ["www.alvin.xyz", "*.alvin.xyz"]
    assert result["proxy_pass"] == "http://dumbflix"


def test_variable_suffix():
    assert site_conf.variable_suffix("a.b-c_d") == "a_b_c_d"
