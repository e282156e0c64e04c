"""Build mode builds a release once and ships it: every app host serves the same release, only
the build host (the first of `app`) ever ran npm, no other host holds a source tree or node_modules,
and the control node caches the archive the hosts were given. pm2 travels the same way: installed
with npm on that one host, unpacked from the control node's cache everywhere else, so the hosts
that only serve have no npm at all."""

import json
import os
import tarfile

import pytest
from conftest import APP_USER, PORT, host

APP_DIR = "/srv/dumbflix-frontend"
# molecule.yml points dumbflix_release_cache here; prepare.yml empties it before the converge
CACHE = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "dumbflix-releases")
# and pm2_cache here
PM2_CACHE = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "pm2")
# the role's pinned default
PM2_VERSION = "7.0.4"
BUILD_HOST = "mol-app1"
# test_50_scale.py added it to `app` once, after the converge had cached the release
JOINED_HOST = "mol-app3"


def release_id(h):
    """The release `current` points at, checked to be a complete release directory."""
    target = h.check_output(f"readlink {APP_DIR}/current")
    assert os.path.dirname(target) == f"{APP_DIR}/releases", target
    rid = os.path.basename(target)
    assert h.file(f"{target}/build/index.html").is_file, target
    return rid


def description(h):
    return json.loads(h.file(f"{APP_DIR}/current/.dumbflix-release").content_string)


def ran_npm_as_the_app_user(h):
    """npm keeps its cache and logs in the user's ~/.npm: only a build runs npm as the app user."""
    return h.file(f"{h.user(APP_USER).home}/.npm").exists


def assert_pm2_without_npm(h, name):
    """pm2 where npm install --global puts it, at the pinned version, on a host with no npm."""
    assert h.run("command -v npm").rc != 0, f"{name} has npm: {h.run('command -v npm').stdout}"
    assert not h.package("npm").is_installed, f"{name} has Debian's npm package"
    assert h.file("/usr/local/bin/pm2").linked_to == "/usr/local/lib/node_modules/pm2/bin/pm2", name
    package = json.loads(h.file("/usr/local/lib/node_modules/pm2/package.json").content_string)
    assert package["version"] == PM2_VERSION, (name, package["version"])
    # the daemon the app runs under is that pm2
    assert f"PM2 v{PM2_VERSION}: God Daemon" in h.check_output(f"ps -u {APP_USER} -o args="), name


def assert_no_build_left(h, name):
    # no source tree, no dependencies, no workspace or source archive: only releases/ and current
    found = h.run(
        f"find {APP_DIR} \\( -name node_modules -o -name package.json -o -name src -o -name workspace "
        f"-o -name repo -o -name 'source*.tar*' \\) -print"
    )
    assert found.rc == 0, found.stderr
    assert found.stdout.strip() == "", f"{name}: {found.stdout}"
    entries = set(h.check_output(f"ls -A {APP_DIR}").split())
    assert entries == {".dumbflix-deployed", "current", "releases"}, (name, entries)
    for rid in h.check_output(f"ls -A {APP_DIR}/releases").split():
        assert set(h.check_output(f"ls -A {APP_DIR}/releases/{rid}").split()) == {".dumbflix-release", "build"}, (
            name,
            rid,
        )


def test_every_app_host_serves_the_same_release(apps):
    ids = {name: release_id(h) for name, h in apps.items()}
    assert len(set(ids.values())) == 1, ids
    rid = ids[BUILD_HOST]
    for name, h in apps.items():
        desc = description(h)
        assert desc["id"] == rid and desc["key"].startswith(rid), (name, desc)
        assert desc["built_on"] == BUILD_HOST, (name, desc)
        # "<release id> <pm2 settings id>", written once the release passed its health check
        assert h.file(f"{APP_DIR}/.dumbflix-deployed").content_string.split()[0] == rid, name
        # the same bytes on every host: pm2 serves the shipped build, not a local one
        assert h.check_output(f"curl -s http://127.0.0.1:{PORT}/ | sha256sum") == apps[BUILD_HOST].check_output(
            f"curl -s http://127.0.0.1:{PORT}/ | sha256sum"
        ), name


def test_only_the_build_host_ever_built(apps):
    assert ran_npm_as_the_app_user(apps[BUILD_HOST]), "the build host never ran npm as the app user"
    for name, h in apps.items():
        if name != BUILD_HOST:
            assert not ran_npm_as_the_app_user(h), f"{name} ran npm as {APP_USER}: it built"
        # the build host removed its workspace once the release was packed
        assert_no_build_left(h, name)


def test_only_the_build_host_has_npm_and_pm2_was_installed_once(apps):
    # the build host needs npm for npm ci and npm run build, and installed pm2 with it
    assert apps[BUILD_HOST].package("npm").is_installed
    for name, h in apps.items():
        if name != BUILD_HOST:
            assert_pm2_without_npm(h, name)
    archive = os.path.join(PM2_CACHE, f"pm2-{PM2_VERSION}.tar.gz")
    assert os.path.isfile(archive), f"{archive} is missing"
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "pm2/package.json" in names and "pm2/bin/pm2" in names, names[:20]


def test_the_control_node_caches_the_release_archive(apps):
    rid = release_id(apps[BUILD_HOST])
    archive = os.path.join(CACHE, f"{rid}.tar.gz")
    assert os.path.isfile(archive), f"{archive} is missing (cache holds {sorted(os.listdir(CACHE))})"
    assert not [f for f in os.listdir(CACHE) if f.endswith(".part")]
    with tarfile.open(archive) as tar:
        names = [m.name.lstrip("./") for m in tar.getmembers()]
        meta = json.load(tar.extractfile(next(m for m in tar.getmembers() if m.name.endswith(".dumbflix-release"))))
    assert "build/index.html" in names, names
    assert not [n for n in names if "node_modules" in n or n.startswith("src/")], names
    assert meta["id"] == rid and meta["built_on"] == BUILD_HOST, meta


def test_a_backend_that_joined_later_got_the_release_without_building(apps):
    joined = host(JOINED_HOST)
    if not joined.file(f"{APP_DIR}/current").exists:
        pytest.skip(f"{JOINED_HOST} was never deployed (test_50_scale.py did not run first)")
    assert release_id(joined) == release_id(apps[BUILD_HOST])
    assert description(joined)["built_on"] == BUILD_HOST
    assert not ran_npm_as_the_app_user(joined), f"{JOINED_HOST} ran npm as {APP_USER}: it built"
    assert_no_build_left(joined, JOINED_HOST)
    assert_pm2_without_npm(joined, JOINED_HOST)
