"""The docs' runnable commands, run against the converged scenario: every block marked `<!-- runnable -->` in
a hand-written doc (tests/docs_blocks.py's doc_files: README.md, CONTRIBUTING.md, docs/, ...), mapped from the lab
the docs were written against onto this scenario by the one table in tests/docs_blocks.py. Each command must exit 0, and print every
line of output the doc shows for it (lab addresses replaced by the scenario's; pids, uptimes and other counters
ignored). It runs last, so the topology is as the earlier tests left it: converged, every app online."""

import os
import shlex
import subprocess
import textwrap

import pytest
from conftest import INVENTORY, PROJECT, address_of, host, site_command
from docs_blocks import (
    LAB_ADDRESSES,
    LAB_HOSTS,
    commands,
    doc_files,
    map_command,
    map_output,
    missing_lines,
    runnable_blocks,
)

# the longest is `site.yml --check --diff`, about a minute on a busy 2-core machine
TIMEOUT = 300
# States a block may need (`<!-- runnable needs=STATE -->`), each with what sets it up and puts it back. None yet:
# the docs' output taken with app1 stopped (docs/concepts.md's access log lines) is shown without a command.
STATES = {}
# A doc command that an earlier test of this verify runs, or runs with more and asserts more of, is not run again:
# docs/rollouts.md's `site.yml --check --diff` costs a minute or two here, and test_05 runs it with one more inventory
# file (one weight changed) and requires exit 0, that one line in the diff, and no other task changed on any host.
ALREADY_RUN = {
    tuple(site_command(check=True)): (
        "test_05_check_mode.py, with a reweight inventory added, which requires no change but that weight's line"
    )
}


def argv_in_project(command):
    """The command's arguments, paths relative to the checkout made absolute (as conftest's commands have them)."""
    return tuple(
        os.path.join(PROJECT, arg) if "/" in arg and os.path.exists(os.path.join(PROJECT, arg)) else arg
        for arg in shlex.split(command)
    )


def doc_commands():
    found = []
    for path in doc_files(PROJECT):
        with open(os.path.join(PROJECT, path), encoding="utf-8") as handle:
            text = handle.read()
        for block in runnable_blocks(text, path):
            for number, command in enumerate(commands(block), 1):
                found.append(pytest.param(block, command, id=f"{block.where}#{number}"))
    return found


@pytest.fixture(scope="module")
def addresses():
    """The scenario's address of every host the docs' output shows a lab address of."""
    return {LAB_HOSTS[name]: address_of(host(LAB_HOSTS[name])) for name in set(LAB_ADDRESSES.values())}


def test_the_docs_have_runnable_blocks():
    # a marker lost in an edit would otherwise just make this test run less
    assert len(doc_commands()) >= 13


@pytest.mark.parametrize("block, command", doc_commands())
def test_doc_command_runs_as_documented(block, command, addresses, capsys):
    assert block.attrs.get("needs") is None or block.attrs["needs"] in STATES, (
        f"{block.where} needs the state {block.attrs['needs']!r}, which this test can't set up: add it to STATES "
        "or leave the block unmarked"
    )
    mapped = map_command(command.text, INVENTORY)
    covered = ALREADY_RUN.get(argv_in_project(mapped))
    if covered:
        with capsys.disabled():
            print(f"\n  {block.where}: $ {mapped}\n  the same command as {covered}: not run twice")
        pytest.skip(f"run by {covered}")
    # ansible-playbook as conftest.run_site runs it: plain text, no colour
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", PY_COLORS="0")
    res = subprocess.run(
        ["bash", "-c", mapped], cwd=PROJECT, capture_output=True, text=True, timeout=TIMEOUT, env=env, check=False
    )
    # nginx -t, for one, writes its verdict on stderr
    output = res.stdout + res.stderr
    with capsys.disabled():
        shown = output if len(output) < 1500 else "…\n" + output[-1500:]
        print(f"\n  {block.where}: $ {mapped}\n  exit {res.returncode}\n{textwrap.indent(shown.rstrip(), '    ')}")
    assert res.returncode == 0, f"{block.where}: `{mapped}` exited {res.returncode}:\n{output[-3000:]}"
    expected = [map_output(line, addresses) for line in command.expected]
    missing = missing_lines(expected, output)
    assert not missing, f"{block.where}: `{mapped}` did not print what the doc shows: {missing}"
