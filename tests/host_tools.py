"""Programs from Debian's packages that scripts/setup-host.sh (make deps) extracts for the unit tests, without
installing the packages (that would start their services on this machine)."""

import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def host_tool(name):
    """Path of a tool scripts/setup-host.sh extracted into $CACHE_DIR/tools/bin; a missing one fails the test."""
    path = os.path.join(ROOT, os.environ.get("CACHE_DIR", ".cache"), "tools", "bin", name)
    if not os.access(path, os.X_OK):
        pytest.fail("%s is missing: run `make deps` (scripts/setup-host.sh extracts it from Debian's package)" % path)
    return path
