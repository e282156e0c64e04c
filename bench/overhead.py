"""1. Proxy overhead: wrk side by side, several rounds, on the direct backend and on each proxy variant,
then the knobs one at a time on (d)."""

import re
import statistics

from . import log, run
from .variants import collection_site, collection_upstream, naive_variant

WRK_LINE = re.compile(r"^\s*(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)


def wrk(lab, url, connections, seconds, host_header=True):
    argv = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if host_header:
        argv += ["-H", f"Host: {lab.domain}"]
    res = parse_wrk(run(argv + [url]).stdout)
    # connections the proxy closed instead of keeping: each leaves a socket in TIME_WAIT
    res["time_wait"] = lab.time_wait()
    return res


def parse_wrk(out):
    """wrk --latency's report -> requests/s, p50 and p99 in ms, failed requests."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {}
    for pct, value, unit in WRK_LINE.findall(out):
        lat[pct] = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        errors += sum(int(x) for x in m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        errors += int(m.group(1))
    return {"rps": rps, "p50": lat.get("50"), "p99": lat.get("99"), "errors": errors}


def median_min_max(samples, key):
    values = [s[key] for s in samples if s.get(key) is not None]
    return {"median": statistics.median(values), "min": min(values), "max": max(values)} if values else None


def overhead(lab, rounds, seconds, levels):
    first = lab.apps[0]
    direct_url = f"http://{lab.addresses[first]}:{lab.port}/"
    naive_up, naive_site = naive_variant(lab)
    # name -> (upstream args, site args) over the converged files, or None for the direct backend
    variants = {
        "a. one backend directly": None,
        "b. proxy, collection config": (None, None),
        "d. proxy, collection config, that backend only": (collection_upstream(lab, [first]), None),
        # last: it leaves the proxy's sockets in TIME_WAIT (settle() waits them out)
        "c. proxy, naive config": (naive_up, naive_site),
    }
    # knobs, each on top of (d), at 64 connections
    knobs = {
        "keepalive 16": (collection_upstream(lab, [first], keepalive=16), None),
        "keepalive 128": (collection_upstream(lab, [first], keepalive=128), None),
        "keepalive_requests 10000": (collection_upstream(lab, [first], keepalive_requests=10000), None),
        "no shared zone": (collection_upstream(lab, [first], zone_size="0"), None),
        "access log off": (collection_upstream(lab, [first]), collection_site(lab, access_log="off")),
        "no security headers": (collection_upstream(lab, [first]), collection_site(lab, security_headers=False)),
        "keepalive 0 (off)": (collection_upstream(lab, [first], keepalive=0), None),
    }
    results = {name: {c: [] for c in levels} for name in variants}
    knob_results = {name: [] for name in knobs}
    knob_base = []
    with lab.config_restored():
        for r in range(1, rounds + 1):
            for name, conf in variants.items():
                lab.settle()
                if conf is not None:
                    lab.apply(*conf)
                url = direct_url if conf is None else lab.proxy_url()
                for c in levels:
                    res = wrk(lab, url, c, seconds)
                    results[name][c].append(res)
                    log(
                        f"round {r}/{rounds} {name:48} c={c:<3} {res['rps']:9.0f} req/s p99 {res['p99']} ms errors {res['errors']}"
                    )
                if name.startswith("d."):
                    knob_base.append(results[name][64][-1] if 64 in levels else wrk(lab, url, 64, seconds))
            for name, conf in knobs.items():
                lab.settle()
                lab.apply(*conf)
                res = wrk(lab, lab.proxy_url(), 64, seconds)
                knob_results[name].append(res)
                log(f"round {r}/{rounds} knob {name:43} c=64  {res['rps']:9.0f} req/s p99 {res['p99']} ms")
    return {
        "levels": levels,
        "rounds": rounds,
        "seconds": seconds,
        "variants": {
            n: {
                c: {k: median_min_max(s, k) for k in ("rps", "p50", "p99", "time_wait")}
                | {"errors": sum(x["errors"] for x in s)}
                for c, s in v.items()
            }
            for n, v in results.items()
        },
        "raw": results,
        "knob_base": {k: median_min_max(knob_base, k) for k in ("rps", "p99", "time_wait")},
        "knobs": {n: {k: median_min_max(s, k) for k in ("rps", "p99", "time_wait")} for n, s in knob_results.items()},
    }
