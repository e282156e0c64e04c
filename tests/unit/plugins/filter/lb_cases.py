"""Inventory pieces and the refusal helper the load balancer filter tests share (test_lb*.py)."""

import pytest
from ansible.errors import AnsibleFilterError


def facts(address):
    return {"ansible_default_ipv4": {"address": address, "interface": "eth0"}}


def two_hosts(**app2):
    hv = {"app1": facts("172.19.0.3"), "app2": facts("172.19.0.4")}
    hv["app2"].update(app2)
    return hv


def refused(func, *args, **kwargs):
    with pytest.raises(AnsibleFilterError) as info:
        func(*args, **kwargs)
    return str(info.value)
