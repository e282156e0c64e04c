"""2. Failover under load: a constant request rate through the proxy while one backend's app stops and
comes back, and its host freezes and thaws; per phase the requests, failures, latency, and how long the
recovered backend waits for traffic (read from the proxy's access log)."""

import re
import time

from . import log, run
from .lab import ACCESS_LOG, APP_NAME
from .load import Load
from .variants import collection_site


def served_by(lab, tag):
    """Request index -> backend address, from the proxy's access log."""
    out = lab.sh(lab.proxy, f"grep -F 'bench={tag}' {ACCESS_LOG.format(name=lab.site)} || true").stdout
    by = {}
    for line in out.splitlines():
        m = re.search(r"[?&]i=(\d+)[ &].*upstream_addr=\"([^\"]*)\"", line)
        if m:
            # the last address is the one that answered (a retried request lists each it tried)
            by[int(m.group(1))] = m.group(2).split(",")[-1].strip().split(":")[0]
    return by


def failover(lab, rate, phase_seconds, read_timeouts):
    victim = lab.apps[0]
    runs = {}
    for read_timeout in read_timeouts:
        label = f"read_timeout {read_timeout}"
        log(f"failover with {label}: {rate} req/s, victim {victim}")
        with lab.config_restored():
            lab.apply(site=collection_site(lab, read_timeout=read_timeout))
            with Load(
                lab.addresses[lab.proxy],
                lab.domain,
                rate,
                timeout=90,
                port=lab.proxy_port,
                tls_context=lab.tls_context if lab.tls else None,
            ) as load:
                phases = victim_phases(lab, victim, load, phase_seconds)
            end = load.now()
            by = served_by(lab, load.tag)
        runs[label] = analyse_failover(lab, victim, load.samples, phases, end, by)
        runs[label]["samples"] = sorted(load.samples)
    return {"rate": rate, "phase_seconds": phase_seconds, "victim": victim, "runs": runs}


def victim_phases(lab, victim, load, phase_seconds):
    """Stop, start, freeze and thaw the victim under the running load, phase_seconds each: [(phase, start)].
    Whatever happens, the victim is thawed and its app started again."""
    steps = [
        ("all up", None),
        ("app stopped", lambda: lab.pm2(victim, "stop", APP_NAME)),
        ("app back", lambda: lab.pm2(victim, "start", APP_NAME)),
        ("host frozen", lambda: run(["docker", "pause", lab.container(victim)])),
        ("host thawed", lambda: run(["docker", "unpause", lab.container(victim)])),
    ]
    phases = []
    try:
        for name, action in steps:
            if action:
                action()
            phases.append((name, load.now()))
            log(f"  phase: {name}")
            time.sleep(phase_seconds)
    finally:
        run(["docker", "unpause", lab.container(victim)], check=False)
        lab.pm2(victim, "start", APP_NAME)
        log("  waiting for the requests in flight")
    return phases


def analyse_failover(lab, victim, samples, phases, end, by):
    victim_addr = lab.addresses[victim]
    out = {"phases": []}
    bounds = [(name, start, phases[k + 1][1] if k + 1 < len(phases) else end) for k, (name, start) in enumerate(phases)]
    for name, start, stop in bounds:
        mine = [s for s in samples if start <= s[0] < stop]
        lat = sorted(s[1] for s in mine)
        failed = [s for s in mine if s[2] != 200]
        row = {
            "phase": name,
            "start": round(start, 1),
            "requests": len(mine),
            "failed": len(failed),
            "failures": sorted({str(s[2] or s[3]) for s in failed}),
            "p50_ms": round(1000 * lat[len(lat) // 2], 1) if lat else None,
            "p99_ms": round(1000 * lat[min(len(lat) - 1, int(len(lat) * 0.99))], 1) if lat else None,
            "max_ms": round(1000 * lat[-1], 1) if lat else None,
        }
        if name in ("app back", "host thawed"):
            # seconds from the recovery until the victim answers a request again
            back = [s[0] for s in mine if by.get(s[4]) == victim_addr and s[2] == 200]
            row["victim_back_after_s"] = round(min(back) - start, 1) if back else None
        out["phases"].append(row)
    out["phase_bounds"] = [(n, s, e) for n, s, e in bounds]
    return out
