"""The docs can't drift from the code: docs/reference.md is what `make docs` makes of the roles' argument specs
and the plugins' documentation; a variable table (the README's) names real variables with their real defaults;
every variable, value with choices, `make` target, scenario and path the docs name exists; every relative link
reaches a file, and a heading there when it names one. "The docs" are every hand-written page wherever it sits
(docs_blocks.doc_files): README.md, CONTRIBUTING.md, bench/README.md, docs/*.md, the roles' READMEs."""

import glob
import os
import re

import pytest
import yaml
from docs_text import DOCS, FENCED, PER_HOST_DICTS, ROLES, ROOT, VARIABLE_TABLE, load_yaml, main_options, read

from scripts import gen_reference


def test_reference_is_what_make_docs_writes():
    expected = gen_reference.render(ROOT)
    committed = read("docs/reference.md") if os.path.exists(os.path.join(ROOT, "docs/reference.md")) else ""
    assert committed == expected, "docs/reference.md is stale: run `make docs`"


def test_reference_covers_every_role_module_filter_and_test():
    text = gen_reference.render(ROOT)
    for role in ROLES:
        assert f"### role {role}\n" in text
        for entry in load_yaml(f"roles/{role}/meta/argument_specs.yml")["argument_specs"]:
            assert re.search(rf"^#### {role}: (tasks_from )?{entry}$", text, re.M), (role, entry)
    for path in glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py")):
        assert f"### module {os.path.basename(path)[:-3]}\n" in text
    for kind in ("filter", "test"):
        for path in glob.glob(os.path.join(ROOT, "plugins", kind, "*.yml")):
            assert f"### {kind} {os.path.basename(path)[:-4]}\n" in text
    # a suboption, and an option from the collection's own doc fragment
    assert "| `servers.weight` |" in text
    assert "| `nginx_binary` | str |  | `nginx` |" in text


# ---------------------------------------------------------------------------------------------------------------
# The README's variable table, against the argument specs.
#
# Rules for the "default" column (one part per variable when a row names several, split on " / "):
# - `— (required)`: the spec says required and has no default;
# - `unset`: the spec has no default;
# - a part that starts with a backticked value: that value, read as YAML, is the spec's default; anything after
#   it is commentary (`"off"` (the lab: `self_signed`), `[]` (= its primary IPv4)). When the spec's default is the
#   template `{{ playbook_dir }}/../PATH` (a path in the checkout, playbooks/ being the playbook's directory),
#   the README's value must be PATH;
# - descriptive text, only as DESCRIBED_DEFAULTS lists it, each with what can be checked of it.
# Anything else fails: add a rule here rather than skip a row.
# ---------------------------------------------------------------------------------------------------------------
IN_CHECKOUT = re.compile(r"^\{\{ playbook_dir \}\}/\.\./(.+)$")


def first_host_of_the_play(options, group):
    # no default: the role falls back to the first host of the play, which in site.yml is the group's first
    return all("default" not in option and "first host" in str(option.get("description")) for option in options)


def every_host_of(options, group):
    return all(
        re.fullmatch(r"\{\{ groups\['%s'\] .*\}\}" % re.escape(group), str(option.get("default"))) for option in options
    )


def a_public_repository(options, _):
    return all(str(option.get("default", "")).startswith("https://") for option in options)


DESCRIBED_DEFAULTS = {
    re.compile(r"the first host of `(\w+)`"): first_host_of_the_play,
    re.compile(r"every host of `(\w+)`"): every_host_of,
    re.compile(r"the public repo"): a_public_repository,
}


def table_rows(text):
    """[(variables, default parts, line)] of every variable table in a doc (the header VARIABLE_TABLE, the rows
    up to the first line that is not a table row)."""
    rows = []
    in_table = False
    for line in FENCED.sub("", text).splitlines():
        if line.strip() == VARIABLE_TABLE:
            in_table = True
        elif not line.startswith("|"):
            in_table = False
        elif in_table and line.startswith("| `"):
            cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
            names = [name.strip().strip("`") for name in cells[0].split(" / ")]
            rows.append((names, [part.strip() for part in cells[2].split(" / ")], line))
    return rows


def variable_table():
    """[(variables, default parts, line)] of the variable tables of every doc."""
    return [row for path in DOCS for row in table_rows(read(path))]


def test_variable_tables_are_found_wherever_they_are():
    text = (
        "| variable | where | default | meaning |\n| --- | --- | --- | --- |\n| `a` / `b` | all | `1` / unset | x |\n\n"
        "| `c` | all | `2` | after the table ended: not a row |\n"
        "```\n| variable | where | default | meaning |\n| `d` | all | `3` | in a fence |\n```\n"
    )
    assert table_rows(text) == [(["a", "b"], ["`1`", "unset"], "| `a` / `b` | all | `1` / unset | x |")]


def spec_default_matches(readme_part, options):
    """None when the README's default agrees with every spec that declares the variable, else why not."""
    if readme_part == "— (required)":
        return (
            None if all(o.get("required") and "default" not in o for o in options) else "the spec does not require it"
        )
    stated = [o for o in options if "default" in o]
    if readme_part == "unset":
        return None if not stated else f"the spec's default is {stated[0]['default']!r}"
    value = re.match(r"^`([^`]*)`", readme_part)
    if value:
        if not stated:
            return "the spec has no default"
        readme_value = yaml.safe_load(value.group(1))
        for option in stated:
            in_checkout = IN_CHECKOUT.match(str(option["default"]))
            spec_value = in_checkout.group(1) if in_checkout else option["default"]
            if readme_value != spec_value:
                return f"the spec's default is {option['default']!r}"
        return None
    for pattern, check in DESCRIBED_DEFAULTS.items():
        described = pattern.fullmatch(readme_part)
        if described:
            group = described.group(1) if pattern.groups else None
            return None if check(options, group) else f"the spec does not say {readme_part!r}"
    return f"no rule for the default {readme_part!r}: add one to this test"


def test_readme_variable_table_is_read():
    rows = table_rows(read("README.md"))
    assert len(rows) >= 10
    named = {name for names, _, _ in rows for name in names}
    assert {"dumbflix_domain", "lb_backend", "dumbflix_tls", "dumbflix_mode", "dumbflix_vip"} <= named
    assert (["dumbflix_port"], ["`3000`"]) in [(n, d) for n, d, _ in rows]


@pytest.mark.parametrize("names, defaults, line", variable_table(), ids=lambda value: str(value)[:40])
def test_readme_variable_is_declared_with_that_default(names, defaults, line):
    options = main_options()
    assert len(names) == len(defaults), f"{len(names)} variables but {len(defaults)} defaults: {line}"
    for name, default in zip(names, defaults):
        if name in PER_HOST_DICTS:
            variable = load_yaml(PER_HOST_DICTS[name])["DOCUMENTATION"]["options"]["variable"]
            assert variable["default"] == name and default == "`{}`", line
            continue
        assert name in options, f"README names `{name}`, which no role's argument spec (main) declares"
        problem = spec_default_matches(default, [option for _, option in options[name]])
        assert problem is None, f"README's default for `{name}` is {default}, but {problem}"


@pytest.mark.parametrize(
    "part, options, problem",
    [
        ("`3000`", [{"default": 3000}], None),
        ("`3000`", [{"default": 3001}], "the spec's default is 3001"),
        ('`"off"` (the lab: `self_signed`)', [{"default": "off"}], None),
        ("`off`", [{"default": "off"}], "the spec's default is 'off'"),  # YAML reads a bare off as false
        ("`.cache/pm2`", [{"default": "{{ playbook_dir }}/../.cache/pm2"}], None),
        ("`.cache/pm3`", [{"default": "{{ playbook_dir }}/../.cache/pm2"}], "the spec's default is"),
        ("unset", [{}], None),
        ("unset", [{"default": 1}], "the spec's default is 1"),
        ("— (required)", [{"required": True}], None),
        ("— (required)", [{}], "the spec does not require it"),
        ("the first host of `app`", [{"description": "Unset means the first host of the play."}], None),
        ("the first host of `app`", [{"default": "app1", "description": "first host"}], "the spec does not say"),
        ("every host of `proxy`", [{"default": "{{ groups['proxy'] | default([]) }}"}], None),
        ("every host of `proxy`", [{"default": "{{ groups['app'] }}"}], "the spec does not say"),
        ("whatever the role likes", [{"default": 1}], "no rule for the default"),
    ],
)
def test_default_rules(part, options, problem):
    found = spec_default_matches(part, options)
    assert (found is None) if problem is None else (problem in found), found
