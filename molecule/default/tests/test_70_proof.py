"""make proof against this scenario: chromium screenshots http://alvin.xyz/ through the proxy
with all backends up, one down, all down (502) and all back, checks each picture's page, and
leaves every app running as it found it."""

import json
import os
import struct
import subprocess
import sys

from conftest import DOMAIN, INVENTORY, PM2_NAME, address_of, pm2_status


def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def test_proof_screenshots_each_state_checks_it_and_restores_the_apps(proxy, apps, tmp_path):
    # the browser reaches the proxy container's port 80 directly on the docker network
    connect = f"{address_of(proxy)}:80"
    res = subprocess.run(
        [sys.executable, "-m", "scripts.proof", "-i", INVENTORY, "--connect", connect, "--out", str(tmp_path)],
        cwd=os.environ["MOLECULE_PROJECT_DIRECTORY"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    report = json.loads((tmp_path / "proof.json").read_text())
    shots = report["shots"]
    assert [s["key"] for s in shots] == ["all-up", "one-down", "all-down", "all-back"]
    # what the browser got, through the domain, in each state
    assert [s["page"]["status"] for s in shots] == [200, 200, 502, 200]
    assert [s["pm2"] for s in shots] == [
        {"mol-app1": "online", "mol-app2": "online"},
        {"mol-app1": "stopped", "mol-app2": "online"},
        {"mol-app1": "stopped", "mol-app2": "stopped"},
        {"mol-app1": "online", "mol-app2": "online"},
    ]
    for shot in shots:
        assert shot["problems"] == [], shot["key"]
        # only the proxy was contacted; the domain was never looked up anywhere else
        assert shot["page"]["connections"] == [connect], shot["key"]
        assert png_size((tmp_path / shot["file"]).read_bytes()) == (1280, 720)
    app_shots = [s for s in shots if s["key"] != "all-down"]
    for shot in app_shots:
        assert shot["page"]["title"].startswith("Dumbflix"), shot["key"]
        assert shot["page"]["rootElements"] > 0, shot["key"]
    assert "502 Bad Gateway" in shots[2]["page"]["body"]
    # the 502 picture is not the app's picture
    assert (tmp_path / shots[2]["file"]).read_bytes() != (tmp_path / shots[0]["file"]).read_bytes()
    index = (tmp_path / "index.html").read_text()
    assert f"http://{DOMAIN}/" in index
    assert all(f'src="{s["file"]}"' in index for s in shots)
    # as it found them: the app runs on every backend again
    for name, app in apps.items():
        assert pm2_status(app)[PM2_NAME] == "online", name
