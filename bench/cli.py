"""The driver: `python -m bench`'s options, the parts it runs, and where their results go."""

import argparse
import contextlib
import json
import os
import signal
import time

from . import RESULTS, ROOT, log, run
from . import __doc__ as PACKAGE_DOC
from .converge import converge
from .failover import failover
from .lab import Lab
from .overhead import overhead
from .report import markdown, write_results
from .variants import lb_defaults

PARTS = ("overhead", "failover", "converge")


def interrupted(signum, frame):
    # make bench restores the proxy in `finally`: a TERM (or an INT, which a background job
    # ignores by default) must unwind like an exception
    raise KeyboardInterrupt(f"signal {signum}")


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench", description=PACKAGE_DOC.split("\n\n")[0])
    p.add_argument("--inventory", default=os.path.join(ROOT, "inventory", "lab"))
    p.add_argument(
        "--parts", default="overhead,failover,converge", help="comma-separated: overhead, failover, converge"
    )
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=int, default=5, help="wrk duration per cell")
    p.add_argument("--levels", default="16,64,256", help="wrk connection counts")
    p.add_argument("--rate", type=float, default=40, help="failover load, requests/s")
    p.add_argument("--phase-seconds", type=int, default=15)
    p.add_argument(
        "--read-timeouts",
        help="proxy_read_timeout values to run the failover with (default: the role's lb_read_timeout, then 60s)",
    )
    p.add_argument("--sizes", default="2,4,8", help="app host counts for the converge part")
    p.add_argument("--app-src", help="dumbflix_src for the converge part (default: what `make up` deployed)")
    p.add_argument("--out", default=RESULTS)
    p.add_argument(
        "--report-only", action="store_true", help="rewrite latest.md from latest.json in --out, measure nothing"
    )
    return p.parse_args(argv)


def chosen_parts(parts):
    """--parts as a list, refused whole when it names a part the bench doesn't have."""
    chosen = [x.strip() for x in parts.split(",") if x.strip()]
    unknown = set(chosen) - set(PARTS)
    if unknown:
        raise SystemExit(f"bench: unknown part(s) {sorted(unknown)}: choose from overhead, failover, converge")
    return chosen


def main(argv=None):
    args = parse_args(argv)
    if args.report_only:
        with open(os.path.join(args.out, "latest.json")) as fh:
            text = markdown(json.load(fh))
        with open(os.path.join(args.out, "latest.md"), "w") as fh:
            fh.write(text)
        print(text)
        return 0
    parts = chosen_parts(args.parts)
    for tool in ("wrk", "docker", "ansible"):
        if run(["sh", "-c", f"command -v {tool}"], check=False).returncode != 0:
            raise SystemExit(f"bench: {tool} is missing: run `make deps` (wrk is Debian's package) and `make venv`")
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    lab = Lab(args.inventory)
    with lab.app_port_opened():
        return measure(lab, args, parts)


def deployed_app_src():
    """What `make up` deployed (scripts/choose-app.sh wrote it to .cache/lab-app.json), or None."""
    with contextlib.suppress(OSError, ValueError), open(os.path.join(ROOT, ".cache", "lab-app.json")) as fh:
        return json.load(fh).get("dumbflix_src")
    return None


def measure(lab, args, parts):
    lab.check_up()
    app = lab.title()
    data = {
        "meta": {
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": f"{os.cpu_count()} cores, {os.uname().sysname} {os.uname().release}",
            "inventory": os.path.relpath(args.inventory, ROOT),
            "app": app,
            "proxy_scheme": "https" if lab.tls else "http",
        }
    }
    started = time.monotonic()
    if "overhead" in parts:
        t = time.monotonic()
        data["overhead"] = overhead(lab, args.rounds, args.seconds, [int(x) for x in args.levels.split(",")])
        log(f"overhead: {time.monotonic() - t:.0f} s")
    if "failover" in parts:
        t = time.monotonic()
        timeouts = (
            args.read_timeouts.split(",")
            if args.read_timeouts
            else list(dict.fromkeys([lb_defaults()["lb_read_timeout"], "60s"]))
        )
        data["failover"] = failover(lab, args.rate, args.phase_seconds, timeouts)
        log(f"failover: {time.monotonic() - t:.0f} s")
    if "converge" in parts:
        t = time.monotonic()
        # what `make up` deployed, unless --app-src says otherwise
        src = args.app_src if args.app_src is not None else deployed_app_src()
        src = os.path.abspath(src) if src else None
        data["meta"]["converge_app"] = src or "the public repository (dumbflix_repo)"
        data["converge"] = converge(lab, [int(x) for x in args.sizes.split(",")], src)
        log(f"converge: {time.monotonic() - t:.0f} s")
    text = write_results(data, args.out)
    print(text)
    log(f"bench: {time.monotonic() - started:.0f} s; results in {os.path.relpath(args.out, ROOT)}/latest.md")
