"""HTTPS on the proxy (dumbflix_tls: self_signed), checked from this machine through the ports molecule.yml
publishes, as a user's browser or curl meets it; then a provided key that is not its certificate's refused before
nginx is touched, a certificate about to expire renewed, and a new alias put into the certificate."""

import datetime
import http.client
import shlex
import socket
import ssl
import subprocess

import pytest
from conftest import CERT_FILE, DOMAIN, HTTP_PORT, HTTPS_PORT, PROXY, SITE_FILE, site
from cryptography import x509  # comes with Ansible


@pytest.fixture
def trust_anchor(proxy, tmp_path):
    """The site's self-signed certificate, copied from the proxy: what a user would add to their trust store."""
    path = tmp_path / "site.crt"
    path.write_text(proxy.file(CERT_FILE).content_string)
    return str(path)


def tls_connect(context, name=DOMAIN):
    raw = socket.create_connection(("127.0.0.1", HTTPS_PORT), timeout=5)
    return context.wrap_socket(raw, server_hostname=name)


def unverified(version=None):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if version:
        context.minimum_version = context.maximum_version = version
        # this machine's OpenSSL would not even offer TLS 1.1 at its default security level; let it, so a refusal
        # can only come from the proxy
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


def served_certificate():
    with tls_connect(unverified()) as tls:
        return ssl.DER_cert_to_PEM_cert(tls.getpeercert(binary_form=True))


def served_dns_names():
    certificate = x509.load_pem_x509_certificate(served_certificate().encode())
    return certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName
    )


def not_after(proxy, pem):
    out = proxy.run(f"printf %s {shlex.quote(pem)} | openssl x509 -noout -enddate").stdout.strip()
    stamp = datetime.datetime.strptime(" ".join(out.split("=", 1)[1].split()[:4]), "%b %d %H:%M:%S %Y")
    return stamp.replace(tzinfo=datetime.timezone.utc)


def test_https_answers_200_with_the_sites_certificate_for_the_domain(trust_anchor, proxy):
    res = subprocess.run(
        [
            "curl",
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{http_version}",
            "-m",
            "10",
            "--resolve",
            f"{DOMAIN}:{HTTPS_PORT}:127.0.0.1",
            "--cacert",
            trust_anchor,
            f"https://{DOMAIN}:{HTTPS_PORT}/",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    # curl verified the chain and that the certificate names the domain
    assert res.stdout == "200 2", res.stderr
    context = ssl.create_default_context(cafile=trust_anchor)
    with tls_connect(context) as tls:
        names = [value for kind, value in tls.getpeercert()["subjectAltName"] if kind == "DNS"]
        served = ssl.DER_cert_to_PEM_cert(tls.getpeercert(binary_form=True))
    assert names == [DOMAIN]
    assert ssl.PEM_cert_to_DER_cert(served) == ssl.PEM_cert_to_DER_cert(proxy.file(CERT_FILE).content_string)


def test_the_private_key_is_root_only(proxy):
    key = proxy.file(CERT_FILE[: -len(".crt")] + ".key")
    assert (key.user, key.group, key.mode) == ("root", "root", 0o600)


def test_plain_http_answers_301_to_https():
    conn = http.client.HTTPConnection("127.0.0.1", HTTP_PORT, timeout=5)
    conn.request("GET", "/movies?page=2", headers={"Host": DOMAIN})
    resp = conn.getresponse()
    assert (resp.status, resp.getheader("Location")) == (301, f"https://{DOMAIN}/movies?page=2")
    conn.close()


def test_tls_1_1_is_refused_and_1_2_accepted():
    with pytest.raises(ssl.SSLError) as refused:
        tls_connect(unverified(ssl.TLSVersion.TLSv1_1))
    # the proxy's alert, not this machine's OpenSSL declining to try
    assert refused.value.reason == "TLSV1_ALERT_PROTOCOL_VERSION", refused.value
    with tls_connect(unverified(ssl.TLSVersion.TLSv1_2)) as tls:
        assert tls.version() == "TLSv1.2"


def test_alpn_negotiates_http2():
    context = unverified()
    context.set_alpn_protocols(["h2", "http/1.1"])
    with tls_connect(context) as tls:
        assert tls.selected_alpn_protocol() == "h2"


def test_provided_key_that_does_not_match_its_certificate_is_refused_before_nginx_is_touched(proxy):
    # root-only, like certbot's /etc/letsencrypt/live: the preflight reads them as root
    made = proxy.run(
        "sudo -n sh -ec 'rm -rf /root/mismatch; mkdir -m 700 /root/mismatch; cd /root/mismatch; "
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout cert.key -out cert.pem "
        f"-days 30 -subj /CN={DOMAIN} -addext subjectAltName=DNS:{DOMAIN} 2>/dev/null; "
        "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out other.key'"
    )
    assert made.rc == 0, made.stderr

    def nginx_state():
        return (
            proxy.check_output(f"sha256sum {SITE_FILE}"),
            proxy.check_output("sudo -n nginx -T 2>/dev/null | sha256sum"),
            served_certificate(),
        )

    before = nginx_state()
    res = site(
        "-e",
        "dumbflix_tls=provided",
        "-e",
        "lb_tls_certificate=/root/mismatch/cert.pem",
        "-e",
        "lb_tls_certificate_key=/root/mismatch/other.key",
    )
    assert res.returncode != 0
    # Ansible prints a failed task's message on stderr
    assert (
        f"host {PROXY}: lb_tls_certificate_key: '/root/mismatch/other.key' does not match the certificate "
        "/root/mismatch/cert.pem"
    ) in res.stdout + res.stderr, res.stdout[-3000:] + res.stderr[-2000:]
    # refused by the preflight: no play that changes a host began
    assert "PLAY [Deploy the proxy and load balancer]" not in res.stdout
    assert nginx_state() == before
    proxy.run("sudo -n rm -rf /root/mismatch")


def test_a_certificate_about_to_expire_is_renewed_and_served(proxy):
    key = CERT_FILE[: -len(".crt")] + ".key"
    # the same certificate (key, names, serial) re-signed to expire tomorrow: only its date says renew
    forged = proxy.run(f"sudo -n openssl x509 -in {CERT_FILE} -signkey {key} -days 1 -out {CERT_FILE}")
    assert forged.rc == 0, forged.stderr
    tomorrow = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=2)
    assert not_after(proxy, proxy.file(CERT_FILE).content_string) < tomorrow
    res = site()
    assert res.returncode == 0, res.stdout[-3000:]
    renewed = proxy.file(CERT_FILE).content_string
    assert not_after(proxy, renewed) > datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=300)
    # nginx was reloaded: it serves the renewed certificate
    assert ssl.PEM_cert_to_DER_cert(served_certificate()) == ssl.PEM_cert_to_DER_cert(renewed)


def test_a_new_alias_is_put_into_the_certificate(proxy, tmp_path):
    try:
        res = site("-e", '{"lb_server_aliases": ["www.alvin.xyz"]}')
        assert res.returncode == 0, res.stdout[-3000:]
        anchor = tmp_path / "site.crt"
        anchor.write_text(proxy.file(CERT_FILE).content_string)
        context = ssl.create_default_context(cafile=str(anchor))
        with tls_connect(context, name=f"www.{DOMAIN}") as tls:
            names = [value for kind, value in tls.getpeercert()["subjectAltName"] if kind == "DNS"]
        assert names == [DOMAIN, f"www.{DOMAIN}"]
    finally:
        # as converged again, so the checks above hold on a second verify
        assert site().returncode == 0
    assert served_dns_names() == [DOMAIN]
