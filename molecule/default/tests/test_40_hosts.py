"""The app runs as its own unprivileged user under pm2, and comes back after a reboot."""
import pytest

from conftest import APP_USER, PM2_NAME, PORT, pm2_status


@pytest.mark.parametrize("name", ["mol-app1", "mol-app2"])
def test_app_runs_as_the_app_user(apps, name):
    app = apps[name]
    assert app.user(APP_USER).exists
    assert app.user(APP_USER).uid != 0
    assert pm2_status(app)[PM2_NAME] == "online"
    # whoever listens on the app port is a process of the app user
    pid = app.check_output(f"ss -ltnpH 'sport = :{PORT}' | sed -n 's/.*pid=\\([0-9]*\\).*/\\1/p' | head -1")
    assert pid, "nothing listens on the app port"
    assert app.check_output(f"ps -o user= -p {pid}").strip() == APP_USER


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
