# -*- coding: utf-8 -*-
"""keepalived_conf: the checks and the file for one floating address, and keepalived's own verdict on it."""

import shutil
import subprocess

import pytest

from ansible_collections.dumbflix.stack.plugins.module_utils.keepalived_conf import (
    MARKER,
    config_test_passed,
    normalize_vrrp,
    render_vrrp,
)
from ansible_collections.dumbflix.stack.plugins.module_utils.values import ValueRefused

CHECK = ["/usr/bin/curl", "--silent", "--output", "/dev/null", "--max-time", "1", "http://127.0.0.1:80/"]


def options(**changes):
    base = dict(
        interface="eth0",
        virtual_address="192.168.239.100/24",
        priority=200,
        unicast_src="192.168.239.134",
        unicast_peers=["192.168.239.136"],
        track_command=CHECK,
        track_timeout=1,
    )
    base.update(changes)
    return base


def refusal(**changes):
    with pytest.raises(ValueRefused) as info:
        normalize_vrrp(options(**changes))
    return str(info.value)


def test_the_file_every_proxy_gets():
    text = render_vrrp(normalize_vrrp(options(auth_pass="s3cret")))
    assert text.startswith(MARKER + "\n")
    instance = text[text.index("vrrp_instance dumbflix {") :]
    for line in [
        "state BACKUP",
        "interface eth0",
        "virtual_router_id 51",
        "priority 200",
        "advert_int 1",
        "nopreempt",
        "unicast_src_ip 192.168.239.134",
        "auth_type PASS",
        "auth_pass s3cret",
        "192.168.239.100/24 dev eth0",
        "dumbflix_check",
    ]:
        assert "\n    %s" % line in instance or "\n        %s" % line in instance, line
    assert "unicast_peer {\n        192.168.239.136\n    }" in instance
    assert 'script "/usr/bin/curl --silent --output /dev/null --max-time 1 http://127.0.0.1:80/"' in text
    assert "script_user keepalived_script\n    enable_script_security" in text


def test_preempt_drops_nopreempt_and_no_password_no_authentication():
    text = render_vrrp(normalize_vrrp(options(preempt=True)))
    assert "nopreempt" not in text and "authentication" not in text


def test_a_lone_proxy_has_no_unicast_block():
    # keepalived refuses unicast without peers (it falls back to multicast with a deprecation warning)
    text = render_vrrp(normalize_vrrp(options(unicast_peers=[])))
    assert "unicast" not in text and "192.168.239.100/24 dev eth0" in text


def test_no_check_no_script():
    text = render_vrrp(normalize_vrrp(options(track_command=[])))
    assert "vrrp_script" not in text and "track_script" not in text


@pytest.mark.parametrize(
    "changes, message",
    [
        (
            dict(virtual_address="192.168.239.100"),
            "virtual_address: '192.168.239.100' is not an IPv4 address with its prefix",
        ),
        (dict(virtual_address="alvin.xyz/24"), "is not an IPv4 address with its prefix"),
        (dict(virtual_address="2001:db8::100/64"), "is an IPv6 address"),
        (
            dict(virtual_address="10.0.0.100/24"),
            "virtual_address: '10.0.0.100/24' is not on the network of this host's own address 192.168.239.134",
        ),
        (dict(virtual_address="192.168.239.134/24"), "is unicast_src, the proxy's own address"),
        (dict(virtual_address="192.168.239.255/24"), "the network's own or broadcast address"),
        (dict(unicast_peers=["192.168.239.134"]), "unicast_peers[0]: '192.168.239.134' is unicast_src"),
        (
            dict(unicast_peers=["192.168.239.136", "192.168.239.136"]),
            "unicast_peers[1]: '192.168.239.136' is listed twice",
        ),
        (dict(unicast_peers=["lb2"]), "unicast_peers[0]: 'lb2' is not an IPv4 address"),
        (dict(unicast_peers="192.168.239.136"), "unicast_peers: '192.168.239.136' is not a list"),
        (dict(priority=255), "priority: 255 is above the maximum 254"),
        (dict(priority=0), "priority: 0 is below the minimum 1"),
        (dict(virtual_router_id=256), "virtual_router_id: 256 is above the maximum 255"),
        (dict(interface="eth0; rm"), "interface: 'eth0; rm' is not a network interface name"),
        (dict(interface="averyveryverylongname"), "is not a network interface name"),
        (dict(instance="dumb flix"), "instance: 'dumb flix' is not a name keepalived reads as one word"),
        (dict(track_command=["curl", "x"]), "track_command[0]: 'curl' is not an absolute path"),
        (dict(track_command=["/usr/bin/curl", 'x" }']), "track_command[1]"),
        (dict(track_timeout=5), "track_timeout: 5 is longer than track_interval x track_fall"),
        (dict(script_user="Root Admin"), "script_user: 'Root Admin' is not a valid user name"),
        (dict(unicast_src=None), "unicast_src: is required"),
    ],
)
def test_refusals_name_the_option_and_the_value(changes, message):
    assert message in refusal(**changes)


def test_a_refused_password_is_never_shown():
    message = refusal(auth_pass="much-too-long-secret")
    assert message.startswith("auth_pass: must be 1 to 8") and "secret" not in message


@pytest.fixture(scope="module")
def keepalived():
    binary = shutil.which("keepalived", path="/usr/sbin:/sbin:/usr/bin")
    if binary is None:
        pytest.fail("keepalived is not installed: run `make deps`")
    return binary


def config_test(keepalived, tmp_path, text):
    path = tmp_path / "keepalived.conf"
    path.write_text(text)
    return subprocess.run(
        [keepalived, "--config-test", "--use-file", str(path)], capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(
    "changes", [dict(auth_pass="s3cret"), dict(unicast_peers=[]), dict(preempt=True), dict(track_command=[])]
)
def test_keepalived_reads_every_rendered_file_without_a_complaint(keepalived, tmp_path, changes):
    # script_user must exist where the file is tested (the role creates keepalived_script on the proxies)
    result = config_test(keepalived, tmp_path, render_vrrp(normalize_vrrp(options(script_user="nobody", **changes))))
    # keepalived prints every problem it finds; on a clean file it prints nothing. (keepalived 2.2.7, this
    # machine's and Debian 12's, ends the test of a file with a vrrp_script by signalling itself, so its exit
    # status alone is not the verdict there; config_test_passed reads both, as the module does.)
    assert result.stderr == "" and result.stdout == "", result.stderr + result.stdout
    assert config_test_passed(result.returncode, result.stdout, result.stderr), result.returncode


def test_keepalived_complains_about_a_file_it_can_not_use(keepalived, tmp_path):
    # the check's user does not exist: keepalived would drop the check, so the module's test must fail
    result = config_test(keepalived, tmp_path, render_vrrp(normalize_vrrp(options(script_user="no_such_user"))))
    assert result.returncode != 0 and "script uid/gid" in result.stderr
    assert not config_test_passed(result.returncode, result.stdout, result.stderr)


def test_a_file_keepalived_complains_about_fails_its_test_whatever_the_exit_status(keepalived, tmp_path):
    text = render_vrrp(normalize_vrrp(options(script_user="nobody"))).replace(
        "    advert_int 1\n", "    advert_int 1\n    bogus_keyword 3\n"
    )
    result = config_test(keepalived, tmp_path, text)
    assert "Unknown keyword 'bogus_keyword'" in result.stderr + result.stdout
    assert not config_test_passed(result.returncode, result.stdout, result.stderr), result.returncode


@pytest.mark.parametrize(
    "returncode, stdout, stderr, passed",
    [
        (0, "", "", True),
        (-15, "", "", True),
        (143, "", "\n", True),
        (-15, "", "(/etc/keepalived/keepalived.conf: Line 10) Unknown keyword 'x'\n", False),
        (143, "WARNING - script '/x' is not executable", "", False),
        (1, "", "", False),
        (-9, "", "", False),
        (5, "", "(keepalived.conf: Line 6) Unknown keyword 'x'", False),
    ],
)
def test_config_test_passed_reads_the_status_and_the_output(returncode, stdout, stderr, passed):
    assert config_test_passed(returncode, stdout, stderr) is passed
