"""Two proxies, one address: keepalived holds dumbflix_vip on one proxy, and the site keeps answering on it when
that proxy's nginx stops or the whole proxy dies; the address stays where it went when the proxy comes back
(no pre-emption). Load from this machine, as a user's browser: 20 requests/s over HTTPS, each on a new connection,
to the floating address (bench/load.py, the load `make bench` and the rollout checks use).

Runs last in the scenario: it stops nginx on one proxy and kills the other proxy's container."""

import ipaddress
import re
import ssl
import subprocess
import time

import pytest
from conftest import DOMAIN, PROXIES, host, host_vars, scenario_vars

from bench.load import Load

CERT_FILE = "/etc/nginx/tls/dumbflix.crt"
KEY_FILE = "/etc/nginx/tls/dumbflix.key"
RATE = 20
# the goal: the site answers again within 5 s of its proxy failing
OUTAGE_GOAL = 5.0
VIP = ipaddress.ip_interface(scenario_vars()["dumbflix_vip"])
ADDRESS = str(VIP.ip)


def holders():
    """The proxies whose interfaces hold the address now, read in their containers (a dead one holds nothing)."""
    found = []
    for name in PROXIES:
        res = subprocess.run(
            ["docker", "exec", name, "ip", "-4", "-o", "addr", "show"], capture_output=True, text=True, check=False
        )
        if res.returncode != 0:
            running = subprocess.run(
                ["docker", "inspect", "-f", "{{.State.Running}}", name], capture_output=True, text=True, check=False
            ).stdout.strip()
            assert running != "true", f"could not read {name}'s addresses: {res.stderr}"
            continue
        if re.search(rf"inet {re.escape(ADDRESS)}/", res.stdout):
            found.append(name)
    return found


def wait_for_holder(other_than=None, timeout=20.0):
    """(the one holder, seconds waited) once exactly one proxy, not other_than, holds the address."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        now = holders()
        if len(now) == 1 and now[0] != other_than:
            return now[0], time.monotonic() - start
        time.sleep(0.1)
    pytest.fail(f"no single proxy other than {other_than} held {ADDRESS} within {timeout:.0f} s: {holders()}")


def unit_state(name, unit):
    """systemctl is-active UNIT in the container, as root (the image has no D-Bus for other users; docker exec,
    because SSH sessions to a restarted container may be stale)."""
    res = subprocess.run(
        ["docker", "exec", name, "systemctl", "is-active", unit], capture_output=True, text=True, check=False
    )
    return res.stdout.strip()


def other(name):
    return PROXIES[1 - PROXIES.index(name)]


@pytest.fixture(scope="module")
def tls_context():
    """Trusts the site's self-signed certificate, as a user who added it to their trust store, and checks that it
    names the domain."""
    return ssl.create_default_context(cadata=host(PROXIES[0]).file(CERT_FILE).content_string)


def fail_the_holder(what, fail, tls_context, capsys):
    """Load the address, fail its holder with fail(holder) after 3 s, and check that the other proxy took the
    address in time and the site answered again; returns (old holder, new holder)."""
    holder, _ = wait_for_holder()
    with Load(ADDRESS, DOMAIN, RATE, timeout=2, port=443, tls_context=tls_context, tag_param="vip") as load:
        time.sleep(3)
        failed_at = load.now()
        fail(holder)
        new_holder, moved_after = wait_for_holder(other_than=holder)
        moved_at = load.now()
        time.sleep(5)
    failed = sorted(load.failed())
    # from the first request sent that failed to the last one: the seconds in which a user's new request got no
    # answer (requests sent before the move wait their timeout, 2 s, after it: that is not counted twice)
    without_service = failed[-1][0] - failed[0][0] + 1 / RATE if failed else 0.0
    after_move = [sample for sample in failed if sample[0] > moved_at]
    with capsys.disabled():
        print(
            f"{what} on {holder} at {failed_at:.1f} s: the address moved to {new_holder} after {moved_after:.1f} s; "
            f"{load.summary()}; without service {without_service:.1f} s"
        )
    assert new_holder == other(holder)
    assert moved_after < OUTAGE_GOAL, load.summary()
    assert without_service < OUTAGE_GOAL, load.summary()
    assert not after_move, f"failed after the address moved: {after_move}"
    return holder, new_holder


def test_one_proxy_holds_the_address_and_the_site_answers_on_it(tls_context):
    holder, _ = wait_for_holder()
    assert holder == "server1", "the first proxy of the inventory has the highest priority"
    with Load(ADDRESS, DOMAIN, RATE, timeout=2, port=443, tls_context=tls_context, tag_param="vip") as load:
        time.sleep(2)
    assert load.samples and not load.failed(), load.summary()


def test_every_proxy_serves_the_same_certificate_and_key():
    # the first proxy made them, the second got copies: after a failover a browser meets the certificate it trusted
    certificates = {host(name).file(CERT_FILE).content_string for name in PROXIES}
    keys = {host(name).check_output(f"sudo -n sha256sum {KEY_FILE}").split()[0] for name in PROXIES}
    assert len(certificates) == 1 and len(keys) == 1
    for name in PROXIES:
        assert host(name).file(KEY_FILE).mode == 0o600, name


def test_both_proxies_resolve_the_domain_to_the_address():
    for name in PROXIES:
        assert host(name).run(f"getent hosts {DOMAIN}").stdout.split()[0] == ADDRESS, name


def test_only_the_proxies_may_speak_vrrp_to_a_proxy():
    addresses = {host_vars(name)["ansible_host"] for name in PROXIES}
    for name in PROXIES:
        table = host(name).check_output("sudo -n nft list table inet dumbflix")
        match = re.search(r"^\s*meta l4proto (?:vrrp|112) ip saddr (\{ [^}]+ \}|\S+) accept$", table, re.M)
        assert match, table
        assert set(match.group(1).strip("{} ").split(", ")) == addresses, table


def test_stopping_nginx_moves_the_address_and_the_site_keeps_answering(tls_context, capsys):
    stopped = []

    def stop_nginx(holder):
        stopped.append(holder)
        host(holder).run("sudo -n systemctl stop nginx")

    try:
        holder, _ = fail_the_holder("nginx stopped", stop_nginx, tls_context, capsys)
        # the machine is up: only nginx stopped, keepalived itself gave the address away
        assert unit_state(holder, "keepalived") == "active"
    finally:
        for holder in stopped:
            host(holder).run("sudo -n systemctl start nginx")


def test_the_address_stays_when_the_proxy_is_healthy_again():
    holder, _ = wait_for_holder()
    # both healthy again: the returning proxy's check passes twice (keepalived_check_rise) within ~2 s
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        now = holders()
        assert now == [holder], f"{ADDRESS} is now held by {now}, not {holder} alone: keepalived_preempt is false"
        time.sleep(0.5)
    assert unit_state(other(holder), "nginx") == "active"


def test_killing_the_holder_moves_the_address_and_the_site_keeps_answering(tls_context, capsys):
    killed = []

    def kill(holder):
        killed.append(holder)
        # SIGKILL to the container: no goodbye advert, the survivor notices the silence (3 adverts + skew)
        subprocess.run(["docker", "kill", holder], check=True, capture_output=True)

    try:
        holder, new_holder = fail_the_holder("container killed", kill, tls_context, capsys)
    finally:
        for holder in killed:
            subprocess.run(["docker", "start", holder], check=False, capture_output=True)
    # it boots with nginx and keepalived enabled, and joins as a backup: the address stays
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and unit_state(holder, "keepalived") != "active":
        time.sleep(1)
    assert unit_state(holder, "keepalived") == "active"
    time.sleep(4)
    assert holders() == [new_holder]
