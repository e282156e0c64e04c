"""Write pm2's view of its apps as Prometheus metrics for node exporter's textfile collector.

dumbflix-pm2-metrics.timer (dumbflix.stack's monitoring role) runs this every 15 s as root:

    dumbflix-pm2-metrics.py --user USER --pm2-home DIR --pm2 BINARY --out FILE

It asks USER's pm2 daemon for `pm2 jlist` and replaces FILE (e.g. /var/lib/prometheus/node-exporter/pm2.prom)
in one rename, so node exporter never reads half a file. Python 3 standard library only (Debian 11's 3.9 on).
"""

import argparse
import json
import os
import pwd
import subprocess
import sys
import tempfile
import time

# the timer fires every 15 s; a pm2 that has not answered in 10 counts as down
JLIST_TIMEOUT = 10

METRICS = (
    ("dumbflix_pm2_app_online", "gauge", "1 when every pm2 process of the app is online, else 0."),
    ("dumbflix_pm2_app_restarts_total", "counter", "Restarts pm2 made of the app's processes (restart_time)."),
    ("dumbflix_pm2_app_memory_bytes", "gauge", "Resident memory of the app's processes, as pm2 measures it."),
    ("dumbflix_pm2_app_uptime_seconds", "gauge", "Seconds the app's youngest process has run (0 when not online)."),
)


def jlist_argv(user, pm2_home, pm2, current_user):
    """The command that asks *user*'s pm2: through runuser unless this already runs as *user*."""
    command = ["env", "PM2_HOME=" + pm2_home, pm2, "jlist"]
    return command if user == current_user else ["runuser", "-u", user, "--"] + command


def daemon_pid(pm2_home):
    """The pid of the pm2 daemon of *pm2_home*, or None when none runs.

    `pm2 jlist` starts a daemon when there is none: asking a stopped pm2 would bring up an empty one as the app
    user beside its systemd unit, and report an app that is gone as "no apps" instead of "pm2 is down".
    """
    try:
        with open(os.path.join(pm2_home, "pm2.pid")) as handle:
            pid = int(handle.read().strip())
        os.kill(pid, 0)
    except PermissionError:
        return pid
    except (OSError, ValueError):
        return None
    return pid


def parse_jlist(output):
    """The process list `pm2 jlist` printed; a banner or warning may come before the JSON line."""
    text = (output or "").strip()
    for candidate in [text] + [line.strip() for line in reversed(text.splitlines()) if line.strip().startswith("[")]:
        try:
            data = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(data, list) and all(isinstance(item, dict) for item in data):
            return data
    raise ValueError("pm2 jlist did not print a JSON process list: %r" % text[-500:])


def _number(value):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0 else 0


def app_values(processes, now):
    """{app name: {metric: value}}; an app with several processes (cluster mode) is one app."""
    apps = {}
    for proc in processes:
        name = proc.get("name")
        if not isinstance(name, str):
            continue
        pm2_env = proc.get("pm2_env") if isinstance(proc.get("pm2_env"), dict) else {}
        monit = proc.get("monit") if isinstance(proc.get("monit"), dict) else {}
        online = pm2_env.get("status") == "online"
        started = _number(pm2_env.get("pm_uptime")) / 1000.0
        uptime = round(max(0.0, now - started), 3) if online and started else 0.0
        values = apps.setdefault(name, {"online": 1, "restarts": 0, "memory": 0, "uptime": None})
        values["online"] = values["online"] if online else 0
        values["restarts"] += _number(pm2_env.get("restart_time"))
        values["memory"] += _number(monit.get("memory"))
        values["uptime"] = uptime if values["uptime"] is None else min(values["uptime"], uptime)
    return apps


def escape_label(value):
    """A label value as the text exposition format writes it between double quotes."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _format(value):
    return repr(float(value)) if isinstance(value, float) and not value.is_integer() else "%d" % value


def render(processes, now):
    """The metrics file: dumbflix_pm2_up, then the app metrics (none when *processes* is None: pm2 is down)."""
    lines = [
        "# HELP dumbflix_pm2_up 1 when pm2 answered pm2 jlist, else 0.",
        "# TYPE dumbflix_pm2_up gauge",
        "dumbflix_pm2_up %d" % (processes is not None),
    ]
    apps = app_values(processes or [], now)
    keys = ("online", "restarts", "memory", "uptime")
    for (metric, kind, text), key in zip(METRICS, keys):
        if not apps:
            break
        lines += ["# HELP %s %s" % (metric, text), "# TYPE %s %s" % (metric, kind)]
        for name in sorted(apps):
            lines.append('%s{app="%s"} %s' % (metric, escape_label(name), _format(apps[name][key])))
    return "\n".join(lines) + "\n"


def write_atomically(path, text):
    """Replace *path* with *text* (mode 0644) by a rename from the same directory."""
    directory, base = os.path.split(os.path.abspath(path))
    # a dot name without .prom: node exporter only reads *.prom, so it never sees the file being written
    fd, temp = tempfile.mkstemp(prefix="." + base + ".", dir=directory)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            os.fchmod(handle.fileno(), 0o644)
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise


def read_processes(args):
    """pm2's process list, or None (with the reason on stderr) when pm2 does not answer."""
    if daemon_pid(args.pm2_home) is None:
        print("no pm2 daemon runs for %s (no live pid in its pm2.pid)" % args.pm2_home, file=sys.stderr)
        return None
    current_user = pwd.getpwuid(os.geteuid()).pw_name
    argv = jlist_argv(args.user, args.pm2_home, args.pm2, current_user)
    try:
        proc = subprocess.run(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            universal_newlines=True,
            timeout=JLIST_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        print("%s: %s" % (" ".join(argv), exc), file=sys.stderr)
        return None
    if proc.returncode != 0:
        print("%s exited with %d: %s" % (" ".join(argv), proc.returncode, proc.stderr.strip()[-500:]), file=sys.stderr)
        return None
    try:
        return parse_jlist(proc.stdout)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return None


def main(argv=None):
    parser = argparse.ArgumentParser(description="Write pm2's apps as Prometheus metrics (node exporter textfile).")
    parser.add_argument("--user", required=True, help="the user whose pm2 daemon runs the apps")
    parser.add_argument("--pm2-home", required=True, help="that daemon's PM2_HOME (e.g. /home/USER/.pm2)")
    parser.add_argument("--pm2", required=True, help="the pm2 executable")
    parser.add_argument("--out", required=True, help="the .prom file to replace")
    args = parser.parse_args(argv)
    # pm2 being down is a metric (dumbflix_pm2_up 0), not a failure; only a file not written is
    text = render(read_processes(args), time.time())
    try:
        write_atomically(args.out, text)
    except OSError as exc:
        print("cannot write %s: %s" % (args.out, exc), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
