"""A provided certificate and key judged from real openssl output (module_utils/tls_certificate.py and the
filter lb_tls_provided), made here with this machine's openssl the way the preflight runs it on the proxy."""

import datetime
import shutil
import subprocess

import pytest

from ansible_collections.dumbflix.stack.plugins.module_utils import tls_certificate
from ansible_collections.dumbflix.stack.plugins.module_utils.values import ValueRefused

pytestmark = pytest.mark.skipif(not shutil.which("openssl"), reason="needs the openssl binary")


@pytest.fixture
def tls_filter():
    """The filter lb_tls_provided and its error, whose messages (host and variable named) are checked here next to
    the pairs they are made from. ansible-test units runs module_utils tests where only ansible.module_utils can be
    imported: there, and only there, the tests that use this are skipped; pytest runs them."""
    errors = pytest.importorskip("ansible.errors")
    lb = pytest.importorskip("ansible_collections.dumbflix.stack.plugins.filter.lb")
    return lb.lb_tls_provided, errors.AnsibleFilterError


def openssl(*args):
    res = subprocess.run(["openssl", *args], capture_output=True, text=True, check=False)
    return {"rc": res.returncode, "stdout": res.stdout, "stderr": res.stderr}


def make_pair(directory, name, sans, days=30, key=None):
    """A self-signed certificate (and its key unless ``key`` is given) with these subjectAltNames."""
    key = key or str(directory / (name + ".key"))
    if not (directory / (name + ".key")).exists() and key == str(directory / (name + ".key")):
        assert openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key)["rc"] == 0
    cert = str(directory / (name + ".crt"))
    args = [
        "req",
        "-x509",
        "-key",
        key,
        "-out",
        cert,
        "-days",
        str(days),
        "-subj",
        "/CN=" + (sans[0] if sans else name),
    ]
    if sans:
        args += ["-addext", "subjectAltName=" + ",".join("DNS:" + s for s in sans)]
    made = openssl(*args)
    assert made["rc"] == 0, made["stderr"]
    return cert, key


def inspect(cert, key):
    return (
        openssl("x509", "-in", cert, "-noout", "-enddate", "-ext", "subjectAltName", "-pubkey"),
        openssl("pkey", "-in", key, "-pubout"),
    )


def test_matching_pair_for_the_domain_and_a_wildcard_alias_passes(tmp_path):
    cert, key = make_pair(tmp_path, "site", ["alvin.xyz", "*.alvin.xyz"])
    got = tls_certificate.check_certificate_pair(*inspect(cert, key), cert, key, ["alvin.xyz", "www.alvin.xyz"])
    assert got["dns_names"] == ["alvin.xyz", "*.alvin.xyz"]
    expires = datetime.datetime.fromisoformat(got["not_after"])
    assert (
        datetime.timedelta(days=29)
        < expires - datetime.datetime.now(datetime.timezone.utc)
        <= datetime.timedelta(days=30)
    )


def test_key_of_another_pair_is_refused_naming_host_variable_and_value(tmp_path, tls_filter):
    lb_tls_provided, AnsibleFilterError = tls_filter
    cert, dummy_key = make_pair(tmp_path, "site", ["alvin.xyz"])
    dummy_cert, other_key = make_pair(tmp_path, "other", ["alvin.xyz"])
    with pytest.raises(AnsibleFilterError) as info:
        lb_tls_provided(*inspect(cert, other_key), cert, other_key, ["alvin.xyz"], host="proxy1")
    assert str(info.value) == (
        "host proxy1: lb_tls_certificate_key: %r does not match the certificate %s (another key pair): nginx would "
        "refuse to start with them; give the key the certificate was issued for" % (other_key, cert)
    )


def test_missing_files_are_refused(tmp_path, tls_filter):
    lb_tls_provided, AnsibleFilterError = tls_filter
    cert, key = make_pair(tmp_path, "site", ["alvin.xyz"])
    missing = str(tmp_path / "nope.pem")
    with pytest.raises(
        AnsibleFilterError,
        match=r"^host proxy1: lb_tls_certificate: '.*/nope.pem' does not exist on "
        r"the host$",
    ):
        lb_tls_provided(*inspect(missing, key), missing, key, ["alvin.xyz"], host="proxy1")
    with pytest.raises(AnsibleFilterError, match=r"^host proxy1: lb_tls_certificate_key: '.*/nope.pem' does not exist"):
        lb_tls_provided(*inspect(cert, missing), cert, missing, ["alvin.xyz"], host="proxy1")


def test_a_key_where_the_certificate_belongs_is_refused(tmp_path, tls_filter):
    lb_tls_provided, AnsibleFilterError = tls_filter
    dummy_cert, key = make_pair(tmp_path, "site", ["alvin.xyz"])
    with pytest.raises(
        AnsibleFilterError,
        match=r"lb_tls_certificate: '.*site.key' is not a PEM certificate openssl "
        r"can read",
    ):
        lb_tls_provided(*inspect(key, key), key, key, ["alvin.xyz"], host="proxy1")


def test_certificate_that_does_not_cover_the_domain_or_an_alias_is_refused(tmp_path, tls_filter):
    lb_tls_provided, AnsibleFilterError = tls_filter
    cert, key = make_pair(tmp_path, "site", ["www.alvin.xyz", "*.alvin.xyz"])
    with pytest.raises(AnsibleFilterError) as info:
        lb_tls_provided(*inspect(cert, key), cert, key, ["alvin.xyz"], host="proxy1")
    assert str(info.value) == (
        "host proxy1: dumbflix_domain: 'alvin.xyz' is not covered by the certificate %s "
        "(its names: www.alvin.xyz, *.alvin.xyz)" % cert
    )
    cert, key = make_pair(tmp_path, "two", ["alvin.xyz"])
    with pytest.raises(AnsibleFilterError, match=r"^host proxy1: lb_server_aliases\[1\]: 'b.alvin.xyz' is not covered"):
        lb_tls_provided(*inspect(cert, key), cert, key, ["alvin.xyz", "alvin.xyz", "b.alvin.xyz"], host="proxy1")


def test_certificate_without_subject_alt_names_is_refused(tmp_path):
    cert, key = make_pair(tmp_path, "bare", [])
    with pytest.raises(ValueRefused, match="names no DNS host in its subjectAltName"):
        tls_certificate.check_certificate_pair(*inspect(cert, key), cert, key, ["bare"])


def test_expired_certificate_is_refused(tmp_path):
    cert, key = make_pair(tmp_path, "site", ["alvin.xyz"], days=1)
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=2)
    with pytest.raises(
        ValueRefused,
        match=r"^certificate: '.*site.crt' expired on 20\d\d-\d\d-\d\d \d\d:\d\d UTC; "
        r"renew it",
    ):
        tls_certificate.check_certificate_pair(*inspect(cert, key), cert, key, ["alvin.xyz"], now=later)


@pytest.mark.parametrize(
    "name, patterns, covered",
    [
        ("alvin.xyz", ["alvin.xyz"], True),
        ("ALVIN.xyz", ["alvin.xyz"], True),
        ("www.alvin.xyz", ["*.alvin.xyz"], True),
        ("alvin.xyz", ["*.alvin.xyz"], False),
        ("a.b.alvin.xyz", ["*.alvin.xyz"], False),
        ("alvin.xyz", ["*.xyz"], True),
        ("www.alvin.xyz", ["alvin.xyz"], False),
    ],
)
def test_wildcards_cover_one_label(name, patterns, covered):
    assert tls_certificate.name_covered(name, patterns) is covered


def test_not_after_is_read_with_a_space_padded_day():
    got = tls_certificate.parse_not_after("Nov  7 05:06:07 2031 GMT")
    assert got == datetime.datetime(2031, 11, 7, 5, 6, 7, tzinfo=datetime.timezone.utc)
