"""The running lab, read from its inventory: containers, addresses, the proxy's settings, and the
proxy's files and the app hosts' firewall kept for the bench's run and restored after it."""

import contextlib
import functools
import http.client
import json
import os
import re
import shlex
import ssl
import time

from . import log, run

UPSTREAM_FILE = "/etc/nginx/conf.d/upstream-{name}.conf"
SITE_FILE = "/etc/nginx/sites-available/{name}"
ACCESS_LOG = "/var/log/nginx/{name}.access.log"
APP_NAME = "dumbflix-frontend"
APP_USER = "dumbflix"


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
