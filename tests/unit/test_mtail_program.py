"""The monitoring role's mtail program, run by Debian's mtail over an access log in the proxy's own format.

The log lines are made from LOG_FORMAT (plugins/module_utils/nginx_site_conf.py), the format the load_balancer
role gives the site's access log, so a change there is tested here. mtail comes from scripts/setup-host.sh
(`make deps`), which takes it out of this release's Debian package; `--one_shot` reads the log once and prints
the counters.
"""

import json
import os
import re
import shutil
import subprocess

import pytest
from host_tools import host_tool

from ansible_collections.dumbflix.stack.plugins.module_utils.nginx_site_conf import LOG_FORMAT

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROGRAM = os.path.join(ROOT, "roles", "monitoring", "files", "dumbflix-nginx.mtail")
METRIC = "dumbflix_nginx_responses_total"
# even --one_shot opens mtail's HTTP port: a free one on the loopback, so parallel runs and a real mtail don't clash
ANY_PORT = ("--address", "127.0.0.1", "--port", "0")

# What nginx writes for each variable of a plain request; escape=default turns " and \ into \x22 and \x5C.
BASE = {
    "remote_addr": "203.0.113.7",
    "remote_user": "-",
    "time_local": "07/Dec/2026:17:00:00 +0000",
    "request": "GET /movies HTTP/1.1",
    "status": "200",
    "body_bytes_sent": "612",
    "http_referer": "-",
    "http_user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
    "request_time": "0.004",
    "upstream_addr": "10.0.0.11:3000",
    "upstream_status": "200",
    "upstream_response_time": "0.004",
}


def log_line(**fields):
    """One access log line as nginx writes it: LOG_FORMAT's quoted parts joined, each $variable replaced."""
    template = "".join(part.strip("'") for part in LOG_FORMAT)
    values = dict(BASE, **fields)
    return re.sub(r"\$([a-z_]+)", lambda match: values[match.group(1)], template).rstrip()


def test_log_line_is_the_nginx_format():
    assert log_line() == (
        '203.0.113.7 - - [07/Dec/2026:17:00:00 +0000] "GET /movies HTTP/1.1" 200 612 "-" '
        '"Mozilla/5.0 (X11; Linux x86_64)" request_time=0.004 upstream_addr="10.0.0.11:3000" '
        'upstream_status="200" upstream_response_time="0.004"'
    )


# (lines, expected counts by class): every case's log is read by its own mtail run.
CASES = {
    "one_line_makes_every_class": ([log_line()], {"1xx": 0, "2xx": 1, "3xx": 0, "4xx": 0, "5xx": 0}),
    "each_class": (
        [log_line(status="101", body_bytes_sent="0")]
        + [log_line()] * 7
        + [log_line(status="301"), log_line(status="304", body_bytes_sent="0")]
        + [log_line(status="404"), log_line(status="499", upstream_status="-"), log_line(status="429")]
        + [log_line(status="502", upstream_status="502, 502", upstream_addr="10.0.0.11:3000, 10.0.0.12:3000")]
        + [log_line(status="504"), log_line(status="500", upstream_addr="-", upstream_status="-")],
        {"1xx": 1, "2xx": 7, "3xx": 2, "4xx": 3, "5xx": 3},
    ),
    # what a client controls cannot pass for a status: nginx escapes its quotes
    "client_text_is_not_a_status": (
        [
            log_line(request=r"GET /\x22 500 1 \x22 HTTP/1.1"),
            log_line(http_referer=r"x] \x22GET /\x22 500 1 \x22", http_user_agent=r"\x22 503 0 \x22"),
            log_line(remote_user=r"bob] \x22 500"),
            log_line(request="", status="400", body_bytes_sent="150", upstream_addr="-", upstream_status="-"),
        ],
        {"1xx": 0, "2xx": 3, "3xx": 0, "4xx": 1, "5xx": 0},
    ),
    "other_lines_are_ignored": (
        ["", "2026/12/07 17:00:00 [error] 12#12: *1 connect() failed (111: Connection refused)", "garbage 500 x"],
        {},
    ),
}


def one_shot(tmp_path, lines):
    progs = tmp_path / "progs"
    progs.mkdir()
    shutil.copy(PROGRAM, str(progs))
    log = tmp_path / "dumbflix.access.log"
    log.write_text("".join(line + "\n" for line in lines))
    proc = subprocess.run(
        [host_tool("mtail"), "--one_shot", "--progs", str(progs), "--logs", str(log), "--logtostderr", *ANY_PORT],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def counts(metrics):
    """{status_class: value} of dumbflix_nginx_responses_total in mtail's one-shot JSON."""
    result = {}
    for metric in metrics.get(METRIC, []):
        assert metric["Keys"] == ["status_class"]
        for item in metric.get("LabelValues", []):
            result[item["Labels"][0]] = item["Value"]["Value"]
    return result


@pytest.mark.parametrize("case", sorted(CASES))
def test_responses_by_status_class(tmp_path, case):
    lines, expected = CASES[case]
    assert counts(one_shot(tmp_path, lines)) == expected


def test_program_compiles(tmp_path):
    progs = tmp_path / "progs"
    progs.mkdir()
    shutil.copy(PROGRAM, str(progs))
    proc = subprocess.run(
        [host_tool("mtail"), "--compile_only", "--progs", str(progs), "--logtostderr", *ANY_PORT],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout
