"""The check play refuses bad log rotation settings naming the host, the variable and the value.

Same real ansible-playbook run as test_validate_refusals.py (one local host per bad value, the roles'
`validate` entry point): the sizes logrotate would refuse ("10MB" is "unknown unit 'B'"), a count below
one, and the two rotations of pm2's logs at once (the pm2-logrotate module and the system's logrotate).
"""

import os

import pytest
from test_validate_refusals import ANSIBLE_PLAYBOOK, check_refusals

CASES = {
    "nginx": {
        "size": ({"nginx_logrotate_max_size": "100MB"}, 'nginx_logrotate_max_size: "100MB" is not a size such as 100M'),
        "size_zero": ({"nginx_logrotate_max_size": "0M"}, 'nginx_logrotate_max_size: "0M" is not a size such as 100M'),
        "keep": ({"nginx_logrotate_keep": 0}, "nginx_logrotate_keep: 0 is not a positive integer"),
        "good": ({}, None),
        "good_sizes": ({"nginx_logrotate_max_size": "512K", "nginx_logrotate_keep": 1}, None),
        # nothing is rotated by the role then, so nothing is checked
        "good_off": ({"nginx_logrotate": False, "nginx_logrotate_max_size": "100MB"}, None),
    },
    "pm2": {
        "both": (
            {"pm2_logrotate": True},
            "pm2_logs_rotate: true and pm2_logrotate: true both rotate the pm2 logs; choose one",
        ),
        "size": ({"pm2_logs_max_size": "10 M"}, 'pm2_logs_max_size: "10 M" is not a size such as 10M'),
        "keep": ({"pm2_logs_keep": -1}, "pm2_logs_keep: -1 is not a positive integer"),
        "good": ({}, None),
        "good_module": ({"pm2_logrotate": True, "pm2_logs_rotate": False}, None),
        "good_off": ({"pm2_logs_rotate": False, "pm2_logs_max_size": "lots"}, None),
    },
}


@pytest.mark.skipif(
    not os.path.exists(ANSIBLE_PLAYBOOK), reason="ansible-playbook is not installed next to this Python"
)
@pytest.mark.parametrize("role", sorted(CASES))
def test_bad_rotation_values_stop_the_check_play_naming_host_variable_and_value(tmp_path, role):
    check_refusals(tmp_path, role, CASES[role])
