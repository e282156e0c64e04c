#!/usr/bin/env python3
"""`make bench`: how well the proxy does its job, measured on the running lab.

1. overhead  requests/s and p50/p99 latency with wrk, side by side, several rounds:
             (a) one backend directly, (b) the proxy as the collection configures it,
             (c) the task's naive config, (d) the collection's config with that one backend
             only, then the knobs the collection exposes, one at a time, on (d).
2. failover  a constant request rate through the proxy while one backend's app stops,
             comes back, freezes (docker pause: no RST, only silence) and thaws; per phase
             the requests, failures, p50/p99/max latency and how long a recovered backend
             waits for traffic.
3. converge  cold and warm site.yml on fresh labs of 2, 4 and 8 app hosts.

With TLS on in the lab (dumbflix_tls), the converged site answers HTTP with a redirect, so every
proxy variant is measured over HTTPS on 443 with the converged certificate: (c), (d) and the knobs
get the same TLS settings, and (a) stays the app's plain HTTP, so (d)/(a) includes TLS's cost.

Every configuration is applied through the collection's own modules
(dumbflix.stack.nginx_upstream / nginx_reverse_proxy) and nginx -t; the proxy's files are
restored byte for byte at the end, whatever happens. These machines are shared and
noisy: every figure is a median over rounds with its min-max, and what matters is the
ratio of figures measured side by side, never a lone absolute time.

The app hosts' firewall lets only the proxies reach the app port; for its run the bench opens
it to this machine through the collection's nftables_allowlist module (variant (a) reaches the
backends directly) and puts the rules back exactly at the end, whatever happens.

Writes bench/results/latest.md (+ latest.json and PNG plots) and prints the table.
Traffic goes only to the lab's own containers.
"""

import argparse
import contextlib
import functools
import http.client
import json
import os
import re
import shlex
import signal
import ssl
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# load.py beside this file: the request generator the rolling-deploy tests share
sys.path.insert(0, os.path.join(ROOT, "bench"))
from load import Load  # noqa: E402  pylint: disable=wrong-import-position

RESULTS = os.path.join(ROOT, "bench", "results")
UPSTREAM_FILE = "/etc/nginx/conf.d/upstream-{name}.conf"
SITE_FILE = "/etc/nginx/sites-available/{name}"
ACCESS_LOG = "/var/log/nginx/{name}.access.log"
APP_NAME = "dumbflix-frontend"
APP_USER = "dumbflix"


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run(argv, check=True, **kw):
    res = subprocess.run(argv, capture_output=True, text=True, **kw)
    if check and res.returncode != 0:
        raise SystemExit(
            f"bench: {' '.join(shlex.quote(a) for a in argv)} failed ({res.returncode}):\n{res.stdout}{res.stderr}"
        )
    return res


# --------------------------------------------------------------------------- the lab


class Lab:
    """The running lab, read from its inventory: containers, addresses, the proxy's settings."""

    def __init__(self, inventory):
        self.inventory = inventory
        inv = json.loads(run(["ansible-inventory", "-i", inventory, "--list"]).stdout)
        hostvars = inv.get("_meta", {}).get("hostvars", {})
        self.proxies = inv.get("proxy", {}).get("hosts", [])
        self.apps = inv.get("app", {}).get("hosts", [])
        if not self.proxies or len(self.apps) < 2:
            raise SystemExit(f"bench: {inventory} needs a proxy and at least two app hosts")
        self.proxy = self.proxies[0]
        pv = hostvars.get(self.proxy, {})
        self.lab_name = pv.get("lab_name", "dumbflix-lab")
        self.domain = pv.get("dumbflix_domain", "alvin.xyz")
        self.upstream = pv.get("lb_upstream_name", "dumbflix")
        self.site = pv.get("lb_site_name", "dumbflix")
        self.port = int(pv.get("dumbflix_port", 3000))
        self.addresses = {h: self.address(h) for h in [self.proxy] + self.apps}
        self.backend_params = {h: hostvars.get(h, {}).get("lb_backend", {}) for h in self.apps}
        # a bare `off` in YAML is false
        self.dumbflix_tls = pv.get("dumbflix_tls") or "off"
        self.tls = self.converged_tls()
        firewall = {k: hostvars.get(self.apps[0], {}).get(k) for k in ("firewall_table", "firewall_rules_file")}
        self.firewall_table = firewall["firewall_table"] or "dumbflix"
        self.firewall_file = firewall["firewall_rules_file"] or f"/etc/nftables.d/{self.firewall_table}.nft"

    def converged_tls(self):
        """The certificate and key of the converged site, or None when it serves plain HTTP."""
        text = self.sh(self.proxy, f"cat {SITE_FILE.format(name=self.site)}", check=False).stdout
        found = dict(re.findall(r"^\s*(ssl_certificate|ssl_certificate_key)\s+(\S+);", text, re.M))
        if "ssl_certificate" not in found:
            return None
        return {"tls_certificate": found["ssl_certificate"], "tls_certificate_key": found["ssl_certificate_key"]}

    @property
    def proxy_port(self):
        return 443 if self.tls else 80

    def connection(self, address, port, timeout, tls=False):
        if not tls:
            return http.client.HTTPConnection(address, port, timeout=timeout)
        return http.client.HTTPSConnection(address, port, timeout=timeout, context=self.tls_context)

    @functools.cached_property
    def tls_context(self):
        """One client context for every request: making one per request (loading the CA store each time) costs
        the load generator more CPU than the proxy's handshake. The lab's certificate is self-signed and the bench
        speaks to an address, so nothing is verified: what is measured is the proxy's work."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        return context

    def container(self, host):
        return f"{self.lab_name}-{host}"

    def address(self, host):
        res = run(
            [
                "docker",
                "inspect",
                "-f",
                "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}",
                self.container(host),
            ],
            check=False,
        )
        if res.returncode != 0 or not res.stdout.split():
            raise SystemExit(f"bench: the lab isn't up ({self.container(host)} is missing): run `make up` first")
        return res.stdout.split()[0]

    def sh(self, host, script, check=True):
        return run(["docker", "exec", self.container(host), "sh", "-c", script], check=check)

    def pm2(self, host, *args):
        return self.sh(host, f"su -s /bin/sh -c {shlex.quote('pm2 ' + ' '.join(args))} {APP_USER}")

    def module(self, name, args, host=None):
        """Run one of the collection's modules on the proxy (or on `host`), as the roles do."""
        res = run(
            [
                "ansible",
                host or self.proxy,
                "-i",
                self.inventory,
                "-m",
                f"dumbflix.stack.{name}",
                "-a",
                json.dumps(args),
            ],
            check=False,
        )
        if res.returncode != 0:
            raise SystemExit(f"bench: dumbflix.stack.{name} refused {args}:\n{res.stdout}{res.stderr}")

    def settle(self, most=5000, wait=90):
        """Wait until the proxy's TIME_WAIT sockets drain. Without keep-alive every request
        leaves one, and tens of thousands of them exhaust the ephemeral ports towards the
        backend, which would slow whatever runs next."""
        t = time.monotonic()
        while time.monotonic() - t < wait:
            tw = self.time_wait()
            if tw <= most:
                return
            time.sleep(2)
        log(f"  still {tw} sockets in TIME_WAIT on the proxy after {wait} s")

    def time_wait(self):
        m = re.search(r"\btw (\d+)", self.sh(self.proxy, "cat /proc/net/sockstat").stdout)
        return int(m.group(1)) if m else 0

    def reload_nginx(self):
        self.sh(self.proxy, "nginx -t -q && nginx -s reload")
        # the old workers finish their requests; give the new ones a moment
        time.sleep(1.5)

    def proxy_url(self, path="/"):
        return f"{'https' if self.tls else 'http'}://{self.addresses[self.proxy]}{path}"

    def get(self, host_addr, port, path="/", timeout=5, tls=False):
        """One GET with the site's Host header: (status, body), or (None, "") when nothing answers."""
        conn = self.connection(host_addr, port, timeout, tls)
        try:
            conn.request("GET", path, headers={"Host": self.domain})
            resp = conn.getresponse()
            return resp.status, resp.read().decode("utf-8", "replace")
        except OSError:
            return None, ""
        finally:
            conn.close()

    def title(self):
        """What the proxy serves, by the page's <title> (the real app's names its author)."""
        m = re.search(
            r"<title>([^<]*)</title>", self.get(self.addresses[self.proxy], self.proxy_port, tls=bool(self.tls))[1]
        )
        return f"the page titled {m.group(1)!r}" if m else "a page without a title"

    def check_up(self):
        code = self.get(self.addresses[self.proxy], self.proxy_port, tls=bool(self.tls))[0]
        if code != 200:
            raise SystemExit(
                f"bench: the lab's proxy answers {code} for {self.proxy_url()} (Host {self.domain}): "
                "run `make up` first"
            )
        for h in self.apps:
            if self.get(self.addresses[h], self.port)[0] != 200:
                raise SystemExit(f"bench: app host {h} does not answer on port {self.port}: run `make up` first")

    def saved_files(self):
        return [UPSTREAM_FILE.format(name=self.upstream), SITE_FILE.format(name=self.site)]

    def apply(self, upstream=None, site=None):
        """The converged files, then the given module arguments over them, then a reload."""
        self.sh(
            self.proxy, " && ".join(f"cp -a /root/.bench-saved/{os.path.basename(f)} {f}" for f in self.saved_files())
        )
        if upstream:
            self.module("nginx_upstream", upstream)
        if site:
            self.module("nginx_reverse_proxy", site)
        self.reload_nginx()

    @contextlib.contextmanager
    def config_restored(self):
        """Keep the proxy's two files; put them back byte for byte and reload, whatever happens."""
        files = self.saved_files()
        self.sh(
            self.proxy, "mkdir -p /root/.bench-saved && " + " && ".join(f"cp -a {f} /root/.bench-saved/" for f in files)
        )
        before = self.sh(self.proxy, "md5sum " + " ".join(files)).stdout
        try:
            yield
        finally:
            self.sh(self.proxy, " && ".join(f"cp -a /root/.bench-saved/{os.path.basename(f)} {f}" for f in files))
            self.reload_nginx()
            after = self.sh(self.proxy, "md5sum " + " ".join(files)).stdout
            self.sh(self.proxy, "rm -rf /root/.bench-saved")
            if after != before:
                raise SystemExit("bench: could not restore the proxy's configuration")
            log("proxy configuration restored")

    @contextlib.contextmanager
    def app_port_opened(self):
        """The app hosts' firewall (role dumbflix.stack.firewall) lets only the proxies reach the app
        port, but check_up() and variant (a) reach it from this machine. For the bench's run, this
        machine's address joins the proxies' through the collection's module; afterwards the
        converged rules file is put back and loaded, so file and table are exactly as they were
        (compared), whatever happens."""
        table, path = self.firewall_table, self.firewall_file
        guarded = [h for h in self.apps if self.sh(h, f"nft list table inet {table}", check=False).returncode == 0]
        if not guarded:
            yield
            return
        # the address the app hosts see this machine's connections come from
        me = re.search(r"\bsrc (\S+)", run(["ip", "-o", "route", "get", self.addresses[self.apps[0]]]).stdout).group(1)
        proxies = [self.address(h) for h in self.proxies]
        state = f"md5sum < {path}; nft list table inet {table} | md5sum"
        before = {}
        try:
            for h in guarded:
                self.sh(h, f"cp -a {path} /root/.bench-saved-firewall.nft")
                before[h] = self.sh(h, state).stdout
                self.module(
                    "nftables_allowlist",
                    {
                        "table": table,
                        "path": path,
                        "rules": [{"protocol": "tcp", "ports": [self.port], "sources": proxies + [me]}],
                    },
                    host=h,
                )
            log(f"app port {self.port} opened to this machine ({me}) on {', '.join(guarded)}")
            yield
        finally:
            for h in before:
                self.sh(
                    h,
                    f"cp -a /root/.bench-saved-firewall.nft {path} && nft -f {path} && rm /root/.bench-saved-firewall.nft",
                )
                if self.sh(h, state).stdout != before[h]:
                    raise SystemExit(f"bench: could not restore the firewall rules of {h}")
            if before:
                log("app hosts' firewall rules restored")

    def servers(self, hosts):
        return [
            dict({"address": self.addresses[h], "port": self.port}, **self.backend_params.get(h, {})) for h in hosts
        ]


# --------------------------------------------------------------------------- 1. proxy overhead


@functools.lru_cache(maxsize=None)
def lb_defaults():
    """The load_balancer role's defaults, read from the role so the bench never drifts from them."""
    import yaml  # PyYAML comes with Ansible

    with open(os.path.join(ROOT, "roles", "load_balancer", "defaults", "main.yml")) as fh:
        return yaml.safe_load(fh)


# The collection's defaults, as a converge writes them; variants change one thing.
def collection_upstream(lab, hosts, **over):
    d = lb_defaults()
    args = {
        "name": lab.upstream,
        "servers": lab.servers(hosts),
        "keepalive": d["lb_keepalive"],
        "zone_size": d["lb_zone_size"],
    }
    args.update(over)
    return args


def collection_site(lab, **over):
    d = lb_defaults()
    args = {
        "name": lab.site,
        "server_names": [lab.domain],
        "upstream": lab.upstream,
        "connect_timeout": d["lb_connect_timeout"],
        "read_timeout": d["lb_read_timeout"],
        "enabled": "sites",
    }
    if lab.tls:
        args.update(lab.tls, http2=d["lb_http2"])
    args.update(over)
    return args


def naive_variant(lab):
    """What the task writes by hand: a plain upstream and proxy_pass, nginx's default timeouts,
    no keep-alive to the backends, no shared zone."""
    return (
        {"name": lab.upstream, "servers": lab.servers(lab.apps), "keepalive": 0, "zone_size": "0"},
        {
            "name": lab.site,
            "server_names": [lab.domain],
            "upstream": lab.upstream,
            "connect_timeout": "60s",
            "read_timeout": "60s",
            "websocket": False,
            "security_headers": False,
            "enabled": "sites",
            # the task's config has no TLS; with the lab on HTTPS it gets the certificate and nothing else
            **(lab.tls or {}),
        },
    )


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


def summary(samples, key):
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
                c: {k: summary(s, k) for k in ("rps", "p50", "p99", "time_wait")}
                | {"errors": sum(x["errors"] for x in s)}
                for c, s in v.items()
            }
            for n, v in results.items()
        },
        "raw": results,
        "knob_base": {k: summary(knob_base, k) for k in ("rps", "p99", "time_wait")},
        "knobs": {n: {k: summary(s, k) for k in ("rps", "p99", "time_wait")} for n, s in knob_results.items()},
    }


# --------------------------------------------------------------------------- 2. failover under load


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
                phases = []

                def phase(name, action=None):
                    if action:
                        action()
                    phases.append((name, load.now()))
                    log(f"  phase: {name}")
                    time.sleep(phase_seconds)

                try:
                    phase("all up")
                    phase("app stopped", lambda: lab.pm2(victim, "stop", APP_NAME))
                    phase("app back", lambda: lab.pm2(victim, "start", APP_NAME))
                    phase("host frozen", lambda: run(["docker", "pause", lab.container(victim)]))
                    phase("host thawed", lambda: run(["docker", "unpause", lab.container(victim)]))
                finally:
                    run(["docker", "unpause", lab.container(victim)], check=False)
                    lab.pm2(victim, "start", APP_NAME)
                    log("  waiting for the requests in flight")
            end = load.now()
            by = served_by(lab, load.tag)
        runs[label] = analyse_failover(lab, victim, load.samples, phases, end, by)
        runs[label]["samples"] = sorted(load.samples)
    return {"rate": rate, "phase_seconds": phase_seconds, "victim": victim, "runs": runs}


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


# --------------------------------------------------------------------------- 3. converge time and scaling


def converge(lab, sizes, app_src):
    """Cold and warm site.yml on a fresh lab of N app hosts (its own containers and network)."""
    import yaml  # from the venv (PyYAML comes with Ansible)

    out = {}
    base = os.path.join(ROOT, ".cache", "bench-converge")
    for n in sizes:
        inv = os.path.join(base, f"apps{n}")
        # outside the inventory directory: Ansible would read every file in it as inventory
        caches = os.path.join(base, f"apps{n}-caches")
        os.makedirs(os.path.join(inv, "group_vars", "all"), exist_ok=True)
        name = f"dumbflix-bench{n}"
        hosts = {
            "all": {
                "children": {
                    # plain container names: a templated ansible_host breaks delegation
                    # (inventory/lab/lab-containers.yml says why)
                    "proxy": {"hosts": {"proxy1": {"ansible_host": f"{name}-proxy1"}}},
                    "app": {"hosts": {f"app{i}": {"ansible_host": f"{name}-app{i}"} for i in range(1, n + 1)}},
                }
            }
        }
        with open(os.path.join(inv, "hosts.yml"), "w") as fh:
            yaml.safe_dump(hosts, fh)
        with open(os.path.join(inv, "group_vars", "all", "lab.yml"), "w") as fh:
            yaml.safe_dump(
                {
                    "lab_name": name,
                    "lab_image": "dumbflix-lab-base:trixie",
                    "lab_published_ports": [],
                    "ansible_connection": "community.docker.docker",
                    "ansible_user": "root",
                    "dumbflix_domain": lab.domain,
                    # as the lab converges: a certificate made on the proxy is part of a cold run
                    "dumbflix_tls": lab.dumbflix_tls,
                    # a cold run means no cached release or pm2 either
                    "dumbflix_release_cache": os.path.join(caches, "releases"),
                    "pm2_cache": os.path.join(caches, "pm2"),
                }
                # no source given: the role's default, the public repository
                | ({"dumbflix_src": app_src} if app_src else {}),
                fh,
            )
        lab_pb = os.path.join(ROOT, "playbooks", "lab.yml")
        site = os.path.join(ROOT, "playbooks", "site.yml")
        row = {}
        try:
            run(["ansible-playbook", lab_pb, "-i", inv, "-e", "lab_state=absent"], check=False)
            run(["rm", "-rf", caches])
            run(["ansible-playbook", lab_pb, "-i", inv])
            for kind in ("cold", "warm"):
                t = time.monotonic()
                res = run(["ansible-playbook", site, "-i", inv], check=False)
                row[kind] = round(time.monotonic() - t, 1)
                changed = sum(int(x) for x in re.findall(r"changed=(\d+)", res.stdout))
                row[f"{kind}_changed"] = changed
                if res.returncode != 0:
                    raise SystemExit(f"bench: site.yml failed on {n} app hosts:\n{res.stdout[-3000:]}")
                log(f"converge {n} app hosts {kind}: {row[kind]} s (changed={changed})")
        finally:
            run(["ansible-playbook", lab_pb, "-i", inv, "-e", "lab_state=absent"], check=False)
        out[n] = row
    return out


# --------------------------------------------------------------------------- report


def fmt(s, unit="", digits=0):
    if not s:
        return "—"
    f = f"{{:.{digits}f}}"
    return f"{f.format(s['median'])}{unit} ({f.format(s['min'])}–{f.format(s['max'])})"


def verdict(ok):
    return "met" if ok else "**not met**"


def report(data):
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
                    f"| {name} | {c} | {fmt(cell['rps'])} | {fmt(cell['p50'], digits=2)} | {fmt(cell['p99'], digits=2)} | {cell['errors']} "
                    f"| {fmt(cell.get('time_wait'))} |"
                )
        lines.append("")

        def med(name, c):
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
            + " | ".join(f"{med(d, c) / med(a, c):.2f}×" for c in o["levels"])
            + " |"
        )
        lines.append(
            "| (b)/(c) collection vs naive config | "
            + " | ".join(f"{med(b, c) / med(c_, c):.2f}×" for c in o["levels"])
            + " |"
        )
        lines.append("")
        ref = 64 if 64 in o["levels"] else o["levels"][0]
        targets.append(
            (
                f"(d) ≥ 0.85× direct at {ref} connections",
                f"{med(d, ref) / med(a, ref):.2f}×",
                med(d, ref) / med(a, ref) >= 0.85,
            )
        )
        targets.append(
            (
                f"(b) ≥ 1.8× the naive config at {ref} connections",
                f"{med(b, ref) / med(c_, ref):.2f}×",
                med(b, ref) / med(c_, ref) >= 1.8,
            )
        )
        lines += ["### Knobs, one at a time on (d), 64 connections", ""]
        base = o["knob_base"]["rps"]["median"]
        lines += [
            "| knob | req/s | vs (d) | p99 ms | TIME_WAIT |",
            "| --- | --- | --- | --- | --- |",
            f"| (d) as configured | {fmt(o['knob_base']['rps'])} | 1.00× | {fmt(o['knob_base']['p99'], digits=2)} | {fmt(o['knob_base'].get('time_wait'))} |",
        ]
        for name, s in o["knobs"].items():
            lines.append(
                f"| {name} | {fmt(s['rps'])} | {s['rps']['median'] / base:.2f}× | {fmt(s['p99'], digits=2)} | {fmt(s.get('time_wait'))} |"
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


def plot(data, out_dir):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib is missing: no plots (make venv installs it)")
        return
    for k, (label, r) in enumerate(data.get("failover", {}).get("runs", {}).items()):
        samples = r["samples"]
        fig, ax = plt.subplots(figsize=(10, 4))
        ok = [(s[0], s[1] * 1000) for s in samples if s[2] == 200]
        bad = [(s[0], s[1] * 1000) for s in samples if s[2] != 200]
        ax.scatter([x for x, _ in ok], [y for _, y in ok], s=4, label="200")
        if bad:
            ax.scatter([x for x, _ in bad], [y for _, y in bad], s=12, c="red", label="failed")
        for j, (name, start, stop) in enumerate(r["phase_bounds"]):
            ax.axvspan(start, stop, alpha=0.08 if j % 2 else 0.0, color="grey")
            ax.text(start + 0.3, 0.98, name, transform=ax.get_xaxis_transform(), va="top", fontsize=8)
        ax.set_yscale("log")
        ax.set_xlabel("seconds (by when the request was sent)")
        ax.set_ylabel("latency ms (log)")
        ax.set_title(f"Failover under load, {label}")
        ax.legend(loc="lower right")
        name = f"failover-{k + 1}.png"
        fig.tight_layout()
        fig.savefig(os.path.join(out_dir, name), dpi=90)
        plt.close(fig)
        r["plot"] = name
    o = data.get("overhead")
    if o:
        fig, ax = plt.subplots(figsize=(8, 4))
        width = 0.8 / len(o["variants"])
        for j, (name, per) in enumerate(sorted(o["variants"].items())):
            xs = [i + j * width for i in range(len(o["levels"]))]
            ys = [(per[c] if c in per else per[str(c)])["rps"]["median"] for c in o["levels"]]
            ax.bar(xs, ys, width, label=name)
        ax.set_xticks([i + 0.4 - width / 2 for i in range(len(o["levels"]))])
        ax.set_xticklabels([f"{c} connections" for c in o["levels"]])
        ax.set_ylabel("requests/s (median)")
        ax.set_title("Proxy overhead")
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(os.path.join(out_dir, "overhead.png"), dpi=90)
        plt.close(fig)


def interrupted(signum, frame):
    # make bench restores the proxy in `finally`: a TERM (or an INT, which a background job
    # ignores by default) must unwind like an exception
    raise KeyboardInterrupt(f"signal {signum}")


def main():
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
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
    args = p.parse_args()
    if args.report_only:
        with open(os.path.join(args.out, "latest.json")) as fh:
            text = report(json.load(fh))
        with open(os.path.join(args.out, "latest.md"), "w") as fh:
            fh.write(text)
        print(text)
        return 0
    parts = [x.strip() for x in args.parts.split(",") if x.strip()]
    unknown = set(parts) - {"overhead", "failover", "converge"}
    if unknown:
        raise SystemExit(f"bench: unknown part(s) {sorted(unknown)}: choose from overhead, failover, converge")
    for tool in ("wrk", "docker", "ansible"):
        if run(["sh", "-c", f"command -v {tool}"], check=False).returncode != 0:
            raise SystemExit(f"bench: {tool} is missing: run `make deps` (wrk is Debian's package) and `make venv`")
    lab = Lab(args.inventory)
    with lab.app_port_opened():
        return measure(lab, args, parts)


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
        # what `make up` deployed (scripts/choose-app.sh), unless --app-src says otherwise
        src = args.app_src
        if src is None:
            with contextlib.suppress(OSError, ValueError):
                src = json.load(open(os.path.join(ROOT, ".cache", "lab-app.json"))).get("dumbflix_src")
        src = os.path.abspath(src) if src else None
        data["meta"]["converge_app"] = src or "the public repository (dumbflix_repo)"
        data["converge"] = converge(lab, [int(x) for x in args.sizes.split(",")], src)
        log(f"converge: {time.monotonic() - t:.0f} s")
    os.makedirs(args.out, exist_ok=True)
    plot(data, args.out)
    text = report(data)
    with open(os.path.join(args.out, "latest.md"), "w") as fh:
        fh.write(text)
    slim = json.loads(json.dumps(data, default=str))
    for r in slim.get("failover", {}).get("runs", {}).values():
        r.pop("samples", None)
    slim.get("overhead", {}).pop("raw", None)
    with open(os.path.join(args.out, "latest.json"), "w") as fh:
        json.dump(slim, fh, indent=1, sort_keys=True)
    print(text)
    log(f"bench: {time.monotonic() - started:.0f} s; results in {os.path.relpath(args.out, ROOT)}/latest.md")


if __name__ == "__main__":
    sys.exit(main())
