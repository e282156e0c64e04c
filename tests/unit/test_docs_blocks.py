"""tests/docs_blocks.py: the marked blocks are found, split into commands and expected output, and mapped
from the lab onto the molecule default scenario, or refused with the file and line named; and the README's
inventory blocks are the real lab inventory and that inventory plus one backend."""

import os

import pytest
import yaml
from docs_blocks import (
    Command,
    DocsError,
    app_hosts,
    commands,
    doc_files,
    fenced_blocks,
    inventory_block,
    map_command,
    map_output,
    missing_lines,
    normalise,
    runnable_blocks,
    scenario_app_group,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCS = doc_files(ROOT)
INVENTORY = "/tmp/molecule/inventory/ansible_inventory.yml"

SAMPLE = """# A page

```sh
make up
```

<!-- runnable -->
```sh
docker exec dumbflix-lab-proxy1 nginx -t
# a comment, not a command
docker exec dumbflix-lab-app1 \\
  ls /srv
```

<!-- runnable needs=app1-stopped -->
```console
$ docker exec dumbflix-lab-proxy1 cat /etc/nginx/conf.d/upstream-dumbflix.conf
upstream dumbflix {
    server 172.26.0.2:3000 weight=3;
}
$ docker exec dumbflix-lab-proxy1 true
```

<!-- inventory: extra -->
```yaml
all: {}
```
"""


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as handle:
        return handle.read()


def test_finds_every_block_and_only_the_marked_ones_are_runnable():
    blocks = fenced_blocks(SAMPLE, "page.md")
    assert [(b.line, b.lang, b.marker) for b in blocks] == [
        (3, "sh", ""),
        (8, "sh", "runnable"),
        (16, "console", "runnable"),
        (25, "yaml", "inventory"),
    ]
    assert [b.line for b in runnable_blocks(SAMPLE, "page.md")] == [8, 16]
    assert blocks[2].attrs == {"needs": "app1-stopped"}
    assert blocks[2].where == "page.md:16"


def test_sh_commands_skip_comments_and_join_continued_lines():
    block = runnable_blocks(SAMPLE)[0]
    assert commands(block) == [
        Command("docker exec dumbflix-lab-proxy1 nginx -t"),
        Command("docker exec dumbflix-lab-app1 ls /srv"),
    ]


def test_console_output_belongs_to_the_command_before_it():
    block = runnable_blocks(SAMPLE)[1]
    first, second = commands(block)
    assert first.text == "docker exec dumbflix-lab-proxy1 cat /etc/nginx/conf.d/upstream-dumbflix.conf"
    assert first.expected == ("upstream dumbflix {", "    server 172.26.0.2:3000 weight=3;", "}")
    assert second == Command("docker exec dumbflix-lab-proxy1 true")


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "<!-- runnable -->\n\n```sh\ntrue\n```\n",
            "page.md:1: a runnable marker must be on the line right before a fence",
        ),
        ("<!-- runnable -->\n```sh\ntrue\n", "page.md:2: the fence is never closed"),
    ],
)
def test_misplaced_markers_and_open_fences_are_refused(text, message):
    with pytest.raises(DocsError, match=message):
        fenced_blocks(text, "page.md")


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "<!-- runnable -->\n```yaml\na: 1\n```\n",
            "page.md:2: a runnable block must be sh, bash, shell or console, not yaml",
        ),
        (
            "<!-- runnable -->\n```console\nlost output\n$ true\n```\n",
            "page.md:2: output before the first `\\$ ` command",
        ),
        ("<!-- runnable -->\n```sh\ntrue \\\n```\n", "page.md:2: the last command ends with a line continuation"),
    ],
)
def test_blocks_that_cannot_be_run_are_refused(text, message):
    with pytest.raises(DocsError, match=message):
        commands(runnable_blocks(text, "page.md")[0])


def test_inventory_block_is_found_by_name_and_must_be_unique_yaml():
    assert inventory_block(SAMPLE, "extra") == "all: {}\n"
    with pytest.raises(DocsError, match="0 blocks marked `inventory: missing`"):
        inventory_block(SAMPLE, "missing", "page.md")
    with pytest.raises(DocsError, match="2 blocks"):
        inventory_block(SAMPLE + SAMPLE[SAMPLE.index("<!-- inventory") :], "extra")
    with pytest.raises(DocsError, match="must be yaml, not 'sh'"):
        inventory_block("<!-- inventory: x -->\n```sh\ntrue\n```\n", "x")


def test_lab_containers_and_inventory_map_onto_the_scenario():
    assert map_command('docker exec dumbflix-lab-app1 su -s /bin/sh -c "pm2 ls" dumbflix', INVENTORY) == (
        'docker exec mol-app1 su -s /bin/sh -c "pm2 ls" dumbflix'
    )
    assert map_command("ansible-playbook playbooks/site.yml -i inventory/lab --check --diff", INVENTORY) == (
        f"ansible-playbook playbooks/site.yml -i {INVENTORY} --check --diff"
    )
    assert map_command("ansible-playbook playbooks/site.yml -i inventory/lab/ -e x=1", "/a b/inv.yml") == (
        "ansible-playbook playbooks/site.yml -i '/a b/inv.yml' -e x=1"
    )


@pytest.mark.parametrize(
    "command, message",
    [
        ("docker exec dumbflix-lab-proxy9 nginx -t", "no scenario host for the lab container dumbflix-lab-proxy9"),
        ("curl -H 'Host: alvin.xyz' http://127.0.0.1:8080/", r"needs the lab itself \(8080\)"),
        (
            "curl --resolve alvin.xyz:8443:127.0.0.1 --cacert .cache/lab-site.crt https://alvin.xyz:8443/",
            r"needs the lab itself \(8443, lab-site.crt\)",
        ),
        ("ansible-playbook playbooks/site.yml -i inventory/production", None),
        ("ls inventory/lab/group_vars", r"needs the lab itself \(inventory/lab\)"),
    ],
)
def test_what_needs_the_lab_itself_is_refused(command, message):
    if message is None:  # another inventory is not the lab's: nothing to map, nothing to refuse
        assert map_command(command, INVENTORY) == command
        return
    with pytest.raises(DocsError, match=message):
        map_command(command, INVENTORY)


def test_lab_addresses_in_output_become_the_scenario_hosts():
    addresses = {"mol-app1": "10.9.0.3", "mol-app2": "10.9.0.4"}
    assert map_output("    server 172.26.0.2:3000 weight=3;", addresses) == "    server 10.9.0.3:3000 weight=3;"
    assert map_output("172.26.0.3:3000, 172.26.0.2", addresses) == "10.9.0.4:3000, 10.9.0.3"
    # another address that merely starts the same is left alone
    assert map_output("172.26.0.20:3000 and 1172.26.0.2", addresses) == "172.26.0.20:3000 and 1172.26.0.2"


def test_output_comparison_ignores_borders_spacing_colour_and_volatile_numbers():
    doc = (
        "│ 0  │ dumbflix-frontend │ default   │ 7.0.4   │ fork │ 1023 │ 63s    │ 0 │ online │ 0%  │ 59.3mb │ dumbflix │"
    )
    real = (
        "\x1b[1m│ 0  │ dumbflix-frontend    │ default     │ 7.0.4   │ fork    │ 4242     │ 2D     │ 3    │ online    │"
        " 1.5%     │ 61.2mb   │ dumbflix │\x1b[0m"
    )
    assert normalise(doc) == normalise(real) == "* dumbflix-frontend default 7.0.4 fork * * * online * * dumbflix"
    assert missing_lines([doc], "┌───┐\n" + real + "\n") == []
    # what the doc states is still compared: another status, version or user is a miss
    for wrong in (
        real.replace("online", "stopped"),
        real.replace("7.0.4", "6.0.8"),
        real.replace(" dumbflix │", " root │"),
    ):
        assert missing_lines([doc], wrong) == [doc]
    # a line must match a whole output line, not a part of one
    assert missing_lines(["keepalive 64;"], "    keepalive 64; # more") == ["keepalive 64;"]


def test_every_runnable_block_in_the_docs_parses_and_maps():
    found = 0
    for path in DOCS:
        for block in runnable_blocks(read(path), path):
            for command in commands(block):
                map_command(command.text, INVENTORY)
                found += 1
    # docs/troubleshooting.md (5), docs/rollouts.md: check mode (1) and the release link (1); concepts, konsep: 3 each
    assert found == 13


def test_doc_files_are_every_hand_written_page_but_the_generated_reference():
    assert {"README.md", "CONTRIBUTING.md", "bench/README.md", "docs/troubleshooting.md", "docs/vms.id.md"} <= set(DOCS)
    assert "roles/pm2/README.md" in DOCS
    assert "docs/reference.md" not in DOCS
    assert all(os.path.exists(os.path.join(ROOT, path)) for path in DOCS)


def test_readme_lab_inventory_is_the_real_lab_inventory():
    shown = yaml.safe_load(inventory_block(read("README.md"), "lab", "README.md"))
    assert shown == yaml.safe_load(read("inventory/lab/hosts.yml")), (
        "README.md's inventory block differs from inventory/lab/hosts.yml"
    )


def test_readme_add_a_backend_is_the_lab_inventory_plus_one_app_host():
    base = yaml.safe_load(inventory_block(read("README.md"), "lab", "README.md"))
    edited = yaml.safe_load(inventory_block(read("README.md"), "add-a-backend", "README.md"))
    added = sorted(set(app_hosts(edited)) - set(app_hosts(base)))
    assert added == ["app3"]
    # nothing else changed: without the new host it is the inventory shown above it
    del edited["all"]["children"]["app"]["hosts"]["app3"]
    assert edited == base
    assert scenario_app_group(yaml.safe_load(inventory_block(read("README.md"), "add-a-backend")))["all"]["children"][
        "app"
    ]["hosts"]["mol-app3"] == {"lb_backend": {"weight": 1, "max_fails": 2, "fail_timeout": "10s"}}


def test_a_lab_host_without_a_scenario_host_is_refused():
    with pytest.raises(DocsError, match="no scenario host for the lab host app9"):
        scenario_app_group({"all": {"children": {"app": {"hosts": {"app1": None, "app9": None}}}}})
    assert scenario_app_group({"all": {"children": {"app": {"hosts": {"app1": None}}}}}) == {
        "all": {"children": {"app": {"hosts": {"mol-app1": {}}}}}
    }
