"""The nodejs role's NodeSource path, against what NodeSource documents.

``nodejs_source: nodesource`` can't be converged here: deb.nodesource.com is unreachable from these machines.
So these tests render what roles/nodejs/tasks/install-nodesource.yml would write, with Ansible's own Templar
for the task arguments and ansible-core's real ``deb822_repository`` module for the repository file, and compare
it with NodeSource's documentation, written out below. Where apt is installed (Debian, as CI is), apt itself
reads both the role's file and NodeSource's line and must derive the same repository from them, and must give
NodeSource's nodejs the pinned priority.

NodeSource's documentation, as read for this test: github.com/nodesource/distributions at b84e5626 (2025-10-29),
DEV_README.md ("DEB Available architectures", "DEB Supported Versions", "Installation Instructions (DEB)")
and the setup scripts it points to, scripts/deb/setup_<major>.x (install_pre_reqs, configure_repo).
"""

import os
import shutil
import stat
import subprocess

import pytest
from ansible.modules import deb822_repository
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from module_runner import run_module

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLE = os.path.join(ROOT, "roles", "nodejs")

# --- NodeSource's documentation --------------------------------------------------------------------------------
# configure_repo(): echo "deb [arch=$arch signed-by=/usr/share/keyrings/nodesource.gpg]
#   https://deb.nodesource.com/node_$node_version nodistro main" > /etc/apt/sources.list.d/nodesource.list
NODESOURCE_LINE = (
    "deb [arch={arch} signed-by=/usr/share/keyrings/nodesource.gpg] "
    "https://deb.nodesource.com/node_{major}.x nodistro main"
)
NODESOURCE_LIST = "/etc/apt/sources.list.d/nodesource.list"
# install_pre_reqs(): curl -fsSL <this> | gpg --dearmor -o /usr/share/keyrings/nodesource.gpg; chmod 644
NODESOURCE_KEY_URL = "https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key"
# configure_repo(): /etc/apt/preferences.d/nodejs
NODESOURCE_PIN = "Package: nodejs\nPin: origin deb.nodesource.com\nPin-Priority: 600\n"
# "DEB Supported Versions" lists Node 18 to 24 (scripts exist up to 25); the scripts accept these dpkg
# architectures: amd64, arm64 and armhf in setup_18.x to setup_22.x, amd64 and arm64 from setup_23.x on.
NODESOURCE_ARCHITECTURES = {
    18: {"amd64", "arm64", "armhf"},
    20: {"amd64", "arm64", "armhf"},
    22: {"amd64", "arm64", "armhf"},
    24: {"amd64", "arm64"},
    25: {"amd64", "arm64"},
}
# What apt reads from the one-line format's options, per sources.list(5)
ONE_LINE_OPTIONS = {"arch": "Architectures", "signed-by": "Signed-By"}

# The key file a test serves instead of deb.nodesource.com (armored, as NodeSource's is: they pipe it to gpg --dearmor)
FAKE_KEY = b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot a real key\n-----END PGP PUBLIC KEY BLOCK-----\n"

APT = shutil.which("apt-get") and shutil.which("apt-cache")
NEEDS_APT = pytest.mark.skipif(not APT, reason="apt-get and apt-cache are not installed (not a Debian machine)")


# --- the role, rendered ------------------------------------------------------------------------------------------
LOADER = DataLoader()


def load(*path):
    # trusted, as Ansible trusts a role's own files, so that the Templar renders their templates
    return LOADER.load_from_file(os.path.join(ROLE, *path), trusted_as_template=True)


def role_vars(**overrides):
    """The role's defaults with ``overrides``, plus what the tasks before the rendered one register."""
    variables = dict(load("defaults", "main.yml"))
    variables.update(inventory_hostname="app1", _nodejs_dpkg_architecture={"stdout": "amd64\n", "rc": 0})
    variables.update(overrides)
    return variables


def task(action, tasks_file="install-nodesource.yml"):
    found = [t for t in load("tasks", tasks_file) if action in t]
    assert len(found) == 1, "%s: expected one %s task, found %d" % (tasks_file, action, len(found))
    return found[0]


def render(action, tasks_file="install-nodesource.yml", **overrides):
    """The arguments ``action``'s task would get, templated with the task's own vars, as Ansible does."""
    found = task(action, tasks_file)
    variables = role_vars(**overrides)
    variables.update(found.get("vars") or {})
    return Templar(loader=LOADER, variables=variables).template(found[action])


class FakeResponse:
    def __init__(self, data):
        self.data = data

    def read(self):
        return self.data


@pytest.fixture
def fetched(monkeypatch):
    """deb822_repository fetches the key with open_url: serve FAKE_KEY and record the URLs asked for."""
    urls = []

    def fake_open_url(url, *args, **kwargs):
        urls.append(url)
        return FakeResponse(FAKE_KEY)

    monkeypatch.setattr(deb822_repository, "open_url", fake_open_url)
    return urls


def repository(tmp_path, fetched, check_mode=True, **overrides):
    """Run ansible-core's deb822_repository with the role's rendered arguments; its result (``repo`` is the file)."""
    args = render("ansible.builtin.deb822_repository", **overrides)
    result = run_module(deb822_repository, args, check_mode=check_mode, tmpdir=tmp_path)
    assert not result.get("failed"), result
    return result


def deb822_fields(text):
    """One deb822 stanza (no multi-line values here) as {field: value}."""
    fields = {}
    for line in text.splitlines():
        if line.strip():
            name, _, value = line.partition(":")
            fields[name.strip()] = value.strip()
    return fields


def one_line_fields(line):
    """NodeSource's one-line entry (sources.list(5): type [options] uri suite component...) as deb822 fields."""
    kind, rest = line.split(" ", 1)
    fields = {"Types": kind}
    if rest.startswith("["):
        options, rest = rest[1:].split("]", 1)
        for option in options.split():
            name, _, value = option.partition("=")
            fields[ONE_LINE_OPTIONS[name]] = value
    uri, suite, *components = rest.split()
    fields.update(URIs=uri, Suites=suite, Components=" ".join(components))
    return fields


def pin_fields(text):
    """An apt_preferences stanza as {field: value}; apt skips # comment lines in preferences files."""
    return deb822_fields("\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))


# --- the repository ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("major, arch", [(20, "amd64"), (22, "amd64"), (22, "arm64"), (24, "amd64")])
def test_repository_is_nodesources(tmp_path, fetched, major, arch):
    result = repository(
        tmp_path, fetched, nodejs_nodesource_major=major, _nodejs_dpkg_architecture={"stdout": arch + "\n", "rc": 0}
    )
    ours = deb822_fields(result["repo"])
    theirs = one_line_fields(NODESOURCE_LINE.format(major=major, arch=arch))
    # the same repository, field by field: Types, URIs, Suites, Components, Architectures
    assert {k: v for k, v in ours.items() if k in theirs and k != "Signed-By"} == {
        k: v for k, v in theirs.items() if k != "Signed-By"
    }
    assert ours["URIs"] == "https://deb.nodesource.com/node_%d.x" % major
    assert (ours["Suites"], ours["Components"], ours["Types"]) == ("nodistro", "main", "deb")
    # nothing NodeSource's line lacks but the module's own name, which apt ignores (an X- field)
    assert set(ours) - set(theirs) == {"X-Repolib-Name"}
    # the key: fetched from NodeSource's URL once, kept where the entry's Signed-By points
    assert fetched == [NODESOURCE_KEY_URL]
    assert ours["Signed-By"] == result["key_filename"] == "/etc/apt/keyrings/nodesource.asc"
    assert result["dest"] == "/etc/apt/sources.list.d/nodesource.sources"


def test_a_mirror_changes_only_the_host(tmp_path, fetched):
    result = repository(tmp_path, fetched, nodejs_nodesource_url="http://mirror.example:8080/nodesource")
    assert deb822_fields(result["repo"])["URIs"] == "http://mirror.example:8080/nodesource/node_20.x"
    assert fetched == ["http://mirror.example:8080/nodesource/gpgkey/nodesource-repo.gpg.key"]


def test_key_is_kept_readable_by_apt(tmp_path, fetched, monkeypatch):
    """A real (not check mode) run in tmp_path: the key NodeSource serves, as fetched, mode 0644 as their script sets."""
    keyrings, sources = tmp_path / "keyrings", tmp_path / "sources.list.d"
    sources.mkdir()
    monkeypatch.setattr(deb822_repository, "KEYRINGS_DIR", str(keyrings))
    monkeypatch.setattr(deb822_repository, "make_sources_filename", lambda slug: str(sources / ("%s.sources" % slug)))
    result = repository(tmp_path, fetched, check_mode=False)
    key = keyrings / "nodesource.asc"
    assert key.read_bytes() == FAKE_KEY
    assert stat.S_IMODE(key.stat().st_mode) == 0o644
    assert (sources / "nodesource.sources").read_text() == result["repo"]
    assert deb822_fields(result["repo"])["Signed-By"] == str(key)
    assert repository(tmp_path, fetched, check_mode=False)["changed"] is False


@pytest.mark.parametrize("major", sorted(NODESOURCE_ARCHITECTURES))
@pytest.mark.parametrize("arch", ["amd64", "arm64", "armhf", "i386", "ppc64el"])
def test_architectures_are_nodesources(major, arch):
    found = task("ansible.builtin.assert")
    variables = role_vars(nodejs_nodesource_major=major, _nodejs_dpkg_architecture={"stdout": arch + "\n"})
    variables.update(found["vars"])
    accepted = Templar(loader=LOADER, variables=variables).evaluate_conditional(found["ansible.builtin.assert"]["that"])
    assert accepted == (arch in NODESOURCE_ARCHITECTURES[major])


def test_the_oldest_major_is_nodesources_oldest():
    """validate.yml refuses majors below NodeSource's oldest supported one (18), and accepts it."""
    rules = [
        t["ansible.builtin.assert"]["that"]
        for t in load("tasks", "validate.yml")
        if "nodejs_nodesource_major" in str((t.get("ansible.builtin.assert") or {}).get("that"))
    ]
    assert len(rules) == 1, rules
    rule = rules[0]

    def accepted(major):
        return Templar(loader=LOADER, variables=role_vars(nodejs_nodesource_major=major)).evaluate_conditional(rule)

    assert [accepted(m) for m in (16, 17, min(NODESOURCE_ARCHITECTURES))] == [False, False, True]


# --- the pin -----------------------------------------------------------------------------------------------------
def test_pin_is_nodesources():
    pin = render("ansible.builtin.copy")
    assert pin["dest"].startswith("/etc/apt/preferences.d/")
    assert pin_fields(pin["content"]) == pin_fields(NODESOURCE_PIN)
    assert pin["mode"] == "0644"


def test_a_mirrors_pin_names_the_mirrors_host():
    # apt matches "Pin: origin" against the host the packages come from, without the port (test_apt_applies_the_pin)
    pin = render("ansible.builtin.copy", nodejs_nodesource_url="http://mirror.example:8080/nodesource")
    assert pin_fields(pin["content"]) == dict(pin_fields(NODESOURCE_PIN), Pin="origin mirror.example")


# --- what the role removes ---------------------------------------------------------------------------------------
def test_nodesources_own_list_goes_before_the_repository_is_added():
    tasks = load("tasks", "install-nodesource.yml")
    removals = [i for i, t in enumerate(tasks) if (t.get("ansible.builtin.file") or {}).get("path") == NODESOURCE_LIST]
    added = [i for i, t in enumerate(tasks) if "ansible.builtin.deb822_repository" in t]
    assert removals and added and removals[0] < added[0]
    assert tasks[removals[0]]["ansible.builtin.file"]["state"] == "absent"


def test_distro_removes_what_nodesource_wrote(tmp_path, fetched):
    result = repository(tmp_path, fetched)
    written = {result["dest"], result["key_filename"], render("ansible.builtin.copy")["dest"]}
    # the distro install looks for exactly these, and removes what it finds
    looked_for = task("ansible.builtin.command", "install-distro.yml")["ansible.builtin.command"]["argv"]
    assert looked_for[:3] == ["ls", "-d", "--"] and set(looked_for[3:]) == written


# --- apt's own reading -------------------------------------------------------------------------------------------
def apt_options(root, sources, lists):
    """apt reading only ``sources`` (a sources.list.d), ``lists`` and root/preferences.d, for amd64."""
    for name in ("cache", "preferences.d"):
        (root / name).mkdir(exist_ok=True)
    return [
        "-o",
        "Dir::Etc::SourceList=/dev/null",
        "-o",
        "Dir::Etc::SourceParts=%s" % sources,
        "-o",
        "Dir::State::Lists=%s" % lists,
        "-o",
        "Dir::Cache=%s" % (root / "cache"),
        "-o",
        "Dir::Cache::pkgcache=",
        "-o",
        "Dir::Cache::srcpkgcache=",
        "-o",
        "Dir::State::status=/dev/null",
        "-o",
        "Dir::Etc::Preferences=/dev/null",
        "-o",
        "Dir::Etc::PreferencesParts=%s" % (root / "preferences.d"),
        "-o",
        "APT::Architecture=amd64",
        "-o",
        "APT::Architectures::=amd64",
    ]


def apt_targets(root, files):
    """What ``apt-get update`` would fetch for the files in ``files`` ({name: text}), per apt-get indextargets."""
    sources = root / ("sources-%d" % len(list(root.glob("sources-*"))))
    sources.mkdir()
    (root / "lists").mkdir(exist_ok=True)
    for name, text in files.items():
        (sources / name).write_text(text)
    run = subprocess.run(
        [
            "apt-get",
            *apt_options(root, sources, root / "lists"),
            "indextargets",
            "--no-release-info",
            "--format",
            "$(URI) $(ARCHITECTURE) $(COMPONENT) $(RELEASE) $(TARGET_OF) $(IDENTIFIER)",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return run.returncode, sorted(run.stdout.splitlines()), run.stderr


@NEEDS_APT
@pytest.mark.parametrize("major", [20, 22])
def test_apt_reads_the_same_repository(tmp_path, fetched, major):
    ours = repository(tmp_path, fetched, nodejs_nodesource_major=major)["repo"]
    rc, targets, stderr = apt_targets(tmp_path, {"nodesource.sources": ours})
    assert rc == 0, stderr
    assert (
        "https://deb.nodesource.com/node_%d.x/dists/nodistro/main/binary-amd64/Packages amd64 main nodistro deb "
        "Packages" % major in targets
    )
    theirs = apt_targets(tmp_path, {"nodesource.list": NODESOURCE_LINE.format(major=major, arch="amd64") + "\n"})
    assert (rc, targets) == theirs[:2]


@NEEDS_APT
def test_apt_refuses_both_files_at_once(tmp_path, fetched):
    """Why the role removes NodeSource's nodesource.list: beside the role's file, apt reads no source at all."""
    ours = repository(tmp_path, fetched)["repo"]
    rc, _, stderr = apt_targets(
        tmp_path, {"nodesource.sources": ours, "nodesource.list": NODESOURCE_LINE.format(major=20, arch="amd64") + "\n"}
    )
    assert rc != 0 and "Conflicting values set for option Signed-By" in stderr


def fake_repository(lists, uri, version):
    """What ``apt-get update`` would leave in ``lists`` for ``uri`` (suite nodistro): a Release and a nodejs."""
    prefix = uri.split("://", 1)[1].rstrip("/").replace("_", "%5f").replace("/", "_") + "_dists_nodistro_"
    (lists / (prefix + "Release")).write_text(
        "Origin: Node Source\nLabel: Node Source\nSuite: nodistro\nCodename: nodistro\n"
        "Date: Mon, 01 Jan 2024 00:00:00 UTC\nArchitectures: amd64 arm64\nComponents: main\n"
    )
    (lists / (prefix + "main_binary-amd64_Packages")).write_text(
        "Package: nodejs\nVersion: %s\nArchitecture: amd64\nMaintainer: test <test@example.invalid>\n"
        "Filename: pool/main/n/nodejs/nodejs_%s_amd64.deb\nSize: 1\nDescription: test\n\n" % (version, version)
    )


def apt_priority(root, sources_text, pin_text, uri):
    """The priority apt gives the nodejs of the repository at ``uri`` with ``pin_text`` in preferences.d."""
    sources, lists = root / "sources", root / "lists"
    for path in (sources, lists):
        path.mkdir(parents=True, exist_ok=True)
    (sources / "nodesource.sources").write_text(sources_text)
    fake_repository(lists, uri, "22.0.0-1nodesource1")
    options = apt_options(root, sources, lists)
    (root / "preferences.d" / "nodesource").write_text(pin_text)
    run = subprocess.run(["apt-cache", *options, "policy", "nodejs"], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    line = [line for line in lines if line.strip().startswith("22.0.0-1nodesource1")]
    assert line, run.stdout
    return int(line[0].split()[-1])


@NEEDS_APT
def test_apt_applies_the_pin(tmp_path, fetched):
    ours = repository(tmp_path, fetched, nodejs_nodesource_major=22)["repo"]
    uri = "https://deb.nodesource.com/node_22.x"
    assert apt_priority(tmp_path / "ours", ours, render("ansible.builtin.copy")["content"], uri) == 600
    assert apt_priority(tmp_path / "theirs", ours, NODESOURCE_PIN, uri) == 600
    # without a pin apt's default; so the 600 above is the pin's doing
    assert apt_priority(tmp_path / "none", ours, "", uri) == 500


@NEEDS_APT
def test_apt_applies_a_mirrors_pin(tmp_path, fetched):
    url = "http://mirror.example:8080/nodesource"
    ours = repository(tmp_path, fetched, nodejs_nodesource_url=url, nodejs_nodesource_major=22)["repo"]
    pin = render("ansible.builtin.copy", nodejs_nodesource_url=url)["content"]
    assert apt_priority(tmp_path / "mirror", ours, pin, url + "/node_22.x") == 600
