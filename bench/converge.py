"""3. Converge time and scaling: cold and warm site.yml on fresh labs of N app hosts."""

import os
import re
import time

from . import ROOT, log, run


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
