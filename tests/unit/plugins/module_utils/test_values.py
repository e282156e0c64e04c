# -*- coding: utf-8 -*-
"""The collection's one parser for booleans, integers, ports and user names (module_utils/values.py)."""

import pytest
from ansible.module_utils.parsing.convert_bool import BOOLEANS_FALSE, BOOLEANS_TRUE

from ansible_collections.dumbflix.stack.plugins.module_utils import values
from ansible_collections.dumbflix.stack.plugins.module_utils.nginx_grammar import NginxConfigError
from ansible_collections.dumbflix.stack.plugins.module_utils.pm2 import Pm2Error
from ansible_collections.dumbflix.stack.plugins.module_utils.values import NOT_SET, ValueRefused


def refusal(func, *args, **kwargs):
    with pytest.raises(ValueRefused) as info:
        func(*args, **kwargs)
    return str(info.value)


# --- the message ----------------------------------------------------------------


def test_message_names_field_value_and_reason():
    err = ValueRefused("servers[1].weight", "abc", "is not an integer")
    assert str(err) == "servers[1].weight: 'abc' is not an integer"
    assert (err.field, err.value, err.reason) == ("servers[1].weight", "abc", "is not an integer")
    assert isinstance(err, ValueError)


def test_message_without_value_or_field():
    assert str(ValueRefused("servers", NOT_SET, "is empty")) == "servers: is empty"
    assert str(ValueRefused(None, NOT_SET, "script and serve are mutually exclusive")) == (
        "script and serve are mutually exclusive"
    )


def test_renamed_keeps_class_value_and_reason():
    err = NginxConfigError("hash_key", "", "is required with method=hash (e.g. $request_uri)")
    renamed = err.renamed("lb_hash_key")
    assert renamed.__class__ is NginxConfigError  # exactly this class, not a subclass
    assert str(renamed) == "lb_hash_key: '' is required with method=hash (e.g. $request_uri)"


def test_pm2_shows_values_as_yaml_does():
    assert str(Pm2Error("env.PORT", None, "is not a string")) == "env.PORT: null is not a string"
    assert str(ValueRefused("env.PORT", None, "is not a string")) == "env.PORT: None is not a string"


@pytest.mark.parametrize(
    "field, parts",
    [
        ("servers[1].weight", ("servers", 1, ".weight")),
        ("name", ("name", None, "")),
        ("next_upstream[12]", ("next_upstream", 12, "")),
        ("lb_backend.address", ("lb_backend", None, ".address")),
    ],
)
def test_split_field(field, parts):
    assert values.split_field(field) == parts


def test_join_and_item_field():
    assert values.join_field(values.item_field("servers", 1), "weight") == "servers[1].weight"
    assert values.join_field("", "weight") == "weight"


# --- booleans -----------------------------------------------------------------------


def test_boolean_words_are_ansibles():
    """Exactly the words Ansible's own boolean() takes, so a role and a module agree."""
    assert set(values.TRUE_WORDS) == set(word for word in BOOLEANS_TRUE if isinstance(word, str))
    assert set(values.FALSE_WORDS) == set(word for word in BOOLEANS_FALSE if isinstance(word, str))


@pytest.mark.parametrize(
    "value, expected",
    [
        (True, True),
        (False, False),
        (1, True),
        (0, False),
        ("yes", True),
        ("On", True),
        ("TRUE", True),
        ("y", True),
        ("t", True),
        ("1", True),
        ("no", False),
        ("OFF", False),
        ("false", False),
        ("N", False),
        ("f", False),
        ("0", False),
    ],
)
def test_parse_bool(value, expected):
    assert values.parse_bool(value, "b") is expected


@pytest.mark.parametrize("value", ["maybe", 2, None, [], "  yes", "", 1.0])
def test_parse_bool_refuses(value):
    assert refusal(values.parse_bool, value, "b") == "b: %r is not a boolean (use true or false)" % (value,)


def test_parse_bool_raises_the_callers_error():
    with pytest.raises(Pm2Error):
        values.parse_bool("maybe", "serve.spa", error=Pm2Error)


# --- integers and ports ---------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [(0, 0), ("7", 7), ("-3", -3), ("-0", 0), (2**40, 2**40)])
def test_parse_int(value, expected):
    assert values.parse_int(value, "n") == expected


@pytest.mark.parametrize(
    "value, reason",
    [
        (True, "is a boolean, not an integer"),
        (1.0, "is not an integer"),
        ("1.5", "is not an integer"),
        (" 1", "is not an integer"),
        ("0x10", "is not an integer"),
        (None, "is not an integer"),
        (-1, "is below the minimum 0"),
        (11, "is above the maximum 10"),
    ],
)
def test_parse_int_refuses(value, reason):
    assert refusal(values.parse_int, value, "n", 0, 10) == "n: %r %s" % (value, reason)


@pytest.mark.parametrize(
    "value, message",
    [
        (0, "port: 0 is below the minimum 1"),
        (65536, "port: 65536 is above the maximum 65535"),
        ("80x", "port: '80x' is not an integer"),
    ],
)
def test_parse_port(value, message):
    assert values.parse_port("443", "port") == 443
    assert refusal(values.parse_port, value, "port") == message


# --- user names -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["dumbflix", "_svc", "app-1", "a", "a" * 32, "node_2"])
def test_unix_user_name(name):
    assert values.validate_unix_user_name(name, "pm2_user") == name


@pytest.mark.parametrize("name", ["", "Dumbflix", "1app", "-app", "a" * 33, "app user", "app$", "app.x", None, 3])
def test_unix_user_name_refused(name):
    assert refusal(values.validate_unix_user_name, name, "pm2_user") == (
        "pm2_user: %r is not a valid user name (lower-case letters, digits, '_' and '-', starting with a letter or '_', "
        "at most 32 characters)" % (name,)
    )


# --- option tables --------------------------------------------------------------------------


def test_with_defaults_fills_none_and_missing_and_drops_unknown():
    table = {
        "listen": {"type": "list", "default": [80]},
        "name": {"type": "str"},
        "hsts": {"type": "bool", "default": False},
    }
    result = values.with_defaults({"name": "x", "hsts": None, "other": 1}, table)
    assert result == {"listen": [80], "name": "x", "hsts": False}
    result["listen"].append(81)
    assert table["listen"]["default"] == [80]  # a copy, not the table's list


# --- accepts: what a Jinja test returns ------------------------------------------


def test_accepts_is_true_for_a_value_the_check_takes():
    assert values.accepts(values.parse_port, "443", "port") is True


def test_accepts_is_false_for_a_refusal_of_any_subclass():
    assert values.accepts(values.parse_port, 0, "port") is False
    assert values.accepts(values.parse_port, "x", "port", error=NginxConfigError) is False


def test_accepts_lets_a_bug_in_the_check_through():
    def broken(value):
        raise KeyError(value)

    with pytest.raises(KeyError):
        values.accepts(broken, 1)
