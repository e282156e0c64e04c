"""Unit tests for the nginx value grammar (plugins/module_utils/nginx_grammar.py): times, sizes, names, hosts, URLs, listen."""

import pytest
from refusals import refusal

from ansible_collections.dumbflix.stack.plugins.module_utils import nginx_grammar as grammar
from ansible_collections.dumbflix.stack.plugins.module_utils import nginx_upstream_conf as upstream_conf
from ansible_collections.dumbflix.stack.plugins.module_utils.nginx_grammar import NginxConfigError

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
