# -*- coding: utf-8 -*-
# Copyright: dumbflix.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The grammars of role variables that an argument spec can't state.

The roles' ``validate.yml`` files ask ``x is dumbflix.stack.<test>`` (plugins/test/); each test
calls one function here, or the module_utils function that already states the rule (a port is
:func:`values.parse_port`, a host name is nginx_grammar's).  Each function returns the value
or raises :class:`ValueRefused` with ``field`` and a reason, like every check of the collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.dumbflix.stack.plugins.module_utils.nginx_grammar import validate_backend_url
from ansible_collections.dumbflix.stack.plugins.module_utils.values import ValueRefused, accepts

# An exact npm version: major.minor.patch with an optional pre-release (7.0.4, 6.0.0-rc.1); no range, no tag.
EXACT_VERSION_RE = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?\Z")
# RFC 3986 path characters (unreserved, sub-delims, ':', '@', percent escapes): nothing that could end a
# quoted string in a shell, a YAML file or JavaScript (no quotes, '\\', '`', white space), no query, no fragment.
_URL_PATH_RE = re.compile(r"/[A-Za-z0-9._~%!$&()*+,;=:@/-]*\Z")
# What an HTTP health check may request: a plain path, no sub-delims.
_PLAIN_URL_PATH_RE = re.compile(r"/[A-Za-z0-9._~%/-]*\Z")
# scheme://host[:port], then the path; the first part is the nginx modules' backend URL grammar
_URL_RE = re.compile(r"(https?://[^/]*)(/.*)?\Z")
# git's URL forms: scheme://... and scp-like user@host:path (a path starting with '-' would be an option)
_GIT_URL_RE = re.compile(r"(https?|ssh|git|file)://\S+\Z")
_GIT_SCP_RE = re.compile(r"[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s-]\S*\Z")
_GIT_REF_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./-]*\Z")
_PATH_PART_RE = re.compile(r"[A-Za-z0-9_.@+-]+\Z")
_NPM_LONG_OPTION_RE = re.compile(r"--[a-z][a-z0-9-]*(=[A-Za-z0-9._:/@-]+)?\Z")
# NODE_OPTIONS is split on spaces by Node.js; these characters never need shell or JSON quoting
_NODE_OPTIONS_RE = re.compile(r"[A-Za-z0-9_=.,:/ -]*\Z")
# five fields (minute hour day month weekday) or six (with seconds first), as pm2-logrotate's node-schedule reads
_CRON_FIELD_RE = re.compile(r"[0-9*/,-]+\Z")
_SIZE_RE = re.compile(r"[1-9][0-9]*[KMG]?\Z")
_DEBIAN_PACKAGE_RE = re.compile(r"[a-z0-9][a-z0-9+.-]+\Z")
_SYSTEMD_UNIT_RE = re.compile(r"[A-Za-z0-9_.@-]+\Z")
_RELEASE_ID_RE = re.compile(r"[0-9a-f]{16}\Z")


def _string(value, field, what, pattern=None):
    if not isinstance(value, str) or (pattern is not None and not pattern.match(value)):
        raise ValueRefused(field, value, "is not %s" % what)
    return value


def validate_exact_version(value, field):
    """An exact npm version (``7.0.4``, ``6.0.0-rc.1``); an int or float is refused, YAML made it from a typo."""
    return _string(value, field, "an exact version such as 7.0.4 (ranges and tags are not pinned)", EXACT_VERSION_RE)


def validate_http_url(value, field):
    """An http(s) URL: host name, IPv4 or [IPv6], an optional port 1-65535, an optional path (no query, fragment).

    The host and the port are checked as the nginx modules check a backend's (a ``[...]`` host must be IPv6).
    """
    match = _URL_RE.match(value) if isinstance(value, str) else None
    if not (
        match
        and accepts(validate_backend_url, match.group(1), field)
        and (match.group(2) is None or _URL_PATH_RE.match(match.group(2)))
    ):
        raise ValueRefused(
            field, value, "is not an http(s) URL such as https://example.com/api (no quotes, spaces, query or fragment)"
        )
    return value


def validate_url_path(value, field):
    """The path of a URL on the app (``/``, ``/movies``): letters, digits and ``. _ ~ % / -``."""
    return _string(value, field, "a URL path starting with / (e.g. /movies)", _PLAIN_URL_PATH_RE)


def validate_git_url(value, field):
    """A URL git clones from: ``https://``, ``ssh://``, ``git://``, ``file://`` or ``user@host:path``."""
    if not isinstance(value, str) or not (_GIT_URL_RE.match(value) or _GIT_SCP_RE.match(value)):
        raise ValueRefused(field, value, "is not a git URL (https://, ssh://, git://, file:// or user@host:path)")
    return value


def validate_git_ref(value, field):
    """A branch, tag or commit name that git can't read as an option or a range."""
    if not isinstance(value, str) or not _GIT_REF_RE.match(value) or ".." in value:
        raise ValueRefused(field, value, "is not a branch, tag or commit name")
    return value


def validate_absolute_path(value, field):
    """An absolute, normalized path of letters, digits and ``_ . @ + -`` (no ``.``, ``..``, ``//`` or trailing ``/``).

    Nothing that systemd or a shell would split or expand.
    """
    parts = value.split("/") if isinstance(value, str) else []
    if (
        len(parts) < 2
        or parts[0]
        or not all(_PATH_PART_RE.match(part) and part not in (".", "..") for part in parts[1:])
    ):
        raise ValueRefused(field, value, "is not an absolute, normalized path of letters, digits and _ . @ + -")
    return value


def validate_npm_long_option(value, field):
    """An npm long option such as ``--no-audit`` or ``--omit=dev``: one word npm can't read as anything else."""
    return _string(value, field, "an npm long option (e.g. --no-audit, --omit=dev)", _NPM_LONG_OPTION_RE)


def validate_node_options(value, field):
    """A NODE_OPTIONS string (``--max-old-space-size=2048 --openssl-legacy-provider``)."""
    return _string(value, field, "a NODE_OPTIONS string (e.g. --max-old-space-size=2048)", _NODE_OPTIONS_RE)


def validate_cron(value, field):
    """A cron expression of five or six space-separated fields of digits and ``* / , -``."""
    fields = value.split(" ") if isinstance(value, str) else []
    if len(fields) not in (5, 6) or not all(_CRON_FIELD_RE.match(part) for part in fields):
        raise ValueRefused(field, value, 'is not a cron expression such as "0 0 * * *"')
    return value


def validate_size(value, field):
    """A size such as ``10M``: a positive number with an optional ``K``, ``M`` or ``G``."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return _string(value, field, "a size such as 10M (a number with K, M or G)", _SIZE_RE)


def validate_debian_package_name(value, field):
    """A Debian package name (policy 5.6.1): lower case, digits, ``+ . -``, two characters or more."""
    return _string(value, field, "a Debian package name", _DEBIAN_PACKAGE_RE)


def validate_systemd_unit_name(value, field):
    """A systemd service name without ``.service``: letters, digits and ``_ . @ -``."""
    if not isinstance(value, str) or not _SYSTEMD_UNIT_RE.match(value) or value.endswith(".service"):
        raise ValueRefused(field, value, "is not a unit name (letters, digits, _ . @ -, without .service)")
    return value


def validate_release_id(value, field):
    """A release id of dumbflix_frontend: the 16 hex digits a directory in ``releases/`` is named."""
    return _string(value, field, "a release id (16 lower-case hex digits)", _RELEASE_ID_RE)
