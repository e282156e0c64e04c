"""The site over HTTP(S), as this machine reaches it: the status it answers, the redirect to HTTPS it
may give, and the certificate the browser is to pin when no CA vouches for it."""

import base64
import http.client
import socket
import ssl
import time
import urllib.parse

from . import ProofError, log


def describe_status(status):
    """An HTTP status as 'HTTP 200'; a failure to get one as http_get described it."""
    return f"HTTP {status}" if isinstance(status, int) else status


def http_get(connect, domain, path="/", context=None):
    """GET path from HOST:PORT with the domain's Host header (and SNI), never following a redirect:
    (status, Location header), or (a description of the failure, None)."""
    host, port = connect.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        if context:
            # the TCP connection goes to HOST:PORT; SNI and the certificate check are for the domain
            conn.sock = context.wrap_socket(
                socket.create_connection((host, int(port)), timeout=5), server_hostname=domain
            )
        conn.request("GET", path, headers={"Host": domain})
        resp = conn.getresponse()
        resp.read()
        return resp.status, resp.getheader("Location")
    except (OSError, http.client.HTTPException) as err:
        return f"no answer ({getattr(err, 'reason', None) or err})", None
    finally:
        conn.close()


def spki_sha256(der):
    """base64 of the SHA-256 of a certificate's SubjectPublicKeyInfo: what chromium pins."""
    import hashlib

    from cryptography import x509  # comes with Ansible (the venv)
    from cryptography.hazmat.primitives import serialization

    spki = (
        x509.load_der_x509_certificate(der)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


class Site:
    """How this machine reaches the site: http://<domain>/ through `connect`, and, when the proxy redirects
    to HTTPS, https://<domain>[:port]/ through `connect_tls` with the certificate the proxy presents there."""

    def __init__(self, domain, connect, connect_tls=None):
        self.domain, self.connect, self.connect_tls = domain, connect, connect_tls
        self.https_port = self.context = self.pin = None
        self.start_url = self.url = f"http://{domain}/"

    def follow_redirect(self, location):
        """The proxy answered 301 Location: https://<domain>[:port]/: prepare for HTTPS there."""
        parts = urllib.parse.urlsplit(location or "")
        if parts.scheme != "https" or parts.hostname != self.domain:
            raise ProofError(
                f"{self.start_url} through {self.connect} redirects to {location!r}, not to https://{self.domain}/"
            )
        if not self.connect_tls:
            raise ProofError(
                f"{self.start_url} redirects to {location}, and no HTTPS port to reach it through is known "
                "(lab_published_ports has no ':443'): pass --connect-tls HOST:PORT"
            )
        self.https_port = parts.port or 443
        self.url = f"https://{self.domain}{'' if self.https_port == 443 else f':{self.https_port}'}/"
        host, port = self.connect_tls.rsplit(":", 1)

        def handshake(context):
            with (
                socket.create_connection((host, int(port)), timeout=5) as raw,
                context.wrap_socket(raw, server_hostname=self.domain) as tls,
            ):
                return tls.getpeercert(binary_form=True)

        self.context = ssl.create_default_context()
        try:
            handshake(self.context)
        except ssl.SSLCertVerificationError:
            # no CA vouches for it (the lab's self-signed certificate): trust exactly this one, for this name
            unverified = ssl.create_default_context()
            unverified.check_hostname, unverified.verify_mode = False, ssl.CERT_NONE
            der = handshake(unverified)
            self.context = ssl.create_default_context(cadata=ssl.DER_cert_to_PEM_cert(der))
            self.pin = spki_sha256(der)
            log(f"{self.url}: a certificate no CA vouches for; pinned its key {self.pin}")
        except OSError as err:
            raise ProofError(f"no TLS answer from {self.connect_tls} for {self.domain}: {err}") from None

    def current_status(self):
        """The answer to GET / at the URL the browser ends up on."""
        if self.https_port:
            return http_get(self.connect_tls, self.domain, context=self.context)[0]
        return http_get(self.connect, self.domain)[0]

    def allowed_connections(self):
        """The HOST:PORTs this machine, and so the browser, may connect to: the proxy's HTTP and HTTPS ports."""
        return [c for c in (self.connect, self.connect_tls if self.https_port else None) if c]

    def resolver_rules(self):
        rules = [f"MAP {self.domain}:80 {self.connect}"]
        if self.https_port:
            rules.append(f"MAP {self.domain}:{self.https_port} {self.connect_tls}")
        return ", ".join(rules + ["MAP * ~NOTFOUND"])


def wait_for_status(site, want, seconds):
    deadline = time.monotonic() + seconds
    while True:
        got = site.current_status()
        if got == want:
            return
        if time.monotonic() > deadline:
            raise ProofError(
                f"{site.url} through {', '.join(site.allowed_connections())} gave {describe_status(got)}, not HTTP {want}, for {seconds} s"
            )
        time.sleep(1)
