"""README's promise: on a converged topology `site.yml --check --diff` changes nothing and reports
changed=0, and a changed inventory value shows up in the diff as exactly the line it changes."""

import os

from conftest import PORT, UPSTREAM_FILE, address_of, site
from topology import recap

HERE = os.path.dirname(os.path.abspath(__file__))
HOSTS = {"mol-proxy1", "mol-app1", "mol-app2"}


def test_check_mode_on_the_converged_topology_reports_no_change():
    hosts = recap(site(check=True))
    assert set(hosts) >= HOSTS, hosts
    for name in HOSTS:
        assert hosts[name]["changed"] == 0, (name, hosts[name])
        assert hosts[name]["failed"] == 0, (name, hosts[name])


def test_check_mode_shows_a_new_weight_as_one_line_and_writes_nothing(proxy, apps):
    before = proxy.file(UPSTREAM_FILE)
    content, mtime = before.content_string, before.mtime
    out = site(os.path.join(HERE, "reweight-inventory"), check=True)
    a2 = f"{address_of(apps['mol-app2'])}:{PORT}"
    removed = [line for line in out.splitlines() if line.startswith("-") and not line.startswith("---")]
    added = [line for line in out.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert removed == [f"-    server {a2} weight=1 max_fails=2 fail_timeout=10s;"], removed
    assert added == [f"+    server {a2} weight=2 max_fails=2 fail_timeout=10s;"], added
    hosts = recap(out)
    # the upstream task, and the reload it notifies, would change the proxy
    assert hosts["mol-proxy1"]["changed"] >= 1, hosts
    assert hosts["mol-app1"]["changed"] == 0 and hosts["mol-app2"]["changed"] == 0, hosts
    after = proxy.file(UPSTREAM_FILE)
    assert (after.content_string, after.mtime) == (content, mtime)
