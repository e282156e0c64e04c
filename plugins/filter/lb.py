# -*- coding: utf-8 -*-
# Copyright: dumbflix.stack maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inventory -> load balancer data, checked on the controller before any host changes.

The value rules live in module_utils (``nginx_upstream_conf``, ``nginx_site_conf``,
``nginx_grammar``): the same code the modules run on the proxy.  These filters
only say *where* a bad value came from (the host and the variable the caller
names), so a refusal reads ``host app2: lb_backend.weight: 0 is below the minimum 1``.
They know no role's variable names: the caller passes them in.

- ``lb_servers``: the hosts of the app group -> the ``servers`` list of
  ``dumbflix.stack.nginx_upstream``.
- ``lb_upstream`` / ``lb_site``: the whole upstream / server block checked as the
  modules will check it; errors name the variable the caller maps each option to.
- ``lb_domain``: one literal host name (the site's domain).
- ``lb_hosts_line``: the ``/etc/hosts`` line for the proxy.
- ``lb_drain``: a checked server list with some app hosts marked ``down``
  (the rolling deploy drains a batch of backends this way).
- ``lb_tls_provided``: a user's certificate and key (``dumbflix_tls: provided``), judged from
  openssl's output on the proxy.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.dumbflix.stack.plugins.module_utils.nginx_grammar import (
    validate_host,
    validate_server_name,
)
from ansible_collections.dumbflix.stack.plugins.module_utils.nginx_site_conf import (
    SITE_OPTIONS,
    normalize_reverse_proxy,
)
from ansible_collections.dumbflix.stack.plugins.module_utils.nginx_upstream_conf import (
    UPSTREAM_OPTIONS,
    normalize_upstream,
    normalize_upstream_server,
)
from ansible_collections.dumbflix.stack.plugins.module_utils.tls_certificate import check_certificate_pair
from ansible_collections.dumbflix.stack.plugins.module_utils.values import (
    ValueRefused,
    item_field,
    join_field,
    split_field,
)
from ansible_collections.dumbflix.stack.plugins.plugin_utils.inventory import group_hosts, host_vars, primary_ipv4

# The keys of lb_backend a user may set; the port comes from dumbflix_port.
LB_BACKEND_KEYS = ("address", "weight", "max_fails", "fail_timeout", "backup", "down", "max_conns")


def _message(field, exc, host=None):
    """``host H: FIELD: VALUE reason`` from a ValueRefused, said about ``field``."""
    text = str(exc.renamed(field))
    return "host %s: %s" % (host, text) if host else text


def _plain(value):
    """Copy Ansible's (possibly lazy or tagged) containers into plain ones."""
    if isinstance(value, Mapping):
        return dict((k, _plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _default_address(host, hv, variable):
    """The host's primary IPv4 from facts, or an error saying what to set."""
    return primary_ipv4(hv, host, variable + ".address")


def _host_list(app_hosts, group):
    return group_hosts(
        app_hosts, group, "the load balancer needs at least one backend; add a host under %s in the inventory" % group
    )


def lb_servers(app_hosts, hostvars, default_port, group="app", variable="lb_backend", port_variable="dumbflix_port"):
    """Build the checked upstream server list from the hosts of the app group.

    Per host: the optional dict ``lb_backend`` (nginx server parameters and
    ``address``), ``dumbflix_port`` (else ``default_port``) and, when
    ``lb_backend.address`` is not set, the fact ``ansible_default_ipv4.address``.
    Returns normalized server dicts in inventory order.
    """
    hosts = _host_list(app_hosts, group)
    servers = []
    owner = {}
    for host in hosts:
        hv = host_vars(hostvars, host, group)
        backend = hv.get(variable)
        if backend is None:
            backend = {}
        if not isinstance(backend, Mapping):
            raise AnsibleFilterError(
                "host %s: %s: %r is not a dict of server parameters (%s)"
                % (host, variable, backend, ", ".join(LB_BACKEND_KEYS))
            )
        backend = _plain(backend)
        unknown = sorted(str(k) for k in backend if k not in LB_BACKEND_KEYS)
        if unknown:
            raise AnsibleFilterError(
                "host %s: %s.%s: is not a known key (allowed: %s)"
                % (host, variable, unknown[0], ", ".join(LB_BACKEND_KEYS))
            )
        server = dict((k, v) for k, v in backend.items() if v is not None)
        if server.get("address") in (None, ""):
            server["address"] = _default_address(host, hv, variable)
            address_from = "ansible_default_ipv4.address"
        else:
            address_from = join_field(variable, "address")
        port = hv.get(port_variable)
        server["port"] = default_port if port is None else port

        try:
            normalized = normalize_upstream_server(server, field=variable)
        except ValueRefused as exc:
            field = exc.field
            if field == join_field(variable, "port"):
                field = port_variable
            elif field == join_field(variable, "address"):
                field = address_from
            raise AnsibleFilterError(_message(field, exc, host)) from None

        key = (normalized["address"], normalized["port"])
        if key in owner:
            shown = normalized["address"] if key[1] is None else "%s:%s" % key
            raise AnsibleFilterError(
                "host %s: %s: backend %s is already the backend of host %s; every app host needs its own address:port"
                % (host, address_from, shown, owner[key])
            )
        owner[key] = host
        servers.append(normalized)
    return servers


def _block_options(filter_name, module, options, variables, table, filled=()):
    """Plain copies of ``options`` and ``variables``, refusing keys ``module`` does not take.

    ``filled`` are the options the filter fills in itself (``servers``).
    """
    if not isinstance(options, Mapping):
        raise AnsibleFilterError("%s: expected a dict of %s options, got %r" % (filter_name, module, options))
    if not isinstance(variables, Mapping):
        raise AnsibleFilterError(
            "%s: variables: expected a dict of option -> variable name, got %r" % (filter_name, variables)
        )
    for prefix, keys in (("", options), ("variables: ", variables)):
        unknown = sorted(str(key) for key in keys if key not in table or key in filled)
        if unknown:
            raise AnsibleFilterError("%s: %sunknown option %s" % (filter_name, prefix, ", ".join(unknown)))
    return _plain(options), _plain(variables)


def lb_upstream(servers, app_hosts, options, variables, host=None, group="app", variable="lb_backend"):
    """Check the whole upstream as ``dumbflix.stack.nginx_upstream`` will and return it normalized.

    ``servers`` comes from ``lb_servers`` (same order as ``app_hosts``);
    ``options`` are nginx_upstream options (name, method, hash_key, consistent,
    keepalive, zone_size, ...) and ``variables`` maps an option to the name
    errors show for it (``{'method': 'lb_method'}``).  A server-level error
    names the app host and ``variable`` (for example ``backup`` with
    ``method: ip_hash``).
    """
    hosts = _host_list(app_hosts, group)
    opts, names = _block_options("lb_upstream", "nginx_upstream", options, variables, UPSTREAM_OPTIONS, ("servers",))
    opts["servers"] = _plain(servers)
    try:
        return normalize_upstream(opts)
    except ValueRefused as exc:
        name, index, rest = split_field(exc.field)
        if name == "servers" and index is not None and index < len(hosts):
            raise AnsibleFilterError(_message(variable + rest, exc, hosts[index])) from None
        if name == "servers":
            raise AnsibleFilterError(_message("the %s group (%s)" % (group, variable), exc, host)) from None
        raise AnsibleFilterError(_message(names.get(name, name) + rest, exc, host)) from None


def lb_site(options, variables, host=None, domain_variable="dumbflix_domain", aliases_variable="lb_server_aliases"):
    """Check the server block as ``dumbflix.stack.nginx_reverse_proxy`` will and return it normalized.

    ``options`` are nginx_reverse_proxy options; ``server_names[0]`` is the
    domain, the rest are the aliases.  ``variables`` maps an option to the name
    errors show for it (``{'connect_timeout': 'lb_connect_timeout'}``).
    """
    opts, names = _block_options("lb_site", "nginx_reverse_proxy", options, variables, SITE_OPTIONS)
    try:
        return normalize_reverse_proxy(opts)
    except ValueRefused as exc:
        name, index, rest = split_field(exc.field)
        if name == "server_names":
            if index is None:
                field = domain_variable
            elif index == 0:
                field = domain_variable + rest
            else:
                field = item_field(aliases_variable, index - 1) + rest
        else:
            field = names.get(name, name)
            field = (field if index is None else item_field(field, index)) + rest
        raise AnsibleFilterError(_message(field, exc, host)) from None


def lb_domain(value, variable="dumbflix_domain", host=None):
    """Check the site's domain (one literal host name) and return it lowercased.

    It goes into nginx's server_name and into /etc/hosts, so the wildcards and
    the catch-all ``_`` that server_name also accepts are refused here.
    """
    where = "host %s: %s" % (host, variable) if host else variable
    if value is None or (isinstance(value, str) and not value.strip()):
        raise AnsibleFilterError("%s: is required: the domain the proxy serves, e.g. alvin.xyz" % where)
    try:
        name = validate_server_name(value, variable)
    except ValueRefused as exc:
        raise AnsibleFilterError(_message(variable, exc, host)) from None
    if "*" in name or name.startswith(".") or name == "_":
        raise AnsibleFilterError(
            "%s: %r is a server_name pattern, not a domain; set one host name such as alvin.xyz" % (where, value)
        )
    return name


def lb_hosts_line(address, domain, host=None, variable="lb_hosts_address"):
    """Return the ``/etc/hosts`` line ``ADDRESS DOMAIN``; ADDRESS must be an IPv4 or IPv6 address."""
    if address in (None, ""):
        raise AnsibleFilterError(
            "%s%s: not set, and the host has no primary IPv4 in its facts (ansible_default_ipv4.address)"
            % ("host %s: " % host if host else "", variable)
        )
    try:
        kind, normalized = validate_host(address, variable)
    except ValueRefused as exc:
        raise AnsibleFilterError(_message(variable, exc, host)) from None
    if kind not in ("ipv4", "ipv6"):
        raise AnsibleFilterError(
            "%s%s: %r is not an IP address" % ("host %s: " % host if host else "", variable, address)
        )
    return "%s %s" % (normalized, lb_domain(domain, host=host))


def lb_drain(servers, backend_hosts, drained, variable="dumbflix_rollout"):
    """Return ``servers`` with the servers of the app hosts in ``drained`` marked ``down``.

    ``servers`` and ``backend_hosts`` come from one ``lb_servers`` run, in the same
    order (the upstream's servers are the app group's hosts in inventory order).  A
    drained host that is not a backend is refused: the upstream would not change and
    the host would be switched while still taking requests.
    """
    servers = _plain(servers)
    hosts = list(backend_hosts or [])
    if not isinstance(servers, list) or len(servers) != len(hosts):
        raise AnsibleFilterError(
            "%s: the upstream has %s servers for %d app hosts (%s); converge the load balancer again"
            % (variable, len(servers) if isinstance(servers, list) else repr(servers), len(hosts), ", ".join(hosts))
        )
    drained = list(drained or [])
    strangers = [h for h in drained if h not in hosts]
    if strangers:
        raise AnsibleFilterError(
            "host %s: %s: is not a backend of this upstream (its servers are the hosts %s); "
            "converge the load balancer with it in the app group first" % (strangers[0], variable, ", ".join(hosts))
        )
    return [dict(server, down=True) if host in drained else server for host, server in zip(hosts, servers)]


def lb_tls_provided(
    x509_result,
    pkey_result,
    certificate,
    key,
    names,
    host=None,
    certificate_variable="lb_tls_certificate",
    key_variable="lb_tls_certificate_key",
    domain_variable="dumbflix_domain",
    aliases_variable="lb_server_aliases",
):
    """Refuse a provided certificate/key pair before nginx is touched; errors name the host and the variable.

    ``x509_result`` / ``pkey_result`` are the registered results of ``openssl x509 -in CERT -noout
    -enddate -ext subjectAltName -pubkey`` and ``openssl pkey -in KEY -pubout`` on the proxy;
    ``names`` are the domain, then the aliases.  Returns ``{'not_after', 'dns_names'}``.
    """
    try:
        return check_certificate_pair(_plain(x509_result), _plain(pkey_result), certificate, key, list(names))
    except ValueRefused as exc:
        name, index, rest = split_field(exc.field)
        if name == "certificate":
            field = certificate_variable
        elif name == "key":
            field = key_variable
        elif index == 0:
            field = domain_variable
        else:
            field = item_field(aliases_variable, index - 1)
        raise AnsibleFilterError(_message(field + rest, exc, host)) from None


class FilterModule(object):
    """dumbflix.stack load balancer filters."""

    def filters(self):
        return {
            "lb_servers": lb_servers,
            "lb_upstream": lb_upstream,
            "lb_site": lb_site,
            "lb_domain": lb_domain,
            "lb_hosts_line": lb_hosts_line,
            "lb_drain": lb_drain,
            "lb_tls_provided": lb_tls_provided,
        }
