"""What the molecule scenarios check on a converged topology, shared by their verify steps.

The scenarios reach their hosts differently (docker as root, SSH as deploy with sudo) and send their
requests differently (HTTP to the proxy's 127.0.0.1, HTTPS with the site's certificate), so each conftest
binds these to its hosts; the checks themselves (weighted balancing, one backend down, all down) are written once here.
"""

import json
import re
import time
import uuid

UPSTREAM_ADDR = re.compile(r'upstream_addr="([^"]*)"')


def recap(output):
    """{host: {ok: N, changed: N, ...}} from the PLAY RECAP of an ansible-playbook run."""
    hosts = {}
    for line in output[output.rindex("PLAY RECAP") :].splitlines()[1:]:
        match = re.match(r"(\S+)\s+:\s+(.*)", line)
        if not match:
            break
        hosts[match.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(2))}
    return hosts


def changed_tasks(output):
    """{(host, task or handler name)} of every result an ansible-playbook run printed as changed."""
    found, current = set(), None
    for line in output.splitlines():
        header = re.match(r"(?:TASK|RUNNING HANDLER) \[(.*)\] \*+$", line)
        if header:
            current = header.group(1)
            continue
        result = re.match(r"changed: \[([^\]]+)\]", line)
        if result:
            found.add((result.group(1).split(" -> ")[0], current))
    return found


def pm2_statuses(jlist_output):
    """{app name: status} from what `pm2 jlist` printed (a banner may come before the JSON)."""
    procs = json.loads(jlist_output[jlist_output.index("[") :])
    return {p["name"]: p["pm2_env"]["status"] for p in procs}


class Pm2AsUser:
    """pm2 run as the app's user on a scenario's app hosts; ``as_user(argv)`` is the shell command that gets
    there (su as root, sudo as a deploy user)."""

    def __init__(self, as_user):
        self.as_user = as_user

    def run(self, app_host, *args):
        return app_host.run(self.as_user(("pm2", *args)))

    def statuses(self, app_host):
        """{app name: status} on ``app_host``."""
        return pm2_statuses(self.run(app_host, "jlist").stdout)

    def app(self, app_host, name):
        """The app ``name`` under pm2 on ``app_host``, for the checks below."""
        return Pm2App(lambda *args: self.run(app_host, *args), name)


class Pm2App:
    """One app under pm2 on one app host: `run(*args)` runs pm2 there as the app's user (the scenarios get there
    differently) and returns testinfra's result."""

    def __init__(self, run, name):
        self.run, self.name = run, name

    def stop(self):
        return self.run("stop", self.name).rc == 0

    def start(self):
        return self.run("start", self.name).rc == 0

    def status(self):
        return pm2_statuses(self.run("jlist").stdout)[self.name]


def request_many(h, count, url, curl_options="", timeout=5):
    """Send `count` requests with curl on host `h` to `url`; return (status codes, probe id).

    The probe id is a query string that finds exactly these requests in the access log."""
    probe = uuid.uuid4().hex
    script = (
        f"for i in $(seq {count}); do "
        f"curl -s -o /dev/null -m {timeout} -w '%{{http_code}}\\n' {curl_options} "
        f"'{url}?probe={probe}&i='$i; done"
    )
    return h.check_output(script).split(), probe


def upstreams_for(h, probe, count, access_log, sudo=""):
    """The $upstream_addr of each of the `count` logged requests carrying this probe id.

    Fails unless exactly `count` lines are found, so a caller's assertion over the addresses can never
    pass on an empty (or short) log read."""
    lines = []
    # nginx writes the log line when the request ends; give it a moment
    for _ in range(30):
        lines = h.run(f"{sudo}grep -F 'probe={probe}' {access_log}").stdout.splitlines()
        if len(lines) >= count:
            break
        time.sleep(0.1)
    assert len(lines) == count, f"{len(lines)} access log lines for probe {probe}, expected {count}"
    return [UPSTREAM_ADDR.search(line).group(1) for line in lines]


def wait_for_200(send, seconds):
    """Whether one request sent with send(1) answers 200 within `seconds`."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        codes, _ = send(1)
        if codes == ["200"]:
            return True
        time.sleep(1)
    return False


def check_one_app_stopped(send, logged, app, survivor):
    """One backend down: with `app`'s app stopped under pm2, 50 requests all answer 200, every one from `survivor`
    (an address:port of the upstream). `app` has stop(), start() and status() (its pm2 status)."""
    assert app.stop()
    try:
        assert app.status() == "stopped"
        codes, probe = send(50)
        assert codes == ["200"] * 50
        assert all(u.split(", ")[-1] == survivor for u in logged(probe, 50))
    finally:
        assert app.start()


def check_all_apps_stopped(send, apps):
    """All backends down: every app stopped, the site answers 502 within 5 s; started again, 200 once nginx tries the
    servers again (after fail_timeout, 10 s)."""
    for app in apps:
        assert app.stop()
    try:
        started = time.time()
        codes, _ = send(1)
        assert codes == ["502"]
        assert time.time() - started < 5
    finally:
        for app in apps:
            assert app.start()
    assert wait_for_200(send, 30)


def check_shared_by_weight(send, logged, heavy, light, count=40):
    """Weighted balancing: `count` requests all 200, served by both backends about 3:1 (weights 3 and 1: heavy gets
    24-34 of 40; each nginx worker balances on its own)."""
    codes, probe = send(count)
    assert codes == ["200"] * count
    served = {}
    for address in logged(probe, count):
        served[address] = served.get(address, 0) + 1
    assert set(served) == {heavy, light}, served
    assert 24 <= served[heavy] <= 34, served


def check_rolled_out_one_host_at_a_time(site_output, first, second):
    """What site.yml printed for a rolling deploy over two app hosts: `first` taken out of rotation before its
    switch, then `second`, never both out at once."""
    one = site_output.index(f"Write the upstream of every app host, with {first} down")
    two = site_output.index(f"Write the upstream of every app host, with {second} down")
    assert one < site_output.index("Point current at release", one) < two
    assert f"with {first}, {second} down" not in site_output
