"""A constant request rate through the proxy, each request tagged and on its own connection.

Shared by `make bench` (its failover part, bench/failover.py) and the rolling-deploy checks of the
molecule default scenario (molecule/default/tests/test_80_rollout.py), which fail on a
single request that isn't answered 200. Standard library only.
"""

import collections
import concurrent.futures
import http.client
import threading
import time
import uuid


class SiteHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to an address with the site's name for SNI and the certificate check, as `curl --resolve` does."""

    def __init__(self, address, port, domain, **kwargs):
        super().__init__(address, port, **kwargs)
        self.domain = domain

    def connect(self):
        http.client.HTTPConnection.connect(self)
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self.domain)


class Load:
    """GET /?<tag_param>=<tag>&i=<n> at ``rate`` requests/s against ``address``:``port``
    (over TLS with ``tls_context``) with ``Host: domain``, each on a new connection (as browsers opening a page), until
    stopped. ``samples`` holds (sent at, seconds, status or None, error, n); the tag lets
    the proxy's access log say which backend served which request.

    As a context manager it runs in a thread and, on exit, stops sending and waits for
    the requests in flight.
    """

    def __init__(self, address, domain, rate, timeout, port=80, tag_param="bench", tls_context=None):
        self.address, self.domain, self.port, self.tls_context = address, domain, port, tls_context
        self.rate, self.timeout, self.tag_param = rate, timeout, tag_param
        self.tag = uuid.uuid4().hex[:12]
        self.samples = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=int(rate * (timeout + 2)) + 8)
        self.t0 = None
        self.thread = None

    def send_request(self, i, sent):
        status, error = None, ""
        try:
            if self.tls_context is None:
                conn = http.client.HTTPConnection(self.address, self.port, timeout=self.timeout)
            else:
                # one context for every request: loading the CA store per request would make the
                # load generator, not the proxy, the bottleneck
                conn = SiteHTTPSConnection(
                    self.address, self.port, self.domain, timeout=self.timeout, context=self.tls_context
                )
            conn.request("GET", f"/?{self.tag_param}={self.tag}&i={i}", headers={"Host": self.domain})
            resp = conn.getresponse()
            resp.read()
            status = resp.status
            conn.close()
        except OSError as exc:
            error = type(exc).__name__
        with self.lock:
            self.samples.append((sent - self.t0, time.monotonic() - sent, status, error, i))

    def run(self):
        self.t0 = time.monotonic()
        i = 0
        while not self.stop.is_set():
            due = self.t0 + i / self.rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self.pool.submit(self.send_request, i, time.monotonic())
            i += 1

    def now(self):
        return time.monotonic() - self.t0

    def __enter__(self):
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.pool.shutdown(wait=True)
        return False

    def failed(self):
        """The samples not answered 200: an HTTP status, or the connection error's name."""
        return [s for s in self.samples if s[2] != 200]

    def summary(self):
        """'<n> requests sent, <m> answered 200, <k> failed: {what: count}' for a test's message."""
        failed = self.failed()
        kinds = collections.Counter(str(s[2] or s[3]) for s in failed)
        return (
            f"{len(self.samples)} requests sent in {self.now():.0f} s at {self.rate}/s, "
            f"{len(self.samples) - len(failed)} answered 200, {len(failed)} failed"
            + (f": {dict(kinds)}" if kinds else "")
        )
