#!/usr/bin/env python3
"""Write docs/reference.md (`make docs`) from the collection's own statements of its interface:
every role's meta/argument_specs.yml, every module's DOCUMENTATION and every filter's and test's
documentation file. Nothing is imported from the collection: the modules' DOCUMENTATION strings are
read with `ast`, so this runs without Ansible and cannot execute module code.

The output depends only on those files (sorted by name, options in the order the file states
them), so tests/unit/test_docs_drift.py can regenerate it in memory and compare it with the
committed file.
"""

import argparse
import ast
import os
import re
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join("docs", "reference.md")
NAMESPACE = "dumbflix.stack"

# Ansible's documentation markup (C(), O(), ...) → Markdown. Ansible's markup has no nesting and the
# collection's texts never put parentheses inside it, so one pass over innermost (...) suffices.
MARKUP = re.compile(r"\b([CIBOVEMUL])\(([^()]*)\)")


def markup_to_markdown(text):
    def replace(match):
        kind, body = match.groups()
        if kind == "I":
            return f"*{body}*"
        if kind == "B":
            return f"**{body}**"
        if kind == "U":
            return f"<{body}>"
        if kind == "L":
            label, dummy_comma, url = body.partition(",")
            return f"[{label.strip()}]({url.strip()})"
        return f"`{body}`"  # C, O, V, E, M: literal names and values

    return MARKUP.sub(replace, text)


def escape_outside_code(text):
    """Make text safe for one Markdown table cell: `<` and `>` outside code spans would be read as
    HTML, a `|` anywhere (inside code spans too, in GitHub's tables) would end the cell."""
    parts = text.split("`")
    for i in range(0, len(parts), 2):  # the even parts are outside code spans
        parts[i] = parts[i].replace("<", "&lt;").replace(">", "&gt;")
    return "`".join(parts).replace("|", "\\|")


def paragraphs(description):
    """A documentation `description` (a string or a list of strings) as a list of Markdown strings."""
    if description is None:
        return []
    items = description if isinstance(description, list) else [description]
    return [markup_to_markdown(" ".join(str(item).split())) for item in items]


def literal(value):
    """A value as the YAML a user would write in an inventory, on one line; a Jinja template as it
    is written (YAML's quoting would only hide it)."""
    if isinstance(value, str) and "{{" in value:
        return value
    text = yaml.safe_dump(value, default_flow_style=True, width=float("inf"), sort_keys=False)
    text = text.strip()
    if text.endswith("\n..."):
        text = text[: -len("\n...")]
    return text.removesuffix("...").strip()


def code(text):
    return f"`{text}`"


def option_rows(options, prefix=""):
    """Table rows for options, suboptions after their parent as `parent.child`."""
    rows = []
    for name, option in (options or {}).items():
        option = option or {}
        kind = option.get("type", "str")
        if option.get("elements"):
            kind = f"{kind} of {option['elements']}"
        default = code(literal(option["default"])) if "default" in option else ""
        choices = ", ".join(code(literal(choice)) for choice in option.get("choices", []))
        aliases = option.get("aliases")
        texts = paragraphs(option.get("description"))
        if aliases:
            texts.append("Aliases: " + ", ".join(code(alias) for alias in aliases) + ".")
        cells = [code(prefix + name), kind, "yes" if option.get("required") else "", default, choices]
        # paragraphs are escaped one by one: the <br> between them is meant as HTML
        cells = [escape_outside_code(cell) for cell in cells] + ["<br>".join(map(escape_outside_code, texts))]
        rows.append("| " + " | ".join(cells) + " |")
        rows.extend(option_rows(option.get("suboptions"), prefix=f"{prefix}{name}."))
    return rows


def options_table(options):
    if not options:
        return ["No options."]
    return [
        "| option | type | required | default | choices | description |",
        "| --- | --- | --- | --- | --- | --- |",
        *option_rows(options),
    ]


def read_yaml(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def python_string(path, name, class_name=None):
    """The string literal assigned to `name` at the top of a Python file (or in class `class_name`)."""
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), filename=path)
    body = tree.body
    if class_name:
        body = next(node.body for node in body if isinstance(node, ast.ClassDef) and node.name == class_name)
    for node in body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and any(isinstance(target, ast.Name) and target.id == name for target in node.targets)
        ):
            return node.value.value
    raise ValueError(f"{path}: no {name} string")


def listdir(root, *path, suffix=""):
    full = os.path.join(root, *path)
    if not os.path.isdir(full):
        return []
    return sorted(name for name in os.listdir(full) if name.endswith(suffix) and not name.startswith("_"))


def anchor(kind, name):
    """The anchor GitHub makes of the heading `### <kind> <name>` (lowercase, spaces to dashes)."""
    return f"{kind}-{name}".lower()


def roles_section(root):
    lines = ["## Roles", ""]
    for role in listdir(root, "roles"):
        spec_path = os.path.join(root, "roles", role, "meta", "argument_specs.yml")
        if not os.path.isfile(spec_path):
            continue
        entry_points = read_yaml(spec_path)["argument_specs"]
        lines += [f"### role {role}", "", f"`{NAMESPACE}.{role}`, from `roles/{role}/meta/argument_specs.yml`.", ""]
        main_options = entry_points.get("main", {}).get("options")
        for entry, spec in entry_points.items():
            title = f"#### {role}: {entry}" if entry == "main" else f"#### {role}: tasks_from {entry}"
            lines += [title, "", f"{markup_to_markdown(spec.get('short_description', ''))}.", ""]
            lines += [f"- {text}" for text in paragraphs(spec.get("description"))]
            lines.append("")
            if entry != "main" and main_options is not None and spec.get("options") == main_options:
                lines += ["The same options as `main`.", ""]
            else:
                lines += [*options_table(spec.get("options")), ""]
    return lines


def fragment_options(root, fragment):
    """Options of one of the collection's own doc fragments, or None for another collection's."""
    if not fragment.startswith(NAMESPACE + "."):
        return None
    name = fragment[len(NAMESPACE) + 1 :]
    path = os.path.join(root, "plugins", "doc_fragments", f"{name}.py")
    return yaml.safe_load(python_string(path, "DOCUMENTATION", "ModuleDocFragment")).get("options") or {}


def plugin_section(title, kind, docs):
    """docs: [(name, source path, DOCUMENTATION dict, {fragment: options or None})]"""
    lines = [f"## {title}", ""]
    for name, source, doc, fragments in docs:
        lines += [
            f"### {kind} {name}",
            "",
            f"`{NAMESPACE}.{name}`, from `{source}`: {markup_to_markdown(doc.get('short_description', ''))}.",
            "",
        ]
        lines += [f"- {text}" for text in paragraphs(doc.get("description"))]
        lines.append("")
        if doc.get("positional"):
            lines += [f"Positional: `{doc['positional']}`.", ""]
        options = dict(doc.get("options") or {})
        external = []
        for fragment, extra in fragments.items():
            if extra is None:
                external.append(fragment)
            else:
                # as Ansible merges a fragment (and ansible-doc shows one list of options): an option both
                # state is the fragment's with the module's keys over it, so a module may describe it its own way
                for key, value in extra.items():
                    options[key] = {**value, **(options.get(key) or {})}
        if external:
            lines += ["Also takes the options of " + ", ".join(f"`{f}`" for f in external) + ".", ""]
        lines += [*options_table(options), ""]
    return lines


def module_docs(root):
    docs = []
    for filename in listdir(root, "plugins", "modules", suffix=".py"):
        source = f"plugins/modules/{filename}"
        doc = yaml.safe_load(python_string(os.path.join(root, source), "DOCUMENTATION"))
        fragments = doc.get("extends_documentation_fragment") or []
        if isinstance(fragments, str):
            fragments = [fragments]
        docs.append((doc["module"], source, doc, {f: fragment_options(root, f) for f in fragments}))
    return docs


def yaml_plugin_docs(root, kind):
    """Filters' and tests' documentation files (plugins/<kind>/<name>.yml), the ones that have one."""
    docs = []
    for filename in listdir(root, "plugins", kind, suffix=".yml"):
        source = f"plugins/{kind}/{filename}"
        doc = (read_yaml(os.path.join(root, source)) or {}).get("DOCUMENTATION")
        if doc:
            docs.append((doc["name"], source, doc, {}))
    return docs


def render(root=ROOT):
    """docs/reference.md as text."""
    lines = [
        "# Reference",
        "",
        "<!-- Generated by `make docs` (scripts/gen_reference.py) from roles/*/meta/argument_specs.yml, "
        "plugins/modules/*.py and plugins/{filter,test}/*.yml: edit those, then run `make docs`. -->",
        "",
        "Every variable of every role and every option of every module, filter and test, as the collection states "
        "them (`ansible-doc` shows the same). A test fails when this file and its sources disagree.",
        "",
    ]
    lines += roles_section(root)
    lines += plugin_section("Modules", "module", module_docs(root))
    lines += plugin_section("Filters", "filter", yaml_plugin_docs(root, "filter"))
    lines += plugin_section("Tests", "test", yaml_plugin_docs(root, "test"))
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--root", default=ROOT, help="the collection's checkout (default: this one)")
    args = parser.parse_args(argv)
    path = os.path.join(args.root, OUTPUT)
    text = render(args.root)
    old = None
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            old = handle.read()
    if old == text:
        print(f"{OUTPUT} is up to date")
        return 0
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
