"""Fixtures for tests against a real nginx binary; see nginx_testlib.py."""

import shutil
import subprocess

import pytest
from nginx_testlib import NGINX, Backend, PrivateNginx


@pytest.fixture
def nginx(tmp_path):
    if NGINX is None:
        pytest.skip("no nginx binary on this machine (make deps installs nginx)")
    server = PrivateNginx(tmp_path / "nginx")
    yield server
    server.stop()


@pytest.fixture
def backends():
    started = []

    def start(name):
        backend = Backend(name)
        started.append(backend)
        return backend

    yield start
    for backend in started:
        backend.stop()


@pytest.fixture(scope="session")
def certificate(tmp_path_factory):
    """A self-signed certificate and key for alvin.test (made with the openssl CLI)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl CLI not available to make a test certificate")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = str(directory / "alvin.test.pem"), str(directory / "alvin.test.key")
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=alvin.test",
            "-days",
            "2",
            "-keyout",
            key,
            "-out",
            cert,
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key
