"""Which files the docs are, their marked code blocks, and the one table that maps the lab the docs were
written against onto the molecule default scenario. Pure functions: tests/unit/test_docs_blocks.py tests them,
molecule/default/tests/test_90_docs.py runs the commands, test_50_scale.py applies the README's edit.

Markers are HTML comments on the line right before a fence, so GitHub renders nothing of them and
highlights the block as usual:

    <!-- runnable -->                    the block's commands run against a converged topology
    <!-- runnable needs=STATE -->        ... only with the topology in STATE (test_90 must know STATE)
    <!-- inventory: NAME -->             a YAML inventory the tests read by NAME

In a runnable `sh` block every line that is not blank or a comment is a command. In a runnable
`console` block the lines starting with `$ ` are commands, and the lines up to the next `$ ` are what
the doc shows that command printing.
"""

import glob
import os
import re
import shlex
from dataclasses import dataclass, field

FENCE = re.compile(r"^ {0,3}```(.*)$")
MARKER = re.compile(r"^<!--\s*(runnable|inventory)\b:?\s*(.*?)\s*-->\s*$")
SHELL_LANGS = ("sh", "bash", "shell")
PROMPT = "$ "

# The lab's inventory names, as the docs use them, → the default scenario's. The lab names its containers
# `dumbflix-lab-<name>`, the scenario after the host itself, so this one table maps both.
LAB_HOSTS = {"proxy1": "mol-proxy1", "app1": "mol-app1", "app2": "mol-app2", "app3": "mol-app3"}
LAB_CONTAINER = re.compile(r"\bdumbflix-lab-([a-z0-9]+)\b")
# `-i inventory/lab` → the scenario's inventory (what conftest.run_site passes)
LAB_INVENTORY = re.compile(r"(-i\s+)inventory/lab\b/?")
# The addresses the lab gave its app hosts when the docs' output was taken (docs/concepts.md's upstream); the
# scenario's hosts have others, looked up when the test runs.
LAB_ADDRESSES = {"172.26.0.2": "app1", "172.26.0.3": "app2"}
# Left in a command after mapping, these mean it needs the lab itself: the ports it publishes on 127.0.0.1
# (8080, 8443; the default scenario publishes none and serves no TLS), the certificate `make up` copies, or
# a container or inventory the table does not know.
LAB_ONLY = re.compile(r"dumbflix-lab|inventory/lab|\b(?:8080|8443)\b|lab-site\.crt")

# Output tokens that differ from run to run: pids, uptimes, restart counts, cpu %, memory (`1023`, `63s`, `0%`,
# `59.3mb`). A version such as `7.0.4` has two dots and stays.
VOLATILE = re.compile(r"^\d+(\.\d+)?(%|[A-Za-z]{1,2})?$")
BOX_DRAWING = str.maketrans({char: " " for char in "│┌┐└┘├┤┬┴┼─"})
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


# The hand-written docs. docs/reference.md is left out: `make docs` writes it from the specs, so checking it
# against them proves nothing.
DOC_GLOBS = ("README.md", "CONTRIBUTING.md", "bench/README.md", "docs/*.md", "roles/*/README.md")
GENERATED_DOCS = {"docs/reference.md"}


def doc_files(root):
    """Every hand-written doc, relative to root: what the docs tests read and whose runnable blocks run."""
    found = set()
    for pattern in DOC_GLOBS:
        found |= {os.path.relpath(path, root) for path in glob.glob(os.path.join(root, pattern))}
    return sorted(found - GENERATED_DOCS)


class DocsError(ValueError):
    """A marked block the tests cannot use: the message names the file and line."""


@dataclass(frozen=True)
class Block:
    path: str
    line: int  # of the opening fence, 1-based
    lang: str
    body: tuple
    marker: str = ""  # runnable, inventory or empty
    attrs: dict = field(default_factory=dict)

    @property
    def where(self):
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Command:
    text: str
    expected: tuple = ()  # the output lines the doc shows


def parse_attrs(text, where):
    """`needs=app1-stopped` → {"needs": "app1-stopped"}; the inventory marker's bare NAME → {"name": NAME}."""
    attrs = {}
    for word in text.split():
        key, sep, value = word.partition("=")
        if not sep:
            if "name" in attrs:
                raise DocsError(f"{where}: marker has two names: {text!r}")
            attrs["name"] = key
        else:
            attrs[key] = value
    return attrs


def fenced_blocks(text, path=""):
    """Every fenced code block of a Markdown text, with the marker on the line before it, if any."""
    lines = text.splitlines()
    blocks = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        marker = MARKER.match(lines[index])
        if marker and not (index + 1 < len(lines) and FENCE.match(lines[index + 1])):
            raise DocsError(f"{path}:{index + 1}: a {marker.group(1)} marker must be on the line right before a fence")
        if not opening:
            index += 1
            continue
        start = index
        index += 1
        while index < len(lines) and lines[index].strip() != "```":
            index += 1
        if index == len(lines):
            raise DocsError(f"{path}:{start + 1}: the fence is never closed")
        found = MARKER.match(lines[start - 1]) if start > 0 else None
        kind, attrs = "", {}
        if found:
            kind = found.group(1)
            attrs = parse_attrs(found.group(2), f"{path}:{start}")
        info = opening.group(1).split()
        blocks.append(Block(path, start + 1, info[0] if info else "", tuple(lines[start + 1 : index]), kind, attrs))
        index += 1
    return blocks


def runnable_blocks(text, path=""):
    return [block for block in fenced_blocks(text, path) if block.marker == "runnable"]


def inventory_block(text, name, path=""):
    """The YAML text of the block marked `<!-- inventory: NAME -->`; exactly one must exist."""
    found = [b for b in fenced_blocks(text, path) if b.marker == "inventory" and b.attrs.get("name") == name]
    if len(found) != 1:
        raise DocsError(f"{path}: {len(found)} blocks marked `inventory: {name}`, expected 1")
    if found[0].lang != "yaml":
        raise DocsError(f"{found[0].where}: the inventory block {name} must be yaml, not {found[0].lang!r}")
    return "\n".join(found[0].body) + "\n"


def commands(block):
    """The commands of a runnable block, each with the output lines the doc shows for it."""
    if block.lang in SHELL_LANGS:
        found, pending = [], ""
        for line in block.body:
            if pending:
                line = pending + " " + line.strip()
                pending = ""
            if line.rstrip().endswith("\\"):
                pending = line.rstrip()[:-1].rstrip()
                continue
            if line.strip() and not line.lstrip().startswith("#"):
                found.append(Command(line.strip()))
        if pending:
            raise DocsError(f"{block.where}: the last command ends with a line continuation")
        return found
    if block.lang == "console":
        found = []
        for line in block.body:
            if line.startswith(PROMPT):
                found.append(Command(line[len(PROMPT) :].strip()))
            elif not found:
                if line.strip():
                    raise DocsError(f"{block.where}: output before the first `$ ` command: {line!r}")
            elif line.strip():
                found[-1] = Command(found[-1].text, found[-1].expected + (line,))
        return found
    raise DocsError(
        f"{block.where}: a runnable block must be {', '.join(SHELL_LANGS)} or console, not {block.lang or 'unlabelled'}"
    )


def map_command(text, inventory):
    """A lab command as it runs against the scenario, or DocsError when it can't."""

    def container(match):
        if match.group(1) not in LAB_HOSTS:
            raise DocsError(f"no scenario host for the lab container {match.group(0)}: {text}")
        return LAB_HOSTS[match.group(1)]

    mapped = LAB_CONTAINER.sub(container, text)
    mapped = LAB_INVENTORY.sub(lambda match: match.group(1) + shlex.quote(inventory), mapped)
    left = sorted(set(LAB_ONLY.findall(mapped)))
    if left:
        raise DocsError(f"needs the lab itself ({', '.join(left)}), the scenario has no such thing: {text}")
    return mapped


def map_output(line, addresses):
    """A line of the doc's output with the lab's app addresses replaced by the scenario's
    (addresses: scenario host → its address)."""
    for lab_address, lab_host in LAB_ADDRESSES.items():
        line = re.sub(rf"(?<![\d.]){re.escape(lab_address)}(?![\d])", addresses[LAB_HOSTS[lab_host]], line)
    return line


def normalise(line):
    """A line of output as compared: colours, table borders and spacing dropped, volatile numbers as `*`."""
    words = ANSI.sub("", line).translate(BOX_DRAWING).split()
    return " ".join("*" if VOLATILE.match(word) else word for word in words)


def missing_lines(expected, output):
    """The expected lines that appear, normalised, as no whole line of the output."""
    seen = {normalise(line) for line in output.splitlines()}
    return [line for line in expected if normalise(line) not in seen]


def app_hosts(inventory):
    """{host: vars} of the `app` group of a parsed YAML inventory."""
    app = ((inventory or {}).get("all", {}).get("children") or {}).get("app") or {}
    return {name: (host_vars or {}) for name, host_vars in (app.get("hosts") or {}).items()}


def scenario_app_group(inventory):
    """The `app` group of a lab inventory, renamed to the scenario's hosts: an inventory to pass with
    `-i` next to the scenario's own."""
    hosts = {}
    for name, host_vars in app_hosts(inventory).items():
        if name not in LAB_HOSTS:
            raise DocsError(f"no scenario host for the lab host {name}: add it to LAB_HOSTS and the scenario")
        hosts[LAB_HOSTS[name]] = host_vars
    return {"all": {"children": {"app": {"hosts": hosts}}}}
