"""make proof: the task's screenshots, taken and checked by a headless browser.

Against a running deployment (the lab after `make up`, a molecule scenario, real servers),
Debian's chromium opens http://<domain>/ in four states and saves what it shows:

  1. all-up      every backend runs the app          -> the app rendered (HTTP 200)
  2. one-down    the first app host's app stopped     -> the app still rendered (HTTP 200)
  3. all-down    every app stopped                    -> nginx's 502 Bad Gateway page
  4. all-back    every app started again              -> the app rendered (HTTP 200)

With the monitoring deployed (dumbflix_monitoring, docs/monitoring.md) and Prometheus reachable from this machine
(the lab publishes it on 127.0.0.1:9090, or --prometheus HOST:PORT), two more pictures of Prometheus's alerts page:

  2a. alert-firing    after 2, once the HTTP API shows BackendDown firing for the stopped host
  4a. alert-resolved  after 4, once it has resolved

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

Usage, from the checkout's root:
  python -m scripts.proof [-i INVENTORY] [--connect HOST:PORT] [--connect-tls HOST:PORT] [--prometheus HOST:PORT]
                          [--out DIR]

The package, by idea:
  cli         the driver: options, the four states in turn, the apps restored whatever happens
  deployment  the inventory, and the apps stopped and started through Ansible
  website     the site over HTTP(S): what it answers, where it redirects, the certificate to pin
  browser     headless chromium over the DevTools protocol: one page load, its DOM facts and screenshot
  checks      what must be true of each state's page
  alerts      Prometheus: when BackendDown fires and resolves, its alerts page and what must be true of it
  report      index.html (the four pictures with their facts) and proof.json
"""

import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class ProofError(Exception):
    """A check failed or the proof can't run; the message says which and what to do."""


def log(msg):
    print(f"proof: {msg}", flush=True)
