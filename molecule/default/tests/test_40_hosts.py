"""The app runs as its own unprivileged user under pm2, and comes back after a reboot."""

import pytest
from conftest import APP_USER, PM2_NAME, PORT, pm2_status


@pytest.mark.parametrize("name", ["mol-app1", "mol-app2"])
def test_app_runs_as_the_app_user(apps, name):
    app = apps[name]
    assert app.user(APP_USER).exists
    assert app.user(APP_USER).uid != 0
    assert pm2_status(app)[PM2_NAME] == "online"
    # the socket on the app port belongs to the app user and lives in the pm2 unit,
    # so systemd (not a shell someone left open) keeps it running
    listener = app.check_output(f"ss -ltneH 'sport = :{PORT}'")
    assert listener, "nothing listens on the app port"
    assert f"uid:{app.user(APP_USER).uid} " in listener
    assert f"pm2-{APP_USER}.service" in listener


@pytest.mark.parametrize("name", ["mol-app1", "mol-app2"])
def test_pm2_unit_brings_the_app_back(apps, name):
    app = apps[name]
    unit = app.service(f"pm2-{APP_USER}")
    assert unit.is_enabled
    assert unit.is_running
    # what a reboot does to pm2: the unit restarts, the saved app list is resurrected
    assert app.run(f"systemctl restart pm2-{APP_USER}").rc == 0
    probe = app.run(
        f"for i in $(seq 30); do curl -sf -o /dev/null http://127.0.0.1:{PORT}/ && exit 0; sleep 1; done; exit 1"
    )
    assert probe.rc == 0
    assert pm2_status(app)[PM2_NAME] == "online"


def test_converged_without_sudo(proxy, apps):
    """prepare.yml removed sudo: the topology above was built over root connections through su."""
    for name, h in [("mol-proxy1", proxy)] + sorted(apps.items()):
        assert not h.exists("sudo"), f"{name} still has sudo, so the scenario proves nothing about root-only hosts"
