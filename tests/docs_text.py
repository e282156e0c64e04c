"""Reading the docs and the argument specs they describe, for the tests that keep the two in step
(tests/unit/test_docs_*.py)."""

import functools
import glob
import os
import re

import yaml
from docs_blocks import doc_files

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
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


# lb_backend is read per app host by the filter dumbflix.stack.lb_servers (its `variable` option), not by a
# role's argument spec; test_docs_drift.py checks that filter instead.
PER_HOST_DICTS = {"lb_backend": "plugins/filter/lb_servers.yml"}
