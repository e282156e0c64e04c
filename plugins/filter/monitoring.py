# -*- coding: utf-8 -*-
# Copyright: dumbflix.stack maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inventory -> what the monitoring watches, checked on the controller.

- ``monitoring_hosts``: the hosts that run Prometheus, Alertmanager and the blackbox exporter: the monitor
  group, or the first proxy when there is none. Computed once, here, so the firewall and the monitoring
  role can't disagree about who scrapes.
- ``monitoring_scrape_configs``: Prometheus' ``scrape_configs`` for the whole topology; the job names and the
  ``host`` label are what the alert rules match on (docs: roles/monitoring).
- ``monitoring_listen_port``: the port of a ``[host]:port`` listen address.

A host is reached at its ``monitoring_address`` or, unset, its primary IPv4 (the same address the firewall
admits, plugins/filter/firewall.py). Values are checked with the collection's own rules (values.parse_port,
nftables_allowlist.normalize_source, nginx_grammar.validate_host); a refusal names the host, the variable and
the value: ``host app2: dumbflix_port: 0 is below the minimum 1``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.dumbflix.stack.plugins.module_utils.nftables_allowlist import normalize_source
from ansible_collections.dumbflix.stack.plugins.module_utils.nginx_grammar import validate_host
from ansible_collections.dumbflix.stack.plugins.module_utils.values import ValueRefused, parse_port
from ansible_collections.dumbflix.stack.plugins.plugin_utils.inventory import group_hosts, host_vars, primary_ipv4

ADDRESS_VARIABLE = "monitoring_address"
# dumbflix_tls (the load balancer's): off serves plain HTTP only; a bare YAML off arrives as False
TLS_OFF = ("off", "none", "")
TLS_ON = ("self_signed", "provided")
# the per-host variables that move an exporter; the filter's arguments are their defaults
NODE_PORT_VARIABLE = "monitoring_node_exporter_port"
NGINX_PORT_VARIABLE = "monitoring_nginx_exporter_port"
MTAIL_PORT_VARIABLE = "monitoring_mtail_port"
APP_PORT_VARIABLE = "dumbflix_port"
_LISTEN_RE = re.compile(r"(\[[^\]]*\]|[^\[\]:]*):([^:]*)\Z")
# a server that listens everywhere is scraped over loopback by the Prometheus on the same host
_WILDCARDS = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "[::1]"}
# the blackbox exporter's usual relabelling: the listed target becomes the probe's ?target= and the
# instance label, and Prometheus asks the exporter instead
_BLACKBOX_RELABEL = (
    {"source_labels": ["__address__"], "target_label": "__param_target"},
    {"source_labels": ["__param_target"], "target_label": "instance"},
)


def _where(host):
    return "host %s: " % host if host else ""


def _refused(host, exc, field=None):
    return AnsibleFilterError(_where(host) + str(exc if field is None else exc.renamed(field)))


def _groups(groups):
    if not isinstance(groups, Mapping):
        raise AnsibleFilterError(
            "groups: expected Ansible's groups (a dict of group name -> host names), got %r" % (groups,)
        )
    return groups


def monitoring_hosts(groups, group="monitor", proxy_group="proxy"):
    """The monitor hosts: every host of ``group``, or the first host of ``proxy_group`` when ``group`` has none."""
    groups = _groups(groups)
    monitors = group_hosts(groups.get(group, []), group)
    if monitors:
        return monitors
    proxies = group_hosts(groups.get(proxy_group, []), proxy_group)
    if proxies:
        return proxies[:1]
    raise AnsibleFilterError(
        "monitoring_group: %r names no group with hosts, and monitoring_proxy_group: %r has none either, so no host "
        "could run Prometheus: add a host under %s (or %s) in the inventory, or set dumbflix_monitoring: false"
        % (group, proxy_group, group, proxy_group)
    )


def _address(vars_of_host, host):
    """The host's address as a scrape target's host part (``[...]`` around IPv6)."""
    value = vars_of_host.get(ADDRESS_VARIABLE)
    field = ADDRESS_VARIABLE
    if value in (None, ""):
        value, field = primary_ipv4(vars_of_host, host, ADDRESS_VARIABLE), "ansible_default_ipv4.address"
    try:
        network = normalize_source(value, field)
    except ValueRefused as exc:
        raise _refused(host, exc) from None
    if network.prefixlen != network.max_prefixlen:
        raise AnsibleFilterError("host %s: %s: %r is a network, not the host's address" % (host, field, value))
    address = network.network_address
    return "[%s]" % address if address.version == 6 else str(address)


def _port(vars_of_host, host, variable, default):
    """``variable`` of the host, else ``default`` (the role's default of that variable)."""
    value = vars_of_host.get(variable)
    try:
        return parse_port(default if value is None else value, variable)
    except ValueRefused as exc:
        raise _refused(host, exc) from None


def _listen(value, variable, host=None):
    """``[host]:port`` -> (the address Prometheus scrapes it at, the port)."""
    match = _LISTEN_RE.match(value) if isinstance(value, str) else None
    why = ""
    if match:
        name, port = match.groups()
        try:
            port = parse_port(port, "port")
            if name.strip("[]") in _WILDCARDS:
                return "%s:%d" % (_WILDCARDS[name.strip("[]")], port), port
            kind, name = validate_host(name, "host")
            return "%s:%d" % ("[%s]" % name if kind == "ipv6" else name, port), port
        except ValueRefused as exc:
            why = " (%s)" % exc
    raise AnsibleFilterError(
        "%s%s: %r is not a listen address such as 127.0.0.1:9090, 0.0.0.0:9090 or [::1]:9090%s"
        % (_where(host), variable, value, why)
    )


def monitoring_listen_port(value, variable="monitoring_prometheus_listen", host=None):
    """The port of a ``[host]:port`` listen address (``127.0.0.1:9090`` -> 9090), checked."""
    return _listen(value, variable, host)[1]


def _tls_on(tls):
    if tls is None or tls is False or (isinstance(tls, str) and tls.lower() in TLS_OFF):
        return False
    if isinstance(tls, str) and tls in TLS_ON:
        return True
    raise AnsibleFilterError("dumbflix_tls: %r is not one of off, %s" % (tls, ", ".join(TLS_ON)))


def _domain(domain):
    try:
        kind, name = validate_host(domain, "dumbflix_domain")
    except ValueRefused as exc:
        raise _refused(None, exc) from None
    if kind != "hostname":
        raise AnsibleFilterError("dumbflix_domain: %r is an address, not the site's domain" % (domain,))
    return name


class _Inventory(object):
    """The hosts' vars and addresses, each read once; two hosts at one address are refused."""

    def __init__(self, hostvars):
        self.hostvars = hostvars
        self.addresses = {}
        self.owners = {}

    def vars(self, host, group):
        return host_vars(self.hostvars, host, group)

    def address(self, host, group):
        if host not in self.addresses:
            address = _address(self.vars(host, group), host)
            if address in self.owners:
                raise AnsibleFilterError(
                    "host %s: %s: %s is already the address of host %s; each host is scraped at its own address"
                    % (host, ADDRESS_VARIABLE, address, self.owners[address])
                )
            self.owners[address] = host
            self.addresses[host] = address
        return self.addresses[host]


def _static(job, targets, **extra):
    """A scrape config of ``(host, target)`` pairs, each its own static config so it keeps its ``host`` label."""
    config = {"job_name": job}
    config.update(extra)
    config["static_configs"] = [{"targets": [target], "labels": {"host": host}} for host, target in targets]
    return config


def _blackbox(job, module, targets, blackbox):
    relabel = [dict(rule) for rule in _BLACKBOX_RELABEL] + [{"target_label": "__address__", "replacement": blackbox}]
    return _static(job, targets, metrics_path="/probe", params={"module": [module]}, relabel_configs=relabel)


def _unique(*lists):
    seen = []
    for hosts in lists:
        seen += [host for host in hosts if host not in seen]
    return seen


def monitoring_scrape_configs(
    groups,
    hostvars,
    monitor_group="monitor",
    proxy_group="proxy",
    app_group="app",
    domain=None,
    tls="off",
    node_exporter_port=9100,
    nginx_exporter_port=9113,
    mtail_port=3903,
    blackbox_address="127.0.0.1:9115",
    app_default_port=3000,
    prometheus_address="127.0.0.1:9090",
    alertmanager_address="127.0.0.1:9093",
    host=None,
):
    """Prometheus' scrape_configs for the topology, in inventory order; every target labelled ``host``.

    Jobs: ``node`` (every app, proxy and monitor host), ``nginx`` and ``nginx_log`` (proxies), ``backend``
    (each app host's port through the blackbox exporter's ``http_2xx``), ``site`` (each proxy through
    ``http_site``, or ``https_site`` with TLS), ``prometheus`` and ``alertmanager`` (``host``'s own, the
    monitor host the config is for; unset, the first monitor host). A job without targets is left out.
    """
    groups = _groups(groups)
    monitors = monitoring_hosts(groups, monitor_group, proxy_group)
    apps = group_hosts(groups.get(app_group, []), app_group)
    proxies = group_hosts(groups.get(proxy_group, []), proxy_group)
    scheme = "https" if _tls_on(tls) else "http"
    site_labels = {"domain": _domain(domain)} if domain else {}
    blackbox = _listen(blackbox_address, "blackbox_address", host)[0]
    own = host or monitors[0]
    inventory = _Inventory(hostvars)
    group_of = dict((name, monitor_group) for name in monitors)
    group_of.update((name, proxy_group) for name in proxies)
    group_of.update((name, app_group) for name in apps)

    def targets(hosts, variable, default, template="%s:%d"):
        found = []
        for name in hosts:
            group = group_of[name]
            port = _port(inventory.vars(name, group), name, variable, default)
            found.append((name, template % (inventory.address(name, group), port)))
        return found

    configs = [
        _static("node", targets(_unique(apps, proxies, monitors), NODE_PORT_VARIABLE, node_exporter_port)),
        _static("nginx", targets(proxies, NGINX_PORT_VARIABLE, nginx_exporter_port)),
        _static("nginx_log", targets(proxies, MTAIL_PORT_VARIABLE, mtail_port)),
        _blackbox(
            "backend",
            "http_2xx",
            targets(apps, APP_PORT_VARIABLE, app_default_port, "http://%s:%d/"),
            blackbox,
        ),
        _blackbox(
            "site",
            "%s_site" % scheme,
            [(name, "%s://%s/" % (scheme, inventory.address(name, proxy_group))) for name in proxies],
            blackbox,
        ),
        _static("prometheus", [(own, _listen(prometheus_address, "prometheus_address", own)[0])]),
        _static("alertmanager", [(own, _listen(alertmanager_address, "alertmanager_address", own)[0])]),
    ]
    for target in configs[4]["static_configs"]:
        target["labels"].update(site_labels)
    return [config for config in configs if config["static_configs"]]


class FilterModule(object):
    """dumbflix.stack monitoring filters."""

    def filters(self):
        return {
            "monitoring_hosts": monitoring_hosts,
            "monitoring_scrape_configs": monitoring_scrape_configs,
            "monitoring_listen_port": monitoring_listen_port,
        }
