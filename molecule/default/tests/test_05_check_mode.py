"""README's promise: on a converged topology `site.yml --check --diff` writes nothing, and a changed inventory value
shows up in the diff as exactly the line it changes, with nothing else on any host reported as changed.

One check run proves both halves: with the reweighted inventory every task but the upstream's (and the reload it
notifies) must find its host as the converge left it."""

import os

from conftest import PORT, UPSTREAM_FILE, address_of, site
from topology import changed_tasks, recap

HERE = os.path.dirname(os.path.abspath(__file__))
HOSTS = {"mol-proxy1", "mol-app1", "mol-app2"}
UPSTREAM_TASK = "dumbflix.stack.load_balancer : Write the upstream of every app host"
# what the upstream's notification runs: nginx -t, then the reload
NOTIFIED = {"dumbflix.stack.nginx : Validate nginx config", "dumbflix.stack.nginx : Reload nginx"}


def test_check_mode_shows_a_new_weight_as_one_line_changes_nothing_else_and_writes_nothing(proxy, apps):
    before = proxy.file(UPSTREAM_FILE)
    content, mtime = before.content_string, before.mtime
    out = site(os.path.join(HERE, "reweight-inventory"), check=True)
    a2 = f"{address_of(apps['mol-app2'])}:{PORT}"
    removed = [line for line in out.splitlines() if line.startswith("-") and not line.startswith("---")]
    added = [line for line in out.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert removed == [f"-    server {a2} weight=1 max_fails=2 fail_timeout=10s;"], removed
    assert added == [f"+    server {a2} weight=2 max_fails=2 fail_timeout=10s;"], added
    hosts = recap(out)
    assert set(hosts) >= HOSTS, hosts
    for name in HOSTS:
        assert hosts[name]["failed"] == 0, (name, hosts[name])
    changed = changed_tasks(out)
    assert ("mol-proxy1", UPSTREAM_TASK) in changed, changed
    assert changed <= {("mol-proxy1", task) for task in NOTIFIED | {UPSTREAM_TASK}}, changed
    assert hosts["mol-app1"]["changed"] == 0 and hosts["mol-app2"]["changed"] == 0, hosts
    after = proxy.file(UPSTREAM_FILE)
    assert (after.content_string, after.mtime) == (content, mtime)
