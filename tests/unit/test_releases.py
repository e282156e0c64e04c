"""The releases the collection claims are claimed the same way everywhere: each role's meta/main.yml lists the
Debian releases CI converges it on, the README's "Supported releases" table says the same, and Ubuntu, which
nothing here tests, is in no role's platforms but explained in a comment of every one."""

import glob
import os
import re

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES = sorted(
    os.path.basename(os.path.dirname(os.path.dirname(path)))
    for path in glob.glob(os.path.join(ROOT, "roles", "*", "meta", "main.yml"))
)
CODENAMES = {"Debian 11": "bullseye", "Debian 12": "bookworm", "Debian 13": "trixie"}


def read(*path):
    with open(os.path.join(ROOT, *path), encoding="utf-8") as handle:
        return handle.read()


def platforms(role):
    return yaml.safe_load(read("roles", role, "meta", "main.yml"))["galaxy_info"]["platforms"]


def roles_on(codename):
    return {
        role
        for role in ROLES
        for platform in platforms(role)
        if platform["name"] == "Debian" and codename in platform["versions"]
    }


def readme_table():
    """{release: {column: cell}} of the README's Supported releases table."""
    text = read("README.md")
    section = text[text.index("### Supported releases\n") :]
    section = section[: re.search(r"^#{2,3} ", section[4:], re.M).start() + 4]
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("| ")
    ]
    header, body = rows[0], rows[2:]
    return {row[0]: dict(zip(header, row)) for row in body}


def test_the_table_names_every_release_students_have():
    assert [release.split(" ", 2)[:2] for release in readme_table()] == [
        ["Debian", "13"],
        ["Debian", "12"],
        ["Debian", "11"],
        ["Ubuntu", "24.04"],
        ["Ubuntu", "22.04"],
    ]


@pytest.mark.parametrize("role", ROLES)
def test_platforms_are_the_debian_releases_ci_proves(role):
    assert [platform["name"] for platform in platforms(role)] == ["Debian"]
    assert set(platforms(role)[0]["versions"]) <= set(CODENAMES.values())


@pytest.mark.parametrize("release", list(CODENAMES))
def test_the_readme_says_what_the_platforms_say(release):
    row = next(row for name, row in readme_table().items() if name.startswith(release + " "))
    assert CODENAMES[release] in row["release"]
    proves = row["what CI proves"]
    if proves.startswith("every role"):
        assert roles_on(CODENAMES[release]) == set(ROLES)
    else:
        assert roles_on(CODENAMES[release]) == set(re.findall(r"`(\w+)`", proves)), release


@pytest.mark.parametrize("release", ["Ubuntu 22.04", "Ubuntu 24.04"])
def test_ubuntu_is_expected_not_proven(release):
    row = next(row for name, row in readme_table().items() if name.startswith(release + " "))
    assert row["what CI proves"] == "nothing"
    assert row["what to expect"].startswith("expected to work")


@pytest.mark.parametrize("role", ROLES)
def test_every_role_says_why_ubuntu_is_not_listed(role):
    comments = " ".join(
        line.strip().lstrip("#").strip()
        for line in read("roles", role, "meta", "main.yml").splitlines()
        if line.lstrip().startswith("#")
    )
    assert "Ubuntu is left out because nothing here tests it" in comments, role
    assert "22.04" in comments and "24.04" in comments, role
