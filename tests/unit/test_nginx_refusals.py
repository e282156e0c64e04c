"""A corpus of bad inputs: each is refused through the module's main() with the exact
message, and the file already on disk is left exactly as it was (bytes, inode, mtime)."""

import os

import pytest
from module_runner import run_module

from ansible_collections.dumbflix.stack.plugins.modules import nginx_reverse_proxy, nginx_upstream

GOOD = [{"address": "10.0.0.1", "port": 3000}, {"address": "10.0.0.2", "port": 3000}]


def srv(**kwargs):
    """Two good servers, the second one changed by kwargs."""
    second = dict(GOOD[1], **kwargs)
    return [dict(GOOD[0]), second]


UPSTREAM_CASES = [
    ({"servers": srv(port=0)}, "servers[1].port: 0 is below the minimum 1"),
    ({"servers": srv(port=65536)}, "servers[1].port: 65536 is above the maximum 65535"),
    ({"servers": srv(port="3000a")}, "servers[1].port: '3000a' is not an integer"),
    ({"servers": srv(port=30.5)}, "servers[1].port: 30.5 is not an integer"),
    ({"servers": srv(port=True)}, "servers[1].port: True is a boolean, not an integer"),
    ({"servers": srv(weight=0)}, "servers[1].weight: 0 is below the minimum 1"),
    ({"servers": srv(weight="heavy")}, "servers[1].weight: 'heavy' is not an integer"),
    ({"servers": srv(max_fails=-1)}, "servers[1].max_fails: -1 is below the minimum 0"),
    ({"servers": srv(max_conns=-5)}, "servers[1].max_conns: -5 is below the minimum 0"),
    (
        {"servers": srv(fail_timeout="abc")},
        "servers[1].fail_timeout: 'abc' is not an nginx time (e.g. 10, 30s, 500ms, 1m)",
    ),
    (
        {"servers": srv(fail_timeout="10sec")},
        "servers[1].fail_timeout: '10sec' is not an nginx time (e.g. 10, 30s, 500ms, 1m)",
    ),
    (
        {"servers": srv(fail_timeout="500ms")},
        "servers[1].fail_timeout: '500ms' is in milliseconds, but nginx reads this value in whole seconds (e.g. 10, 30s, 1m)",
    ),
    (
        {"servers": srv(fail_timeout="10s;")},
        "servers[1].fail_timeout: '10s;' contains ';', which is not allowed in an nginx value",
    ),
    ({"servers": srv(backup="sometimes")}, "servers[1].backup: 'sometimes' is not a boolean (use true or false)"),
    (
        {"servers": srv(address="10.0.0.1")},
        "servers[1]: '10.0.0.1:3000' duplicates servers[0]; each address:port may appear once",
    ),
    (
        {"servers": srv(address="10.0.0.3; server evil.example:80")},
        "servers[1].address: '10.0.0.3; server evil.example:80' contains ';', which is not allowed in an nginx value",
    ),
    (
        {"servers": srv(address="10.0.0.3\nserver 6.6.6.6:80")},
        "servers[1].address: '10.0.0.3\\nserver 6.6.6.6:80' contains '\\n', which is not allowed in an nginx value",
    ),
    (
        {"servers": srv(address="app}")},
        "servers[1].address: 'app}' contains '}', which is not allowed in an nginx value",
    ),
    (
        {"servers": srv(address="app{")},
        "servers[1].address: 'app{' contains '{', which is not allowed in an nginx value",
    ),
    (
        {"servers": srv(address='"app"')},
        "servers[1].address: '\"app\"' contains '\"', which is not allowed in an nginx value",
    ),
    (
        {"servers": srv(address="app #x")},
        "servers[1].address: 'app #x' contains ' ', which is not allowed in an nginx value",
    ),
    ({"servers": srv(address="10.0.0.256")}, "servers[1].address: '10.0.0.256' is not a valid IPv4 address"),
    (
        {"servers": srv(address="unix:/run/a.sock")},
        "servers[1].port: 3000 is set, but a unix: socket address takes no port",
    ),
    ({"servers": srv(weight=None, address=None)}, "servers[1].address: is missing; every server needs an address"),
    ({"servers": []}, "servers: is empty; an upstream needs at least one server when state=present"),
    (
        {"servers": srv(backup=True), "method": "hash", "hash_key": "$request_uri"},
        "servers[1].backup: True cannot be used with method=hash (nginx refuses backup servers with hash, ip_hash and random)",
    ),
    (
        {"servers": srv(backup=True), "method": "ip_hash"},
        "servers[1].backup: True cannot be used with method=ip_hash (nginx refuses backup servers with hash, ip_hash and random)",
    ),
    (
        {"servers": srv(backup=True), "method": "random"},
        "servers[1].backup: True cannot be used with method=random (nginx refuses backup servers with hash, ip_hash and random)",
    ),
    ({"servers": GOOD, "method": "hash"}, "hash_key: None is required with method=hash (e.g. $request_uri)"),
    (
        {"servers": GOOD, "method": "hash", "hash_key": "$uri; return 200"},
        "hash_key: '$uri; return 200' contains ';', which is not allowed in an nginx value",
    ),
    ({"servers": GOOD, "keepalive": -1}, "keepalive: -1 is below the minimum 0"),
    (
        {"servers": GOOD, "keepalive": 8, "keepalive_timeout": "1 h"},
        "keepalive_timeout: '1 h' contains ' ', which is not allowed in an nginx value",
    ),
    ({"servers": GOOD, "name": "dumb flix"}, "name: 'dumb flix' contains ' ', which is not allowed in an nginx value"),
    (
        {"servers": GOOD, "name": "9lives"},
        "name: '9lives' is not a valid name (start with a letter or '_', then letters, digits, '_', '.' or '-')",
    ),
]

SITE_CASES = [
    (
        {"server_names": ["alvin.xyz;"]},
        "server_names[0]: 'alvin.xyz;' contains ';', which is not allowed in an nginx value",
    ),
    (
        {"server_names": ["alvin.xyz", "evil.xyz { }"]},
        "server_names[1]: 'evil.xyz { }' contains ' ', which is not allowed in an nginx value",
    ),
    (
        {"server_names": ["~^(.*)$"]},
        "server_names[0]: '~^(.*)$' is a regular expression; only host names and wildcards are supported",
    ),
    ({"server_names": ["alvin.xyz", "ALVIN.xyz"]}, "server_names[1]: 'ALVIN.xyz' is already listed as server_names[0]"),
    ({"server_names": []}, "server_names: is empty; list at least one host name (or '_')"),
    ({"listen": [80, 0]}, "listen[1]: 0 is below the minimum 1"),
    (
        {"listen": ["80 default_server"]},
        "listen[0]: '80 default_server' contains ' ', which is not allowed in an nginx value",
    ),
    ({"upstream": "dumbflix;"}, "upstream: 'dumbflix;' contains ';', which is not allowed in an nginx value"),
    (
        {"upstream": None, "backend_url": "http://127.0.0.1:3000/$request_uri"},
        "backend_url: 'http://127.0.0.1:3000/$request_uri' has a path with characters other than letters, digits and _ . ~ / -",
    ),
    (
        {"backend_url": "http://127.0.0.1:3000"},
        "backend_url: 'http://127.0.0.1:3000' is set together with upstream; set only one of them",
    ),
    ({"upstream": None}, "upstream: is missing; set upstream or backend_url"),
    (
        {"connect_timeout": "3s\nproxy_pass http://evil"},
        "connect_timeout: '3s\\nproxy_pass http://evil' contains '\\n', which is not allowed in an nginx value",
    ),
    ({"read_timeout": "forever"}, "read_timeout: 'forever' is not an nginx time (e.g. 10, 30s, 500ms, 1m)"),
    ({"client_max_body_size": "10MB"}, "client_max_body_size: '10MB' is not an nginx size (e.g. 0, 512k, 1m, 2g)"),
    (
        {"access_log": "/var/log/nginx/x.log main"},
        "access_log: '/var/log/nginx/x.log main' contains ' ', which is not allowed in an nginx value",
    ),
    (
        {"access_log": "logs/x.log"},
        "access_log: 'logs/x.log' is not an absolute file path of letters, digits and _ . @ + , = / - (not ending in '/')",
    ),
    (
        {"tls_certificate": "/etc/ssl/a.pem"},
        "tls_certificate_key: is missing; TLS needs both tls_certificate and tls_certificate_key",
    ),
    (
        {"tls_certificate": "/etc/ssl/a.pem'", "tls_certificate_key": "/etc/ssl/a.key"},
        'tls_certificate: "/etc/ssl/a.pem\'" contains "\'", which is not allowed in an nginx value',
    ),
    ({"hsts": True}, "hsts: True needs TLS; set tls_certificate and tls_certificate_key"),
    ({"next_upstream": ["off", "error"]}, "next_upstream: 'off' cannot be combined with other conditions"),
    ({"next_upstream_tries": -1}, "next_upstream_tries: -1 is below the minimum 0"),
    (
        {"name": "../etc/passwd"},
        "name: '../etc/passwd' is not a valid name (start with a letter or '_', then letters, digits, '_', '.' or '-')",
    ),
]


def make_existing(path, text):
    path.write_text(text)
    os.utime(path, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    return path.read_bytes(), path.stat().st_mtime_ns, path.stat().st_ino


def tree(root):
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, dirs, files in os.walk(root) for f in files + dirs)


def test_corpus_is_large_enough():
    assert len(UPSTREAM_CASES) + len(SITE_CASES) >= 30
    assert len({msg for dummy, msg in UPSTREAM_CASES + SITE_CASES}) == len(UPSTREAM_CASES) + len(SITE_CASES)


@pytest.mark.parametrize(
    "args, message", UPSTREAM_CASES, ids=[m.split(":")[0] + "-%d" % i for i, (a, m) in enumerate(UPSTREAM_CASES)]
)
def test_upstream_refusals(tmp_path, args, message):
    conf = tmp_path / "conf"
    conf.mkdir()
    path = conf / "upstream-dumbflix.conf"
    before = make_existing(path, "# previous content\nupstream dumbflix { server 10.9.9.9:1; }\n")
    full = {"name": "dumbflix", "path": str(path), "validate": False, "backup": True}
    full.update(args)
    result = run_module(nginx_upstream, full, tmpdir=tmp_path)
    assert result["failed"] is True
    assert result["msg"] == message
    assert (path.read_bytes(), path.stat().st_mtime_ns, path.stat().st_ino) == before
    assert tree(conf) == ["upstream-dumbflix.conf"]


@pytest.mark.parametrize(
    "args, message", SITE_CASES, ids=[m.split(":")[0] + "-%d" % i for i, (a, m) in enumerate(SITE_CASES)]
)
def test_reverse_proxy_refusals(tmp_path, args, message):
    conf = tmp_path / "conf"
    for sub in ("sites-available", "sites-enabled", "conf.d"):
        (conf / sub).mkdir(parents=True)
    path = conf / "sites-available" / "dumbflix"
    before = make_existing(path, "# previous site\n")
    os.symlink(str(path), str(conf / "sites-enabled" / "dumbflix"))
    full = {
        "name": "dumbflix",
        "server_names": ["alvin.xyz"],
        "upstream": "dumbflix",
        "config_dir": str(conf),
        "validate": False,
        "backup": True,
    }
    full.update(args)
    result = run_module(nginx_reverse_proxy, full, tmpdir=tmp_path)
    assert result["failed"] is True
    assert result["msg"] == message
    assert (path.read_bytes(), path.stat().st_mtime_ns, path.stat().st_ino) == before
    assert tree(conf) == [
        "conf.d",
        "sites-available",
        "sites-available/dumbflix",
        "sites-enabled",
        "sites-enabled/dumbflix",
    ]
