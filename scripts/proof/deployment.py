"""The deployment, through Ansible: the inventory's proxy, app hosts and domain, and the apps stopped and
started with playbooks/app-state.yml (the collection's pm2_app module)."""

import json
import os
import re
import shutil
import subprocess
import sys

from . import ROOT, ProofError

APP_STATE = os.path.join(ROOT, "playbooks", "app-state.yml")


def ansible_cli(name):
    """An Ansible CLI from this Python's venv, else from PATH."""
    local = os.path.join(os.path.dirname(sys.executable), name)
    found = local if os.access(local, os.X_OK) else shutil.which(name)
    if not found:
        raise ProofError(f"{name} not found: run 'make venv' (or activate .venv)")
    return found


def read_inventory(inventory):
    res = subprocess.run(
        [ansible_cli("ansible-inventory"), "-i", inventory, "--list"], capture_output=True, text=True, check=False
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
    # Prometheus runs on the first monitor host: the monitor group's first, else the first proxy
    monitor = (hosts(str(proxy_vars.get("monitoring_group", "monitor"))) or proxies)[0]
    monitor_vars = hostvars.get(monitor, {})
    listen_port = str(monitor_vars.get("monitoring_prometheus_listen", "127.0.0.1:9090")).rsplit(":", 1)[-1]
    # "127.0.0.1:9090:9090" -> 127.0.0.1:9090, when the container port is the one Prometheus listens on
    prometheus = [
        ":".join(str(p).split(":")[:2])
        for p in monitor_vars.get("lab_monitoring_published_ports", [])
        if str(p).count(":") == 2 and str(p).endswith(":" + listen_port)
    ]
    return {
        "proxy": proxies[0],
        "apps": apps,
        "domain": domain,
        "published": [p for p in ports if p.endswith(":80")],
        "published_tls": [p for p in ports if p.endswith(":443")],
        "monitor": monitor,
        "monitoring": str(monitor_vars.get("dumbflix_monitoring", True)).lower() not in ("false", "no", "off", "0"),
        "prometheus": prometheus[0] if prometheus else None,
    }


def set_app_state(inventory, state, hosts=None, check=False):
    """Run playbooks/app-state.yml; return {host: pm2 status} of the hosts it ran on.

    In check mode with state started, a host whose app is not online reports "not online".
    """
    args = [ansible_cli("ansible-playbook"), APP_STATE, "-i", inventory, "-e", f"app_state={state}"]
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
