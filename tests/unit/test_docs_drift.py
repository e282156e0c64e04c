"""The docs can't drift from the code: docs/reference.md is what `make docs` makes of the roles' argument specs
and the plugins' documentation; a variable table (the README's) names real variables with their real defaults;
every variable, value with choices, `make` target, scenario and path the docs name exists; every relative link
reaches a file, and a heading there when it names one. "The docs" are every hand-written page wherever it sits
(docs_blocks.doc_files): README.md, CONTRIBUTING.md, bench/README.md, docs/*.md, the roles' READMEs."""

import functools
import glob
import importlib.util
import os
import re

import pytest
import yaml
from docs_blocks import doc_files

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES = sorted(
    os.path.basename(os.path.dirname(os.path.dirname(path)))
    for path in glob.glob(os.path.join(ROOT, "roles", "*", "meta", "argument_specs.yml"))
)
DOCS = doc_files(ROOT)
# The header of a variable table, in any doc: its rows are checked against the argument specs.
VARIABLE_TABLE = "| variable | where | default | meaning |"

# Named in the docs on purpose, though no role declares them:
ALLOWED_NAMES = {
    # docs/design.md: a parameter of module_utils' render_reverse_proxy(), the contract it describes
    "nginx_version",
}


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as handle:
        return handle.read()


def load_yaml(path):
    full = os.path.join(ROOT, path)
    if not os.path.exists(full):
        return None
    with open(full, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@functools.cache
def generator():
    spec = importlib.util.spec_from_file_location("gen_reference", os.path.join(ROOT, "scripts", "gen_reference.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.cache
def main_options():
    """{variable: [(role, option)]} over every role's main entry point."""
    found = {}
    for role in ROLES:
        options = load_yaml(f"roles/{role}/meta/argument_specs.yml")["argument_specs"]["main"].get("options") or {}
        for name, option in options.items():
            found.setdefault(name, []).append((role, option or {}))
    return found


FENCED = re.compile(r"^ {0,3}```.*?^ {0,3}```", flags=re.S | re.M)


def code_spans(text):
    """Inline code spans (`...`) outside fenced blocks."""
    return re.findall(r"`([^`\n]+)`", FENCED.sub("", text))


def code(text):
    """What a doc shows as code: its inline spans and its fenced blocks."""
    return code_spans(text) + FENCED.findall(text)


def test_reference_is_what_make_docs_writes():
    expected = generator().render(ROOT)
    committed = read("docs/reference.md") if os.path.exists(os.path.join(ROOT, "docs/reference.md")) else ""
    assert committed == expected, "docs/reference.md is stale: run `make docs`"


def test_reference_covers_every_role_module_filter_and_test():
    text = generator().render(ROOT)
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


# lb_backend is read per app host by the filter dumbflix.stack.lb_servers (its `variable` option), not by a
# role's argument spec; the test below checks that filter instead.
PER_HOST_DICTS = {"lb_backend": "plugins/filter/lb_servers.yml"}


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


# ---------------------------------------------------------------------------------------------------------------
# Every variable the docs name exists; every `make` target they name is one.
# ---------------------------------------------------------------------------------------------------------------
NAME = re.compile(r"(?<![\w.-])((?:dumbflix|lb|pm2|nodejs|firewall|nginx)_[a-z0-9_]*[a-z0-9])(?![\w-])")


def set_fact_names(tasks):
    """Facts a role publishes: the keys of its set_fact tasks (blocks included)."""
    names = set()
    for task in tasks or []:
        for key in ("block", "rescue", "always"):
            names |= set_fact_names(task.get(key))
        facts = task.get("ansible.builtin.set_fact") or task.get("set_fact")
        if isinstance(facts, dict):
            names |= set(facts) - {"cacheable"}
    return names


@functools.cache
def known_names():
    """What a name in the docs may be: a role variable (any entry point, defaults, vars), a fact a role publishes,
    a per-host dict a filter reads, the name of a role, module, module_utils file, filter or test of the
    collection, or a module's option or return value."""
    names = set(ALLOWED_NAMES) | set(PER_HOST_DICTS)
    python_string = generator().python_string
    for role in os.listdir(os.path.join(ROOT, "roles")):
        names.add(role)
        specs = (load_yaml(f"roles/{role}/meta/argument_specs.yml") or {}).get("argument_specs", {})
        for entry in specs.values():
            names |= set(entry.get("options") or {})
        for path in ("defaults/main.yml", "vars/main.yml"):
            names |= set(load_yaml(f"roles/{role}/{path}") or {})
        for path in glob.glob(os.path.join(ROOT, "roles", role, "tasks", "*.yml")):
            names |= set_fact_names(load_yaml(os.path.relpath(path, ROOT)))
    for path in glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py")):
        names.add(os.path.basename(path)[:-3])
        names |= set(yaml.safe_load(python_string(path, "DOCUMENTATION")).get("options") or {})
        names |= set(yaml.safe_load(python_string(path, "RETURN")) or {})
    for path in glob.glob(os.path.join(ROOT, "plugins", "module_utils", "*.py")):
        names.add(os.path.basename(path)[:-3])
    for path in glob.glob(os.path.join(ROOT, "plugins", "*", "*.yml")):
        names.add(os.path.basename(path)[:-4])
    return names


def test_name_pattern_finds_variables_not_paths_or_log_names():
    found = [
        NAME.findall(span)
        for span in (
            "dumbflix_tls: self_signed",
            "lb_backend: {backup: true}",
            "upstream_dumbflix",
            "pm2-dumbflix.service",
            "/var/log/nginx/dumbflix.access.log",
            "dumbflix.stack.nginx_upstream",
            "-e dumbflix_release=69610e4d",
        )
    ]
    assert found == [["dumbflix_tls"], ["lb_backend"], [], [], [], [], ["dumbflix_release"]]


@pytest.mark.parametrize("path", DOCS)
def test_every_variable_the_docs_name_exists(path):
    known = known_names()
    unknown = sorted({name for span in code_spans(read(path)) for name in NAME.findall(span)} - known)
    assert not unknown, f"{path} names {unknown}, which no role declares, sets or defaults (a typo, or retired?)"


def makefile_targets():
    return set(re.findall(r"^([a-z][a-z-]*):", read("Makefile"), re.M))


def make_targets_named(text):
    """Targets of `make <target>` in code: inline spans and fenced blocks (prose "make" is English)."""
    fenced = re.findall(r"^ {0,3}```.*?^ {0,3}```", text, flags=re.S | re.M)
    return set(re.findall(r"(?<![\w-])make ([a-z][a-z-]*)", "\n".join(code_spans(text) + fenced)))


def test_make_targets_are_read_from_code_only():
    text = "make sure `make up` works\n\n```sh\nmake   test\nsudo make proof  # x\n```\n"
    assert make_targets_named(text) == {"up", "proof"}  # "make   test" is no command a user types
    assert {"up", "test", "docs", "proof", "bench"} <= makefile_targets()


@pytest.mark.parametrize("path", DOCS)
def test_every_make_target_the_docs_name_exists(path):
    missing = sorted(make_targets_named(read(path)) - makefile_targets())
    assert not missing, f"{path} names `make {' / '.join(missing)}`, which the Makefile has no target for"


def github_anchor(heading):
    """The anchor GitHub gives a heading: lowercase, punctuation other than - and _ dropped, spaces to dashes."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("path", DOCS)
def test_links_into_the_reference_name_its_sections(path):
    anchors = {github_anchor(h) for h in re.findall(r"^#+ (.*)$", read("docs/reference.md"), re.M)}
    linked = set(re.findall(r"reference\.md#([\w-]+)", read(path)))
    assert not linked - anchors, f"{path} links to sections docs/reference.md does not have: {sorted(linked - anchors)}"


# ---------------------------------------------------------------------------------------------------------------
# A value the docs give a variable with choices is one of them; the scenarios and paths they name exist.
# ---------------------------------------------------------------------------------------------------------------
SETTING = re.compile(r"(?<![\w.-])([a-z][a-z0-9_]*):[ \t]+([^\s,}\]`#]+)")


@functools.cache
def choices():
    """{variable: [choices]} over every entry point of every role that states choices for it."""
    found = {}
    for role in ROLES:
        for entry in load_yaml(f"roles/{role}/meta/argument_specs.yml")["argument_specs"].values():
            for name, option in (entry.get("options") or {}).items():
                if (option or {}).get("choices"):
                    found.setdefault(name, []).extend(option["choices"])
    return found


def wrong_values(text):
    """`variable: value` in a doc's code where the variable has choices and the value is none of them."""
    known = choices()
    wrong = set()
    for snippet in code(text):
        for name, value in SETTING.findall(snippet):
            if name in known and yaml.safe_load(value) not in known[name]:
                wrong.add(f"{name}: {value}")
    return sorted(wrong)


def test_values_with_choices_are_checked():
    assert "dev_server" in choices()["dumbflix_mode"]
    assert wrong_values("`dumbflix_mode: start` and\n```yaml\ndumbflix_tls: on\n```\n") == [
        "dumbflix_mode: start",
        "dumbflix_tls: on",
    ]
    assert wrong_values('`dumbflix_mode: dev_server`, `dumbflix_tls: "off"`, `dumbflix_tls: provided`') == []
    # prose is English, not a setting
    assert wrong_values("dumbflix_mode: start, in a sentence") == []


@pytest.mark.parametrize("path", DOCS)
def test_values_the_docs_give_are_among_the_choices(path):
    wrong = wrong_values(read(path))
    assert not wrong, f"{path} sets {wrong}, which the argument specs do not allow"


# `molecule test -s NAME`, "molecule `NAME`", "the `NAME` scenario", "the `A` and `B` scenarios"
SCENARIO = re.compile(
    r"molecule \w+ -s ([\w-]+)|[Mm]olecule `([\w-]+)`|the `([\w-]+)`(?: and `([\w-]+)`)? scenarios?\b|molecule/([\w-]+)"
)
# a path of the checkout, as a code span: a top-level directory of it, then more
CHECKOUT_PATH = re.compile(
    r"^(?:bench|changelogs|docs|inventory|lab|molecule|playbooks|plugins|roles|scripts|tests)/\S*$"
)


def scenarios_named(text):
    return {name for match in SCENARIO.findall(text) for name in match if name}


def paths_named(text):
    """Paths of the checkout a doc names in code spans; templates (`<id>`, `*`, `{a,b}`, `…`) are not paths."""
    return {
        span.rstrip("/.,:")
        for span in code_spans(text)
        if CHECKOUT_PATH.match(span) and not re.search(r"[<>*{}…]|\.\.\.", span)
    }


def test_scenarios_and_paths_are_read_from_the_text():
    text = (
        "Run `molecule test -s production`; the `default` and `releases` scenarios; `molecule/ssh/` and `roles/x/*.yml`"
    )
    assert scenarios_named(text) == {"production", "default", "releases", "ssh"}
    assert paths_named(text) == {"molecule/ssh"}


@pytest.mark.parametrize("path", DOCS)
def test_every_scenario_the_docs_name_exists(path):
    missing = sorted(s for s in scenarios_named(read(path)) if not os.path.isdir(os.path.join(ROOT, "molecule", s)))
    assert not missing, f"{path} names the molecule scenarios {missing}, which molecule/ does not have"


@pytest.mark.parametrize("path", DOCS)
def test_every_path_the_docs_name_exists(path):
    missing = sorted(p for p in paths_named(read(path)) if not os.path.exists(os.path.join(ROOT, p)))
    assert not missing, f"{path} names {missing}, which the checkout does not have"


# ---------------------------------------------------------------------------------------------------------------
# Every relative link reaches a file, and a heading there when it names one.
# ---------------------------------------------------------------------------------------------------------------
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def anchors(text):
    """GitHub's anchors for a page's headings (a repeated heading gets -1, -2, ...)."""
    seen = {}
    found = set()
    for heading in re.findall(r"^#+ (.*)$", FENCED.sub("", text), re.M):
        anchor = github_anchor(heading)
        found.add(f"{anchor}-{seen[anchor]}" if anchor in seen else anchor)
        seen[anchor] = seen.get(anchor, 0) + 1
    return found


def broken_links(path, text, exists, text_of):
    """The relative links of a doc at path that reach no file, or no heading of the page they name."""
    broken = []
    for target in LINK.findall(FENCED.sub("", text)):
        if re.match(r"^[a-z]+:", target):
            continue
        file_part, _, anchor = target.partition("#")
        resolved = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
        if not exists(resolved):
            broken.append(f"{target}: no file {resolved}")
        elif anchor and resolved.endswith(".md") and anchor not in anchors(text_of(resolved)):
            broken.append(f"{target}: {resolved} has no heading #{anchor}")
    return broken


def test_broken_links_are_found():
    text = (
        "[ok](a.md#two-words) [ok](a.md#two-words-1) [ok](#here) ![ok](img/x.png) [ok](https://example.com/x.md)\n"
        "[gone](b.md) [no heading](a.md#three-words) [up](../README.md) [not here](#there)\n\n## Here\n"
    )
    pages = {"docs/a.md": "# A page\n\n## Two words\n\n## Two words\n", "docs/img/x.png": "", "docs/here.md": text}
    found = broken_links("docs/here.md", text, pages.__contains__, pages.__getitem__)
    assert found == [
        "b.md: no file docs/b.md",
        "a.md#three-words: docs/a.md has no heading #three-words",
        "../README.md: no file README.md",
        "#there: docs/here.md has no heading #there",
    ]


@pytest.mark.parametrize("path", DOCS)
def test_every_relative_link_resolves(path):
    def exists(target):
        return os.path.exists(os.path.join(ROOT, target))

    broken = broken_links(path, read(path), exists, read)
    assert not broken, f"{path} has broken links: {broken}"
