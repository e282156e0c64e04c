#!/usr/bin/env python3
"""make proof: the task's screenshots, taken and checked by a headless browser.

Against a running deployment (the lab after `make up`, a molecule scenario, real servers),
Debian's chromium opens http://<domain>/ in four states and saves what it shows:

  1. all-up      every backend runs the app          -> the app rendered (HTTP 200)
  2. one-down    the first app host's app stopped     -> the app still rendered (HTTP 200)
  3. all-down    every app stopped                    -> nginx's 502 Bad Gateway page
  4. all-back    every app started again              -> the app rendered (HTTP 200)

Each picture is checked from the same page load's DOM, over the DevTools protocol: the HTTP
status, the title (the real app's "Dumbflix - <author>", the stand-in's "Dumbflix") and text
rendered by the app's script inside <div id="root">; or nginx's 502 page. The domain is mapped
to the proxy with --host-resolver-rules (no hosts file), every other name resolves to nothing,
and the browser's own net log must show connections to the proxy only.

With TLS on the proxy (dumbflix_tls), http://<domain>/ answers 301 to https://<domain>[:port]/: the browser
follows it, the HTTPS port is mapped too (the lab's published 443, or --connect-tls), and every picture must
be of the https page. A certificate no CA vouches for (the lab's self-signed one) is accepted by pinning
its public key (--ignore-certificate-errors-spki-list), never by ignoring certificate errors in general.

Apps are stopped and started with playbooks/app-state.yml (the collection's pm2_app module), so
this works wherever site.yml does. Whatever happens, every app it stopped is started again.
Writes <out>/*.png, <out>/index.html and <out>/proof.json (default .cache/proof).

Usage: scripts/proof.py [-i INVENTORY] [--connect HOST:PORT] [--connect-tls HOST:PORT] [--out DIR]
"""

import argparse
import base64
import fcntl
import html
import http.client
import json
import os
import queue
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APP_STATE = os.path.join(ROOT, "playbooks", "app-state.yml")
APP_TITLE = re.compile(r"^Dumbflix( - .+)?$")
VIEWPORT = (1280, 720)
# the browser and the lab are given this long to answer before the proof gives up
PAGE_TIMEOUT = 30
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


class ProofError(Exception):
    """A check failed or the proof can't run; the message says which and what to do."""


def log(msg):
    print(f"proof: {msg}", flush=True)


def timed(label, func, *args, **kwargs):
    started = time.monotonic()
    result = func(*args, **kwargs)
    log(f"{label} ({time.monotonic() - started:.1f} s)")
    return result


# --- the deployment, through Ansible ------------------------------------------------------


def tool(name):
    """An Ansible CLI from this Python's venv, else from PATH."""
    local = os.path.join(os.path.dirname(sys.executable), name)
    found = local if os.access(local, os.X_OK) else shutil.which(name)
    if not found:
        raise ProofError(f"{name} not found: run 'make venv' (or activate .venv)")
    return found


def read_inventory(inventory):
    res = subprocess.run(
        [tool("ansible-inventory"), "-i", inventory, "--list"], capture_output=True, text=True, check=False
    )
    if res.returncode != 0:
        raise ProofError(f"ansible-inventory could not read {inventory}: {res.stderr.strip()[-500:]}")
    inv = json.loads(res.stdout)
    hostvars = inv.get("_meta", {}).get("hostvars", {})

    def hosts(group):
        found = list(inv.get(group, {}).get("hosts", []))
        for child in inv.get(group, {}).get("children", []):
            found += [h for h in hosts(child) if h not in found]
        return found

    proxies, apps = hosts("proxy"), hosts("app")
    if not proxies or not apps:
        raise ProofError(
            f"inventory {inventory} needs a host in group 'proxy' and one in group 'app' "
            f"(proxy: {proxies or 'none'}, app: {apps or 'none'})"
        )
    proxy_vars = hostvars.get(proxies[0], {})
    domain = proxy_vars.get("dumbflix_domain")
    if not domain or not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?", str(domain)):
        raise ProofError(f"host {proxies[0]}: dumbflix_domain is {domain!r}, not a domain such as alvin.xyz")
    ports = [str(p) for p in proxy_vars.get("lab_published_ports", [])]
    return {
        "proxy": proxies[0],
        "apps": apps,
        "domain": domain,
        "published": [p for p in ports if p.endswith(":80")],
        "published_tls": [p for p in ports if p.endswith(":443")],
    }


def set_apps(inventory, state, hosts=None, check=False):
    """Run playbooks/app-state.yml; return {host: pm2 status} of the hosts it ran on.

    In check mode with state started, a host whose app is not online reports "not online".
    """
    args = [tool("ansible-playbook"), APP_STATE, "-i", inventory, "-e", f"app_state={state}"]
    if hosts:
        args += ["--limit", ",".join(hosts)]
    if check:
        args.append("--check")
    # one JSON document on stdout (and no other callback writing there)
    env = dict(
        os.environ,
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_CALLBACKS_ENABLED="ansible.posix.json",
        ANSIBLE_NOCOLOR="1",
    )
    res = subprocess.run(args, capture_output=True, text=True, check=False, env=env)
    try:
        report = json.loads(res.stdout)
    except ValueError:
        raise ProofError(
            f"{' '.join(args[1:])} failed (rc {res.returncode}): {(res.stdout + res.stderr).strip()[-1500:]}"
        ) from None
    statuses, errors = {}, []
    for play in report.get("plays", []):
        for task in play.get("tasks", []):
            for host, result in task.get("hosts", {}).items():
                if result.get("failed") or result.get("unreachable"):
                    errors.append(f"{host}: {task['task']['name']}: {result.get('msg', result)}")
                elif "status" in result and task["task"]["name"] == "Set the app's pm2 state":
                    # check mode reports the status it predicts; a change means the app is not there yet
                    statuses[host] = "not online" if check and result.get("changed") else result["status"]
    if errors or res.returncode != 0:
        raise ProofError(
            f"app-state.yml ({state}{', check mode' if check else ''}) failed: "
            + ("; ".join(errors) or res.stderr.strip()[-1500:])
        )
    return statuses


def said(status):
    return f"HTTP {status}" if isinstance(status, int) else status


def get(connect, domain, path="/", context=None):
    """GET path from HOST:PORT with the domain's Host header (and SNI), never following a redirect:
    (status, Location header), or (a description of the failure, None)."""
    host, port = connect.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        if context:
            # the TCP connection goes to HOST:PORT; SNI and the certificate check are for the domain
            conn.sock = context.wrap_socket(
                socket.create_connection((host, int(port)), timeout=5), server_hostname=domain
            )
        conn.request("GET", path, headers={"Host": domain})
        resp = conn.getresponse()
        resp.read()
        return resp.status, resp.getheader("Location")
    except (OSError, http.client.HTTPException) as err:
        return f"no answer ({getattr(err, 'reason', None) or err})", None
    finally:
        conn.close()


def spki_sha256(der):
    """base64 of the SHA-256 of a certificate's SubjectPublicKeyInfo: what chromium pins."""
    import hashlib

    from cryptography import x509  # comes with Ansible (the venv)
    from cryptography.hazmat.primitives import serialization

    spki = (
        x509.load_der_x509_certificate(der)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


class Site:
    """How this machine reaches the site: http://<domain>/ through `connect`, and, when the proxy redirects
    to HTTPS, https://<domain>[:port]/ through `connect_tls` with the certificate the proxy presents there."""

    def __init__(self, domain, connect, connect_tls=None):
        self.domain, self.connect, self.connect_tls = domain, connect, connect_tls
        self.https_port = self.context = self.pin = None
        self.start_url = self.url = f"http://{domain}/"

    def follow_redirect(self, location):
        """The proxy answered 301 Location: https://<domain>[:port]/: prepare for HTTPS there."""
        parts = urllib.parse.urlsplit(location or "")
        if parts.scheme != "https" or parts.hostname != self.domain:
            raise ProofError(
                f"{self.start_url} through {self.connect} redirects to {location!r}, not to https://{self.domain}/"
            )
        if not self.connect_tls:
            raise ProofError(
                f"{self.start_url} redirects to {location}, and no HTTPS port to reach it through is known "
                "(lab_published_ports has no ':443'): pass --connect-tls HOST:PORT"
            )
        self.https_port = parts.port or 443
        self.url = f"https://{self.domain}{'' if self.https_port == 443 else f':{self.https_port}'}/"
        host, port = self.connect_tls.rsplit(":", 1)

        def handshake(context):
            with (
                socket.create_connection((host, int(port)), timeout=5) as raw,
                context.wrap_socket(raw, server_hostname=self.domain) as tls,
            ):
                return tls.getpeercert(binary_form=True)

        self.context = ssl.create_default_context()
        try:
            handshake(self.context)
        except ssl.SSLCertVerificationError:
            # no CA vouches for it (the lab's self-signed certificate): trust exactly this one, for this name
            unverified = ssl.create_default_context()
            unverified.check_hostname, unverified.verify_mode = False, ssl.CERT_NONE
            der = handshake(unverified)
            self.context = ssl.create_default_context(cadata=ssl.DER_cert_to_PEM_cert(der))
            self.pin = spki_sha256(der)
            log(f"{self.url}: a certificate no CA vouches for; pinned its key {self.pin}")
        except OSError as err:
            raise ProofError(f"no TLS answer from {self.connect_tls} for {self.domain}: {err}") from None

    def status(self):
        """The answer to GET / at the URL the browser ends up on."""
        if self.https_port:
            return get(self.connect_tls, self.domain, context=self.context)[0]
        return get(self.connect, self.domain)[0]

    def allowed(self):
        return [c for c in (self.connect, self.connect_tls if self.https_port else None) if c]

    def resolver_rules(self):
        rules = [f"MAP {self.domain}:80 {self.connect}"]
        if self.https_port:
            rules.append(f"MAP {self.domain}:{self.https_port} {self.connect_tls}")
        return ", ".join(rules + ["MAP * ~NOTFOUND"])


def wait_for_status(site, want, seconds):
    deadline = time.monotonic() + seconds
    while True:
        got = site.status()
        if got == want:
            return
        if time.monotonic() > deadline:
            raise ProofError(
                f"{site.url} through {', '.join(site.allowed())} gave {said(got)}, not HTTP {want}, for {seconds} s"
            )
        time.sleep(1)


# --- the browser, over the DevTools protocol on a pipe --------------------------------------


def find_chromium():
    # Debian's /usr/bin/chromium is a shell wrapper that adds flags of its own (extensions,
    # GPU rasterization); the proof runs the browser itself with exactly the flags below.
    chosen = os.environ.get("CHROMIUM")
    if chosen:
        if not os.access(chosen, os.X_OK):
            raise ProofError(f"CHROMIUM={chosen} is not an executable file")
        return chosen
    for candidate in ("/usr/lib/chromium/chromium", shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise ProofError("chromium not found: run 'make deps' (it installs Debian's chromium), or set CHROMIUM")


class Browser:
    """One headless chromium with a fresh profile, driven over --remote-debugging-pipe."""

    def __init__(self, binary, site, workdir):
        self.profile = tempfile.mkdtemp(prefix="profile-", dir=workdir)
        self.netlog = os.path.join(workdir, "netlog.json")
        rules = site.resolver_rules()
        args = [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-default-apps",
            "--disable-domain-reliability",
            "--disable-client-side-phishing-detection",
            "--no-pings",
            "--no-default-browser-check",
            "--disable-features=HttpsUpgrades,MediaRouter,OptimizationHints,Translate,AutofillServerCommunication",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--mute-audio",
            f"--window-size={VIEWPORT[0]},{VIEWPORT[1]}",
            f"--user-data-dir={self.profile}",
            f"--host-resolver-rules={rules}",
            f"--log-net-log={self.netlog}",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        if site.pin:
            # chromium honours this only with --user-data-dir, which every run here has
            args.insert(-1, f"--ignore-certificate-errors-spki-list={site.pin}")
        # the browser reads commands on fd 3 and writes answers on fd 4
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # out of the way of 3 and 4 before the child moves them there
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_browser_r, from_browser_w)]

        def child_fds():
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        self.stderr = open(os.path.join(workdir, "chromium.log"), "wb")
        self.proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=self.stderr,
            stderr=self.stderr,
            preexec_fn=child_fds,
            close_fds=False,
        )
        for fd in [to_browser_r, from_browser_w] + high:
            os.close(fd)
        self._next_id = 0
        self._answers = {}
        self._events = queue.Queue()
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        buf = b""
        with os.fdopen(self._from_browser, "rb", buffering=0) as pipe:
            while True:
                chunk = pipe.read(65536)
                if not chunk:
                    break
                buf += chunk
                while b"\0" in buf:
                    raw, buf = buf.split(b"\0", 1)
                    msg = json.loads(raw)
                    if "id" in msg:
                        with self._cond:
                            self._answers[msg["id"]] = msg
                            self._cond.notify_all()
                    else:
                        self._events.put(msg)
        with self._cond:
            self._answers[None] = "closed"
            self._cond.notify_all()

    def send(self, method, params=None, session=None, timeout=PAGE_TIMEOUT):
        self._next_id += 1
        msg = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_browser, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._next_id not in self._answers:
                if None in self._answers:
                    raise ProofError(f"chromium exited during {method} (log: {self.stderr.name})")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ProofError(f"chromium did not answer {method} within {timeout} s")
                self._cond.wait(left)
            answer = self._answers.pop(self._next_id)
        if "error" in answer:
            raise ProofError(f"chromium: {method}: {answer['error'].get('message')}")
        return answer["result"]

    def wait_event(self, method, session, timeout=PAGE_TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ProofError(f"no {method} from chromium within {timeout} s")
            try:
                event = self._events.get(timeout=left)
            except queue.Empty:
                continue
            if event.get("method") == method and event.get("sessionId") == session:
                return event

    def close(self):
        try:
            if self.proc.poll() is None:
                self.send("Browser.close", timeout=10)
            self.proc.wait(timeout=10)
        except (ProofError, OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        finally:
            os.close(self._to_browser)
            self.stderr.close()

    def network(self):
        """From the browser's net log: the addresses it sent traffic to, and the other hosts it
        asked for (resolved to nothing by the MAP * ~NOTFOUND rule)."""
        with open(self.netlog, encoding="utf-8") as f:
            text = f.read()
        try:
            data = json.loads(text)
        except ValueError:
            # a log cut short ends inside the events list; close it
            data = json.loads(text.rstrip().rstrip(",") + "]}")
        names = {v: k for k, v in data["constants"]["logEventTypes"].items()}
        tcp, udp, udp_sent, urls = set(), {}, set(), set()
        for event in data.get("events", []):
            kind = names.get(event.get("type"), "")
            params = event.get("params") or {}
            source = event.get("source", {}).get("id")
            if kind == "TCP_CONNECT_ATTEMPT":
                tcp.add(params.get("address"))
            # connect() on a UDP socket sends nothing (chromium uses it to probe routes and
            # sort addresses); only a UDP socket that sent bytes (QUIC, DNS) is traffic
            elif kind == "UDP_CONNECT":
                udp[source] = params.get("address")
            elif kind == "UDP_BYTES_SENT":
                udp_sent.add(source)
            elif kind == "URL_REQUEST_START_JOB" and "url" in params:
                urls.add(urllib.parse.urlsplit(params["url"]).netloc)
        sent = tcp | {udp[s] for s in udp_sent if s in udp}
        return sorted(a for a in sent if a), sorted(urls)


def look(binary, site, workdir):
    """Open the site's start URL in a fresh headless chromium; return (PNG bytes, what the page showed)."""
    os.makedirs(workdir, exist_ok=True)
    url, domain = site.start_url, site.domain
    browser = Browser(binary, site, workdir)
    try:
        pages = [t for t in browser.send("Target.getTargets")["targetInfos"] if t["type"] == "page"]
        if not pages:
            raise ProofError("chromium opened no page")
        session = browser.send("Target.attachToTarget", {"targetId": pages[0]["targetId"], "flatten": True})[
            "sessionId"
        ]
        browser.send("Page.enable", session=session)
        browser.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": VIEWPORT[0], "height": VIEWPORT[1], "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        nav = browser.send("Page.navigate", {"url": url}, session=session)
        if nav.get("errorText"):
            raise ProofError(f"chromium could not load {url} through {', '.join(site.allowed())}: {nav['errorText']}")
        browser.wait_event("Page.loadEventFired", session)
        # the app renders into #root from its script; give it a few seconds to do so
        expression = """JSON.stringify({
            url: location.href,
            title: document.title,
            status: (performance.getEntriesByType('navigation')[0] || {}).responseStatus || null,
            hasRoot: !!document.getElementById('root'),
            root: (document.getElementById('root') || {innerText: ''}).innerText.trim(),
            rootElements: document.querySelectorAll('#root *').length,
            body: (document.body || {innerText: ''}).innerText.trim(),
            resources: performance.getEntriesByType('resource').map(r => r.name),
        })"""
        deadline = time.monotonic() + 10
        while True:
            page = json.loads(
                browser.send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=session)[
                    "result"
                ]["value"]
            )
            if page["root"] or not page["hasRoot"] or time.monotonic() > deadline:
                break
            time.sleep(0.25)
        png = base64.b64decode(browser.send("Page.captureScreenshot", {"format": "png"}, session=session)["data"])
    finally:
        browser.close()
    page["connections"], hosts = browser.network()
    page["blocked"] = [h for h in hosts if h.split(":")[0] != domain]
    shutil.rmtree(browser.profile, ignore_errors=True)
    return png, page


def check(page, expect, site):
    """What's wrong with the page for this state (an empty list when it is right)."""
    problems = []
    if page["url"] != site.url:
        problems.append(f"the browser ended on {page['url']}, not {site.url}")
    if expect == "app":
        if page["status"] != 200:
            problems.append(f"HTTP status {page['status']}, expected 200")
        if not APP_TITLE.match(page["title"]):
            problems.append(f"title {page['title']!r} is not the app's ('Dumbflix' or 'Dumbflix - <author>')")
        if not page["hasRoot"]:
            problems.append('no <div id="root">: this is not the app\'s page')
        elif not page["root"] or not page["rootElements"]:
            problems.append('the app\'s <div id="root"> is empty: its script did not render')
    else:
        if page["status"] != 502:
            problems.append(f"HTTP status {page['status']}, expected 502")
        if "502 Bad Gateway" not in page["title"] or "502 Bad Gateway" not in page["body"]:
            problems.append(f"not nginx's 502 page (title {page['title']!r})")
        if page["hasRoot"]:
            problems.append('the app\'s <div id="root"> is on the page')
    strays = [c for c in page["connections"] if c not in site.allowed()]
    if strays:
        problems.append(f"chromium connected to {', '.join(strays)}, not only to the proxy {', '.join(site.allowed())}")
    if not page["connections"]:
        problems.append("chromium's net log shows no connection to the proxy at all")
    return problems


# --- the report ----------------------------------------------------------------------------


def write_index(out, shots, meta):
    rows = []
    for shot in shots:
        root_text = shot["page"]["root"] or shot["page"]["body"]
        rows.append(f"""
<section>
  <h2>{shot["n"]}. {html.escape(shot["title"])} — {"passed" if not shot["problems"] else "FAILED"}</h2>
  <p>{html.escape(shot["what"])}</p>
  <p class="facts">pm2 on the app hosts: {html.escape(", ".join(f"{h} {s}" for h, s in shot["pm2"].items()))}<br>
  HTTP {shot["page"]["status"]} · title “{html.escape(shot["page"]["title"])}” ·
  rendered text: “{html.escape(root_text[:160])}{"…" if len(root_text) > 160 else ""}”<br>
  chromium connected to: {html.escape(", ".join(shot["page"]["connections"]) or "nothing")}
  {("(and resolved to nothing: " + html.escape(", ".join(shot["page"]["blocked"])) + ")") if shot["page"]["blocked"] else ""}
  {"".join(f"<br><b>problem:</b> {html.escape(p)}" for p in shot["problems"])}</p>
  <img src="{shot["file"]}" width="{VIEWPORT[0]}" height="{VIEWPORT[1]}" alt="{html.escape(shot["title"])}">
</section>""")
    tls_note = ""
    if meta["url"].startswith("https:"):
        tls_note = (
            f" Each load started at http://{html.escape(meta['domain'])}/ and followed the proxy's redirect to "
            f"{html.escape(meta['url'])}"
        )
        tls_note += (
            f"; the browser accepted the proxy's self-signed certificate by its pinned key only "
            f"(sha256/{html.escape(meta['pinned'])})."
            if meta["pinned"]
            else "."
        )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>dumbflix.stack proof: {html.escape(meta["domain"])}</title>
<style>body{{font-family:sans-serif;max-width:1340px;margin:1em auto}} section{{display:inline-block;
vertical-align:top;width:48%;margin:0 1% 20px 0}} img{{border:1px solid #999;width:100%;height:auto}} .facts{{font-size:.85em;color:#333}}</style>
</head><body>
<h1>{html.escape(meta["url"])} in four states</h1>
<p>Taken {html.escape(meta["taken"])} by headless {html.escape(meta["browser"])}, which resolved
{html.escape(meta["domain"])} to the proxy {html.escape(meta["proxy"])} at {html.escape(meta["connect"])}
(--host-resolver-rules, no hosts file) and every other name to nothing. Inventory: {html.escape(meta["inventory"])}.
Each picture was checked from the same page load: the app rendered into its &lt;div id="root"&gt;, or nginx's
502 page when every backend is down.{tls_note}</p>
{"".join(rows)}
</body></html>
"""
    with open(os.path.join(out, "index.html"), "w", encoding="utf-8") as f:
        f.write(page)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
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
    ):
        if value and not re.fullmatch(r"[A-Za-z0-9.-]+:[0-9]{1,5}", value):
            parser.error(f"{option} {value!r} is not HOST:PORT, e.g. {example}")
    return args


def main(argv=None):
    args = parse_args(argv)
    started = time.monotonic()
    binary = find_chromium()
    inv = read_inventory(args.inventory)
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
    domain, apps = inv["domain"], inv["apps"]
    if len(apps) < 2:
        raise ProofError(
            f"group 'app' of {args.inventory} has one host ({apps[0]}): the proof stops one backend "
            "and shows the site still up, which needs at least two"
        )
    site = Site(domain, connect, connect_tls)
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    log(f"{site.start_url} through the proxy {inv['proxy']} at {connect}; app hosts {', '.join(apps)}; {version}")

    # the lab must be as make up leaves it: the site answers (after its redirect to HTTPS, if any) and every app runs
    status, location = get(connect, domain)
    if status in (301, 308):
        site.follow_redirect(location)
        log(f"{site.start_url} redirects to {site.url}, reached through {connect_tls}")
        status = site.status()
    if status != 200:
        raise ProofError(
            f"{site.url} through {', '.join(site.allowed())} gave {said(status)}, not HTTP 200: is the lab "
            "up? run 'make up' (or pass --connect where the proxy's port 80 is reached)"
        )
    before = timed(
        "checked that every app host runs the app (app-state.yml in check mode)",
        set_apps,
        args.inventory,
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

    os.makedirs(args.out, exist_ok=True)
    for stale in os.listdir(args.out):
        if stale.endswith((".png", ".html", ".json")):
            os.remove(os.path.join(args.out, stale))
    work = tempfile.mkdtemp(prefix="proof-")
    shots, stopped = [], []
    pm2 = dict(before)
    try:
        for n, (key, title, what, expect) in enumerate(STATES, 1):
            # a host counts as stopped before the playbook runs, so an interruption mid-way restores it too
            if key == "one-down":
                stopped.append(apps[0])
                pm2.update(timed(f"stopped the app on {apps[0]}", set_apps, args.inventory, "stopped", [apps[0]]))
            elif key == "all-down":
                rest = [h for h in apps if h not in stopped]
                stopped += rest
                pm2.update(timed(f"stopped the app on {', '.join(rest)}", set_apps, args.inventory, "stopped", rest))
                timed("the proxy answers 502", wait_for_status, site, 502, PAGE_TIMEOUT)
            elif key == "all-back":
                pm2.update(
                    timed(f"started the app on {', '.join(stopped)}", set_apps, args.inventory, "started", stopped)
                )
                stopped = []
                timed("the proxy answers 200 again", wait_for_status, site, 200, RECOVERY_TIMEOUT)
            t0 = time.monotonic()
            png, page = look(binary, site, os.path.join(work, key))
            problems = check(page, expect, site)
            file = f"{n}-{key}.png"
            with open(os.path.join(args.out, file), "wb") as f:
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
    finally:
        if stopped:
            log(f"restoring: starting the app on {', '.join(stopped)}")
            try:
                set_apps(args.inventory, "started", stopped)
            except ProofError as err:
                log(
                    f"could not start the app again on {', '.join(stopped)}: {err}; "
                    "run 'make up' (or site.yml) to restore the deployment"
                )
        shutil.rmtree(work, ignore_errors=True)
    meta = {
        "domain": domain,
        "proxy": inv["proxy"],
        "connect": ", ".join(site.allowed()),
        "browser": version,
        "url": site.url,
        "pinned": site.pin,
        "inventory": args.inventory,
        "taken": time.strftime("%Y-%m-%d %H:%M %Z"),
    }
    write_index(args.out, shots, meta)
    with open(os.path.join(args.out, "proof.json"), "w", encoding="utf-8") as f:
        json.dump({"meta": meta, "shots": shots}, f, indent=2)
    failed = [s for s in shots if s["problems"]]
    log(
        f"{len(shots) - len(failed)} of {len(STATES)} pictures passed their checks; "
        f"{os.path.join(args.out, 'index.html')} ({time.monotonic() - started:.0f} s in all)"
    )
    return 1 if failed or len(shots) != len(STATES) else 0


if __name__ == "__main__":
    # `kill` restores the apps too: SystemExit unwinds through main's finally
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        sys.exit(main())
    except ProofError as err:
        print(f"proof: {err}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
