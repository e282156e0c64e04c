"""Rolling deploys under load, through the proxy, on the converged topology.

A constant request rate (bench/load.py, the load `make bench` uses) runs from this machine
through the proxy for the whole of each site.yml run, and any request not answered 200
fails the test. In order:
1. a changed app rolls out one host at a time, each drained on the proxy first;
2. a release that fails its health check stops the rollout at the first host, which goes
   back to the release it had, while the other host never leaves it;
3. dumbflix_release rolls back to the release the scenario converged with, the same way.
"""

import os
import re
import shutil
import uuid

import pytest
from conftest import DOMAIN, TITLE, UPSTREAM_FILE, address_of, pm2_status, run_site, site
from topology import check_rolled_out_one_host_at_a_time, recap

from bench.load import Load

APP_DIR = "/srv/dumbflix-frontend"
STAND_IN = os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], "lab", "dumbflix-demo")
# requests per second, each on its own connection, as browsers opening pages
RATE = 20
# a release that fails its health check is given this long to answer, not the default 180 s
HEALTH_TIMEOUT = 6
# what rollouts have done so far, for the tests that follow in this file
state = {}


def app_source(name, marker, broken=False):
    """A copy of the stand-in app that serves `marker` at /rollout.txt.

    broken: its build leaves build/index.html a directory, so pm2 answers every page with 500
    (the build step's own check, that build/index.html exists, still passes).
    """
    dest = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "rollout", name)
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(STAND_IN, dest, ignore=shutil.ignore_patterns("node_modules", "build"))
    with open(os.path.join(dest, "public", "rollout.txt"), "w") as fh:
        fh.write(marker + "\n")
    if broken:
        with open(os.path.join(dest, "scripts", "build.js"), "a") as fh:
            fh.write(
                '\nfs.renameSync(path.join(out, "index.html"), path.join(out, "page.html"));\n'
                'fs.mkdirSync(path.join(out, "index.html"));\n'
            )
    return dest


def release_of(app_host):
    return os.path.basename(app_host.check_output(f"readlink -f {APP_DIR}/current"))


def served_marker(app_host):
    return app_host.check_output("curl -s -m 5 http://127.0.0.1:3000/rollout.txt").strip()


def rolled_out(proxy, capsys, extra_vars):
    """site.yml with extra_vars under load through the proxy: (finished run, load)."""
    with Load(address_of(proxy), DOMAIN, RATE, timeout=10, tag_param="rollout") as load:
        res = run_site(extra_vars=extra_vars)
    # in the verify output whether the test passes or not: what was sent and what failed
    with capsys.disabled():
        print(f"\n  rollout of {sorted(extra_vars)}: {load.summary()}")
    # a run that sent almost nothing proves nothing about failed requests
    assert len(load.samples) >= RATE * 10, load.summary()
    return res, load


def test_a_changed_app_rolls_out_host_by_host_without_one_failed_request(proxy, apps, capsys):
    state["original"] = {name: release_of(h) for name, h in apps.items()}
    state["upstream"] = proxy.file(UPSTREAM_FILE).md5sum
    marker = uuid.uuid4().hex

    res, load = rolled_out(proxy, capsys, {"dumbflix_src": app_source("good", marker)})

    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert not load.failed(), load.summary()
    check_rolled_out_one_host_at_a_time(res.stdout, "mol-app1", "mol-app2")
    for name, h in apps.items():
        assert served_marker(h) == marker, name
        assert release_of(h) != state["original"][name], name
        assert pm2_status(h) == {"dumbflix-frontend": "online"}, name
    # back into rotation: the upstream is again exactly what the inventory says
    assert proxy.file(UPSTREAM_FILE).md5sum == state["upstream"]
    state["good"] = {name: release_of(h) for name, h in apps.items()}
    state["marker"] = marker


def test_a_release_failing_its_health_check_stops_the_rollout_with_the_old_release_served(proxy, apps, capsys):
    if "good" not in state:
        pytest.skip("needs the rollout of the test before")
    good = state["good"]["mol-app1"]

    res, load = rolled_out(
        proxy,
        capsys,
        {
            "dumbflix_src": app_source("broken", uuid.uuid4().hex, broken=True),
            "dumbflix_health_timeout": HEALTH_TIMEOUT,
        },
    )

    assert res.returncode != 0, res.stdout[-3000:]
    assert not load.failed(), load.summary()
    # ansible-core prints a failed task's message on stderr
    message = " ".join((res.stdout + res.stderr).split())
    assert re.search(
        r"host mol-app1: release [0-9a-f]{16} failed here \(Wait until the app answers HTTP 200: / Status code was 500",
        message,
    ), message[-3000:]
    assert f"It is back on release {good}, which answers on its health paths, and back in rotation." in message
    assert "The rollout stopped here: mol-app2 still serves the release it had." in message
    # mol-app2 was never taken out of rotation, let alone switched
    assert "with mol-app2 down" not in res.stdout
    for name, h in apps.items():
        assert release_of(h) == state["good"][name], name
        assert served_marker(h) == state["marker"], name
        assert h.run("curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:3000/").stdout == "200", name
    assert proxy.file(UPSTREAM_FILE).md5sum == state["upstream"]


def test_dumbflix_release_rolls_back_to_the_converged_release_the_same_way(proxy, apps, capsys):
    if "good" not in state:
        pytest.skip("needs the rollout of the first test")
    original = state["original"]["mol-app1"]
    assert len(set(state["original"].values())) == 1, state["original"]

    res, load = rolled_out(proxy, capsys, {"dumbflix_release": original})

    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert not load.failed(), load.summary()
    assert "with mol-app1 down" in res.stdout and "with mol-app2 down" in res.stdout
    for name, h in apps.items():
        assert release_of(h) == original, name
        page = h.check_output("curl -s -m 5 http://127.0.0.1:3000/")
        assert TITLE.search(page), (name, page[:300])
    assert proxy.file(UPSTREAM_FILE).md5sum == state["upstream"]
    # and the run after a rollout changes nothing
    assert {name: counts["changed"] for name, counts in recap(site()).items()} == {
        "mol-proxy1": 0,
        "mol-app1": 0,
        "mol-app2": 0,
    }
