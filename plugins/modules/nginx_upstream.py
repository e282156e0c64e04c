#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dumbflix.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: nginx_upstream
short_description: Manage one nginx C(upstream) block in its own file, validated with C(nginx -t)
version_added: 0.1.0
description:
  - Renders one C(upstream NAME { ... }) block from structured data into one file, by default
    C(/etc/nginx/conf.d/upstream-NAME.conf).
  - >-
    Every value is validated before any file is touched; a refusal names the server and field, for example
    V(servers[1].fail_timeout: 'abc' is not an nginx time), followed by the accepted forms. Values that could carry nginx
    syntax (C(;), C({), C(}), quotes, backslashes, C(#), whitespace, newlines) are always refused.
  - The file is rewritten only when its content changes (byte for byte); otherwise it is left untouched, mtime included.
  - With O(validate=true) the new file is put in place, the whole nginx configuration is tested with C(nginx -t), and on
    failure the previous file (or its absence) is restored exactly and the module fails with nginx's own error text.
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
      - Name of the upstream, used in C(proxy_pass http://NAME).
      - An nginx identifier, C([A-Za-z_][A-Za-z0-9_.-]*), at most 128 characters.
    type: str
    required: true
  servers:
    description:
      - The backend servers, rendered in the given order.
      - Required and non-empty when O(state=present). Each C(address:port) may appear once.
      - Suboptions take strings as well as native values (C("3000") for a port), so values templated from the inventory work;
        numbers must still be whole numbers in range.
    type: list
    elements: dict
    suboptions:
      address:
        description:
          - Required. Host name, IPv4 address, IPv6 address (bare or in brackets) or C(unix:/absolute/path).
          - IPv6 addresses are rendered as C([addr]:port); host names are lowercased and must resolve when nginx starts.
        type: raw
      port:
        description:
          - TCP port, an integer from 1 to 65535. Defaults to 80 (nginx's default) for TCP addresses.
          - Must not be set for C(unix:) addresses.
        type: raw
      weight:
        description: Integer weight, 1 to 1000 (nginx allocates memory per unit of weight for consistent hashing). Unset means nginx's default of 1.
        type: raw
      max_fails:
        description:
          - Failed attempts within O(servers[].fail_timeout) after which the server is skipped for O(servers[].fail_timeout).
          - Integer, 0 or more; 0 disables the accounting. Unset means nginx's default of 1.
        type: raw
      fail_timeout:
        description:
          - An nginx time in whole seconds or larger units, for example C(10), C(30s), C(1m). Milliseconds are refused
            because nginx reads this value in seconds. Unset means nginx's default of 10 seconds.
        type: raw
      backup:
        description:
          - Boolean. Only used when every primary server is unavailable.
          - Refused with O(method=hash), O(method=ip_hash) and O(method=random), which nginx does not allow.
        type: raw
      down:
        description: Boolean. Marks the server as permanently unavailable (drains it after a reload).
        type: raw
      max_conns:
        description: Integer, 0 or more. Limit of simultaneous connections to the server; 0 means no limit.
        type: raw
  method:
    description:
      - Load-balancing method. V(round_robin) is nginx's weighted default and renders no directive.
    type: str
    choices: [round_robin, least_conn, ip_hash, hash, random]
    default: round_robin
  hash_key:
    description:
      - Key for O(method=hash), text and variables such as C($request_uri) or C($remote_addr$request_uri).
      - Required with O(method=hash), refused with any other method.
    type: str
  consistent:
    description: Use ketama consistent hashing. Only with O(method=hash).
    type: bool
    default: false
  two:
    description: With O(method=random), pick two servers at random and use the one with fewer connections.
    type: bool
    default: false
  keepalive:
    description:
      - Idle keep-alive connections to the backends kept by each worker, 0 to 65535. V(0) turns keep-alive off.
    type: int
    default: 0
  keepalive_timeout:
    description:
      - nginx time an idle keep-alive connection to a backend stays open, for example C(60s). Needs O(keepalive) > 0.
    type: str
  keepalive_requests:
    description: Requests served through one keep-alive connection before it is closed, 1 or more. Needs O(keepalive) > 0.
    type: int
  zone_size:
    description:
      - Size of the shared memory zone (C(zone upstream_NAME SIZE)) that keeps the servers' failure counts and weight
        rotation common to all nginx workers, so O(servers[].max_fails) within O(servers[].fail_timeout) counts every
        request, whichever worker served it.
      - An nginx size of at least C(32k); V(0) renders no zone (each worker then keeps its own state).
    type: str
    default: 64k
  path:
    description:
      - File holding the upstream block. Defaults to C(/etc/nginx/conf.d/upstream-NAME.conf).
      - The directory must exist and be included by the nginx configuration inside C(http {}).
    type: path
notes:
  - Backup copies are written next to the file; they do not match C(*.conf), so nginx's default C(conf.d/*.conf) include
    ignores them. Do not point O(path) into a directory included with C(*).
seealso:
  - module: dumbflix.stack.nginx_reverse_proxy
  - name: nginx upstream module
    description: Directives and parameters of the upstream block.
    link: https://nginx.org/en/docs/http/ngx_http_upstream_module.html
"""

EXAMPLES = r"""
- name: Balance the dumbflix frontends, preferring the least busy one
  dumbflix.stack.nginx_upstream:
    name: dumbflix
    method: least_conn
    keepalive: 16
    keepalive_timeout: 60s
    servers:
      - address: 172.18.0.3
        port: 3000
        weight: 3
        max_fails: 2
        fail_timeout: 10s
      - address: 172.18.0.4
        port: 3000
      - address: 172.18.0.5
        port: 3000
        backup: true
  notify: Reload nginx

- name: Sticky sessions by client address
  dumbflix.stack.nginx_upstream:
    name: api
    method: hash
    hash_key: $remote_addr
    consistent: true
    servers:
      - {address: "2001:db8::10", port: 8080}
      - {address: "unix:/run/api.sock"}

- name: Drain app2 (mark it down, then reload nginx)
  dumbflix.stack.nginx_upstream:
    name: dumbflix
    servers:
      - {address: app1.internal, port: 3000}
      - {address: app2.internal, port: 3000, down: true}
    backup: true
  notify: Reload nginx

- name: Remove the upstream
  dumbflix.stack.nginx_upstream:
    name: dumbflix
    state: absent
"""

RETURN = r"""
path:
  description: The file managed.
  returned: always
  type: str
  sample: /etc/nginx/conf.d/upstream-dumbflix.conf
content:
  description: The rendered file content; empty when O(state=absent).
  returned: always
  type: str
  sample: "# Managed by dumbflix.stack.nginx_upstream ...\nupstream dumbflix {\n    server 172.18.0.3:3000;\n}\n"
backup_file:
  description: The backup copy made of the previous file, when O(backup=true) and the file changed.
  returned: changed and O(backup=true) and a previous file existed
  type: str
  sample: /etc/nginx/conf.d/upstream-dumbflix.conf.2412.2024-05-01@10:11:12~
servers:
  description:
    - The servers after normalization, every key present (V(null) when not set). Empty when O(state=absent).
  returned: always
  type: list
  elements: dict
  sample:
    - {address: 172.18.0.3, port: 3000, weight: 3, max_fails: 2, fail_timeout: 10s, backup: false, down: false, max_conns: null}
    - {address: "2001:db8::10", port: 8080, weight: null, max_fails: null, fail_timeout: null, backup: false, down: false,
       max_conns: null}
nginx_error:
  description: nginx's error text when C(nginx -t) rejected the new configuration (the module then fails).
  returned: failure
  type: str
  sample: 'nginx: [emerg] host not found in upstream "app9:3000" in /etc/nginx/conf.d/upstream-dumbflix.conf:3'
"""

import copy

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dumbflix.stack.plugins.module_utils.nginx_file import (
    ABSENT,
    FILE,
    NGINX_FILE_ARGS,
    Change,
    exit_with_changes,
)
from ansible_collections.dumbflix.stack.plugins.module_utils.nginx_grammar import validate_identifier
from ansible_collections.dumbflix.stack.plugins.module_utils.nginx_upstream_conf import (
    UPSTREAM_OPTIONS,
    normalize_upstream,
    render_upstream,
)
from ansible_collections.dumbflix.stack.plugins.module_utils.values import ValueRefused

ARGUMENT_SPEC = dict(UPSTREAM_OPTIONS, path=dict(type="path"), **NGINX_FILE_ARGS)


def build(params):
    """Pure: validate params, return (path, content, normalized servers). Raises ValueRefused."""
    name = validate_identifier(params["name"], "name")
    path = params.get("path") or "/etc/nginx/conf.d/upstream-%s.conf" % name
    if params.get("state", "present") == "absent":
        return path, "", []
    options = dict((key, params.get(key)) for key in UPSTREAM_OPTIONS)
    # Ansible fills unset suboptions with None; drop them so they read as "not set".
    if isinstance(options["servers"], list):
        options["servers"] = [
            dict((k, v) for k, v in server.items() if v is not None) if isinstance(server, dict) else server
            for server in options["servers"]
        ]
    normalized = normalize_upstream(options)
    return path, render_upstream(normalized), normalized["servers"]


def main():
    # a copy: add_file_common_args adds mode/owner/... to the dict it is given
    module = AnsibleModule(
        argument_spec=copy.deepcopy(ARGUMENT_SPEC), add_file_common_args=True, supports_check_mode=True
    )
    try:
        path, content, servers = build(module.params)
    except ValueRefused as exc:
        module.fail_json(msg=str(exc), field=exc.field)
    absent = module.params["state"] == "absent"
    change = Change(path, ABSENT) if absent else Change(path, FILE, content=content.encode("utf-8"), attributes=True)
    exit_with_changes(module, [change], path=path, content=content, servers=servers)


if __name__ == "__main__":
    main()
