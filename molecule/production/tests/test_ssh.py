"""site.yml converged over SSH as a non-root user with sudo, and the site works through the proxy."""

from conftest import CERT_FILE, DOMAIN

UPSTREAM_FILE = "/etc/nginx/conf.d/upstream-dumbflix.conf"


def test_hosts_are_reached_over_ssh_as_the_unprivileged_deploy_user(proxies, apps):
    for h in list(proxies.values()) + list(apps.values()):
        assert h.user().name == "deploy"
        # set by sshd for the session: this connection is SSH, not docker exec
        assert h.check_output("echo $SSH_CONNECTION").strip()


def test_domain_serves_the_app_through_the_proxy(proxy):
    # on the proxy the domain resolves to the proxy (/etc/hosts); the site's own certificate is the trust anchor
    for path in ("/", "/movies", "/detail/3"):
        res = proxy.run(f"curl -s -D - -m 5 --cacert {CERT_FILE} https://{DOMAIN}{path}")
        assert res.stdout.startswith("HTTP/2 200"), f"{path}: {res.stdout[:200]} {res.stderr}"
        assert "<title>Dumbflix</title>" in res.stdout, path
    plain = proxy.run(f"curl -s -o /dev/null -w '%{{http_code}} %{{redirect_url}}' -m 5 http://{DOMAIN}/movies")
    assert plain.stdout == f"301 https://{DOMAIN}/movies"


def test_upstream_holds_both_app_hosts_with_their_weights(proxy, apps):
    content = proxy.file(UPSTREAM_FILE).content_string
    for name, weight in (("server1", 3), ("server2", 1)):
        address = apps[name].check_output("hostname -I | cut -d' ' -f1")
        assert f"server {address}:3000 weight={weight} max_fails=2 fail_timeout=10s;" in content, name


def test_each_app_runs_under_pm2_as_the_app_user(apps):
    for name, h in apps.items():
        assert h.run("sudo -n systemctl is-active pm2-dumbflix.service").stdout.strip() == "active", name
        listener = h.check_output("sudo -n ss -ltneH 'sport = :3000'")
        assert f"uid:{h.user('dumbflix').uid} " in listener, (name, listener)
