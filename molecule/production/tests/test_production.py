"""inventory/production's shape, converged over SSH: server1 runs nginx and the app, server2 the app, with the
group_vars files the example ships. Everything the split topology proves holds here too: the weights split the
requests, one backend's app stopped costs nothing, both stopped answers 502 and the site comes back, a rolling
deploy drains and switches server1 (its own nginx serving from server2 meanwhile) without one failed request, and
`--check --diff` on the converged hosts changes nothing.

Requests go to server1's own nginx (on the host, as the task's curl does, and through the port molecule.yml
publishes on this machine's loopback for the load)."""

import os
import shutil
import ssl
import subprocess
import uuid

import pytest
import yaml
from conftest import (
    APPS,
    CERT_FILE,
    DOMAIN,
    HTTPS_PORT,
    INVENTORY,
    PM2_NAME,
    PORT,
    PROJECT,
    PROXY,
    SCENARIO_DIR,
    UPSTREAM_FILE,
    address_of,
    app_under_pm2,
    host_vars,
    pm2,
    pm2_status,
    request_many,
    run_site,
    upstreams_for,
)
from topology import (
    Pm2App,
    check_all_apps_stopped,
    check_one_app_stopped,
    check_rolled_out_one_host_at_a_time,
    check_shared_by_weight,
    recap,
)

from bench.load import Load

PRODUCTION = os.path.join(PROJECT, "inventory", "production")
APP_DIR = "/srv/dumbflix-frontend"
STAND_IN = os.path.join(PROJECT, "lab", "dumbflix-demo")
RATE = 20


def scenario_inventory():
    res = subprocess.run(["ansible-inventory", "-i", INVENTORY, "--list"], capture_output=True, text=True, check=True)
    return yaml.safe_load(res.stdout)


def group(inventory, name):
    return set(inventory.get(name, {}).get("hosts", []))


def test_the_scenario_is_inventory_productions_shape_with_its_group_vars():
    with open(os.path.join(PRODUCTION, "hosts.yml"), encoding="utf-8") as handle:
        production = yaml.safe_load(handle)["all"]
    groups = production["children"]
    scenario = scenario_inventory()
    # the same app hosts, server1 among the proxies; server3 is the one host production does not have
    assert group(scenario, "app") == set(groups["app"]["hosts"]) == {"server1", "server2"}
    assert set(groups["proxy"]["hosts"]) == {"server1"}
    assert group(scenario, "proxy") == {"server1", "server3"}
    for name, values in groups["app"]["hosts"].items():
        assert host_vars(name)["lb_backend"] == values["lb_backend"], name
    # the example's group_vars files themselves, not copies
    scenario_all = os.path.join(SCENARIO_DIR, "inventory", "group_vars", "all")
    for name in os.listdir(os.path.join(PRODUCTION, "group_vars", "all")):
        linked = os.path.join(scenario_all, name)
        assert os.path.islink(linked), name
        assert os.path.realpath(linked) == os.path.realpath(os.path.join(PRODUCTION, "group_vars", "all", name))


def test_requests_are_shared_by_weight(proxy, apps):
    check_shared_by_weight(
        lambda count: request_many(proxy, count),
        lambda probe, count: upstreams_for(proxy, probe, count),
        heavy=f"{address_of(apps['server1'])}:{PORT}",
        light=f"{address_of(apps['server2'])}:{PORT}",
    )


class AdHocPm2App(Pm2App):
    """An app host's app stopped and started the way docs/vms.md and docs/vms.id.md tell a student to: an ad-hoc
    ansible command from the control machine, become the app user (its status read over SSH as the others)."""

    def __init__(self, name, app_host):
        super().__init__(lambda *args: pm2(app_host, *args), PM2_NAME)
        self.inventory_name = name

    def _pm2(self, action):
        res = subprocess.run(
            [
                "ansible",
                self.inventory_name,
                "-i",
                INVENTORY,
                "-b",
                "--become-user",
                "dumbflix",
                "-m",
                "ansible.builtin.command",
                "-a",
                f"pm2 {action} {PM2_NAME}",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        return res.returncode == 0

    def stop(self):
        return self._pm2("stop")

    def start(self):
        return self._pm2("start")


def test_server1s_app_stopped_its_own_nginx_serves_every_request_from_server2(proxy, apps):
    check_one_app_stopped(
        lambda count: request_many(proxy, count),
        lambda probe, count: upstreams_for(proxy, probe, count),
        AdHocPm2App("server1", apps["server1"]),
        survivor=f"{address_of(apps['server2'])}:{PORT}",
    )


def test_both_apps_stopped_answers_502_then_recovers(proxy, apps):
    check_all_apps_stopped(lambda count: request_many(proxy, count), [app_under_pm2(h) for h in apps.values()])


def app_source(marker):
    """A copy of the stand-in app that serves `marker` at /rollout.txt."""
    dest = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "rollout-production")
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(STAND_IN, dest, ignore=shutil.ignore_patterns("node_modules", "build"))
    with open(os.path.join(dest, "public", "rollout.txt"), "w", encoding="utf-8") as handle:
        handle.write(marker + "\n")
    return dest


def test_a_rolling_deploy_drains_and_switches_server1_without_one_failed_request(proxy, apps, capsys):
    releases = {name: h.check_output(f"readlink -f {APP_DIR}/current") for name, h in apps.items()}
    upstream = proxy.file(UPSTREAM_FILE).md5sum
    marker = uuid.uuid4().hex
    context = ssl.create_default_context(cadata=proxy.file(CERT_FILE).content_string)

    # the load goes to server1's own nginx, which server1's switch takes out of its own rotation
    with Load("127.0.0.1", DOMAIN, RATE, timeout=10, port=HTTPS_PORT, tls_context=context, tag_param="rollout") as load:
        res = run_site("-e", f"dumbflix_src={app_source(marker)}")
    with capsys.disabled():
        print(f"\n  rollout on production's shape: {load.summary()}")

    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert len(load.samples) >= RATE * 10, load.summary()
    assert not load.failed(), load.summary()
    check_rolled_out_one_host_at_a_time(res.stdout, "server1", "server2")
    for name, h in apps.items():
        assert h.check_output("curl -s -m 5 http://127.0.0.1:3000/rollout.txt").strip() == marker, name
        assert h.check_output(f"readlink -f {APP_DIR}/current") != releases[name], name
        assert pm2_status(h) == {PM2_NAME: "online"}, name
    # every app host back in rotation: the upstream is again what the inventory says
    assert proxy.file(UPSTREAM_FILE).md5sum == upstream


def test_check_mode_with_diff_on_the_converged_hosts_changes_nothing():
    res = run_site("--check", "--diff", "-e", f"dumbflix_src={app_source_path()}")
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    hosts = recap(res.stdout)
    assert set(hosts) == {"server1", "server2", "server3"}, hosts
    for name, counts in hosts.items():
        assert counts["changed"] == 0 and counts["failed"] == 0, (name, counts)


def app_source_path():
    """The source the rollout above deployed (the hosts serve it now), or the stand-in when it did not run."""
    path = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "rollout-production")
    if not os.path.isdir(path):
        pytest.skip("needs the rollout of the test before")
    return path


def test_server1_runs_nginx_and_the_app_side_by_side(proxy):
    # as root: the image has no D-Bus, so only root reaches systemd
    assert proxy.check_output("sudo -n systemctl is-active nginx pm2-dumbflix").split() == ["active", "active"]
    assert proxy.socket("tcp://0.0.0.0:443").is_listening
    # the app port's listener is the app user's pm2, beside root's nginx
    listener = proxy.check_output(f"sudo -n ss -ltneH 'sport = :{PORT}'")
    assert f"uid:{proxy.user('dumbflix').uid} " in listener, listener
    assert APPS[0] == PROXY
