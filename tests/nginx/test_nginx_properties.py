"""Property-based tests: random valid inputs always give configs the real nginx accepts;
random hostile strings are always refused and never reach a rendered file."""

import ipaddress
import os
import re
import string

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from nginx_testlib import run_module

from ansible_collections.dumbflix.stack.plugins.module_utils import nginx_grammar as grammar
from ansible_collections.dumbflix.stack.plugins.module_utils import nginx_site_conf as site_conf
from ansible_collections.dumbflix.stack.plugins.module_utils import nginx_upstream_conf as upstream_conf
from ansible_collections.dumbflix.stack.plugins.modules import nginx_reverse_proxy, nginx_upstream

pytestmark = pytest.mark.nginx

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

identifier = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_.-]{0,15}\Z")
label = st.from_regex(r"\A[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?\Z")
hostname = st.lists(label, min_size=1, max_size=3).map(lambda labels: ".".join(labels + ["test"]))
ipv4 = st.ip_addresses(v=4).map(str)
ipv6 = st.ip_addresses(v=6).map(lambda a: a.compressed)
unix = st.from_regex(r"\A[a-z0-9_]{1,20}\Z").map(lambda n: "unix:/run/%s.sock" % n)


def nginx_time(units, max_ms=grammar.MAX_TIME_MS):
    factors = {"": 1000, "s": 1000, "ms": 1, "m": 60000, "h": 3600000, "d": 86400000}

    def build(unit):
        return st.integers(0, max_ms // factors[unit]).map(lambda n: "%d%s" % (n, unit))

    return st.sampled_from(units).flatmap(build)


server = st.fixed_dictionaries(
    {"address": st.one_of(ipv4, ipv6, unix)},
    optional={
        "port": st.one_of(st.integers(1, 65535), st.integers(1, 65535).map(str)),
        "weight": st.integers(1, upstream_conf.MAX_WEIGHT),
        "max_fails": st.integers(0, grammar.MAX_INT32),
        "fail_timeout": nginx_time(["", "s", "m", "h", "d"]),
        "backup": st.booleans(),
        "down": st.booleans(),
        "max_conns": st.integers(0, grammar.MAX_INT32),
    },
)


@st.composite
def upstream_options(draw):
    method = draw(st.sampled_from(upstream_conf.UPSTREAM_METHODS))
    servers = draw(st.lists(server, min_size=1, max_size=5))
    for item in servers:
        if item["address"].startswith("unix:"):
            item.pop("port", None)
        if method in upstream_conf.METHODS_WITHOUT_BACKUP:
            item.pop("backup", None)
    # unique address:port, and at least one primary server
    keys = [
        upstream_conf.normalize_upstream_server(item)["address"] + ":" + str(item.get("port", 80)) for item in servers
    ]
    assume(len(set(keys)) == len(keys))
    servers[0]["backup"] = False
    options = {"name": draw(identifier), "servers": servers, "method": method}
    if method == "hash":
        options["hash_key"] = draw(
            st.sampled_from(["$request_uri", "$remote_addr", "$remote_addr$request_uri", "$host-x"])
        )
        options["consistent"] = draw(st.booleans())
    if method == "random":
        options["two"] = draw(st.booleans())
    keepalive = draw(st.integers(0, upstream_conf.MAX_KEEPALIVE))
    options["keepalive"] = keepalive
    if keepalive:
        options["keepalive_timeout"] = draw(st.none() | nginx_time(["", "s", "ms", "m"]))
        options["keepalive_requests"] = draw(st.none() | st.integers(1, grammar.MAX_INT32))
    return options


@settings(max_examples=100, **SETTINGS)
@given(options=upstream_options())
def test_random_valid_upstreams_are_accepted_by_nginx(nginx, tmp_path, options):
    args = dict(nginx.module_args(), path=nginx.path("conf.d", "upstream.conf"), **options)
    result = run_module(nginx_upstream, args, tmpdir=tmp_path)
    assert not result.get("failed"), (result.get("msg"), options)
    valid, output = nginx.config_test()
    assert valid, output
    # byte-for-byte idempotent
    assert run_module(nginx_upstream, args, tmpdir=tmp_path)["changed"] is False


server_name = st.one_of(
    hostname, hostname.map(lambda h: "*." + h), hostname.map(lambda h: h.rsplit(".", 1)[0] + ".*"), st.just("_"), ipv4
)
listen = st.integers(1024, 65535).map(lambda p: "127.0.0.1:%d" % p)


@st.composite
def site_options(draw):
    options = {
        "name": draw(identifier),
        "server_names": draw(st.lists(server_name, min_size=1, max_size=4, unique_by=str.lower)),
        "listen": draw(st.lists(listen, min_size=1, max_size=2, unique=True)),
        "websocket": draw(st.booleans()),
        "security_headers": draw(st.booleans()),
        "default_server": draw(st.booleans()),
        "connect_timeout": draw(nginx_time(["s", "ms", "m"]).filter(lambda t: int(re.match(r"\d+", t).group()) > 0)),
        "read_timeout": draw(nginx_time(["s", "m", "h"]).filter(lambda t: int(re.match(r"\d+", t).group()) > 0)),
        "next_upstream": draw(
            st.one_of(
                st.just(["off"]),
                st.lists(
                    st.sampled_from([c for c in site_conf.NEXT_UPSTREAM_CONDITIONS if c != "off"]),
                    min_size=1,
                    unique=True,
                ),
            )
        ),
        "next_upstream_tries": draw(st.integers(0, 100)),
        "next_upstream_timeout": draw(nginx_time(["", "s", "m"])),
        "client_max_body_size": draw(st.sampled_from(["0", "1m", "512k", "100", "2g", "10M"])),
        "enabled": draw(st.sampled_from(["sites", "conf.d"])),
    }
    if draw(st.booleans()):
        options["upstream"] = "pool"
    else:
        host = draw(st.one_of(ipv4, ipv6.map(lambda a: "[%s]" % a)))
        options["backend_url"] = "http://%s:%d%s" % (
            host,
            draw(st.integers(1, 65535)),
            draw(st.sampled_from(["", "/", "/app/"])),
        )
    if draw(st.booleans()):
        options.update(
            tls_listen=[draw(listen.filter(lambda item: item not in options["listen"]))],
            tls_redirect=draw(st.booleans()),
            hsts=draw(st.booleans()),
            http2=draw(st.booleans()),
        )
    return options


@settings(max_examples=100, **SETTINGS)
@given(options=site_options())
def test_random_valid_sites_are_accepted_by_nginx(nginx, tmp_path, certificate, options):
    pool = nginx.path("conf.d", "pool.conf")
    if not os.path.exists(pool):
        with open(pool, "w") as handle:
            handle.write("upstream pool { server 127.0.0.1:3000; }\n")
    if "tls_listen" in options:
        options = dict(options, tls_certificate=certificate[0], tls_certificate_key=certificate[1])
    args = nginx.site_args(**options)
    result = run_module(nginx_reverse_proxy, args, tmpdir=tmp_path)
    assert not result.get("failed"), (result.get("msg"), options)
    valid, output = nginx.config_test()
    assert valid, output
    assert run_module(nginx_reverse_proxy, args, tmpdir=tmp_path)["changed"] is False
    # clean up for the next example (two random sites could legitimately conflict with each other)
    for path in (result["path"], result["link"]):
        if path:
            os.unlink(path)


SYNTAX = list(";{}\"'\\#`") + [" ", "\t", "\n", "\r", "\x00", "\u2028"]
hostile = st.tuples(st.text(max_size=10), st.sampled_from(SYNTAX), st.text(max_size=10)).map("".join)

UPSTREAM_FIELDS = ["address", "fail_timeout", "port", "weight", "hash_key", "name", "keepalive_timeout"]
SITE_FIELDS = [
    "name",
    "server_names",
    "listen",
    "upstream",
    "backend_url",
    "connect_timeout",
    "read_timeout",
    "next_upstream_timeout",
    "client_max_body_size",
    "access_log",
    "tls_certificate",
]


@settings(max_examples=300, deadline=None)
@given(field=st.sampled_from(UPSTREAM_FIELDS), value=hostile)
def test_hostile_strings_are_refused_by_upstream(field, value):
    options = {"name": "pool", "servers": [{"address": "10.0.0.1", "port": 80}], "keepalive": 4}
    if field in ("address", "fail_timeout", "port", "weight"):
        options["servers"][0][field] = value
        where = "servers[0].%s" % field
    else:
        options[field] = value
        if field == "hash_key":
            options["method"] = "hash"
        where = field
    with pytest.raises(grammar.NginxConfigError) as info:
        upstream_conf.normalize_upstream(options)
    assert str(info.value).startswith("%s: %r " % (where, value))


@settings(max_examples=300, deadline=None)
@given(field=st.sampled_from(SITE_FIELDS), value=hostile)
def test_hostile_strings_are_refused_by_reverse_proxy(field, value):
    options = {"name": "site", "server_names": ["alvin.test"], "upstream": "pool", "tls_certificate_key": "/k.pem"}
    if field in ("server_names", "listen"):
        options[field] = [value]
        where = "%s[0]" % field
    elif field == "backend_url":
        options.update(upstream=None, backend_url=value)
        where = field
    else:
        options[field] = value
        where = field
    if field != "tls_certificate":
        options.pop("tls_certificate_key")
    with pytest.raises(grammar.NginxConfigError) as info:
        site_conf.normalize_reverse_proxy(options)
    assert str(info.value).startswith("%s: %r " % (where, value))


SAFE_TOKEN = re.compile(r"\A[A-Za-z0-9_.:/\[\]*@+,=~$-]+\Z")


@settings(max_examples=400, deadline=None)
@given(
    address=st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    name=st.text(alphabet=string.printable, max_size=30),
)
def test_any_text_is_refused_or_rendered_as_a_single_safe_token(address, name):
    """Whatever arrives, what reaches the file is one token made of safe characters."""
    try:
        normalized = upstream_conf.normalize_upstream({"name": "pool", "servers": [{"address": address, "port": 80}]})
    except grammar.NginxConfigError:
        pass
    else:
        line = next(
            ln for ln in upstream_conf.render_upstream(normalized).splitlines() if ln.strip().startswith("server ")
        )
        assert SAFE_TOKEN.match(line.strip().split(" ", 1)[1].rstrip(";")), line
        kind = grammar.validate_host(address, "a", allow_unix=True)[0]
        if kind in ("ipv4", "ipv6"):
            ipaddress.ip_address(normalized["servers"][0]["address"])
    try:
        server_name = grammar.validate_server_name(name, "server_names[0]")
    except grammar.NginxConfigError:
        pass
    else:
        assert SAFE_TOKEN.match(server_name)
