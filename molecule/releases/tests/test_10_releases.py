"""Debian 12 and Debian 11, each proxy and app: every role converged on the release's own nginx and Node.js,
the site answers 200 through each proxy and on the floating address, the release was built on Node.js 12, and a
Node.js older than the app needs is refused before any host changes."""

import json
import os
import shutil
import ssl
import urllib.request
import uuid

import pytest
from conftest import ACCESS_LOG, CERT_FILE, DOMAIN, PROJECT, RELEASES, UPSTREAM_FILE, one_line, run_site

APP_DIR = "/srv/dumbflix-frontend"
VIP = "172.30.240.100"


def test_each_host_runs_its_releases_nginx_and_nodejs(hosts, capsys):
    for name, h in hosts.items():
        want = RELEASES[name]
        debian = h.file("/etc/debian_version").content_string.strip()
        nginx = h.run("nginx -v").stderr.strip()
        node = h.check_output("node --version")
        with capsys.disabled():
            print(f"\n  {name}: Debian {debian}, {nginx}, Node.js {node}")
        assert debian.split(".")[0] == want["debian"], (name, debian)
        assert f"nginx/{want['nginx']}" in nginx, (name, nginx)
        assert node.startswith(want["node"]), (name, node)


@pytest.mark.parametrize("path", ["/", "/movies", "/detail/3"])
def test_the_site_answers_200_through_each_proxy(hosts, path):
    for name, h in hosts.items():
        res = h.run(f"curl -s -D - -m 5 --cacert {CERT_FILE} --resolve {DOMAIN}:443:127.0.0.1 https://{DOMAIN}{path}")
        assert res.stdout.startswith("HTTP/2 200"), (name, path, res.stdout[:300], res.stderr)
        assert "<title>Dumbflix</title>" in res.stdout, (name, path)
        plain = h.run(f"curl -s -o /dev/null -w '%{{http_code}}' -m 5 -H 'Host: {DOMAIN}' http://127.0.0.1{path}")
        assert plain.stdout == "301", (name, path, plain.stdout)


def test_each_proxy_balances_over_both_releases_app(hosts):
    addresses = {name: h.check_output("hostname -I | cut -d' ' -f1") for name, h in hosts.items()}
    for name, h in hosts.items():
        upstream = h.file(UPSTREAM_FILE).content_string
        for backend, address in addresses.items():
            assert f"server {address}:3000 weight=1 max_fails=2 fail_timeout=10s;" in upstream, (name, backend)
        probe = uuid.uuid4().hex
        codes = h.check_output(
            f"for i in $(seq 20); do curl -s -o /dev/null -w '%{{http_code}}\\n' -m 5 --cacert {CERT_FILE} "
            f"--resolve {DOMAIN}:443:127.0.0.1 'https://{DOMAIN}/?probe={probe}&i='$i; done"
        ).split()
        assert codes == ["200"] * 20, (name, codes)
        served = h.check_output(f"grep -F 'probe={probe}' {ACCESS_LOG}")
        for backend, address in addresses.items():
            assert f'upstream_addr="{address}:3000"' in served, (name, backend)


def test_the_floating_address_answers_from_this_machine(hosts):
    context = ssl.create_default_context(cadata=hosts["rel-bookworm"].file(CERT_FILE).content_string)
    # the address is the domain's, as a hosts-file line would make it: the certificate names the domain
    context.check_hostname = False
    request = urllib.request.Request(f"https://{VIP}/movies", headers={"Host": DOMAIN})
    with urllib.request.urlopen(request, context=context, timeout=5) as response:
        assert response.status == 200
        assert b"<title>Dumbflix</title>" in response.read()


def test_the_release_was_built_on_debian_11s_nodejs_12_and_serves_on_both(hosts):
    releases = {name: h.check_output(f"readlink -f {APP_DIR}/current") for name, h in hosts.items()}
    assert len(set(releases.values())) == 1, releases
    stamp = json.loads(hosts["rel-bookworm"].file(f"{releases['rel-bookworm']}/.dumbflix-release").content_string)
    assert "rel-bullseye" in json.dumps(stamp), stamp


def stand_in_needing(engines):
    """A copy of the stand-in app whose package.json declares engines.node `engines`."""
    dest = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "needs-newer-node")
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(
        os.path.join(PROJECT, "lab", "dumbflix-demo"), dest, ignore=shutil.ignore_patterns("node_modules", "build")
    )
    package = os.path.join(dest, "package.json")
    with open(package, encoding="utf-8") as handle:
        data = json.load(handle)
    data["engines"] = {"node": engines}
    with open(package, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
    return dest


def test_an_app_needing_a_newer_nodejs_than_debian_11s_is_refused_before_any_host_changes(hosts):
    before = {name: h.check_output(f"readlink -f {APP_DIR}/current") for name, h in hosts.items()}
    src = stand_in_needing(">=16")

    res = run_site("-e", f"dumbflix_src={src}")

    assert res.returncode != 0
    out = one_line(res)
    assert "host rel-bullseye: Node.js 12 is too old here: the installed Node.js v12.22" in out, out[-3000:]
    assert (
        f'16 or newer is needed by the app ({src}/package.json: engines.node ">=16"), built here. '
        "Fix: set nodejs_source: nodesource with nodejs_nodesource_major: 20 (or another major >= 16) for "
        "rel-bullseye, or use a release whose nodejs is new enough"
    ) in out, out[-3000:]
    # Debian 12's Node.js 18 would do; only the build host runs the app's scripts
    assert "host rel-bookworm: Node.js" not in out
    # stopped in the check play: no host was touched
    assert "PLAY [Deploy the app]" not in out
    assert {name: h.check_output(f"readlink -f {APP_DIR}/current") for name, h in hosts.items()} == before


def test_in_dev_server_mode_every_host_runs_the_app_and_debian_11_is_refused(hosts):
    res = run_site("--check", "-e", f"dumbflix_src={stand_in_needing('^16.13')}", "-e", "dumbflix_mode=dev_server")
    assert res.returncode != 0
    out = one_line(res)
    assert "host rel-bullseye: Node.js 12 is too old here" in out, out[-3000:]
    assert "16 or newer is needed by the app" in out and "run here by npm start" in out, out[-3000:]
    assert "host rel-bookworm: Node.js" not in out
