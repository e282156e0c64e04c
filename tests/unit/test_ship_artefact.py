"""The one pipeline that ships an artefact through the control node's cache (roles/ship_artefact), run for real on
two hosts of a local inventory (each its own directory): one makes the artefact, packs it into the cache, the other
unpacks it; the cache only ever holds a whole archive; a second run changes nothing; check mode reports and changes
nothing. pm2 (pm2_ship) and the app release (build mode) both go through it."""

import os
import sys

import pytest
import yaml
from ansible_run import run_ansible

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="the pipeline makes root-owned directories and becomes root to pack, as on a real host"
)

PLAYBOOK = [
    {
        "hosts": "all",
        "gather_facts": False,
        "tasks": [
            {
                "name": "Look for the artefact",
                "ansible.builtin.stat": {"path": "{{ root }}/art/VERSION"},
                "register": "art_here",
            },
            {
                "name": "Plan",
                "ansible.builtin.include_role": {"name": "dumbflix.stack.ship_artefact", "tasks_from": "plan"},
                "vars": {
                    "ship_artefact_name": "art 1",
                    "ship_artefact_archive": "{{ cache }}/art-1.tar.gz",
                    "ship_artefact_hosts": "{{ ansible_play_hosts }}",
                    "ship_artefact_have": "{{ ansible_play_hosts | map('extract', hostvars)"
                    " | selectattr('art_here.stat.exists') | map(attribute='inventory_hostname') | list }}",
                    "ship_artefact_make_host": "maker",
                    "ship_artefact_make_variable": "art_make_host",
                },
            },
            {"name": "Keep the plan", "ansible.builtin.set_fact": {"art_plan": "{{ ship_artefact_plan }}"}},
            {
                "name": "Make the artefact",
                "ansible.builtin.copy": {"dest": "{{ root }}/art/VERSION", "content": "1\n", "mode": "0644"},
                "when": ["art_plan.make", "inventory_hostname == 'maker'"],
            },
            {
                "name": "Ship",
                "ansible.builtin.include_role": {"name": "dumbflix.stack.ship_artefact"},
                "vars": {
                    "ship_artefact_name": "art 1",
                    "ship_artefact_plan": "{{ art_plan }}",
                    "ship_artefact_archive": "{{ cache }}/art-1.tar.gz",
                    "ship_artefact_packed": "{{ root }}/.art-1.tar.gz",
                    "ship_artefact_pack_dir": "{{ root }}",
                    "ship_artefact_pack_members": ["art"],
                    "ship_artefact_unpack_hosts": "{{ art_plan.need | reject('equalto', 'maker') | list }}",
                    "ship_artefact_dest": "{{ root }}/art",
                    "ship_artefact_member": "art",
                },
            },
        ],
    }
]


@pytest.fixture
def site(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    hosts = {}
    for name in ("maker", "taker"):
        (tmp_path / name).mkdir()
        hosts[name] = {"root": str(tmp_path / name)}
    (tmp_path / "maker" / "art").mkdir()
    inventory = {
        "all": {
            "hosts": hosts,
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": sys.executable,
                "ansible_become_method": "su",
                "cache": str(cache),
            },
        }
    }
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(inventory))
    (tmp_path / "play.yml").write_text(yaml.safe_dump(PLAYBOOK))
    return tmp_path


def run(site, *args):
    done, document = run_ansible(
        "ansible-playbook", site, "-i", "hosts.yml", "play.yml", *args, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg")
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    return document


def changed_tasks(result, host):
    names = []
    for play in result["plays"]:
        for task in play["tasks"]:
            if task["hosts"].get(host, {}).get("changed"):
                names.append(task["task"]["name"].split(" : ")[-1])
    return names


def messages(result, host, name):
    return [
        task["hosts"][host].get("msg")
        for play in result["plays"]
        for task in play["tasks"]
        if task["task"]["name"].endswith(name) and host in task["hosts"] and not task["hosts"][host].get("skipped")
    ]


def tree(path):
    return sorted(
        os.path.relpath(os.path.join(top, name), path) for top, dirs, files in os.walk(path) for name in dirs + files
    )


def test_made_once_packed_once_unpacked_where_missing_then_nothing(site):
    first = run(site)
    assert changed_tasks(first, "maker") == [
        "Make the artefact",
        "Pack for the controller cache, art 1",
        "Fetch the archive to the control node, art 1",
        "Put the archive into the controller cache, art 1",
        "Remove the packed archive from the host, art 1",
    ]
    assert changed_tasks(first, "taker") == [
        "Make the directory to unpack into, art 1",
        "Unpack from the controller cache, art 1",
        "Move the unpacked copy into place, art 1",
    ]
    # whole archive or none: no .part left, and the hosts keep no packed archive or half-unpacked copy
    assert tree(site / "cache") == ["art-1.tar.gz"]
    assert tree(site / "maker") == ["art", "art/VERSION"]
    assert tree(site / "taker") == ["art", "art/VERSION"]
    assert (site / "taker" / "art" / "VERSION").read_text() == "1\n"

    second = run(site)
    assert changed_tasks(second, "maker") == []
    assert changed_tasks(second, "taker") == []


def test_a_host_that_lacks_it_unpacks_it_from_the_cache_and_swaps_out_what_was_there(site):
    run(site)
    # a copy that lost its marker counts as missing: the cached archive replaces it whole
    os.remove(site / "taker" / "art" / "VERSION")
    (site / "taker" / "art" / "stray").write_text("left over\n")
    again = run(site)
    assert changed_tasks(again, "maker") == []
    assert "Move the unpacked copy into place, art 1" in changed_tasks(again, "taker")
    assert tree(site / "taker") == ["art", "art/VERSION"]


def test_check_mode_reports_and_changes_nothing(site):
    result = run(site, "--check")
    assert messages(result, "maker", "Report what check mode skips, art 1") == [
        ["would pack art 1 into %s" % (site / "cache" / "art-1.tar.gz")]
    ]
    assert messages(result, "taker", "Report what check mode skips, art 1") == [
        ["would unpack art 1 from the controller cache into %s" % (site / "taker" / "art")]
    ]
    assert tree(site / "cache") == []
    assert tree(site / "maker") == ["art"]
    assert tree(site / "taker") == []
