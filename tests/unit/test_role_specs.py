"""Each role states its variables once: meta/argument_specs.yml (types, choices, documented defaults)
and defaults/main.yml (the values Ansible applies) must say the same thing, and the `validate` entry
point the preflight runs must check exactly what `main` checks."""

import os
import re

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES_DIR = os.path.join(ROOT, "roles")
ROLES = sorted(name for name in os.listdir(ROLES_DIR) if os.path.isdir(os.path.join(ROLES_DIR, name)))


def load(role, *path):
    full = os.path.join(ROLES_DIR, role, *path)
    if not os.path.exists(full):
        return None
    with open(full, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def specs(role):
    return load(role, "meta", "argument_specs.yml")["argument_specs"]


def defaults(role):
    return load(role, "defaults", "main.yml") or {}


def test_every_role_is_found():
    assert {"dumbflix_frontend", "load_balancer", "nginx", "nodejs", "pm2"} <= set(ROLES)


@pytest.mark.parametrize("role", ROLES)
def test_validate_entry_point_checks_what_main_checks(role):
    entry_points = specs(role)
    assert "validate" in entry_points, "%s has no validate entry point for the preflight" % role
    assert entry_points["validate"]["options"] == entry_points["main"]["options"]
    assert os.path.isfile(os.path.join(ROLES_DIR, role, "tasks", "validate.yml"))


@pytest.mark.parametrize("role", ROLES)
def test_spec_defaults_are_the_applied_defaults(role):
    options = specs(role)["main"]["options"]
    applied = defaults(role)
    for name, option in options.items():
        if "default" in option:
            assert name in applied, "%s: %s documents default %r, defaults/main.yml sets none" % (
                role,
                name,
                option["default"],
            )
            assert applied[name] == option["default"], "%s: %s" % (role, name)
        else:
            # null in defaults/main.yml is "not set", which a spec says by having no default
            assert applied.get(name) is None, "%s: %s has a default in defaults/main.yml only" % (role, name)
    undocumented = sorted(set(applied) - set(options))
    assert not undocumented, "%s: defaults/main.yml sets variables its spec does not know: %s" % (role, undocumented)


@pytest.mark.parametrize("role", ROLES)
def test_every_default_has_a_comment(role):
    path = os.path.join(ROLES_DIR, role, "defaults", "main.yml")
    if not os.path.exists(path):
        return
    with open(path, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    for index, line in enumerate(lines):
        match = re.match(r"([a-z_][a-z0-9_]*):", line)
        if match:
            assert index > 0 and lines[index - 1].startswith("#"), "%s: %s has no comment line" % (role, match.group(1))


@pytest.mark.parametrize("role", ROLES)
def test_every_option_is_described(role):
    for entry, spec in specs(role).items():
        assert spec.get("short_description"), (role, entry)
        for name, option in spec.get("options", {}).items():
            assert option.get("description"), (role, entry, name)
            assert option.get("type"), (role, entry, name)


def test_the_app_port_has_one_default():
    owners = [role for role in ROLES if "dumbflix_port" in defaults(role)]
    assert owners == ["dumbflix_frontend"]


# a grammar in Jinja (`is match(...)`, `select('match', ...)`, regex_search) instead of a test of plugins/test/
JINJA_REGEX = re.compile(
    r"\bis\s+(?:not\s+)?(?:match|search|regex)\b|\bregex_(?:search|match)\b|['\"](?:match|search|regex)['\"]"
)


@pytest.mark.parametrize("role", ROLES)
def test_validate_states_no_grammar_of_its_own(role):
    tasks = os.path.join(ROLES_DIR, role, "tasks")
    for name in sorted(os.listdir(tasks)):
        if name.startswith("validate"):
            with open(os.path.join(tasks, name), encoding="utf-8") as handle:
                for number, line in enumerate(handle, 1):
                    assert not JINJA_REGEX.search(line), "%s/tasks/%s:%d states a regex: %s" % (
                        role,
                        name,
                        number,
                        line,
                    )


def test_pm2_user_root_is_refused_once_by_its_owner():
    """The rule sits with pm2, which owns pm2_user; no other role restates it."""
    owners = []
    for role in ROLES:
        tasks = os.path.join(ROLES_DIR, role, "tasks")
        for name in sorted(os.listdir(tasks)):
            with open(os.path.join(tasks, name), encoding="utf-8") as handle:
                if re.search(r"pm2_user\s*!=\s*'root'", handle.read()) and name.startswith("validate"):
                    owners.append("%s/%s" % (role, name))
    assert owners == ["pm2/validate.yml"]
