"""Headless chromium, driven over the DevTools protocol on a pipe: one page load in a fresh profile, the
facts its DOM shows, its screenshot, and where the browser's net log says it connected."""

import base64
import fcntl
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse

from . import ProofError

VIEWPORT = (1280, 720)
# the browser and the lab are given this long to answer before the proof gives up
PAGE_TIMEOUT = 30


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

        self.stderr = open(os.path.join(workdir, "chromium.log"), "wb")  # noqa: SIM115 - chromium writes to it until close()
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
        self._reader = threading.Thread(target=self._read_messages, daemon=True)
        self._reader.start()

    def _read_messages(self):
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

    def net_log_traffic(self):
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


def load_page(binary, target, workdir, url, expression, settled=None, seconds=10):
    """Open url in a fresh headless chromium that may reach `target` only (its resolver_rules() and pin); evaluate
    the JavaScript expression (which returns JSON) until settled(facts) or for `seconds`; return (PNG bytes, the
    facts, with the connections the net log shows and the other hosts the browser asked for)."""
    os.makedirs(workdir, exist_ok=True)
    browser = Browser(binary, target, workdir)
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
            raise ProofError(
                f"chromium could not load {url} through {', '.join(target.allowed_connections())}: {nav['errorText']}"
            )
        browser.wait_event("Page.loadEventFired", session)
        deadline = time.monotonic() + seconds
        while True:
            facts = json.loads(
                browser.send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=session)[
                    "result"
                ]["value"]
            )
            if settled is None or settled(facts) or time.monotonic() > deadline:
                break
            time.sleep(0.25)
        png = base64.b64decode(browser.send("Page.captureScreenshot", {"format": "png"}, session=session)["data"])
    finally:
        browser.close()
    facts["connections"], hosts = browser.net_log_traffic()
    facts["blocked"] = [h for h in hosts if h.split(":")[0] != target.domain]
    shutil.rmtree(browser.profile, ignore_errors=True)
    return png, facts


# what the app's page shows: the app renders into #root from its script
APP_FACTS = """JSON.stringify({
    url: location.href,
    title: document.title,
    status: (performance.getEntriesByType('navigation')[0] || {}).responseStatus || null,
    hasRoot: !!document.getElementById('root'),
    root: (document.getElementById('root') || {innerText: ''}).innerText.trim(),
    rootElements: document.querySelectorAll('#root *').length,
    body: (document.body || {innerText: ''}).innerText.trim(),
    resources: performance.getEntriesByType('resource').map(r => r.name),
})"""


def capture_page(binary, site, workdir):
    """Open the site's start URL in a fresh headless chromium; return (PNG bytes, what the page showed)."""
    # give the app's script a few seconds to render into #root
    return load_page(binary, site, workdir, site.start_url, APP_FACTS, lambda page: page["root"] or not page["hasRoot"])
