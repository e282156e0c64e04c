# -*- coding: utf-8 -*-
"""Every Jinja test of the collection is documented for ansible-doc, and every test a role names exists."""

import glob
import importlib
import os
import re

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


def registered():
    tests = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "plugins", "test", "*.py"))):
        name = os.path.splitext(os.path.basename(path))[0]
        module = importlib.import_module("ansible_collections.dumbflix.stack.plugins.test." + name)
        for test in module.TestModule().tests():
            assert test not in tests, "%s is registered by %s and %s" % (test, tests.get(test), name)
            tests[test] = name
    return tests


def test_every_test_has_its_documentation_file():
    for test in registered():
        path = os.path.join(ROOT, "plugins", "test", test + ".yml")
        assert os.path.exists(path), "plugins/test/%s.yml is missing: ansible-doc -t test can't show it" % test
        with open(path, encoding="utf-8") as handle:
            doc = yaml.safe_load(handle)
        assert doc["DOCUMENTATION"]["name"] == test
        assert doc["DOCUMENTATION"]["short_description"]
        assert "dumbflix.stack.%s" % test in doc["EXAMPLES"]
        assert doc["RETURN"]["_value"]["type"] == "boolean"


def test_every_documentation_file_is_a_registered_test():
    documented = {
        os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(ROOT, "plugins", "test", "*.yml"))
    }
    assert documented == set(registered())


def test_every_test_the_roles_and_playbooks_name_exists():
    named = set()
    for path in glob.glob(os.path.join(ROOT, "roles", "*", "tasks", "*.yml")) + glob.glob(
        os.path.join(ROOT, "playbooks", "*.yml")
    ):
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        named |= set(re.findall(r"\bis\s+(?:not\s+)?dumbflix\.stack\.(\w+)", text))
        named |= set(re.findall(r"(?:select|reject)\(\s*'dumbflix\.stack\.(\w+)'", text))
    assert named, "no role names a dumbflix.stack test"
    assert named <= set(registered()), sorted(named - set(registered()))
