"""The check play refuses a bad inventory value naming the host, the variable and the value.

Each role's `validate` entry point (what playbooks/site.yml's check play runs) is run by a real
ansible-playbook over an inventory of local hosts: one host per bad value, and one host with the
defaults, which must pass. The values are the ones the roles' Jinja tests (plugins/test/) refuse,
so a test that accepted everything, or a validate.yml that lost a check, fails here.
"""

import os
import sys

import pytest
import yaml
from ansible_run import run_ansible

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")

# role -> {host: (variables, the message the host fails with)}; "good" has no bad value
CASES = {
    "pm2": {
        "range": ({"pm2_version": "^7.0.4"}, 'pm2_version: "^7.0.4" is not an exact npm version such as 7.0.4'),
        "tag": ({"pm2_version": "latest"}, 'pm2_version: "latest" is not an exact npm version such as 7.0.4'),
        "root": ({"pm2_user": "root"}, 'pm2_user: "root" is not a non-root user name'),
        "upper": ({"pm2_user": "Web"}, 'pm2_user: "Web" is not a non-root user name'),
        "lr_version": (
            {"pm2_logrotate": True, "pm2_logrotate_version": "3.x"},
            'pm2_logrotate_version: "3.x" is not an exact version such as 3.0.0',
        ),
        "lr_size": (
            {"pm2_logrotate": True, "pm2_logrotate_max_size": "10MB"},
            'pm2_logrotate_max_size: "10MB" is not a size such as 10M',
        ),
        "lr_cron": (
            {"pm2_logrotate": True, "pm2_logrotate_rotate_interval": "daily"},
            'pm2_logrotate_rotate_interval: "daily" is not a cron expression such as "0 0 * * *"',
        ),
        "good": ({"pm2_logrotate": True, "pm2_logs_rotate": False}, None),
    },
    "nodejs": {
        "scheme": (
            {"nodejs_source": "nodesource", "nodejs_nodesource_url": "ftp://deb.nodesource.com"},
            'nodejs_nodesource_url: "ftp://deb.nodesource.com"\nis not an http(s) URL',
        ),
        "port": (
            {"nodejs_source": "nodesource", "nodejs_nodesource_url": "https://deb.nodesource.com:99999"},
            'nodejs_nodesource_url: "https://deb.nodesource.com:99999"\nis not an http(s) URL',
        ),
        "package": (
            {"nodejs_distro_packages": ["nodejs", "Node JS"]},
            'nodejs_distro_packages: ["nodejs", "Node JS"]\nmust be a non-empty list of Debian package names',
        ),
        "good": ({}, None),
        "good_nodesource": ({"nodejs_source": "nodesource", "nodejs_nodesource_url": "http://[::1]:8080/mirror"}, None),
    },
    "dumbflix_frontend": {
        "port": ({"dumbflix_port": 70000}, "dumbflix_port: 70000 is not a TCP port (an integer 1-65535)"),
        "app_dir": ({"dumbflix_app_dir": "/srv/../etc"}, 'dumbflix_app_dir: "/srv/../etc" is not an absolute'),
        "api_quote": (
            {"dumbflix_api_url": "https://api.example.com/'+alert(1)+'"},
            "dumbflix_api_url: \"https://api.example.com/'+alert(1)+'\" is not an http(s) URL",
        ),
        "api_query": (
            {"dumbflix_api_url": "https://api.example.com/?x=1"},
            'dumbflix_api_url: "https://api.example.com/?x=1" is not an http(s) URL',
        ),
        "repo": (
            {"dumbflix_repo": "git@host:-upload-pack=x"},
            'dumbflix_repo: "git@host:-upload-pack=x" is not a git URL',
        ),
        "version": (
            {"dumbflix_version": "main..evil"},
            'dumbflix_version: "main..evil" is not a branch, tag or commit',
        ),
        "paths": (
            {"dumbflix_health_paths": ["/", "movies"]},
            'dumbflix_health_paths: ["/", "movies"] is not a non-empty list of URL paths',
        ),
        "node_options": (
            {"dumbflix_node_options": "--max-old-space-size=2048;id"},
            'dumbflix_node_options: "--max-old-space-size=2048;id" is not a NODE_OPTIONS string',
        ),
        "npm_args": (
            {"dumbflix_npm_args": ["--no-audit", "-g"]},
            'dumbflix_npm_args: ["--no-audit", "-g"] is not a list of npm long options',
        ),
        "release": (
            {"dumbflix_release": "ABCDEF0123456789"},
            'dumbflix_release: "ABCDEF0123456789" is not a release id',
        ),
        # the pm2 role owns pm2_user and refuses root there; this role no longer checks it
        "good": ({"pm2_user": "root", "dumbflix_api_url": "http://10.0.0.5:8080/api/v1"}, None),
    },
    "firewall": {
        "service": (
            {"firewall_service": "dumbflix-firewall.service"},
            'firewall_service: "dumbflix-firewall.service" is not a unit name',
        ),
        "rules_file": (
            {"firewall_rules_file": "/etc/nftables.d/../x.nft"},
            'firewall_rules_file: "/etc/nftables.d/../x.nft" is not an absolute, normalized path',
        ),
        "good": ({}, None),
    },
}


def run_validate(tmp_path, role, hosts):
    inventory = {
        "app": {
            "hosts": {
                name: dict(variables, ansible_connection="local", ansible_python_interpreter=sys.executable)
                for name, (variables, dummy) in hosts.items()
            }
        },
        # a proxy outside the play, with its addresses given, as the firewall's sources need them (without a
        # monitor group it is also the monitor host the exporters admit)
        "proxy": {
            "hosts": {"proxy1": {"firewall_proxy_addresses": ["192.0.2.10"], "monitoring_address": "192.0.2.10"}}
        },
    }
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    play = [
        {
            "name": "Check",
            "hosts": "app",
            "gather_facts": False,
            "tasks": [{"ansible.builtin.include_role": {"name": "dumbflix.stack.%s" % role, "tasks_from": "validate"}}],
        }
    ]
    (tmp_path / "check.yml").write_text(yaml.safe_dump(play))
    return run_ansible("ansible-playbook", tmp_path, "-i", "inventory.yml", "check.yml", "--check", ANSIBLE_FORKS="4")


def failures(output):
    """{host: [message of each failed task or loop item]}."""
    found = {}
    for task in output["plays"][0]["tasks"]:
        for host, result in task["hosts"].items():
            items = result.get("results") or [result]
            for item in items:
                if item.get("failed"):
                    found.setdefault(host, []).append(item.get("msg", ""))
    return found


@pytest.mark.skipif(
    not os.path.exists(ANSIBLE_PLAYBOOK), reason="ansible-playbook is not installed next to this Python"
)
@pytest.mark.parametrize("role", sorted(CASES))
def test_bad_values_stop_the_check_play_naming_host_variable_and_value(tmp_path, role):
    check_refusals(tmp_path, role, CASES[role])


def check_refusals(tmp_path, role, cases):
    """Run ``role``'s check play on ``cases`` ({host: (variables, message or None)}): each refused host fails with
    its message, no good host fails, and the run fails."""
    proc, output = run_validate(tmp_path, role, cases)
    found = failures(output)
    for host, (dummy, expected) in cases.items():
        if expected is None:
            assert host not in found, "%s: %s refused good values: %s" % (role, host, found.get(host))
            continue
        messages = [" ".join(m.split()) for m in found.get(host, [])]
        wanted = "host %s: %s" % (host, " ".join(expected.split()))
        assert any(m.startswith(wanted) for m in messages), "%s: %s: wanted %r in %r" % (role, host, wanted, messages)
    assert proc.returncode != 0
