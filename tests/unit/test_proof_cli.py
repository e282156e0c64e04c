"""scripts/proof.py (make proof) refuses bad input before it touches any host, saying what to do."""

import importlib.util
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "proof.py")


def run(*args, env=None):
    return subprocess.run(
        [sys.executable, SCRIPT, *args],
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


@NEEDS_CHROMIUM
def test_one_app_host_is_refused(tmp_path):
    stderr = refused(
        tmp_path,
        """
all:
  vars: {dumbflix_domain: alvin.xyz}
  children:
    proxy: {hosts: {p1: {}}}
    app: {hosts: {a1: {}}}
""",
        "--connect",
        "127.0.0.1:9",
    )
    assert "group 'app' of" in stderr and "has one host (a1)" in stderr


@NEEDS_CHROMIUM
def test_inventory_without_proxy_is_refused(tmp_path):
    stderr = refused(tmp_path, "all:\n  children:\n    app: {hosts: {a1: {}, a2: {}}}\n", "--connect", "127.0.0.1:9")
    assert "needs a host in group 'proxy' and one in group 'app'" in stderr


@NEEDS_CHROMIUM
def test_bad_domain_is_refused(tmp_path):
    stderr = refused(
        tmp_path,
        """
all:
  vars: {dumbflix_domain: "alvin.xyz; evil"}
  children:
    proxy: {hosts: {p1: {}}}
    app: {hosts: {a1: {}, a2: {}}}
""",
        "--connect",
        "127.0.0.1:9",
    )
    assert "dumbflix_domain is 'alvin.xyz; evil', not a domain" in stderr


@NEEDS_CHROMIUM
def test_no_published_port_and_no_connect_is_refused(tmp_path):
    stderr = refused(
        tmp_path,
        """
all:
  vars: {dumbflix_domain: alvin.xyz}
  children:
    proxy: {hosts: {p1: {}}}
    app: {hosts: {a1: {}, a2: {}}}
""",
    )
    assert "publishes no port 80 (lab_published_ports): pass --connect HOST:PORT" in stderr


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


def load_proof():
    spec = importlib.util.spec_from_file_location("proof", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "location, said",
    [
        ("http://alvin.xyz/", "redirects to 'http://alvin.xyz/', not to https://alvin.xyz/"),
        ("https://elsewhere.example/", "redirects to 'https://elsewhere.example/', not to https://alvin.xyz/"),
        (None, "redirects to None, not to https://alvin.xyz/"),
    ],
)
def test_a_redirect_anywhere_but_the_domain_over_https_is_not_followed(location, said):
    proof = load_proof()
    site = proof.Site("alvin.xyz", "127.0.0.1:9", "127.0.0.1:9")
    with pytest.raises(proof.ProofError, match=re.escape(said)):
        site.follow_redirect(location)


def test_a_redirect_to_https_without_a_port_to_reach_it_asks_for_connect_tls():
    proof = load_proof()
    site = proof.Site("alvin.xyz", "127.0.0.1:9")
    with pytest.raises(proof.ProofError, match="no HTTPS port to reach it through is known .* pass --connect-tls"):
        site.follow_redirect("https://alvin.xyz:8443/")


def test_the_browser_maps_the_https_port_of_the_redirect_and_nothing_else():
    proof = load_proof()
    site = proof.Site("alvin.xyz", "127.0.0.1:8080", "127.0.0.1:8443")
    assert site.resolver_rules() == "MAP alvin.xyz:80 127.0.0.1:8080, MAP * ~NOTFOUND"
    site.https_port = 8443
    assert (
        site.resolver_rules() == "MAP alvin.xyz:80 127.0.0.1:8080, MAP alvin.xyz:8443 127.0.0.1:8443, MAP * ~NOTFOUND"
    )
    assert site.allowed() == ["127.0.0.1:8080", "127.0.0.1:8443"]


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
    assert load_proof().spki_sha256(der) == expected
