"""The message of a refused nginx value, for tests that assert on what the user reads."""

import pytest

from ansible_collections.dumbflix.stack.plugins.module_utils.nginx_grammar import NginxConfigError


def refusal(func, *args, **kwargs):
    """Call ``func``, require an NginxConfigError, return its message."""
    with pytest.raises(NginxConfigError) as info:
        func(*args, **kwargs)
    return str(info.value)
