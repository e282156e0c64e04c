"""make proof (python -m scripts.proof) refuses bad input before it touches any host, saying what to do; and
its own code that needs no deployment: the HTTPS redirect it follows, the key it pins, the checks of each
page, and the report it writes."""

import json
import os
import re
import subprocess
import sys

import pytest

from scripts.proof import ROOT, ProofError, checks, cli, report, website


def run(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "scripts.proof", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=dict(os.environ, **(env or {})),
    )


def inventory(tmp_path, hosts_yml):
    (tmp_path / "hosts.yml").write_text(hosts_yml)
    return str(tmp_path / "hosts.yml")


def refused(tmp_path, hosts_yml, *args):
    """Run the proof on this inventory; it must refuse (exit 1). Returns what it said."""
    res = run("-i", inventory(tmp_path, hosts_yml), *args)
    assert res.returncode == 1
    return res.stderr


def test_missing_inventory_is_refused():
    res = run("-i", "/nonexistent/inventory")
    assert res.returncode == 2
    assert "inventory /nonexistent/inventory does not exist" in res.stderr


@pytest.mark.parametrize("connect", ["127.0.0.1", "127.0.0.1:80:80", "a b:80", ":80"])
def test_connect_that_is_not_host_port_is_refused(connect):
    res = run("--connect", connect)
    assert res.returncode == 2
    assert "is not HOST:PORT" in res.stderr


def test_browser_named_by_chromium_must_exist():
    res = run("--connect", "127.0.0.1:9", env={"CHROMIUM": "/nonexistent/chromium"})
    assert res.returncode == 1
    assert "CHROMIUM=/nonexistent/chromium is not an executable file" in res.stderr


NEEDS_CHROMIUM = pytest.mark.skipif(
    not (os.path.exists("/usr/lib/chromium/chromium") or os.environ.get("CHROMIUM")),
    reason="chromium is installed by make deps",
)


# an inventory the proof can't use is refused before anything runs, naming what is wrong
TWO_APPS = "all:\n  vars: {dumbflix_domain: %s}\n  children:\n    proxy: {hosts: {p1: {}}}\n    app: {hosts: {%s}}\n"
CONNECT = ("--connect", "127.0.0.1:9")


@NEEDS_CHROMIUM
@pytest.mark.parametrize(
    "inventory_text, args, expected",
    [
        pytest.param(
            TWO_APPS % ("alvin.xyz", "a1: {}"), CONNECT, ["group 'app' of", "has one host (a1)"], id="one-app"
        ),
        pytest.param(
            "all:\n  children:\n    app: {hosts: {a1: {}, a2: {}}}\n",
            CONNECT,
            ["needs a host in group 'proxy' and one in group 'app'"],
            id="no-proxy",
        ),
        pytest.param(
            TWO_APPS % ('"alvin.xyz; evil"', "a1: {}, a2: {}"),
            CONNECT,
            ["dumbflix_domain is 'alvin.xyz; evil', not a domain"],
            id="bad-domain",
        ),
        pytest.param(
            TWO_APPS % ("alvin.xyz", "a1: {}, a2: {}"),
            (),
            ["publishes no port 80 (lab_published_ports): pass --connect HOST:PORT"],
            id="no-port",
        ),
    ],
)
def test_an_inventory_the_proof_cannot_use_is_refused(tmp_path, inventory_text, args, expected):
    stderr = refused(tmp_path, inventory_text, *args)
    for words in expected:
        assert words in stderr


@NEEDS_CHROMIUM
def test_site_that_does_not_answer_stops_before_any_host_changes(tmp_path):
    # nothing listens on 127.0.0.1:9 (discard): the proof refuses before it runs Ansible on the hosts
    inv = inventory(
        tmp_path,
        """
all:
  vars: {dumbflix_domain: alvin.xyz, ansible_connection: local}
  children:
    proxy: {hosts: {p1: {}}}
    app: {hosts: {a1: {}, a2: {}}}
""",
    )
    res = run("-i", inv, "--connect", "127.0.0.1:9", "--out", str(tmp_path / "out"))
    assert res.returncode == 1
    assert "http://alvin.xyz/ through 127.0.0.1:9 gave no answer" in res.stderr
    assert "is the lab up? run 'make up'" in res.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("connect", ["127.0.0.1", "127.0.0.1:443:443"])
def test_connect_tls_that_is_not_host_port_is_refused(connect):
    res = run("--connect-tls", connect)
    assert res.returncode == 2
    assert f"--connect-tls {connect!r} is not HOST:PORT" in res.stderr


@pytest.mark.parametrize(
    "location, said",
    [
        ("http://alvin.xyz/", "redirects to 'http://alvin.xyz/', not to https://alvin.xyz/"),
        ("https://elsewhere.example/", "redirects to 'https://elsewhere.example/', not to https://alvin.xyz/"),
        (None, "redirects to None, not to https://alvin.xyz/"),
    ],
)
def test_a_redirect_anywhere_but_the_domain_over_https_is_not_followed(location, said):
    site = website.Site("alvin.xyz", "127.0.0.1:9", "127.0.0.1:9")
    with pytest.raises(ProofError, match=re.escape(said)):
        site.follow_redirect(location)


def test_a_redirect_to_https_without_a_port_to_reach_it_asks_for_connect_tls():
    site = website.Site("alvin.xyz", "127.0.0.1:9")
    with pytest.raises(ProofError, match=r"no HTTPS port to reach it through is known .* pass --connect-tls"):
        site.follow_redirect("https://alvin.xyz:8443/")


def test_the_browser_maps_the_https_port_of_the_redirect_and_nothing_else():
    site = website.Site("alvin.xyz", "127.0.0.1:8080", "127.0.0.1:8443")
    assert site.resolver_rules() == "MAP alvin.xyz:80 127.0.0.1:8080, MAP * ~NOTFOUND"
    site.https_port = 8443
    assert (
        site.resolver_rules() == "MAP alvin.xyz:80 127.0.0.1:8080, MAP alvin.xyz:8443 127.0.0.1:8443, MAP * ~NOTFOUND"
    )
    assert site.allowed_connections() == ["127.0.0.1:8080", "127.0.0.1:8443"]


def test_the_pinned_key_is_the_certificates_spki_hash_as_chromium_wants_it(tmp_path):
    # chromium's --ignore-certificate-errors-spki-list takes base64(sha256(SubjectPublicKeyInfo))
    key, cert = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            key,
            "-out",
            cert,
            "-subj",
            "/CN=alvin.xyz",
            "-days",
            "1",
        ],
        check=True,
        capture_output=True,
    )
    der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "der"], check=True, capture_output=True).stdout
    expected = subprocess.run(
        f"openssl x509 -in {cert} -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary "
        "| base64",
        shell=True,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert website.spki_sha256(der) == expected


def test_python_m_scripts_proof_help_names_its_options():
    res = run("--help")
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("usage: python -m scripts.proof")
    for option in ("--inventory", "--connect HOST:PORT", "--connect-tls HOST:PORT", "--out"):
        assert option in res.stdout


def test_options_default_to_the_lab_and_the_cache(tmp_path):
    args = cli.parse_args(["-i", str(tmp_path)])
    assert (args.inventory, args.connect, args.connect_tls) == (str(tmp_path), None, None)
    assert args.out == os.path.join(ROOT, ".cache", "proof")
    assert cli.parse_args([]).inventory == os.path.join(ROOT, "inventory", "lab")


INV = {"proxy": "p1", "published": ["127.0.0.1:8080:80"], "published_tls": ["127.0.0.1:8443:443"]}


def test_the_proxy_is_reached_through_the_published_ports_unless_told_otherwise(tmp_path):
    assert cli.proxy_ports(cli.parse_args(["-i", str(tmp_path)]), INV) == ("127.0.0.1:8080", "127.0.0.1:8443")
    told = cli.parse_args(["-i", str(tmp_path), "--connect", "10.0.0.2:80", "--connect-tls", "10.0.0.2:443"])
    assert cli.proxy_ports(told, INV) == ("10.0.0.2:80", "10.0.0.2:443")
    plain = dict(INV, published_tls=[])
    assert cli.proxy_ports(cli.parse_args(["-i", str(tmp_path)]), plain) == ("127.0.0.1:8080", None)


def test_a_failure_to_answer_is_described_as_it_is():
    assert website.describe_status(502) == "HTTP 502"
    assert website.describe_status("no answer (Connection refused)") == "no answer (Connection refused)"


def app_page(**over):
    page = {
        "url": "http://alvin.xyz/",
        "status": 200,
        "title": "Dumbflix - Alvin",
        "hasRoot": True,
        "root": "Watch now",
        "rootElements": 12,
        "body": "Watch now",
        "connections": ["127.0.0.1:8080"],
        "blocked": [],
    }
    return page | over


def bad_gateway_page(**over):
    nginx = {"title": "502 Bad Gateway", "body": "502 Bad Gateway\nnginx", "hasRoot": False, "root": ""}
    return app_page(status=502, rootElements=0, **nginx) | over


def test_the_app_page_and_the_502_page_pass_in_their_own_states_only():
    site = website.Site("alvin.xyz", "127.0.0.1:8080")
    assert checks.page_problems(app_page(), "app", site) == []
    assert checks.page_problems(bad_gateway_page(), "502", site) == []
    assert checks.page_problems(bad_gateway_page(), "app", site) == [
        "HTTP status 502, expected 200",
        "title '502 Bad Gateway' is not the app's ('Dumbflix' or 'Dumbflix - <author>')",
        'no <div id="root">: this is not the app\'s page',
    ]
    assert checks.page_problems(app_page(), "502", site) == [
        "HTTP status 200, expected 502",
        "not nginx's 502 page (title 'Dumbflix - Alvin')",
        'the app\'s <div id="root"> is on the page',
    ]
    assert checks.page_problems(app_page(root="", rootElements=0), "app", site) == [
        'the app\'s <div id="root"> is empty: its script did not render'
    ]


def test_a_connection_anywhere_but_the_proxy_is_a_problem():
    site = website.Site("alvin.xyz", "127.0.0.1:8080")
    assert checks.page_problems(app_page(connections=["127.0.0.1:8080", "8.8.8.8:443"]), "app", site) == [
        "chromium connected to 8.8.8.8:443, not only to the proxy 127.0.0.1:8080"
    ]
    assert checks.page_problems(app_page(connections=[]), "app", site) == [
        "chromium's net log shows no connection to the proxy at all"
    ]
    assert checks.page_problems(app_page(url="http://other.example/"), "app", site) == [
        "the browser ended on http://other.example/, not http://alvin.xyz/"
    ]


def test_the_report_shows_each_picture_with_its_facts_and_problems(tmp_path):
    shots = [
        {
            "n": 1,
            "key": "all-up",
            "title": "All backends up",
            "what": "Every app host runs the app.",
            "expect": "app",
            "file": "1-all-up.png",
            "pm2": {"a1": "online", "a2": "online"},
            "page": app_page(title="Dumbflix - <Alvin>"),
            "problems": [],
        },
        {
            "n": 3,
            "key": "all-down",
            "title": "All backends down",
            "what": "The app is stopped on every app host.",
            "expect": "502",
            "file": "3-all-down.png",
            "pm2": {"a1": "stopped", "a2": "stopped"},
            "page": app_page(blocked=["fonts.example:443"]),
            "problems": ["HTTP status 200, expected 502"],
        },
    ]
    meta = {
        "domain": "alvin.xyz",
        "proxy": "p1",
        "connect": "127.0.0.1:8080, 127.0.0.1:8443",
        "browser": "Chromium 120",
        "url": "https://alvin.xyz:8443/",
        "pinned": "AAAA+pin=",
        "inventory": "inventory/lab",
        "taken": "today",
    }
    report.write_report(str(tmp_path), shots, meta)
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "<h1>https://alvin.xyz:8443/ in four states</h1>" in index
    assert "1. All backends up — passed" in index and "3. All backends down — FAILED" in index
    assert '<img src="1-all-up.png" width="1280" height="720"' in index
    assert "pm2 on the app hosts: a1 stopped, a2 stopped" in index
    assert "<b>problem:</b> HTTP status 200, expected 502" in index
    assert "(and resolved to nothing: fonts.example:443)" in index
    # the page's own text is escaped, never markup
    assert "Dumbflix - &lt;Alvin&gt;" in index and "<Alvin>" not in index
    assert "followed the proxy's redirect to https://alvin.xyz:8443/" in index
    assert "by its pinned key only (sha256/AAAA+pin=)" in index
    assert json.loads((tmp_path / "proof.json").read_text()) == {"meta": meta, "shots": shots}
