"""Unit tests for the upstream block: normalizing and rendering (plugins/module_utils/nginx_upstream_conf.py)."""

import pytest
from refusals import refusal

from ansible_collections.dumbflix.stack.plugins.module_utils import nginx_grammar as grammar
from ansible_collections.dumbflix.stack.plugins.module_utils import nginx_upstream_conf as upstream_conf

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
