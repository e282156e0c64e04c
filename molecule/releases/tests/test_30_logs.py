"""Logs rotate by default: logrotate installed, its timer on, nginx's and pm2's files in /etc/logrotate.d; a forced
rotation drops no request through the proxy and the next requests land in the new access log; pm2's rotation
keeps the app running (same pid) and pm2 writes to the new files."""

import json
import shlex
import time

from conftest import ACCESS_LOG, APP_USER, CERT_FILE, DOMAIN, PM2_NAME

NGINX_ROTATION = "/etc/logrotate.d/nginx"
PM2_ROTATION = f"/etc/logrotate.d/pm2-{APP_USER}"
TICKER = "setInterval(() => console.log(new Date().toISOString()), 200);"


def as_app_user(command):
    """`command` run by the app user, as root runs it on a host without sudo (su sets HOME to the user's)."""
    return f"su -s /bin/sh -c {shlex.quote(command)} {APP_USER}"


def pm2_logs_dir(h):
    return h.user(APP_USER).home + "/.pm2/logs"


def site_curl(h):
    """curl through this host's nginx for the site, printing the status code of each request on a line."""
    if h.file(CERT_FILE).exists:
        return f"curl -s -o /dev/null -w '%{{http_code}}\\n' -m 5 --cacert {CERT_FILE} --resolve {DOMAIN}:443:127.0.0.1 https://{DOMAIN}/"
    return f"curl -s -o /dev/null -w '%{{http_code}}\\n' -m 5 -H 'Host: {DOMAIN}' http://127.0.0.1/"


def lines(h, path):
    return int(h.check_output(f"wc -l < {shlex.quote(path)}"))


def pm2_pids(h):
    """{app name: pid} of the app user's pm2 apps."""
    return {p["name"]: p["pid"] for p in json.loads(h.check_output(as_app_user("pm2 jlist")))}


def daemon_files(h, logs):
    """The files under `logs` that the app user's pm2 daemon holds open (it writes the apps' output)."""
    pid = h.check_output(f"pgrep -u {APP_USER} -f '^PM2 v[0-9.]+: God Daemon'")
    # as the user: a container without CAP_SYS_PTRACE keeps root out of another user's /proc/<pid>/fd
    out = h.check_output(as_app_user(f"ls -l /proc/{pid}/fd") + f" | grep -o '{logs}/[^ ]*' | sort -u || true")
    return set(out.split())


def test_logrotate_runs_daily_and_hourly_with_valid_files(hosts):
    for name, h in hosts.items():
        assert h.package("logrotate").is_installed, name
        assert h.run("systemctl is-enabled logrotate.timer").stdout.strip() == "enabled", name
        assert h.run("systemctl is-active logrotate.timer").stdout.strip() == "active", name
        calendars = h.check_output("systemctl show -p TimersCalendar --value logrotate.timer")
        assert "hourly" in calendars or "*-*-* *:00:00" in calendars, (name, calendars)
        for path in (NGINX_ROTATION, PM2_ROTATION):
            res = h.run(f"logrotate --debug {path}")
            # Debian 11's logrotate also says "error: error opening state file" until its first run has written one
            errors = [line for line in res.stderr.splitlines() if "error:" in line and "state file" not in line]
            assert res.rc == 0 and not errors, (name, path, res.rc, res.stderr[-2000:])
        nginx = h.file(NGINX_ROTATION).content_string
        for directive in (
            "/var/log/nginx/*.log {",
            "daily",
            "maxsize 100M",
            "rotate 14",
            "delaycompress",
            "create 0640 www-data adm",
            "invoke-rc.d nginx rotate",
        ):
            assert directive in nginx, (name, directive)
        pm2 = h.file(PM2_ROTATION).content_string
        for directive in (f"{pm2_logs_dir(h)}/*.log {{", "maxsize 10M", "rotate 14", f"su {APP_USER} ", "reloadLogs"):
            assert directive in pm2, (name, directive)
        assert "copytruncate" not in pm2, name


def test_nginx_rotation_drops_no_request_and_reopens_the_access_log(hosts):
    count = 150
    for name, h in hosts.items():
        master = h.file("/run/nginx.pid").content_string.strip()
        before = lines(h, ACCESS_LOG)
        # requests run through the proxy while logrotate renames the logs and nginx reopens them (USR1)
        loop = f"for i in $(seq {count}); do {site_curl(h)}; done > /tmp/rotation-codes"
        script = f"({loop}) & sleep 1; logrotate -f {NGINX_ROTATION}; wait; cat /tmp/rotation-codes"
        codes = h.check_output("sh -c " + shlex.quote(script)).split()
        expected = "200"
        assert len(codes) == count and set(codes) == {expected}, (name, sorted(set(codes)), len(codes))
        assert h.file(ACCESS_LOG + ".1").exists, name
        # nothing lost: every request of the loop is in the renamed file or the new one
        assert lines(h, ACCESS_LOG + ".1") + lines(h, ACCESS_LOG) >= before + count, name
        new_file = h.file(ACCESS_LOG)
        assert (new_file.user, new_file.group, new_file.mode) == ("www-data", "adm", 0o640), name
        # the next requests go to the new file, none to the renamed one
        renamed, current = lines(h, ACCESS_LOG + ".1"), lines(h, ACCESS_LOG)
        for _ in range(5):
            assert h.check_output(site_curl(h)) == expected, name
        time.sleep(0.5)
        assert lines(h, ACCESS_LOG) >= current + 5, name
        assert lines(h, ACCESS_LOG + ".1") == renamed, name
        # USR1 only: the same master process
        assert h.file("/run/nginx.pid").content_string.strip() == master, name


def test_pm2_rotation_keeps_the_app_running_and_writes_to_new_files(hosts):
    for name, h in hosts.items():
        logs = pm2_logs_dir(h)
        out_log = f"{logs}/{PM2_NAME}-out.log"
        # the app writes nothing per request: a throwaway app prints a line every 0.2 s to show new lines land
        h.check_output(f"echo {shlex.quote(TICKER)} > /tmp/logs-ticker.js && chmod 0644 /tmp/logs-ticker.js")
        h.check_output(as_app_user("pm2 start /tmp/logs-ticker.js --name logs-ticker"))
        try:
            time.sleep(2)
            pids, daemon = pm2_pids(h), h.check_output(f"pgrep -u {APP_USER} -f '^PM2 v[0-9.]+: God Daemon'")
            h.check_output(f"logrotate -f {PM2_ROTATION}")
            time.sleep(2)
            assert pm2_pids(h) == pids, (name, "an app was restarted by the rotation")
            assert h.check_output(f"pgrep -u {APP_USER} -f '^PM2 v[0-9.]+: God Daemon'") == daemon, name
            # pm2 holds the new files open, none of the renamed ones
            held = daemon_files(h, logs)
            assert out_log in held and not any(f.endswith(".1") for f in held), (name, held)
            # no `create`: only pm2 reopening makes the new file, which then gets the lines, the renamed one none
            ticker = f"{logs}/logs-ticker-out.log"
            first, renamed = lines(h, ticker), lines(h, ticker + ".1")
            time.sleep(2)
            assert lines(h, ticker) > first, (name, "the ticker's new out log receives no lines")
            assert lines(h, ticker + ".1") == renamed, name
            assert h.file(ticker).user == APP_USER, name
        finally:
            h.run(as_app_user("pm2 delete logs-ticker"))
            h.run(f"rm -f {logs}/logs-ticker-* /tmp/logs-ticker.js")
