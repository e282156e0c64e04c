"""Reverse proxy: the app answers through the reverse proxy on the student's domain."""

from conftest import DOMAIN, TITLE


def get(proxy, path, host_header=DOMAIN):
    return proxy.run(f"curl -s -D - -m 5 -H 'Host: {host_header}' http://127.0.0.1{path}")


def test_domain_serves_the_app(proxy):
    res = get(proxy, "/")
    assert res.rc == 0, res.stderr
    assert res.stdout.startswith("HTTP/1.1 200"), res.stdout[:200]
    assert TITLE.search(res.stdout), res.stdout[:500]


def test_client_side_route_is_served_by_the_app(proxy):
    for path in ("/movies", "/tv-series", "/detail/3"):
        res = get(proxy, path)
        assert res.stdout.startswith("HTTP/1.1 200"), f"{path}: {res.stdout[:200]}"
        assert TITLE.search(res.stdout), path


def test_proxy_hides_the_nginx_version(proxy):
    headers = get(proxy, "/").stdout.split("\r\n\r\n")[0].lower()
    server = [h for h in headers.splitlines() if h.startswith("server:")]
    assert server == ["server: nginx"]


def test_domain_resolves_to_the_proxy_on_the_proxy(proxy):
    # the domain resolves on the proxy itself, through its hosts file, as a student sets it up
    assert proxy.run(f"getent hosts {DOMAIN}").rc == 0
    res = proxy.run(f"curl -s -o /dev/null -w '%{{http_code}}' -m 5 http://{DOMAIN}/")
    assert res.stdout == "200"


def test_nginx_config_is_valid_and_service_enabled(proxy):
    assert proxy.run("nginx -t").rc == 0
    nginx = proxy.service("nginx")
    assert nginx.is_running
    assert nginx.is_enabled
    assert not proxy.file("/etc/nginx/sites-enabled/default").exists
