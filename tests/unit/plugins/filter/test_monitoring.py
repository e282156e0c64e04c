"""The monitoring filters (plugins/filter/monitoring.py): who scrapes, and Prometheus' scrape_configs.

The job names and the ``host`` label are what the alert rules of roles/monitoring match on, so the tests pin
them exactly; the refusals name the host, the variable and the value."""

import os
import subprocess

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.dumbflix.stack.plugins.filter.monitoring import (
    FilterModule,
    monitoring_hosts,
    monitoring_listen_port,
    monitoring_scrape_configs,
)


def facts(address, **more):
    return dict({"ansible_default_ipv4": {"address": address, "interface": "eth0"}}, **more)


# the task's topology: one proxy, two app servers, no monitor group
GROUPS = {"all": ["proxy1", "app1", "app2"], "proxy": ["proxy1"], "app": ["app1", "app2"]}
HOSTVARS = {
    "proxy1": facts("192.168.239.134"),
    "app1": facts("192.168.239.135"),
    "app2": facts("192.168.239.136", dumbflix_port=3100),
}

BLACKBOX_RELABEL = [
    {"source_labels": ["__address__"], "target_label": "__param_target"},
    {"source_labels": ["__param_target"], "target_label": "instance"},
    {"target_label": "__address__", "replacement": "127.0.0.1:9115"},
]


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


def promtool():
    """Prometheus' own checker, which scripts/setup-host.sh extracts from Debian's package (make deps)."""
    path = os.path.join(ROOT, os.environ.get("CACHE_DIR", ".cache"), "tools", "bin", "promtool")
    if not os.access(path, os.X_OK):
        pytest.fail("%s is missing: run `make deps` (scripts/setup-host.sh extracts it from Debian's package)" % path)
    return path


def refusal(function, *args, **kwargs):
    with pytest.raises(AnsibleFilterError) as info:
        function(*args, **kwargs)
    return str(info.value)


def by_job(configs):
    return dict((config["job_name"], config) for config in configs)


def targets(config):
    """(host label, target) of every static config of a job."""
    return [(static["labels"]["host"], target) for static in config["static_configs"] for target in static["targets"]]


def test_the_filters_are_registered():
    assert sorted(FilterModule().filters()) == [
        "monitoring_hosts",
        "monitoring_listen_port",
        "monitoring_scrape_configs",
    ]


# ------------------------------------------------------------------------------------------------- monitoring_hosts


@pytest.mark.parametrize(
    "groups, kwargs, expected",
    [
        ({"monitor": ["mon1", "mon2"], "proxy": ["proxy1"]}, {}, ["mon1", "mon2"]),
        ({"proxy": ["proxy1", "proxy2"]}, {}, ["proxy1"]),
        ({"monitor": [], "proxy": ["proxy2", "proxy1"]}, {}, ["proxy2"]),
        ({"watchers": ["w1"], "lbs": ["lb1"]}, {"group": "watchers", "proxy_group": "lbs"}, ["w1"]),
        ({"monitor": [], "lbs": ["lb1"]}, {"proxy_group": "lbs"}, ["lb1"]),
    ],
)
def test_the_monitor_group_else_the_first_proxy(groups, kwargs, expected):
    assert monitoring_hosts(groups, **kwargs) == expected


def test_no_monitor_and_no_proxy_is_refused_naming_the_variables():
    message = refusal(monitoring_hosts, {"app": ["app1"]})
    assert message.startswith(
        "monitoring_group: 'monitor' names no group with hosts, and monitoring_proxy_group: 'proxy'"
    )
    assert "dumbflix_monitoring: false" in message


@pytest.mark.parametrize(
    "groups, message",
    [
        ({"monitor": "mon1"}, "the monitor group: expected a list of host names, got 'mon1'"),
        ({"proxy": {"proxy1": {}}}, "the proxy group: expected a list of host names"),
        (["mon1"], "groups: expected Ansible's groups"),
    ],
)
def test_a_group_that_is_not_a_list_of_names_is_refused(groups, message):
    assert message in refusal(monitoring_hosts, groups)


# ---------------------------------------------------------------------------------------- monitoring_scrape_configs


def test_the_task_topology_gives_every_job_with_host_labels():
    configs = monitoring_scrape_configs(GROUPS, HOSTVARS)
    assert [config["job_name"] for config in configs] == [
        "node",
        "nginx",
        "nginx_log",
        "backend",
        "site",
        "prometheus",
        "alertmanager",
    ]
    jobs = by_job(configs)
    assert targets(jobs["node"]) == [
        ("app1", "192.168.239.135:9100"),
        ("app2", "192.168.239.136:9100"),
        ("proxy1", "192.168.239.134:9100"),
    ]
    assert targets(jobs["nginx"]) == [("proxy1", "192.168.239.134:9113")]
    assert targets(jobs["nginx_log"]) == [("proxy1", "192.168.239.134:3903")]
    assert targets(jobs["backend"]) == [
        ("app1", "http://192.168.239.135:3000/"),
        ("app2", "http://192.168.239.136:3100/"),
    ]
    assert targets(jobs["site"]) == [("proxy1", "http://192.168.239.134/")]
    # Prometheus and Alertmanager are scraped on the monitor host itself: the first proxy here
    assert targets(jobs["prometheus"]) == [("proxy1", "127.0.0.1:9090")]
    assert targets(jobs["alertmanager"]) == [("proxy1", "127.0.0.1:9093")]


def test_the_blackbox_jobs_probe_through_the_exporter():
    jobs = by_job(monitoring_scrape_configs(GROUPS, HOSTVARS))
    for job, module in (("backend", "http_2xx"), ("site", "http_site")):
        assert jobs[job]["metrics_path"] == "/probe"
        assert jobs[job]["params"] == {"module": [module]}
        assert jobs[job]["relabel_configs"] == BLACKBOX_RELABEL
    for job in ("node", "nginx", "nginx_log", "prometheus", "alertmanager"):
        assert set(jobs[job]) == {"job_name", "static_configs"}


@pytest.mark.parametrize("tls", ["self_signed", "provided"])
def test_with_tls_the_site_is_probed_over_https(tls):
    site = by_job(monitoring_scrape_configs(GROUPS, HOSTVARS, tls=tls, domain="alvin.xyz"))["site"]
    assert site["params"] == {"module": ["https_site"]}
    assert site["static_configs"] == [
        {"targets": ["https://192.168.239.134/"], "labels": {"host": "proxy1", "domain": "alvin.xyz"}}
    ]


@pytest.mark.parametrize("tls", ["off", "none", False, None, "OFF"])
def test_tls_off_in_any_spelling_is_plain_http(tls):
    site = by_job(monitoring_scrape_configs(GROUPS, HOSTVARS, tls=tls))["site"]
    assert site["params"] == {"module": ["http_site"]}
    assert targets(site) == [("proxy1", "http://192.168.239.134/")]


def test_a_monitor_group_a_shared_host_and_own_addresses():
    """Releases-like: two hosts are proxy and app at once, a third is the monitor; each host is one node target."""
    groups = {"proxy": ["rel-bookworm", "rel-bullseye"], "app": ["rel-bookworm", "rel-bullseye"], "monitor": ["mon"]}
    hostvars = {
        "rel-bookworm": facts("172.30.240.10"),
        "rel-bullseye": facts("172.30.240.11", monitoring_address="10.9.0.11"),
        "mon": facts("172.30.240.12", monitoring_address="2001:db8::12"),
    }
    jobs = by_job(monitoring_scrape_configs(groups, hostvars, blackbox_address="127.0.0.1:9115"))
    assert targets(jobs["node"]) == [
        ("rel-bookworm", "172.30.240.10:9100"),
        ("rel-bullseye", "10.9.0.11:9100"),
        ("mon", "[2001:db8::12]:9100"),
    ]
    assert targets(jobs["backend"]) == [
        ("rel-bookworm", "http://172.30.240.10:3000/"),
        ("rel-bullseye", "http://10.9.0.11:3000/"),
    ]
    assert targets(jobs["prometheus"]) == [("mon", "127.0.0.1:9090")]


def test_ports_and_addresses_come_from_the_arguments_and_each_hosts_own_variables():
    hostvars = dict(HOSTVARS)
    hostvars["proxy1"] = facts("192.168.239.134", monitoring_node_exporter_port="9200", monitoring_mtail_port=3904)
    jobs = by_job(
        monitoring_scrape_configs(
            GROUPS,
            hostvars,
            node_exporter_port=9101,
            nginx_exporter_port=9114,
            app_default_port="3001",
            blackbox_address="[::1]:9116",
            prometheus_address="0.0.0.0:9091",
            alertmanager_address="[::]:9094",
            host="proxy1",
        )
    )
    assert targets(jobs["node"])[-1] == ("proxy1", "192.168.239.134:9200")
    assert targets(jobs["node"])[0] == ("app1", "192.168.239.135:9101")
    assert targets(jobs["nginx"]) == [("proxy1", "192.168.239.134:9114")]
    assert targets(jobs["nginx_log"]) == [("proxy1", "192.168.239.134:3904")]
    assert targets(jobs["backend"])[0] == ("app1", "http://192.168.239.135:3001/")
    assert jobs["backend"]["relabel_configs"][-1] == {"target_label": "__address__", "replacement": "[::1]:9116"}
    assert targets(jobs["prometheus"]) == [("proxy1", "127.0.0.1:9091")]
    assert targets(jobs["alertmanager"]) == [("proxy1", "[::1]:9094")]


def test_each_monitor_host_scrapes_its_own_prometheus():
    groups = dict(GROUPS, monitor=["mon1", "mon2"])
    hostvars = dict(HOSTVARS, mon1=facts("10.0.0.1"), mon2=facts("10.0.0.2"))
    for host in ("mon1", "mon2"):
        jobs = by_job(monitoring_scrape_configs(groups, hostvars, host=host, prometheus_address="10.0.0.9:9090"))
        assert targets(jobs["prometheus"]) == [(host, "10.0.0.9:9090")]


def test_a_new_backend_adds_its_targets_in_inventory_order():
    groups = dict(GROUPS, app=["app1", "app2", "app3"])
    hostvars = dict(HOSTVARS, app3=facts("192.168.239.137"))
    jobs = by_job(monitoring_scrape_configs(groups, hostvars))
    assert [target[0] for target in targets(jobs["node"])] == ["app1", "app2", "app3", "proxy1"]
    assert [target[0] for target in targets(jobs["backend"])] == ["app1", "app2", "app3"]


def test_jobs_without_targets_are_left_out():
    groups = {"proxy": ["proxy1"]}
    jobs = by_job(monitoring_scrape_configs(groups, {"proxy1": facts("10.0.0.1")}))
    assert sorted(jobs) == ["alertmanager", "nginx", "nginx_log", "node", "prometheus", "site"]


@pytest.mark.parametrize("tls", ["off", "self_signed"])
def test_prometheus_accepts_the_configs(tmp_path, tls):
    """promtool check config reads the file as Prometheus would, relabel rules and IPv6 targets included."""
    groups = dict(GROUPS, monitor=["mon1"])
    hostvars = dict(HOSTVARS, mon1=facts("10.0.0.1", monitoring_address="2001:db8::1"))
    configs = monitoring_scrape_configs(groups, hostvars, tls=tls, domain="alvin.xyz", host="mon1")
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump({"global": {"scrape_interval": "15s"}, "scrape_configs": configs}))
    done = subprocess.run([promtool(), "check", "config", str(path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_same_inventory_gives_the_same_configs():
    assert monitoring_scrape_configs(GROUPS, HOSTVARS) == monitoring_scrape_configs(GROUPS, HOSTVARS)


@pytest.mark.parametrize(
    "hostvars, kwargs, message",
    [
        (
            {"app1": {}},
            {},
            "host app1: monitoring_address: not set, and the host has no primary IPv4 in its facts",
        ),
        (
            {"app1": facts("10.0.0.5", monitoring_address="app1.example")},
            {},
            "host app1: monitoring_address: 'app1.example' is not an IP address or network",
        ),
        (
            {"app1": facts("10.0.0.5", monitoring_address="10.0.0.0/24")},
            {},
            "host app1: monitoring_address: '10.0.0.0/24' is a network, not the host's address",
        ),
        (
            {"app1": facts("10.0.0.5", dumbflix_port=0), "app2": facts("10.0.0.6")},
            {},
            "host app1: dumbflix_port: 0 is below the minimum 1",
        ),
        (
            {"app1": facts("10.0.0.5", monitoring_node_exporter_port="http")},
            {},
            "host app1: monitoring_node_exporter_port: 'http' is not an integer",
        ),
        (
            {"app1": facts("10.0.0.5")},
            {"node_exporter_port": 70000},
            "host app1: monitoring_node_exporter_port: 70000 is above the maximum 65535",
        ),
        (
            {"app1": facts("10.0.0.5"), "app2": facts("10.0.0.6")},
            {"app_default_port": True},
            "host app1: dumbflix_port: True is a boolean, not an integer",
        ),
        (
            {"app1": facts("10.0.0.5"), "app2": facts("10.0.0.5")},
            {},
            "host app2: monitoring_address: 10.0.0.5 is already the address of host app1",
        ),
        ({}, {}, "host app1: is in the app group but has no hostvars"),
        (
            {"app1": facts("10.0.0.5"), "app2": facts("10.0.0.6")},
            {"tls": "on"},
            "dumbflix_tls: 'on' is not one of off, self_signed, provided",
        ),
        (
            {"app1": facts("10.0.0.5"), "app2": facts("10.0.0.6")},
            {"domain": "bad domain"},
            "dumbflix_domain: 'bad domain'",
        ),
        (
            {"app1": facts("10.0.0.5"), "app2": facts("10.0.0.6")},
            {"blackbox_address": "127.0.0.1"},
            "blackbox_address: '127.0.0.1' is not a listen address such as 127.0.0.1:9090",
        ),
        (
            {"app1": facts("10.0.0.5"), "app2": facts("10.0.0.6")},
            {"prometheus_address": "127.0.0.1:99999", "host": "mon1"},
            "host mon1: prometheus_address: '127.0.0.1:99999' is not a listen address such as 127.0.0.1:9090, "
            "0.0.0.0:9090 or [::1]:9090 (port: '99999' is above the maximum 65535)",
        ),
    ],
)
def test_bad_values_name_the_host_the_variable_and_the_value(hostvars, kwargs, message):
    groups = {"app": ["app1", "app2"], "proxy": [], "monitor": ["app1"]}
    assert message in refusal(monitoring_scrape_configs, groups, hostvars, **kwargs)


def test_no_host_to_run_prometheus_is_refused():
    assert "monitoring_group: 'monitor' names no group" in refusal(
        monitoring_scrape_configs, {"app": ["app1"]}, {"app1": facts("10.0.0.5")}
    )


# ------------------------------------------------------------------------------------------- monitoring_listen_port


@pytest.mark.parametrize(
    "value, port",
    [("127.0.0.1:9090", 9090), ("0.0.0.0:9093", 9093), (":9090", 9090), ("[::1]:9091", 9091), ("localhost:9092", 9092)],
)
def test_the_port_of_a_listen_address(value, port):
    assert monitoring_listen_port(value) == port


@pytest.mark.parametrize(
    "value, message",
    [
        (9090, "host mon1: monitoring_alertmanager_listen: 9090 is not a listen address"),
        ("9090", "host mon1: monitoring_alertmanager_listen: '9090' is not a listen address"),
        ("127.0.0.1:0", "host mon1: monitoring_alertmanager_listen: '127.0.0.1:0' is not a listen address"),
        ("127.0.0.1:0", "(port: '0' is below the minimum 1)"),
        ("300.0.0.1:9093", "(host: '300.0.0.1' is not a valid IPv4 address)"),
        ("[::g]:9093", "(host: '[::g]' is not a valid IPv6 address)"),
        ("::1:9093", "is not a listen address"),
    ],
)
def test_a_bad_listen_address_is_refused(value, message):
    assert message in refusal(monitoring_listen_port, value, "monitoring_alertmanager_listen", host="mon1")
