"""`make bench`'s own arithmetic (bench/bench.py): reading wrk's report, cutting a load run into
phases, and the targets table. The measurements themselves need the running lab (`make bench`)."""

import importlib.util
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
spec = importlib.util.spec_from_file_location("bench", os.path.join(ROOT, "bench", "bench.py"))
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)

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
    assert bench.parse_wrk(WRK_OK) == {"rps": 3405.29, "p50": 4.69, "p99": 12.18, "errors": 0}


def test_wrk_errors_count_socket_errors_and_non_2xx_answers():
    got = bench.parse_wrk(WRK_FAILING)
    assert got["p50"] == pytest.approx(0.812)
    assert got["p99"] == pytest.approx(1500.0)
    assert got["errors"] == 3 + 2 + 40


class FakeLab:
    addresses = {"app1": "10.0.0.2"}


def test_failover_phases_count_failures_latency_and_recovery():
    phases = [("all up", 0.0), ("app stopped", 10.0), ("app back", 20.0)]
    samples = []
    for i in range(300):
        sent = i / 10
        status = 502 if i == 250 else 200
        samples.append((sent, 0.004 if i % 100 else 1.5, status, "", i))
    # app1 answers again from 23.5 s on
    by = {i: ("10.0.0.2" if (i < 100 or i >= 235) else "10.0.0.3") for i in range(300)}
    got = bench.analyse_failover(FakeLab(), "app1", samples, phases, 30.0, by)
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


def test_targets_say_met_and_not_met():
    data = {
        "meta": {"date": "today", "machine": "2 cores", "inventory": "inventory/lab", "app": "x"},
        "overhead": {
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
        },
    }
    text = bench.report(data)
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
        "overhead": {
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
        },
    }
    assert "measured over TLS on 443" in bench.report(data)
    del data["meta"]["proxy_scheme"]
    assert "over TLS" not in bench.report(data)
