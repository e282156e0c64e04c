# -*- coding: utf-8 -*-
# Copyright: dumbflix.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Is a certificate and key pair fit to serve a site? Judged from ``openssl``'s own output.

The load balancer's preflight runs two read-only commands on the proxy, where the files are:

- ``openssl x509 -in CERT -noout -enddate -ext subjectAltName -pubkey``
- ``openssl pkey -in KEY -pubout``

so the private key never leaves the proxy (only its public half is compared), and the proxy
needs nothing but the ``openssl`` binary, which Debian's ``ca-certificates`` depends on.
:func:`check_certificate_pair` reads their results and raises :class:`ValueRefused` naming
the field (``certificate``, ``key`` or ``names[N]``) for the caller to rename.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

from ansible_collections.dumbflix.stack.plugins.module_utils.values import ValueRefused, item_field

_PUBLIC_KEY = re.compile(r"-----BEGIN PUBLIC KEY-----[A-Za-z0-9+/=\s]+?-----END PUBLIC KEY-----")
_NOT_AFTER = re.compile(r"^notAfter=(.+)$", re.M)
_SAN = re.compile(r"X509v3 Subject Alternative Name:[^\n]*\n\s*([^\n]*)")


def _first_error_line(result):
    lines = [line.strip() for line in str(result.get("stderr") or "").splitlines() if line.strip()]
    return lines[0] if lines else "openssl exited with %s" % result.get("rc")


def _unreadable(field, path, result, what):
    error, stderr = _first_error_line(result), str(result.get("stderr") or "")
    if "No such file" in stderr:
        return ValueRefused(field, path, "does not exist on the host")
    if "Permission denied" in stderr:
        return ValueRefused(field, path, "can't be read (permission denied), even as root")
    return ValueRefused(field, path, "is not a %s openssl can read (%s)" % (what, error))


def parse_not_after(text):
    """``Nov 27 15:00:00 2027 GMT`` (openssl's notAfter) -> an aware UTC datetime."""
    words = text.split()
    if len(words) != 5 or words[4] != "GMT":
        raise ValueError("unexpected notAfter %r" % text)
    stamp = datetime.datetime.strptime(" ".join(words[:4]), "%b %d %H:%M:%S %Y")
    return stamp.replace(tzinfo=datetime.timezone.utc)


def certificate_dns_names(x509_text):
    """The DNS names of the subjectAltName in ``openssl x509 -ext subjectAltName``'s output, lowercased."""
    match = _SAN.search(x509_text)
    if not match:
        return []
    names = []
    for entry in match.group(1).split(","):
        kind, dummy_colon, value = entry.strip().partition(":")
        if kind == "DNS" and value:
            names.append(value.lower())
    return names


def name_covered(name, dns_names):
    """Does one of the certificate's DNS names cover the host ``name``?

    A wildcard covers exactly one label at the left (``*.alvin.xyz`` covers ``www.alvin.xyz``,
    neither ``alvin.xyz`` nor ``a.b.alvin.xyz``), as browsers check it (RFC 6125).
    """
    name = name.lower().rstrip(".")
    for pattern in dns_names:
        pattern = pattern.rstrip(".")
        if pattern == name:
            return True
        if pattern.startswith("*.") and "." in name and name.split(".", 1)[1] == pattern[2:]:
            return True
    return False


def check_certificate_pair(x509_result, pkey_result, certificate, key, names, now=None):
    """Refuse a certificate/key pair nginx would fail on or browsers would reject.

    ``x509_result`` and ``pkey_result`` are the results (``rc``, ``stdout``, ``stderr``) of the two
    commands in the module docstring, run on ``certificate`` and ``key``; ``names`` are the
    host names the site answers to (the domain first).  Returns ``{'not_after': ISO date,
    'dns_names': [...]}``.  Refusals: ``certificate`` (unreadable, expired, no SAN), ``key``
    (unreadable, another key than the certificate's), ``names[N]`` (not covered).
    """
    if x509_result.get("rc") != 0:
        raise _unreadable("certificate", certificate, x509_result, "PEM certificate")
    if pkey_result.get("rc") != 0:
        raise _unreadable("key", key, pkey_result, "PEM private key")
    x509_text, pkey_text = str(x509_result.get("stdout") or ""), str(pkey_result.get("stdout") or "")
    cert_public = _PUBLIC_KEY.search(x509_text)
    key_public = _PUBLIC_KEY.search(pkey_text)
    not_after = _NOT_AFTER.search(x509_text)
    if not cert_public or not not_after:
        raise ValueRefused("certificate", certificate, "gave openssl output without its public key or end date")
    if not key_public:
        raise ValueRefused("key", key, "gave openssl no public key")
    if "".join(cert_public.group(0).split()) != "".join(key_public.group(0).split()):
        raise ValueRefused(
            "key",
            key,
            "does not match the certificate %s (another key pair): nginx would refuse to "
            "start with them; give the key the certificate was issued for" % certificate,
        )
    expires = parse_not_after(not_after.group(1))
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if expires <= now:
        raise ValueRefused(
            "certificate",
            certificate,
            "expired on %s; renew it (certbot renew) or point at the "
            "current one" % expires.strftime("%Y-%m-%d %H:%M UTC"),
        )
    dns_names = certificate_dns_names(x509_text)
    if not dns_names:
        raise ValueRefused(
            "certificate", certificate, "names no DNS host in its subjectAltName; browsers ignore the subject's CN"
        )
    for index, name in enumerate(names):
        if not name_covered(name, dns_names):
            raise ValueRefused(
                item_field("names", index),
                name,
                "is not covered by the certificate %s (its names: %s)" % (certificate, ", ".join(dns_names)),
            )
    return {"not_after": expires.isoformat(), "dns_names": dns_names}
