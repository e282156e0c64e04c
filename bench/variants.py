"""The proxy configurations the bench compares, as module arguments for dumbflix.stack.nginx_upstream and
nginx_reverse_proxy: the collection's (its role's defaults, read from the role so the bench never drifts
from them), with one thing changed for a knob, and the task's naive hand-written config."""

import functools
import os

from . import ROOT


@functools.lru_cache(maxsize=None)
def lb_defaults():
    """The load_balancer role's defaults, read from the role so the bench never drifts from them."""
    import yaml  # PyYAML comes with Ansible

    with open(os.path.join(ROOT, "roles", "load_balancer", "defaults", "main.yml")) as fh:
        return yaml.safe_load(fh)


# The collection's defaults, as a converge writes them; variants change one thing.
def collection_upstream(lab, hosts, **over):
    d = lb_defaults()
    args = {
        "name": lab.upstream,
        "servers": lab.servers(hosts),
        "keepalive": d["lb_keepalive"],
        "zone_size": d["lb_zone_size"],
    }
    args.update(over)
    return args


def collection_site(lab, **over):
    d = lb_defaults()
    args = {
        "name": lab.site,
        "server_names": [lab.domain],
        "upstream": lab.upstream,
        "connect_timeout": d["lb_connect_timeout"],
        "read_timeout": d["lb_read_timeout"],
        "enabled": "sites",
    }
    if lab.tls:
        args.update(lab.tls, http2=d["lb_http2"])
    args.update(over)
    return args


def naive_variant(lab):
    """What the task writes by hand: a plain upstream and proxy_pass, nginx's default timeouts,
    no keep-alive to the backends, no shared zone."""
    return (
        {"name": lab.upstream, "servers": lab.servers(lab.apps), "keepalive": 0, "zone_size": "0"},
        {
            "name": lab.site,
            "server_names": [lab.domain],
            "upstream": lab.upstream,
            "connect_timeout": "60s",
            "read_timeout": "60s",
            "websocket": False,
            "security_headers": False,
            "enabled": "sites",
            # the task's config has no TLS; with the lab on HTTPS it gets the certificate and nothing else
            **(lab.tls or {}),
        },
    )
