"""The driver: options, the four states in turn (each picture taken and checked), the apps started again
whatever happens, and the report written."""

import argparse
import os
import re
import shutil
import subprocess
import tempfile
import time

from . import ROOT, ProofError, alerts, log
from . import __doc__ as PACKAGE_DOC
from .browser import PAGE_TIMEOUT, capture_page, find_chromium, load_page
from .checks import page_problems
from .deployment import read_inventory, set_app_state
from .report import write_report
from .website import Site, describe_status, http_get, wait_for_status

# nginx holds backends that failed out for their fail_timeout before it tries them again
RECOVERY_TIMEOUT = 60

STATES = [
    ("all-up", "All backends up", "Every app host runs the app under pm2; the proxy balances across them.", "app"),
    (
        "one-down",
        "One backend down",
        "The app on {down} is stopped (pm2 stop); nginx passes requests on to the others and the site stays up.",
        "app",
    ),
    (
        "all-down",
        "All backends down",
        "The app is stopped on every app host; nginx answers with its 502 Bad Gateway page.",
        "502",
    ),
    ("all-back", "All backends back", "The app is started again on every app host; the site is back.", "app"),
]
# Prometheus's alerts page, taken after the state it belongs to (the a-pictures: 2a after 2, 4a after 4)
ALERT_SHOTS = {
    "one-down": (
        "2a",
        "alert-firing",
        "BackendDown firing",
        "Prometheus's alerts page {after:.0f} s after the app on {down} was stopped: BackendDown fires for host "
        "{down} (the rule waits for 30 s of failed probes).",
        "firing",
        alerts.FIRE_TIMEOUT,
    ),
    "all-back": (
        "4a",
        "alert-resolved",
        "BackendDown resolved",
        "Prometheus's alerts page {after:.0f} s after the apps were started again: BackendDown is inactive, "
        "nothing fires for {down}.",
        None,
        alerts.RESOLVE_TIMEOUT,
    ),
}


def run_timed(label, func, *args, **kwargs):
    """func(*args, **kwargs), logged with the label and how long it took."""
    started = time.monotonic()
    result = func(*args, **kwargs)
    log(f"{label} ({time.monotonic() - started:.1f} s)")
    return result


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m scripts.proof",
        description=PACKAGE_DOC.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "-i",
        "--inventory",
        default=os.path.join(ROOT, "inventory", "lab"),
        help="the deployment's inventory (default: inventory/lab)",
    )
    parser.add_argument(
        "--connect",
        metavar="HOST:PORT",
        help="where the browser reaches the proxy's port 80 (default: the lab's published "
        "port from lab_published_ports, e.g. 127.0.0.1:8080)",
    )
    parser.add_argument(
        "--connect-tls",
        metavar="HOST:PORT",
        help="where the browser reaches the proxy's port 443 when the site redirects to HTTPS "
        "(default: the lab's published port, e.g. 127.0.0.1:8443)",
    )
    parser.add_argument(
        "--prometheus",
        metavar="HOST:PORT",
        help="where this machine reaches Prometheus, for the pictures of its alerts page (default: the monitor "
        "host's published port from lab_monitoring_published_ports, e.g. 127.0.0.1:9090; none: no alert pictures)",
    )
    parser.add_argument(
        "--out",
        default=os.path.join(ROOT, ".cache", "proof"),
        help="output folder for the PNGs, index.html and proof.json (default: .cache/proof)",
    )
    args = parser.parse_args(argv)
    if not os.path.exists(args.inventory):
        parser.error(f"inventory {args.inventory} does not exist")
    for option, value, example in (
        ("--connect", args.connect, "127.0.0.1:8080 or 172.18.0.2:80"),
        ("--connect-tls", args.connect_tls, "127.0.0.1:8443 or 172.18.0.2:443"),
        ("--prometheus", args.prometheus, "127.0.0.1:9090 or 172.18.0.2:9090"),
    ):
        if value and not re.fullmatch(r"[A-Za-z0-9.-]+:[0-9]{1,5}", value):
            parser.error(f"{option} {value!r} is not HOST:PORT, e.g. {example}")
    return args


def proxy_ports(args, inv):
    """Where this machine reaches the proxy's port 80 and 443: the options, else the lab's published ports."""
    if args.connect:
        connect = args.connect
    elif inv["published"]:
        # "127.0.0.1:8080:80" -> 127.0.0.1:8080
        connect = ":".join(str(inv["published"][0]).split(":")[:2])
    else:
        raise ProofError(
            f"host {inv['proxy']} publishes no port 80 (lab_published_ports): pass --connect HOST:PORT, "
            "the address where this machine reaches the proxy's port 80"
        )
    connect_tls = args.connect_tls or (
        ":".join(inv["published_tls"][0].split(":")[:2]) if inv["published_tls"] else None
    )
    return connect, connect_tls


def prometheus_for(args, inv):
    """Prometheus for the alert pictures, or None (said why) when there is none to take them from."""
    if args.prometheus:
        return alerts.Prometheus(args.prometheus)
    if not inv["monitoring"]:
        log(f"dumbflix_monitoring is off for {inv['monitor']}: no pictures of Prometheus's alerts page")
        return None
    if not inv["prometheus"]:
        log(
            f"host {inv['monitor']} publishes no Prometheus port (lab_monitoring_published_ports): no pictures of "
            "its alerts page; pass --prometheus HOST:PORT, where this machine reaches it"
        )
        return None
    return alerts.Prometheus(inv["prometheus"])


def require_site_up(site):
    """The site answers 200, after its redirect to HTTPS if it gives one (which the site then follows)."""
    status, location = http_get(site.connect, site.domain)
    if status in (301, 308):
        site.follow_redirect(location)
        log(f"{site.start_url} redirects to {site.url}, reached through {site.connect_tls}")
        status = site.current_status()
    if status != 200:
        raise ProofError(
            f"{site.url} through {', '.join(site.allowed_connections())} gave {describe_status(status)}, not HTTP "
            "200: is the lab up? run 'make up' (or pass --connect where the proxy's port 80 is reached)"
        )


def require_apps_online(inventory, apps):
    """Every app host runs the app (app-state.yml in check mode, so nothing changes): {host: pm2 status}."""
    before = run_timed(
        "checked that every app host runs the app (app-state.yml in check mode)",
        set_app_state,
        inventory,
        "started",
        check=True,
    )
    not_online = {h: s for h, s in before.items() if s != "online"}
    if not_online or set(before) != set(apps):
        raise ProofError(
            f"the app is not online on {', '.join(sorted(not_online) or sorted(set(apps) - set(before)))} "
            f"(pm2: {', '.join(f'{h} {s}' for h, s in before.items())}); the proof starts from a "
            "deployment where every backend runs it: run 'make up' (or site.yml)"
        )
    return before


def empty_out_dir(out):
    """The output folder, without the pictures and reports of an earlier run."""
    os.makedirs(out, exist_ok=True)
    for stale in os.listdir(out):
        if stale.endswith((".png", ".html", ".json")):
            os.remove(os.path.join(out, stale))


def alert_shot(binary, prom, state, down, since, work, out, pm2):
    """After the state `state`: wait for BackendDown on host `down` to fire or resolve, take and check the
    picture of the alerts page. `since`: when the apps were stopped or started."""
    n, key, title, what, want, timeout = ALERT_SHOTS[state]
    waited = run_timed(
        f"Prometheus: BackendDown for {down} {want or 'resolved'}", alerts.wait_for_alert, prom, down, want, timeout
    )
    after = time.monotonic() - since
    t0 = time.monotonic()
    png, page, problems = alerts.capture_alerts(load_page, binary, prom, os.path.join(work, key), down, want)
    file = f"{n}-{key}.png"
    with open(os.path.join(out, file), "wb") as f:
        f.write(png)
    verdict = "passed" if not problems else "FAILED: " + "; ".join(problems)
    log(f"{n}. {title}: {page['header'] or 'no BackendDown rule'} -> {file} {verdict} ({time.monotonic() - t0:.1f} s)")
    return {
        "n": n,
        "key": key,
        "kind": "alerts",
        "title": title,
        "what": what.format(after=after, waited=waited, down=down),
        "expect": want or "resolved",
        "file": file,
        "pm2": dict(pm2),
        "page": page,
        "seconds": round(after, 1),
        "problems": problems,
    }


def take_pictures(binary, site, inventory, apps, out, pm2, prom=None):
    """Each state in turn: bring the apps to it, wait for the proxy to show it, take and check the picture (and,
    with Prometheus, its alerts page after the states of ALERT_SHOTS). Whatever happens, every app stopped here is
    started again. Returns the shots."""
    work = tempfile.mkdtemp(prefix="proof-")
    shots, stopped = [], []
    pm2 = dict(pm2)
    changed = time.monotonic()
    try:
        for n, (key, title, what, expect) in enumerate(STATES, 1):
            # a host counts as stopped before the playbook runs, so an interruption mid-way restores it too
            if key == "one-down":
                stopped.append(apps[0])
                changed = time.monotonic()
                pm2.update(run_timed(f"stopped the app on {apps[0]}", set_app_state, inventory, "stopped", [apps[0]]))
            elif key == "all-down":
                rest = [h for h in apps if h not in stopped]
                stopped += rest
                pm2.update(
                    run_timed(f"stopped the app on {', '.join(rest)}", set_app_state, inventory, "stopped", rest)
                )
                run_timed("the proxy answers 502", wait_for_status, site, 502, PAGE_TIMEOUT)
            elif key == "all-back":
                changed = time.monotonic()
                pm2.update(
                    run_timed(f"started the app on {', '.join(stopped)}", set_app_state, inventory, "started", stopped)
                )
                stopped = []
                run_timed("the proxy answers 200 again", wait_for_status, site, 200, RECOVERY_TIMEOUT)
            t0 = time.monotonic()
            png, page = capture_page(binary, site, os.path.join(work, key))
            problems = page_problems(page, expect, site)
            file = f"{n}-{key}.png"
            with open(os.path.join(out, file), "wb") as f:
                f.write(png)
            shots.append(
                {
                    "n": n,
                    "key": key,
                    "title": title,
                    "what": what.format(down=apps[0]),
                    "expect": expect,
                    "file": file,
                    "pm2": dict(pm2),
                    "page": page,
                    "problems": problems,
                }
            )
            verdict = "passed" if not problems else "FAILED: " + "; ".join(problems)
            log(
                f"{n}. {title}: HTTP {page['status']}, title {page['title']!r} -> {file} {verdict} "
                f"({time.monotonic() - t0:.1f} s)"
            )
            if prom and key in ALERT_SHOTS:
                shots.append(alert_shot(binary, prom, key, apps[0], changed, work, out, pm2))
    finally:
        if stopped:
            log(f"restoring: starting the app on {', '.join(stopped)}")
            try:
                set_app_state(inventory, "started", stopped)
            except ProofError as err:
                log(
                    f"could not start the app again on {', '.join(stopped)}: {err}; "
                    "run 'make up' (or site.yml) to restore the deployment"
                )
        shutil.rmtree(work, ignore_errors=True)
    return shots


def main(argv=None):
    args = parse_args(argv)
    started = time.monotonic()
    binary = find_chromium()
    inv = read_inventory(args.inventory)
    connect, connect_tls = proxy_ports(args, inv)
    domain, apps = inv["domain"], inv["apps"]
    if len(apps) < 2:
        raise ProofError(
            f"group 'app' of {args.inventory} has one host ({apps[0]}): the proof stops one backend "
            "and shows the site still up, which needs at least two"
        )
    site = Site(domain, connect, connect_tls)
    prom = prometheus_for(args, inv)
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    log(f"{site.start_url} through the proxy {inv['proxy']} at {connect}; app hosts {', '.join(apps)}; {version}")

    # the lab must be as make up leaves it: the site answers and every app runs
    require_site_up(site)
    before = require_apps_online(args.inventory, apps)
    if prom:
        alerts.require_rule(prom)
        # a backend started just before (an earlier proof) clears on the next scrape and evaluation
        run_timed(
            f"Prometheus at {prom.base} runs BackendDown, inactive for {apps[0]}",
            alerts.wait_for_alert,
            prom,
            apps[0],
            None,
            alerts.RESOLVE_TIMEOUT,
        )

    empty_out_dir(args.out)
    shots = take_pictures(binary, site, args.inventory, apps, args.out, before, prom)
    meta = {
        "domain": domain,
        "proxy": inv["proxy"],
        "connect": ", ".join(site.allowed_connections()),
        "browser": version,
        "url": site.url,
        "pinned": site.pin,
        "inventory": args.inventory,
        "taken": time.strftime("%Y-%m-%d %H:%M %Z"),
        "prometheus": prom.alerts_page() if prom else None,
    }
    write_report(args.out, shots, meta)
    failed = [s for s in shots if s["problems"]]
    expected = len(STATES) + (len(ALERT_SHOTS) if prom else 0)
    log(
        f"{len(shots) - len(failed)} of {expected} pictures passed their checks; "
        f"{os.path.join(args.out, 'index.html')} ({time.monotonic() - started:.0f} s in all)"
    )
    return 1 if failed or len(shots) != expected else 0
