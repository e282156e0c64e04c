"""`make bench`'s own code that needs no lab: its options, reading wrk's report, cutting a load run into
phases, the targets table, and writing latest.md and latest.json. The measurements themselves need the
running lab (`make bench`)."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from bench import ROOT, cli, failover, overhead, report

# wrk 4.1.0's report of a short run through the lab's proxy
WRK_OK = """Running 1s test @ http://172.21.0.4/
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.76ms    2.80ms  25.51ms   67.37%
    Req/Sec     1.71k   300.91     2.30k    60.00%
  Latency Distribution
     50%    4.69ms
     75%    6.51ms
     90%    8.05ms
     99%   12.18ms
  3414 requests in 1.00s, 12.49MB read
Requests/sec:   3405.29
Transfer/sec:     12.45MB
"""

WRK_FAILING = """Running 2s test @ http://172.21.0.4/
  2 threads and 64 connections
  Latency Distribution
     50%  812.00us
     75%    1.20ms
     90%    2.00ms
     99%    1.50s
  5000 requests in 2.00s, 2.00MB read
  Socket errors: connect 0, read 3, write 0, timeout 2
  Non-2xx or 3xx responses: 40
Requests/sec:   2500.00
Transfer/sec:      1.00MB
"""


def test_wrk_report_is_read_in_milliseconds():
    assert overhead.parse_wrk(WRK_OK) == {"rps": 3405.29, "p50": 4.69, "p99": 12.18, "errors": 0}


def test_wrk_errors_count_socket_errors_and_non_2xx_answers():
    got = overhead.parse_wrk(WRK_FAILING)
    assert got["p50"] == pytest.approx(0.812)
    assert got["p99"] == pytest.approx(1500.0)
    assert got["errors"] == 3 + 2 + 40


class FakeLab:
    def __init__(self):
        self.addresses = {"app1": "10.0.0.2"}


def test_failover_phases_count_failures_latency_and_recovery():
    phases = [("all up", 0.0), ("app stopped", 10.0), ("app back", 20.0)]
    samples = []
    for i in range(300):
        sent = i / 10
        status = 502 if i == 250 else 200
        samples.append((sent, 0.004 if i % 100 else 1.5, status, "", i))
    # app1 answers again from 23.5 s on
    by = {i: ("10.0.0.2" if (i < 100 or i >= 235) else "10.0.0.3") for i in range(300)}
    got = failover.analyse_failover(FakeLab(), "app1", samples, phases, 30.0, by)
    rows = {p["phase"]: p for p in got["phases"]}
    assert [rows[n]["requests"] for n in ("all up", "app stopped", "app back")] == [100, 100, 100]
    assert rows["app stopped"]["failed"] == 0
    assert rows["app back"]["failed"] == 1 and rows["app back"]["failures"] == ["502"]
    assert rows["app back"]["victim_back_after_s"] == 3.5
    # one slow request in 100: it is the max, p99 is the second slowest
    assert rows["all up"]["max_ms"] == 1500.0 and rows["all up"]["p99_ms"] == 1500.0
    assert rows["all up"]["p50_ms"] == 4.0
    assert "victim_back_after_s" not in rows["all up"]


def cell(rps):
    return {"rps": {"median": rps, "min": rps, "max": rps}, "p50": None, "p99": None, "errors": 0}


def overhead_figures():
    return {
        "levels": [64],
        "rounds": 1,
        "seconds": 1,
        "variants": {
            "a. direct": {64: cell(1000)},
            "b. collection": {64: cell(900)},
            "c. naive": {64: cell(600)},
            "d. one backend": {64: cell(860)},
        },
        "knob_base": {"rps": {"median": 860, "min": 860, "max": 860}, "p99": None},
        "knobs": {},
    }


def test_targets_say_met_and_not_met():
    data = {
        "meta": {"date": "today", "machine": "2 cores", "inventory": "inventory/lab", "app": "x"},
        "overhead": overhead_figures(),
    }
    text = report.markdown(data)
    assert "| (d) ≥ 0.85× direct at 64 connections | 0.86× | met |" in text
    assert "| (b) ≥ 1.8× the naive config at 64 connections | 1.50× | **not met** |" in text


def test_report_says_when_the_proxy_was_measured_over_https():
    data = {
        "meta": {
            "date": "today",
            "machine": "2 cores",
            "inventory": "inventory/lab",
            "app": "x",
            "proxy_scheme": "https",
        },
        "overhead": overhead_figures(),
    }
    assert "measured over TLS on 443" in report.markdown(data)
    del data["meta"]["proxy_scheme"]
    assert "over TLS" not in report.markdown(data)


def test_report_only_rewrites_latest_md_from_latest_json_as_the_measuring_run_wrote_it(tmp_path, capsys):
    # the committed results were written together by one run: regenerating the text from the figures gives it back
    shutil.copy(os.path.join(ROOT, "bench", "results", "latest.json"), tmp_path)
    assert cli.main(["--report-only", "--out", str(tmp_path)]) == 0
    with open(os.path.join(ROOT, "bench", "results", "latest.md"), encoding="utf-8") as fh:
        committed = fh.read()
    assert (tmp_path / "latest.md").read_text(encoding="utf-8") == committed
    assert capsys.readouterr().out == committed + "\n"


def test_results_keep_the_figures_and_leave_the_raw_samples_out_of_latest_json(tmp_path):
    samples = [(0.1 * i, 0.004, 200, "", i) for i in range(20)]
    run = failover.analyse_failover(FakeLab(), "app1", samples, [("app stopped", 0.0), ("host frozen", 1.0)], 2.0, {})
    data = {
        "meta": {"date": "today", "machine": "2 cores", "inventory": "inventory/lab", "app": "x"},
        "overhead": overhead_figures() | {"raw": {"a. direct": {64: [{"rps": 1000.0}]}}},
        "failover": {
            "rate": 10,
            "phase_seconds": 1,
            "victim": "app1",
            "runs": {"read_timeout 1s": run | {"samples": samples}},
        },
    }
    text = report.write_results(data, str(tmp_path / "out"))
    assert (tmp_path / "out" / "latest.md").read_text(encoding="utf-8") == text
    assert "## 1. Proxy overhead" in text and "## 2. Failover under load" in text
    assert "| frozen backend: 0 failed, p99 under 2 s (read_timeout 1s) | 0 failed, p99 4.0 ms | met |" in text
    written = json.loads((tmp_path / "out" / "latest.json").read_text())
    assert "samples" not in written["failover"]["runs"]["read_timeout 1s"]
    assert "raw" not in written["overhead"]
    assert written["failover"]["runs"]["read_timeout 1s"]["phases"][0]["requests"] == 10
    # what --report-only reads back renders the same text
    assert report.markdown(written) == text


def test_options_default_to_the_documented_run():
    args = cli.parse_args([])
    assert args.parts == "overhead,failover,converge"
    assert (args.rounds, args.seconds, args.levels) == (3, 5, "16,64,256")
    assert (args.rate, args.phase_seconds, args.sizes) == (40, 15, "2,4,8")
    assert args.inventory == os.path.join(ROOT, "inventory", "lab")
    assert args.out == os.path.join(ROOT, "bench", "results")
    assert not args.report_only and args.read_timeouts is None and args.app_src is None


def test_an_unknown_part_is_refused_before_the_lab_is_touched(monkeypatch):
    def no_command(*args, **kwargs):
        raise AssertionError("ran a command")

    monkeypatch.setattr(cli, "run", no_command)
    with pytest.raises(SystemExit, match=r"unknown part\(s\) \['speed'\]: choose from overhead, failover, converge"):
        cli.main(["--parts", "overhead, speed"])
    assert cli.chosen_parts(" failover,,converge ") == ["failover", "converge"]


def test_the_victim_is_restored_when_a_phase_fails(monkeypatch):
    done = []

    class Victim:
        def pm2(self, host, *args):
            done.append(("pm2", host, *args))
            if args == ("stop", "dumbflix-frontend"):
                raise SystemExit("pm2 stop failed")

        def container(self, host):
            return f"lab-{host}"

    class Clock:
        def now(self):
            return 1.0

    monkeypatch.setattr(failover, "run", lambda argv, check=True: done.append(tuple(argv)))
    with pytest.raises(SystemExit, match="pm2 stop failed"):
        failover.victim_phases(Victim(), "app1", Clock(), 0)
    assert done == [
        ("pm2", "app1", "stop", "dumbflix-frontend"),
        ("docker", "unpause", "lab-app1"),
        ("pm2", "app1", "start", "dumbflix-frontend"),
    ]


def test_python_m_bench_help_lists_its_options():
    res = subprocess.run(
        [sys.executable, "-m", "bench", "--help"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("usage: python -m bench")
    for option in ("--inventory", "--parts", "--report-only", "--read-timeouts", "--app-src", "--out"):
        assert option in res.stdout
