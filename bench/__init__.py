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

Run from the checkout's root as `python -m bench` (`make bench`). The package, by idea:
  cli        the driver: options, which parts run, where the results go
  lab        the running lab: containers, addresses, the proxy's files kept and restored
  variants   the proxy configurations compared (the collection's, the task's naive one)
  overhead   1. wrk side by side
  failover   2. a constant load while a backend stops, freezes and comes back
  converge   3. site.yml cold and warm on fresh labs
  load       the constant request rate (shared with the molecule rollout checks)
  report     latest.md and latest.json;  plots  the PNGs beside them
"""

import os
import shlex
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "bench", "results")


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run(argv, check=True, **kw):
    """Run a command; with check, a failure ends the bench with the command and its output."""
    res = subprocess.run(argv, capture_output=True, text=True, **kw)
    if check and res.returncode != 0:
        raise SystemExit(
            f"bench: {' '.join(shlex.quote(a) for a in argv)} failed ({res.returncode}):\n{res.stdout}{res.stderr}"
        )
    return res
