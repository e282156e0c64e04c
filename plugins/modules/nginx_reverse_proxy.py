#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dumbflix.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: nginx_reverse_proxy
short_description: Manage one nginx reverse-proxy site (server block and its log format), validated with C(nginx -t)
version_added: 0.1.0
description:
  - Renders one site proxying a domain to an nginx upstream (see M(dumbflix.stack.nginx_upstream)) or to a single URL, into
    one file, and switches it on the Debian way (C(sites-available/NAME) plus a symlink in C(sites-enabled)) or through
    C(conf.d/NAME.conf).
  - The file holds a C(log_format NAME_upstream) whose lines end in C(upstream_addr="$upstream_addr"
    upstream_status="$upstream_status" upstream_response_time="$upstream_response_time"), so one can count which backend
    served which request, a C(map) for WebSocket upgrades, and one C(server) block (two with an HTTP to HTTPS redirect).
  - The location sends the headers a backend needs (C(Host), C(X-Real-IP), C(X-Forwarded-For), C(X-Forwarded-Proto),
    C(X-Forwarded-Host)) and speaks HTTP/1.1 to the backend so upstream keep-alive works.
  - Every value is validated before any file is touched and refusals name the field, for example
    V(server_names[1]) or V(next_upstream[0]). Values that could carry nginx syntax are always refused.
  - Files are rewritten only when their content changes (byte for byte). With O(validate=true) the whole nginx configuration
    is tested after the change and everything (file, symlink, removed files) is restored exactly if C(nginx -t) fails.
  - The module never reloads nginx. Notify a handler when it reports C(changed).
author:
  - dumbflix.stack maintainers (!UNKNOWN)
# nginx_test sets the attributes' support: it comes before action_common_attributes, whose platform says N/A
extends_documentation_fragment:
  - dumbflix.stack.nginx_test
  - dumbflix.stack.managed_file
  - ansible.builtin.action_common_attributes
  - ansible.builtin.files
options:
  name:
    description:
      - Site name, the file name stem (C(sites-available/NAME) or C(conf.d/NAME.conf)) and the prefix of the log format
        C(NAME_upstream).
      - C([A-Za-z_][A-Za-z0-9_.-]*), at most 128 characters.
    type: str
    required: true
  server_names:
    description:
      - Host names the site answers to (C(server_name)). Lowercased; each may appear once.
      - Host names, IPv4 addresses, C(_) (catch-all), C(*.example.com), C(www.example.*) and C(.example.com) are accepted;
        regular expressions are not.
      - Required when O(state=present).
    type: list
    elements: str
  listen:
    description:
      - Plain HTTP listen addresses, each a port (C(80)), C(IPv4:port), C(*:port) or C([IPv6]:port).
      - May be empty when TLS is configured (HTTPS only).
    type: list
    elements: raw
    default: [80]
  default_server:
    description: Mark every C(listen) of this site C(default_server).
    type: bool
    default: false
  upstream:
    description:
      - Name of an nginx upstream to proxy to (C(proxy_pass http://NAME)). Mutually exclusive with O(backend_url).
    type: str
  backend_url:
    description:
      - Single backend URL, C(http://) or C(https://), host (name, IPv4 or [IPv6]), optional port and path, for example
        C(http://127.0.0.1:3000). Mutually exclusive with O(upstream).
    type: str
  websocket:
    description: Forward WebSocket upgrades (C(Upgrade) and C(Connection) headers through a C(map)).
    type: bool
    default: true
  connect_timeout:
    description:
      - C(proxy_connect_timeout), an nginx time greater than 0. Keep it short so a dead backend is skipped quickly
        (nginx's own default is 60s).
    type: str
    default: 3s
  read_timeout:
    description: C(proxy_read_timeout), an nginx time greater than 0.
    type: str
    default: 60s
  send_timeout:
    description: C(proxy_send_timeout), an nginx time greater than 0.
    type: str
    default: 60s
  next_upstream:
    description:
      - Failover policy, C(proxy_next_upstream) conditions on which a request is passed to the next server.
      - V(off) disables passing and cannot be combined with other conditions. Rendered in a fixed order.
    type: list
    elements: str
    choices: [error, timeout, invalid_header, http_500, http_502, http_503, http_504, http_403, http_404, http_429,
              non_idempotent, 'off']
    default: [error, timeout, http_502, http_503, http_504]
  next_upstream_tries:
    description: C(proxy_next_upstream_tries), number of tries, 0 meaning unlimited.
    type: int
    default: 0
  next_upstream_timeout:
    description: C(proxy_next_upstream_timeout), an nginx time; 0 means unlimited.
    type: str
    default: '0'
  client_max_body_size:
    description: Largest request body accepted, an nginx size such as C(1m), C(512k) or C(0) (no limit).
    type: str
    default: 1m
  access_log:
    description:
      - Access log path (absolute), written in the C(NAME_upstream) format, or V(off).
      - Defaults to C(/var/log/nginx/NAME.access.log). The directory must exist (C(nginx -t) opens the file).
    type: str
  tls_certificate:
    description: Certificate (chain) file for TLS. TLS is enabled when this and O(tls_certificate_key) are set.
    type: str
  tls_certificate_key:
    description: Private key file for TLS.
    type: str
  tls_listen:
    description: TLS listen addresses (same forms as O(listen)); used when TLS is enabled.
    type: list
    elements: raw
    default: [443]
  tls_redirect:
    description:
      - With TLS, answer plain HTTP on O(listen) with a permanent redirect to HTTPS (first O(tls_listen) port) instead of
        proxying.
    type: bool
    default: true
  tls_redirect_port:
    description:
      - The HTTPS port that redirect sends browsers to, when it is not the port nginx listens on (a port published by
        Docker or forwarded by a router, such as C(8443) for C(tls_listen=[443])).
      - Defaults to the port of the first O(tls_listen); C(443) is left out of the URL.
    type: int
  hsts:
    description: Send C(Strict-Transport-Security max-age=HSTS_MAX_AGE) on HTTPS responses. Needs TLS.
    type: bool
    default: false
  hsts_max_age:
    description:
      - Seconds browsers remember to use only HTTPS for the site once they saw the header (O(hsts)), 0 to 2147483647.
      - Start low (C(300)) while trying HTTPS out; a year (the default) once it works, because browsers keep it.
    type: int
    default: 31536000
  http2:
    description:
      - Enable HTTP/2 on the TLS ports. Needs TLS. Uses C(http2 on;) on nginx 1.25.1 and later (detected with C(nginx -v)),
        the C(listen ... http2) flag otherwise.
    type: bool
    default: false
  security_headers:
    description:
      - Send C(X-Content-Type-Options nosniff), C(X-Frame-Options SAMEORIGIN) and
        C(Referrer-Policy strict-origin-when-cross-origin) on every response.
    type: bool
    default: true
  rate_limit:
    description:
      - Requests per client address (C($binary_remote_addr)) the site passes on, an nginx rate such as V(10r/s) or
        V(300r/m); more are answered C(429 Too Many Requests). Unset means no limit.
      - Rendered as C(limit_req_zone ... zone=NAME_req:1m) (the state of about 16 000 addresses) in the site's file
        and C(limit_req) with C(limit_req_status 429) in its C(location /).
      - Behind another proxy or a NAT every client shares one address; size the rate for that.
    type: str
  rate_limit_burst:
    description:
      - Requests a client may send above O(rate_limit) at once, served without delay (C(nodelay)), for example a
        page load's HTML and assets. 0 to 100000; needs O(rate_limit).
    type: int
    default: 0
  enabled:
    description:
      - How the site is switched on.
      - V(sites) writes C(CONFIG_DIR/sites-available/NAME) and links it from C(CONFIG_DIR/sites-enabled/NAME) (Debian).
      - V(conf.d) writes C(CONFIG_DIR/conf.d/NAME.conf).
      - Files of the other layout that this module wrote before (recognized by their header, or a link to the
        C(sites-available) file) are removed, so switching layouts never leaves two copies.
    type: str
    choices: [sites, conf.d]
    default: sites
  config_dir:
    description: nginx configuration directory holding C(sites-available), C(sites-enabled) and C(conf.d).
    type: path
    default: /etc/nginx
  state:
    description: Whether the site should exist. V(absent) removes the files and link this module manages for O(name).
notes:
  - The rendered file belongs inside nginx's C(http {}) context, which is where Debian's C(sites-enabled/*) and
    C(conf.d/*.conf) includes are.
  - Backup copies are written next to the file; keep them out of directories included with C(*) (C(sites-enabled) never
    gets backups).
seealso:
  - module: dumbflix.stack.nginx_upstream
  - name: nginx proxy module
    description: The proxy_* directives used here.
    link: https://nginx.org/en/docs/http/ngx_http_proxy_module.html
"""

EXAMPLES = r"""
- name: Proxy alvin.xyz to the dumbflix upstream, failing over quickly
  dumbflix.stack.nginx_reverse_proxy:
    name: dumbflix
    server_names: [alvin.xyz, www.alvin.xyz]
    upstream: dumbflix
    connect_timeout: 2s
    next_upstream: [error, timeout, http_502, http_503, http_504]
    next_upstream_tries: 3
  notify: Reload nginx

- name: HTTPS with redirect, HSTS and HTTP/2
  dumbflix.stack.nginx_reverse_proxy:
    name: dumbflix
    server_names: [alvin.xyz]
    upstream: dumbflix
    tls_certificate: /etc/ssl/certs/alvin.xyz.pem
    tls_certificate_key: /etc/ssl/private/alvin.xyz.key
    hsts: true
    http2: true
  notify: Reload nginx

- name: One backend, conf.d layout
  dumbflix.stack.nginx_reverse_proxy:
    name: api
    server_names: [api.example.com]
    backend_url: http://127.0.0.1:5000
    enabled: conf.d
    websocket: false
    client_max_body_size: 10m

- name: Remove the site
  dumbflix.stack.nginx_reverse_proxy:
    name: dumbflix
    state: absent
"""

RETURN = r"""
path:
  description: The site file (C(sites-available/NAME) or C(conf.d/NAME.conf)).
  returned: always
  type: str
  sample: /etc/nginx/sites-available/dumbflix
link:
  description: The C(sites-enabled) symlink pointing at RV(path), or V(null) with O(enabled=conf.d).
  returned: always
  type: str
  sample: /etc/nginx/sites-enabled/dumbflix
content:
  description: The rendered file content; empty when O(state=absent).
  returned: always
  type: str
backup_file:
  description: The backup copy made of the previous site file, when O(backup=true) and it changed.
  returned: changed and O(backup=true) and a previous file existed
  type: str
  sample: /etc/nginx/sites-available/dumbflix.2412.2024-05-01@10:11:12~
server_names:
  description: The server names after normalization (lowercased). Empty when O(state=absent).
  returned: always
  type: list
  elements: str
  sample: [alvin.xyz, www.alvin.xyz]
log_format:
  description: Name of the log format the access log uses.
  returned: always
  type: str
  sample: dumbflix_upstream
nginx_error:
  description: nginx's error text when C(nginx -t) rejected the new configuration (the module then fails).
  returned: failure
  type: str
  sample: 'nginx: [emerg] host not found in upstream "dumbflix" in /etc/nginx/sites-enabled/dumbflix:30'
"""

import copy
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dumbflix.stack.plugins.module_utils.nginx_file import (
    ABSENT,
    FILE,
    LINK,
    NGINX_FILE_ARGS,
    Change,
    exit_with_changes,
    nginx_version,
    read_state,
)
from ansible_collections.dumbflix.stack.plugins.module_utils.nginx_grammar import validate_identifier
from ansible_collections.dumbflix.stack.plugins.module_utils.nginx_site_conf import (
    REVERSE_PROXY_HEADER,
    SITE_OPTIONS,
    log_format_name,
    normalize_reverse_proxy,
    render_reverse_proxy,
)
from ansible_collections.dumbflix.stack.plugins.module_utils.values import ValueRefused

ARGUMENT_SPEC = dict(
    SITE_OPTIONS,
    enabled=dict(type="str", default="sites", choices=["sites", "conf.d"]),
    config_dir=dict(type="path", default="/etc/nginx"),
    **NGINX_FILE_ARGS,
)


def site_paths(config_dir, name):
    """Pure: the three places a site may live."""
    return {
        "available": os.path.join(config_dir, "sites-available", name),
        "enabled": os.path.join(config_dir, "sites-enabled", name),
        "confd": os.path.join(config_dir, "conf.d", name + ".conf"),
    }


def _managed(state):
    return state[0] == FILE and state[1].startswith(REVERSE_PROXY_HEADER.encode("utf-8"))


def plan(params, content, states):
    """Pure: the list of Changes for ``params`` given the current ``states`` of the site paths.

    Returns ``(changes, main_path, link_path)``.
    """
    paths = site_paths(params["config_dir"], params["name"])
    removals = []
    if params["state"] == "absent":
        main, link = paths["available"] if params["enabled"] == "sites" else paths["confd"], None
        changes = []
    elif params["enabled"] == "sites":
        main, link = paths["available"], paths["enabled"]
        changes = [Change(main, FILE, content=content, attributes=True), Change(link, LINK, target=main, backup=False)]
        removals = ["confd"]
    else:
        main, link = paths["confd"], None
        changes = [Change(main, FILE, content=content, attributes=True)]
        removals = ["enabled", "available"]
    if params["state"] == "absent":
        removals = ["enabled", "available", "confd"]
    for key in removals:
        state = states[key]
        # sites-enabled also holds the module's link to its sites-available file
        ours = _managed(state) or (key == "enabled" and state[0] == LINK and state[1] == paths["available"])
        if ours:
            # never leave a backup copy in sites-enabled: nginx includes everything there
            changes.append(Change(paths[key], ABSENT, backup=key != "enabled"))
    return changes, main, link


def main():
    # a copy: add_file_common_args adds mode/owner/... to the dict it is given
    module = AnsibleModule(
        argument_spec=copy.deepcopy(ARGUMENT_SPEC),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    params = module.params
    content = ""
    server_names = []
    try:
        name = validate_identifier(params["name"], "name")
        if params["state"] == "present":
            normalized = normalize_reverse_proxy(dict((key, params[key]) for key in SITE_OPTIONS))
            version = nginx_version(module, params["nginx_binary"]) if normalized["http2"] else None
            content = render_reverse_proxy(normalized, nginx_version=version)
            server_names = normalized["server_names"]
    except ValueRefused as exc:
        module.fail_json(msg=str(exc), field=exc.field)
    paths = site_paths(params["config_dir"], name)
    states = dict((key, read_state(path)) for key, path in paths.items())
    changes, main_path, link = plan(params, content.encode("utf-8"), states)
    exit_with_changes(
        module,
        changes,
        path=main_path,
        link=link,
        content=content,
        server_names=server_names,
        log_format=log_format_name(name),
    )


if __name__ == "__main__":
    main()
