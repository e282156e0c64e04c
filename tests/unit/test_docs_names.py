"""The docs can't drift from the code, part two: every variable, value with choices, `make` target, scenario and
path the docs name exists, and every relative link reaches a file (and a heading there when it names one).
test_docs_drift.py has the reference and the variable tables."""

import functools
import glob
import os
import re

import pytest
import yaml
from docs_text import (
    ALLOWED_NAMES,
    DOCS,
    FENCED,
    PER_HOST_DICTS,
    ROLES,
    ROOT,
    code,
    code_spans,
    load_yaml,
    read,
)

from scripts import gen_reference

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
    python_string = gen_reference.python_string
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
