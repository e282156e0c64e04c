"""DOCUMENTATION / EXAMPLES / RETURN of every module parse and agree with its argument spec
(the checks ansible-test's validate-modules makes about options)."""

import importlib

import pytest
import yaml

from ansible_collections.dumbflix.stack.plugins.modules import (
    keepalived_vrrp,
    nftables_allowlist,
    nginx_reverse_proxy,
    nginx_upstream,
    pm2_app,
)

# module -> the doc fragments it extends (ansible.builtin.files documents the file attributes
# add_file_common_args adds, which are not in ARGUMENT_SPEC)
NGINX = [
    "dumbflix.stack.nginx_test",
    "dumbflix.stack.managed_file",
    "ansible.builtin.action_common_attributes",
    "ansible.builtin.files",
]
MANAGED_FILE = ["ansible.builtin.action_common_attributes", "dumbflix.stack.managed_file"]
FRAGMENTS = {
    nginx_upstream: NGINX,
    nginx_reverse_proxy: NGINX,
    pm2_app: ["ansible.builtin.action_common_attributes"],
    nftables_allowlist: MANAGED_FILE,
    keepalived_vrrp: MANAGED_FILE,
}
MODULES = list(FRAGMENTS)
RETURN_KEYS = {
    nginx_upstream: {"path", "content", "backup_file", "servers", "nginx_error"},
    nginx_reverse_proxy: {"path", "link", "content", "backup_file", "server_names", "log_format", "nginx_error"},
    pm2_app: {"name", "status", "pid", "pids", "spec", "spec_hash", "commands", "reason"},
    nftables_allowlist: {
        "path",
        "content",
        "digest",
        "table_changed",
        "backup_file",
        "rollback_unit",
        "rollback_cancelled",
        "nft_error",
    },
    keepalived_vrrp: {"path", "content", "backup_file", "config_error"},
}


def short_name(module):
    return module.__name__.rsplit(".", 1)[-1]


def fragment(name):
    """One doc fragment's DOCUMENTATION: this collection's, or ansible.builtin's (``name.VARIANT`` not used here)."""
    namespace, collection, short = name.split(".")
    package = (
        "ansible.plugins.doc_fragments"
        if (namespace, collection) == ("ansible", "builtin")
        else "ansible_collections.%s.%s.plugins.doc_fragments" % (namespace, collection)
    )
    return yaml.safe_load(importlib.import_module("%s.%s" % (package, short)).ModuleDocFragment.DOCUMENTATION)


def merged_doc(module):
    """DOCUMENTATION with its fragments merged in as Ansible merges them: an option or attribute both state is
    the fragment's, with the module's keys over it."""
    doc = yaml.safe_load(module.DOCUMENTATION)
    for name in doc.get("extends_documentation_fragment") or []:
        for section, entries in fragment(name).items():
            if section in ("options", "attributes"):
                merged = doc.setdefault(section, {})
                for key, value in entries.items():
                    merged[key] = dict(value, **(merged.get(key) or {}))
    return doc


def documented_options(module):
    """The options the module's docs state, its own and its fragments' (ansible.builtin.files' file attributes
    aside: they are add_file_common_args', not ARGUMENT_SPEC's)."""
    options = merged_doc(module)["options"]
    for name in fragment("ansible.builtin.files")["options"] if "ansible.builtin.files" in FRAGMENTS[module] else []:
        options.pop(name)
    return options


def compare(doc_options, spec, where):
    assert sorted(doc_options) == sorted(spec), where
    for name, doc in doc_options.items():
        arg = spec[name]
        here = "%s.%s" % (where, name)
        assert doc.get("type", "str") == arg.get("type", "str"), here
        assert doc.get("required", False) == arg.get("required", False), here
        assert doc.get("default") == arg.get("default"), here
        assert doc.get("choices") == arg.get("choices"), here
        assert doc.get("elements") == arg.get("elements"), here
        assert doc.get("description"), here
        if "suboptions" in doc or "options" in arg:
            compare(doc["suboptions"], arg["options"], here)


@pytest.mark.parametrize("module", MODULES, ids=short_name)
def test_documentation_matches_argument_spec(module):
    doc = yaml.safe_load(module.DOCUMENTATION)
    assert doc["module"] == short_name(module)
    assert doc.get("extends_documentation_fragment") == FRAGMENTS[module]
    compare(documented_options(module), module.ARGUMENT_SPEC, doc["module"])


def test_a_wrong_default_in_the_docs_is_caught():
    """The comparison itself sees a difference (so the test above cannot pass on nothing)."""
    doc = documented_options(pm2_app)
    doc["instances"] = dict(doc["instances"], default=2)
    with pytest.raises(AssertionError, match=r"pm2_app\.instances"):
        compare(doc, pm2_app.ARGUMENT_SPEC, "pm2_app")


@pytest.mark.parametrize("module", MODULES, ids=short_name)
def test_attributes_state_check_diff_and_platform_support(module):
    attributes = merged_doc(module)["attributes"]
    for name in ("check_mode", "diff_mode", "platform"):
        assert attributes[name]["support"] == "full" and attributes[name]["description"], name
    assert attributes["platform"]["platforms"] == "posix"


def test_a_fragment_option_the_module_describes_itself_keeps_the_fragments_type_and_choices():
    state = documented_options(keepalived_vrrp)["state"]
    assert state["choices"] == ["present", "absent"] and state["description"].startswith("V(absent) removes O(path)")


@pytest.mark.parametrize("module", MODULES, ids=short_name)
def test_examples_use_only_documented_options(module):
    fqcn = "dumbflix.stack." + short_name(module)
    examples = yaml.safe_load(module.EXAMPLES)
    assert examples
    documented = set(documented_options(module))
    for task in examples:
        assert set(task[fqcn]) <= documented, task["name"]


@pytest.mark.parametrize("module", MODULES, ids=short_name)
def test_return_documents_every_key(module):
    ret = yaml.safe_load(module.RETURN)
    assert set(ret) == RETURN_KEYS[module]
    for name, item in ret.items():
        assert item["description"] and item["returned"] and item["type"], name
