"""The results: latest.md (the tables and the targets, met or not) and latest.json (the figures it is
written from; `--report-only` rewrites the first from the second)."""

import json
import os

from .plots import plot


def median_range(s, unit="", digits=0):
    """A summary as 'median (min–max)', or — when nothing was measured."""
    if not s:
        return "—"
    f = f"{{:.{digits}f}}"
    return f"{f.format(s['median'])}{unit} ({f.format(s['min'])}–{f.format(s['max'])})"


def table_row(*cells):
    return "| " + " | ".join(str(c) for c in cells) + " |"


def verdict(ok):
    return "met" if ok else "**not met**"


def markdown(data):
    """latest.md's text: the tables of each part measured, and the targets table at the top."""
    lines = ["# `make bench` results", ""]
    meta = data["meta"]
    lines += [
        f"Measured {meta['date']} on {meta['machine']}, lab `{meta['inventory']}`, app: {meta['app']}.",
        "Medians over rounds, (min–max) beside them; variants run side by side in each round.",
        "",
    ]
    targets = []
    if "overhead" in data:
        o = data["overhead"]
        lines += [
            "## 1. Proxy overhead",
            "",
            f"wrk on this machine, {o['rounds']} rounds of {o['seconds']} s per cell; each request is a GET / of the app's index.html.",
            "",
        ]
        if meta.get("proxy_scheme") == "https":
            lines += [
                "The lab serves HTTPS (`dumbflix_tls`): every proxy variant, (b)–(d) and the knobs, is measured over TLS on 443",
                "(wrk keeps its connections, so one handshake each), (a) is the app's plain HTTP: (d)/(a) includes TLS's cost.",
                "",
            ]
        lines += [
            "*TIME_WAIT* is the proxy's sockets in TIME_WAIT right after the cell: connections to the backend it closed",
            "instead of keeping. They live 60 s, so a cell also counts what the cells just before it left; tens of",
            "thousands exhaust the proxy's ephemeral ports, and the bench waits them out before the next variant.",
            "",
            "| variant | connections | req/s | p50 ms | p99 ms | errors | TIME_WAIT |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for name, per in sorted(o["variants"].items()):
            for c in o["levels"]:
                cell = per[c] if c in per else per[str(c)]
                lines.append(
                    table_row(
                        name,
                        c,
                        median_range(cell["rps"]),
                        median_range(cell["p50"], digits=2),
                        median_range(cell["p99"], digits=2),
                        cell["errors"],
                        median_range(cell.get("time_wait")),
                    )
                )
        lines.append("")

        def median_rps(name, c):
            per = o["variants"][name]
            return (per[c] if c in per else per[str(c)])["rps"]["median"]

        names = sorted(o["variants"])
        a, b, c_, d = names
        lines += [
            "| ratio | " + " | ".join(f"c={c}" for c in o["levels"]) + " |",
            "| --- |" + " --- |" * len(o["levels"]),
        ]
        lines.append(
            "| (d)/(a) proxy vs direct, same backend | "
            + " | ".join(f"{median_rps(d, c) / median_rps(a, c):.2f}×" for c in o["levels"])
            + " |"
        )
        lines.append(
            "| (b)/(c) collection vs naive config | "
            + " | ".join(f"{median_rps(b, c) / median_rps(c_, c):.2f}×" for c in o["levels"])
            + " |"
        )
        lines.append("")
        ref = 64 if 64 in o["levels"] else o["levels"][0]
        targets.append(
            (
                f"(d) ≥ 0.85× direct at {ref} connections",
                f"{median_rps(d, ref) / median_rps(a, ref):.2f}×",
                median_rps(d, ref) / median_rps(a, ref) >= 0.85,
            )
        )
        targets.append(
            (
                f"(b) ≥ 1.8× the naive config at {ref} connections",
                f"{median_rps(b, ref) / median_rps(c_, ref):.2f}×",
                median_rps(b, ref) / median_rps(c_, ref) >= 1.8,
            )
        )
        lines += ["### Knobs, one at a time on (d), 64 connections", ""]
        base = o["knob_base"]["rps"]["median"]
        lines += [
            "| knob | req/s | vs (d) | p99 ms | TIME_WAIT |",
            "| --- | --- | --- | --- | --- |",
            table_row(
                "(d) as configured",
                median_range(o["knob_base"]["rps"]),
                "1.00×",
                median_range(o["knob_base"]["p99"], digits=2),
                median_range(o["knob_base"].get("time_wait")),
            ),
        ]
        for name, s in o["knobs"].items():
            lines.append(
                table_row(
                    name,
                    median_range(s["rps"]),
                    f"{s['rps']['median'] / base:.2f}×",
                    median_range(s["p99"], digits=2),
                    median_range(s.get("time_wait")),
                )
            )
        lines.append("")
    if "failover" in data:
        f = data["failover"]
        lines += [
            "## 2. Failover under load",
            "",
            f"{f['rate']} requests/s, each on a new connection, {f['phase_seconds']} s per phase; the victim is `{f['victim']}`.",
            "",
        ]
        if meta.get("proxy_scheme") == "https":
            lines += ["Over HTTPS: each request's new connection includes a TLS handshake with the proxy.", ""]
        for label, r in f["runs"].items():
            lines += [
                f"### {label}",
                "",
                "| phase | requests | failed | p50 ms | p99 ms | max ms | victim serves again after |",
                "| --- | --- | --- | --- | --- | --- | --- |",
            ]
            for p in r["phases"]:
                back = p.get("victim_back_after_s")
                back = (
                    "—"
                    if "victim_back_after_s" not in p
                    else ("never (in this phase)" if back is None else f"{back} s")
                )
                fails = f"{p['failed']}" + (f" ({', '.join(p['failures'])})" if p["failed"] else "")
                lines.append(
                    f"| {p['phase']} | {p['requests']} | {fails} | {p['p50_ms']} | {p['p99_ms']} | {p['max_ms']} | {back} |"
                )
            lines += ["", f"![latency over time, {label}]({r['plot']})", ""] if r.get("plot") else [""]
        default = f["runs"][next(iter(f["runs"]))]
        by = {p["phase"]: p for p in default["phases"]}
        targets.append(
            (
                f"0 failed requests when one backend's app stops ({next(iter(f['runs']))})",
                str(by["app stopped"]["failed"]),
                by["app stopped"]["failed"] == 0,
            )
        )
        frozen = by["host frozen"]
        targets.append(
            (
                f"frozen backend: 0 failed, p99 under 2 s ({next(iter(f['runs']))})",
                f"{frozen['failed']} failed, p99 {frozen['p99_ms']} ms",
                frozen["failed"] == 0 and frozen["p99_ms"] < 2000,
            )
        )
    if "converge" in data:
        cv = data["converge"]
        lines += [
            "## 3. Converge time and scaling",
            "",
            f"`site.yml` on a fresh lab of 1 proxy and N app hosts (cold: new containers, empty release and pm2 caches), "
            f"then again (warm). App: {meta.get('converge_app', '?')}.",
            "",
        ]
        lines += ["| app hosts | cold s | warm s | warm changed | warm / cold |", "| --- | --- | --- | --- | --- |"]
        for n, row in cv.items():
            lines.append(
                f"| {n} | {row['cold']} | {row['warm']} | {row['warm_changed']} | {row['warm'] / row['cold']:.0%} |"
            )
        lines.append("")
        ns = sorted(int(n) for n in cv)
        first = cv[ns[0]] if ns[0] in cv else cv[str(ns[0])]
        last = cv[ns[-1]] if ns[-1] in cv else cv[str(ns[-1])]
        targets.append(
            (
                "warm re-run under 35% of cold",
                f"{first['warm'] / first['cold']:.0%}",
                first["warm"] / first["cold"] < 0.35,
            )
        )
        targets.append(
            (
                f"{ns[-1]} app hosts converge in under 1.5× the time of {ns[0]}",
                f"{last['cold'] / first['cold']:.2f}×",
                last["cold"] / first["cold"] < 1.5,
            )
        )
    if targets:
        lines[5:5] = [
            "## Targets",
            "",
            "Reported, not enforced: none of these is a timed test.",
            "",
            "| target | measured | |",
            "| --- | --- | --- |",
        ]
        lines[11:11] = [f"| {t} | {m} | {verdict(ok)} |" for t, m, ok in targets] + [""]
    return "\n".join(lines) + "\n"


def write_results(data, out_dir):
    """The plots, latest.md and latest.json (without the raw samples) in out_dir; returns latest.md's text."""
    os.makedirs(out_dir, exist_ok=True)
    # first: the report links the plots it names in data
    plot(data, out_dir)
    text = markdown(data)
    with open(os.path.join(out_dir, "latest.md"), "w") as fh:
        fh.write(text)
    slim = json.loads(json.dumps(data, default=str))
    for r in slim.get("failover", {}).get("runs", {}).values():
        r.pop("samples", None)
    slim.get("overhead", {}).pop("raw", None)
    with open(os.path.join(out_dir, "latest.json"), "w") as fh:
        json.dump(slim, fh, indent=1, sort_keys=True)
    return text
