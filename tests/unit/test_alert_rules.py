"""The monitoring role's alert rules, rendered as Ansible renders the template and run by Debian's promtool.

`promtool check rules` checks the rendered file; `promtool test rules` feeds each case of
data/monitoring/rules_cases.yml (series in, alerts expected out, annotations word for word) to the rules.
promtool comes from scripts/setup-host.sh (`make deps`), which takes it out of this release's Debian package.
"""

import os
import subprocess

import jinja2
import jinja2.meta
import pytest
import yaml
import yamllint.config
import yamllint.linter
from ansible.plugins.filter.core import comment
from host_tools import host_tool

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLE = os.path.join(ROOT, "roles", "monitoring")
TEMPLATE = os.path.join(ROLE, "templates", "dumbflix.rules.yml.j2")
ROLE_DEFAULTS = os.path.join(ROLE, "defaults", "main.yml")
CASES_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "monitoring", "rules_cases.yml")

# The role's defaults for what the rules read. defaults/main.yml is the source; this copy lets the rules be
# tested on their own, and test_defaults_agree_with_the_role keeps the two the same.
DEFAULTS = {
    "monitoring_backend_down_for": "30s",
    "monitoring_nginx_5xx_ratio": 0.05,
    "monitoring_nginx_5xx_min_requests": 20,
    "monitoring_app_restarts": 3,
    "monitoring_cert_expiry_days": 14,
    "monitoring_disk_free_ratio": 0.10,
}

with open(CASES_FILE) as _handle:
    CASES = yaml.safe_load(_handle)


def environment():
    # the template module's settings: trim_blocks on, and ansible_managed through the comment filter
    env = jinja2.Environment(trim_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.filters["comment"] = comment
    return env


def render(**overrides):
    with open(TEMPLATE) as handle:
        source = handle.read()
    return environment().from_string(source).render(ansible_managed="Ansible managed", **dict(DEFAULTS, **overrides))


@pytest.fixture(scope="module")
def rules_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("rules") / "dumbflix.rules.yml"
    path.write_text(render())
    return path


def promtool(*args, cwd=None):
    return subprocess.run(
        [host_tool("promtool"), *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60
    )


def test_defaults_agree_with_the_role():
    with open(TEMPLATE) as handle:
        used = jinja2.meta.find_undeclared_variables(environment().parse(handle.read())) - {"ansible_managed"}
    assert used == set(DEFAULTS)
    if not os.path.exists(ROLE_DEFAULTS):
        pytest.skip("roles/monitoring/defaults/main.yml is not written yet")
    with open(ROLE_DEFAULTS) as handle:
        role = yaml.safe_load(handle) or {}
    missing = sorted(set(DEFAULTS) - set(role))
    assert not missing, "roles/monitoring/defaults/main.yml lacks %s, which the rules template reads" % missing
    assert {name: role[name] for name in DEFAULTS} == DEFAULTS


def test_promtool_check_rules(rules_file):
    proc = promtool("check", "rules", str(rules_file))
    assert proc.returncode == 0, proc.stdout
    assert "SUCCESS: 9 rules found" in proc.stdout


def test_rendered_rules_pass_yamllint():
    conf = yamllint.config.YamlLintConfig(file=os.path.join(ROOT, ".yamllint"))
    problems = ["%d:%d %s" % (p.line, p.column, p.message) for p in yamllint.linter.run(render(), conf)]
    assert not problems


def test_every_alert_tells_who_and_what():
    """A severity to route on, a summary naming the host, a description saying what to do; no Jinja left over."""
    text = render()
    assert "{%" not in text and not [name for name in DEFAULTS if name in text]
    rules = yaml.safe_load(text)["groups"][0]["rules"]
    for rule in rules:
        name = rule["alert"]
        assert rule["labels"]["severity"] in ("warning", "critical"), name
        host = ".Labels.host" if name == "AllBackendsDown" else "{{ $labels.host }}"
        assert host in rule["annotations"]["summary"], name
        assert len(rule["annotations"]["description"]) > 60, name


def test_every_alert_has_a_firing_case():
    names = {rule["alert"] for rule in yaml.safe_load(render())["groups"][0]["rules"]}
    fired = {test["alertname"] for case in CASES.values() for test in case["alert_rule_test"] if test.get("exp_alerts")}
    assert fired == names


def test_thresholds_come_from_the_variables():
    text = render(
        monitoring_backend_down_for="2m",
        monitoring_nginx_5xx_ratio=0.2,
        monitoring_nginx_5xx_min_requests=100,
        monitoring_app_restarts=10,
        monitoring_cert_expiry_days=30,
        monitoring_disk_free_ratio=0.25,
    )
    rules = {rule["alert"]: rule for rule in yaml.safe_load(text)["groups"][0]["rules"]}
    assert [rules[name]["for"] for name in ("BackendDown", "AllBackendsDown", "SiteDown", "ProxyDown")] == ["2m"] * 4
    assert ") > 0.2\nand\n" in rules["Nginx5xxRate"]["expr"]
    assert rules["Nginx5xxRate"]["expr"].rstrip().endswith(">= 100")
    assert "More than 20 %" in rules["Nginx5xxRate"]["annotations"]["description"]
    assert rules["AppRestarting"]["expr"].endswith("> 10")
    assert rules["CertificateExpiring"]["expr"].endswith("< 30 * 86400")
    assert "< 0.25\n" in rules["DiskFilling"]["expr"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_promtool_test_rules(rules_file, tmp_path, case):
    document = {
        "rule_files": [str(rules_file)],
        # the lab's and a production's evaluation interval differ; 15 s is the role's default
        "evaluation_interval": "15s",
        "tests": [CASES[case]],
    }
    (tmp_path / "test.yml").write_text(yaml.safe_dump(document, sort_keys=False))
    proc = promtool("test", "rules", "test.yml", cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout
