"""Task 4.5 and 4.6: one backend down costs users nothing; all down answers 502."""
import time

from conftest import PM2_NAME, PORT, address_of, pm2, pm2_status, request_many, upstreams_for


def wait_for_200(proxy, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        codes, _ = request_many(proxy, 1)
        if codes == ["200"]:
            return True
        time.sleep(1)
    return False


def test_one_backend_down_every_request_still_succeeds(proxy, apps):
    app1 = apps["mol-app1"]
    assert pm2(app1, "stop", PM2_NAME).rc == 0
    try:
        assert pm2_status(app1)[PM2_NAME] == "stopped"
        assert not app1.socket(f"tcp://0.0.0.0:{PORT}").is_listening
        codes, probe = request_many(proxy, 50)
        assert codes == ["200"] * 50
        # every one of them ended on app2
        a2 = f"{address_of(apps['mol-app2'])}:{PORT}"
        assert all(u.split(", ")[-1] == a2 for u in upstreams_for(proxy, probe, 50))
    finally:
        assert pm2(app1, "start", PM2_NAME).rc == 0


def test_all_backends_down_answers_502_fast_then_recovers(proxy, apps):
    for app in apps.values():
        assert pm2(app, "stop", PM2_NAME).rc == 0
    try:
        started = time.time()
        codes, _ = request_many(proxy, 1, timeout=5)
        assert codes == ["502"]
        assert time.time() - started < 5
    finally:
        for app in apps.values():
            assert pm2(app, "start", PM2_NAME).rc == 0
    # nginx holds failed servers out for fail_timeout (10s) before it tries them again
    assert wait_for_200(proxy, 30)
