"""Unit tests for the reverse-proxy server blocks: normalizing and rendering (plugins/module_utils/nginx_site_conf.py)."""

import pytest
from refusals import refusal

from ansible_collections.dumbflix.stack.plugins.module_utils import nginx_site_conf as site_conf

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
