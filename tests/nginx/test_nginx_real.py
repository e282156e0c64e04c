"""The modules against a real nginx: every rendered config passes nginx -t, refused
changes are rolled back, a running nginx keeps serving, and real requests go
through the proxy to real backends."""

import json
import os
import re
import time

import pytest
from module_runner import snapshot
from nginx_testlib import free_port, http_get, run_module

from ansible_collections.dumbflix.stack.plugins.modules import nginx_reverse_proxy, nginx_upstream

pytestmark = pytest.mark.nginx


def ok(result):
    assert not result.get("failed"), result.get("msg")
    return result


def upstream(nginx, tmp_path, name="app", **kwargs):
    args = dict(nginx.module_args(), name=name, path=nginx.path("conf.d", "upstream-%s.conf" % name))
    args.update(kwargs)
    return run_module(nginx_upstream, args, tmpdir=tmp_path)


def site(nginx, tmp_path, **kwargs):
    args = nginx.site_args(name="site", server_names=["alvin.test"], listen=["127.0.0.1:%d" % free_port()])
    args.update(kwargs)
    return run_module(nginx_reverse_proxy, args, tmpdir=tmp_path)


UPSTREAM_VARIANTS = {
    "minimal": {"servers": [{"address": "127.0.0.1", "port": 3000}]},
    "all_server_options": {
        "servers": [
            {
                "address": "127.0.0.1",
                "port": 3000,
                "weight": 5,
                "max_fails": 3,
                "fail_timeout": "30s",
                "max_conns": 100,
            },
            {"address": "127.0.0.2", "port": "3000", "weight": "1", "max_fails": 0, "fail_timeout": 0, "down": True},
            {"address": "127.0.0.3", "port": 3000, "backup": True, "fail_timeout": "1m"},
        ]
    },
    "ipv6_and_unix": {
        "servers": [
            {"address": "::1", "port": 3000},
            {"address": "[::1]", "port": 3001},
            {"address": "unix:/run/dumbflix-test.sock"},
        ]
    },
    "hostname": {"servers": [{"address": "localhost", "port": 3000}]},
    "least_conn_keepalive": {
        "method": "least_conn",
        "keepalive": 32,
        "keepalive_timeout": "500ms",
        "keepalive_requests": 1000,
        "servers": [{"address": "127.0.0.1", "port": 1}],
    },
    "ip_hash": {
        "method": "ip_hash",
        "servers": [
            {"address": "127.0.0.1", "port": 1, "weight": 2},
            {"address": "127.0.0.1", "port": 2, "down": True},
        ],
    },
    "hash_consistent": {
        "method": "hash",
        "hash_key": "$remote_addr$request_uri",
        "consistent": True,
        "servers": [{"address": "127.0.0.1", "port": 1}, {"address": "127.0.0.1", "port": 2}],
    },
    "random_two": {
        "method": "random",
        "two": True,
        "keepalive": 2,
        "servers": [{"address": "127.0.0.1", "port": 1}, {"address": "127.0.0.1", "port": 2}],
    },
    "random": {"method": "random", "servers": [{"address": "127.0.0.1", "port": 1}]},
}


@pytest.mark.parametrize("variant", sorted(UPSTREAM_VARIANTS))
def test_every_upstream_variant_is_accepted_by_nginx(nginx, tmp_path, variant):
    result = ok(upstream(nginx, tmp_path, **UPSTREAM_VARIANTS[variant]))
    assert result["changed"] is True
    valid, output = nginx.config_test()
    assert valid, output
    # and the module's own nginx -t accepted it: the file is in place
    with open(result["path"]) as handle:
        assert handle.read() == result["content"]


def site_variants(cert, key):
    tls = {"tls_certificate": cert, "tls_certificate_key": key, "tls_listen": ["127.0.0.1:%d" % free_port()]}
    return {
        "defaults": {"upstream": "app"},
        "backend_url": {"backend_url": "http://127.0.0.1:3000/app/", "upstream": None},
        "backend_url_ipv6": {"backend_url": "http://[::1]:3000", "upstream": None},
        "no_websocket_no_headers": {"upstream": "app", "websocket": False, "security_headers": False},
        "failover_policy": {
            "upstream": "app",
            "next_upstream": [
                "error",
                "timeout",
                "invalid_header",
                "http_500",
                "http_502",
                "http_503",
                "http_504",
                "http_429",
                "non_idempotent",
            ],
            "next_upstream_tries": 3,
            "next_upstream_timeout": "10s",
            "connect_timeout": "500ms",
        },
        "next_upstream_off": {"upstream": "app", "next_upstream": ["off"]},
        "wildcards": {
            "upstream": "app",
            "server_names": ["alvin.test", "*.alvin.test", "www.alvin.*", ".example.test", "_"],
        },
        "access_log_off_body_size": {"upstream": "app", "access_log": "off", "client_max_body_size": "0"},
        "default_server_conf_d": {"upstream": "app", "default_server": True, "enabled": "conf.d"},
        "tls_redirect_hsts_http2": dict(tls, upstream="app", hsts=True, http2=True),
        "tls_no_redirect": dict(tls, upstream="app", tls_redirect=False),
        "tls_only": dict(tls, upstream="app", listen=[]),
    }


@pytest.mark.parametrize("variant", sorted(site_variants("c", "k")))
def test_every_site_variant_is_accepted_by_nginx(nginx, tmp_path, certificate, variant):
    ok(upstream(nginx, tmp_path, servers=[{"address": "127.0.0.1", "port": 3000}]))
    options = dict({"listen": ["127.0.0.1:%d" % free_port()]}, **site_variants(*certificate)[variant])
    result = ok(site(nginx, tmp_path, **options))
    assert result["changed"] is True
    valid, output = nginx.config_test()
    assert valid, output
    assert ok(site(nginx, tmp_path, **options))["changed"] is False


def test_rejected_upstream_change_is_rolled_back(nginx, tmp_path):
    good = ok(upstream(nginx, tmp_path, servers=[{"address": "127.0.0.1", "port": 3000}]))
    before = snapshot(good["path"])
    # A second file declaring the same upstream name passes our validation; nginx refuses it.
    dup = upstream(
        nginx, tmp_path, path=nginx.path("conf.d", "dup.conf"), servers=[{"address": "127.0.0.1", "port": 1}]
    )
    assert dup["failed"] is True
    assert 'duplicate upstream "app" in %s' % nginx.path("conf.d") in dup["nginx_error"]
    assert dup["nginx_error"] in dup["msg"]
    assert dup["msg"].startswith("nginx -t rejected the new configuration; the previous files were restored: ")
    assert not os.path.exists(nginx.path("conf.d", "dup.conf"))
    assert snapshot(good["path"]) == before
    assert nginx.config_test()[0]
    assert sorted(os.listdir(nginx.path("conf.d"))) == ["upstream-app.conf"]


def test_rejected_site_change_is_rolled_back_with_its_link(nginx, tmp_path, certificate):
    ok(upstream(nginx, tmp_path, servers=[{"address": "127.0.0.1", "port": 3000}]))
    listen = ["127.0.0.1:%d" % free_port()]
    good = ok(site(nginx, tmp_path, upstream="app", listen=listen))
    before = [snapshot(good["path"]), snapshot(good["link"])]
    missing_cert = site(
        nginx,
        tmp_path,
        upstream="app",
        listen=listen,
        tls_certificate=nginx.path("missing.pem"),
        tls_certificate_key=certificate[1],
        tls_listen=["127.0.0.1:%d" % free_port()],
    )
    assert missing_cert["failed"] is True
    assert 'cannot load certificate "%s"' % nginx.path("missing.pem") in missing_cert["nginx_error"]
    assert [snapshot(good["path"]), snapshot(good["link"])] == before
    # a brand-new site nginx refuses leaves neither file nor link behind
    fresh = site(
        nginx,
        tmp_path,
        name="fresh",
        upstream="app",
        tls_certificate=nginx.path("missing.pem"),
        tls_certificate_key=certificate[1],
        tls_listen=["127.0.0.1:%d" % free_port()],
    )
    assert fresh["failed"] is True
    assert sorted(os.listdir(nginx.path("sites-available"))) == ["site"]
    assert sorted(os.listdir(nginx.path("sites-enabled"))) == ["site"]
    assert nginx.config_test()[0]


def test_removing_an_upstream_still_in_use_is_refused(nginx, tmp_path):
    up = ok(upstream(nginx, tmp_path, name="inuse", servers=[{"address": "127.0.0.1", "port": 3000}]))
    ok(site(nginx, tmp_path, upstream="inuse"))
    before = snapshot(up["path"])
    gone = upstream(nginx, tmp_path, name="inuse", state="absent")
    assert gone["failed"] is True
    assert 'host not found in upstream "inuse"' in gone["nginx_error"]
    assert snapshot(up["path"]) == before


def test_running_nginx_keeps_serving_after_a_refused_change(nginx, tmp_path, backends):
    one = backends("one")
    port = free_port()
    ok(upstream(nginx, tmp_path, servers=[{"address": "127.0.0.1", "port": one.port}]))
    ok(site(nginx, tmp_path, upstream="app", listen=["127.0.0.1:%d" % port]))
    nginx.start()
    status, dummy, body = http_get(port)
    assert status == 200 and json.loads(body)["name"] == "one"
    files = {
        path: snapshot(path)
        for path in (nginx.path("conf.d", "upstream-app.conf"), nginx.path("sites-available", "site"))
    }

    refused = upstream(
        nginx, tmp_path, path=nginx.path("conf.d", "evil.conf"), servers=[{"address": "127.0.0.1", "port": 9}]
    )
    assert refused["failed"] is True and "duplicate upstream" in refused["msg"]
    assert {path: snapshot(path) for path in files} == files
    assert not os.path.exists(nginx.path("conf.d", "evil.conf"))

    status, dummy, body = http_get(port)
    assert status == 200 and json.loads(body)["name"] == "one"
    # A reload (what a handler would do next) reads the disk: still the good config, still serving.
    old_master = nginx.reload()
    time.sleep(0.5)
    assert nginx.master_pid() == old_master
    for dummy_attempt in range(5):
        status, dummy, body = http_get(port)
        assert status == 200 and json.loads(body)["name"] == "one"
    with open(nginx.path("logs", "error.log")) as handle:
        assert "[emerg]" not in handle.read()


def read_access_log(nginx):
    path = nginx.path("logs", "site.access.log")
    deadline = time.time() + 5
    while time.time() < deadline:
        if os.path.exists(path) and os.path.getsize(path):
            break
        time.sleep(0.05)
    with open(path) as handle:
        return handle.read().splitlines()


def test_load_balancing_headers_and_failover_through_the_proxy(nginx, tmp_path, backends):
    a, b = backends("a"), backends("b")
    port = free_port()
    ok(
        upstream(
            nginx,
            tmp_path,
            servers=[{"address": "127.0.0.1", "port": a.port}, {"address": "127.0.0.1", "port": b.port}],
            keepalive=4,
        )
    )
    ok(site(nginx, tmp_path, upstream="app", listen=["127.0.0.1:%d" % port], connect_timeout="1s"))
    nginx.start()

    served = [json.loads(http_get(port, path="/n/%d" % i)[2]) for i in range(10)]
    assert sorted(item["name"] for item in served) == ["a"] * 5 + ["b"] * 5
    headers = served[0]["headers"]
    assert headers["host"] == "alvin.test"
    assert headers["x-real-ip"] == "127.0.0.1"
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["x-forwarded-proto"] == "http"
    assert "upgrade" not in headers
    dummy_status, response_headers, dummy = http_get(port)
    assert response_headers["x-content-type-options"] == "nosniff"
    assert response_headers["x-frame-options"] == "SAMEORIGIN"
    ws = json.loads(http_get(port, headers={"Upgrade": "websocket", "Connection": "Upgrade"})[2])["headers"]
    assert ws["upgrade"] == "websocket" and ws["connection"] == "upgrade"

    log = read_access_log(nginx)
    assert any('upstream_addr="%s"' % a.address in line for line in log)
    assert any('upstream_addr="%s"' % b.address in line for line in log)
    assert all(re.search(r'upstream_status="200" upstream_response_time="[0-9.]+"$', line) for line in log)

    b.stop()
    after = [http_get(port, path="/after/%d" % i) for i in range(6)]
    assert [status for status, dummy, dummy in after] == [200] * 6
    assert {json.loads(body)["name"] for dummy, dummy, body in after} == {"a"}
    log = read_access_log(nginx)
    # the failed attempt on b and the retry on a are both on record
    assert any(
        ('upstream_addr="%s, %s"' % (b.address, a.address)) in line and 'upstream_status="502, 200"' in line
        for line in log
    )


def test_weights_and_backup_servers(nginx, tmp_path, backends):
    a, b, spare = backends("a"), backends("b"), backends("spare")
    port = free_port()
    ok(
        upstream(
            nginx,
            tmp_path,
            servers=[
                {"address": "127.0.0.1", "port": a.port, "weight": 3},
                {"address": "127.0.0.1", "port": b.port},
                {"address": "127.0.0.1", "port": spare.port, "backup": True},
            ],
        )
    )
    ok(site(nginx, tmp_path, upstream="app", listen=["127.0.0.1:%d" % port]))
    nginx.start()
    names = [json.loads(http_get(port)[2])["name"] for dummy in range(8)]
    assert names.count("a") == 6 and names.count("b") == 2 and "spare" not in names
    a.stop()
    b.stop()
    names = [json.loads(http_get(port)[2])["name"] for dummy in range(3)]
    assert names == ["spare"] * 3


def test_drain_a_server_with_down_and_reload(nginx, tmp_path, backends):
    a, b = backends("a"), backends("b")
    port = free_port()
    servers = [{"address": "127.0.0.1", "port": a.port}, {"address": "127.0.0.1", "port": b.port}]
    ok(upstream(nginx, tmp_path, servers=servers))
    ok(site(nginx, tmp_path, upstream="app", listen=["127.0.0.1:%d" % port]))
    nginx.start()
    assert {json.loads(http_get(port)[2])["name"] for dummy in range(4)} == {"a", "b"}
    servers[1]["down"] = True
    assert ok(upstream(nginx, tmp_path, servers=servers))["changed"] is True
    nginx.reload()
    deadline = time.time() + 10
    while time.time() < deadline:
        names = {json.loads(http_get(port)[2])["name"] for dummy in range(4)}
        if names == {"a"}:
            break
        time.sleep(0.1)
    assert names == {"a"}


def started_tls_site(nginx, tmp_path, backends, certificate, **options):
    """nginx serving backend "one" on a plain and a TLS port of its own, with the site's ``options``;
    returns the two ports."""
    one = backends("one")
    plain, secure = free_port(), free_port()
    ok(upstream(nginx, tmp_path, servers=[{"address": "127.0.0.1", "port": one.port}]))
    ok(
        site(
            nginx,
            tmp_path,
            upstream="app",
            listen=["127.0.0.1:%d" % plain],
            tls_listen=["127.0.0.1:%d" % secure],
            tls_certificate=certificate[0],
            tls_certificate_key=certificate[1],
            **options,
        )
    )
    nginx.start()
    return plain, secure


def test_tls_redirect_hsts_and_forwarded_proto(nginx, tmp_path, backends, certificate):
    plain, secure = started_tls_site(nginx, tmp_path, backends, certificate, hsts=True, http2=True)
    status, headers, dummy = http_get(plain, path="/movies?x=1")
    assert status == 301
    assert headers["location"] == "https://alvin.test:%d/movies?x=1" % secure
    status, headers, body = http_get(secure, path="/movies", tls=True)
    assert status == 200
    assert headers["strict-transport-security"] == "max-age=31536000"
    seen = json.loads(body)
    assert seen["name"] == "one" and seen["path"] == "/movies"
    assert seen["headers"]["x-forwarded-proto"] == "https"


def test_backend_url_site_serves(nginx, tmp_path, backends):
    one = backends("one")
    port = free_port()
    ok(
        site(
            nginx,
            tmp_path,
            upstream=None,
            backend_url="http://127.0.0.1:%d" % one.port,
            listen=["127.0.0.1:%d" % port],
            enabled="conf.d",
        )
    )
    nginx.start()
    status, dummy, body = http_get(port, path="/tv-series")
    assert status == 200 and json.loads(body)["path"] == "/tv-series"


def test_tls_redirect_names_the_published_port_and_hsts_its_max_age(nginx, tmp_path, backends, certificate):
    # nginx listens on one port, browsers reach it on another (the lab publishes 443 on 8443)
    plain, secure = started_tls_site(
        nginx, tmp_path, backends, certificate, tls_redirect_port=8443, hsts=True, hsts_max_age=300
    )
    status, headers, dummy = http_get(plain, path="/movies")
    assert (status, headers["location"]) == (301, "https://alvin.test:8443/movies")
    status, headers, dummy = http_get(secure, path="/", tls=True)
    assert (status, headers["strict-transport-security"]) == (200, "max-age=300")


def test_rate_limit_answers_429_beyond_rate_and_burst(nginx, tmp_path, backends):
    one = backends("one")
    port = free_port()
    ok(upstream(nginx, tmp_path, servers=[{"address": "127.0.0.1", "port": one.port}]))
    ok(site(nginx, tmp_path, upstream="app", listen=["127.0.0.1:%d" % port], rate_limit="1r/m", rate_limit_burst=3))
    nginx.start()
    # one request at the rate and three of burst pass at once; the fifth within the minute is refused
    assert [http_get(port)[0] for dummy in range(5)] == [200, 200, 200, 200, 429]
