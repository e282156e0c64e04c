"""DOCUMENTATION / EXAMPLES / RETURN of the nginx modules parse and agree with the argument spec
(the checks ansible-test's validate-modules makes about options)."""
import pytest
import yaml

from ansible_collections.dumbflix.stack.plugins.doc_fragments.nginx_test import ModuleDocFragment
from ansible_collections.dumbflix.stack.plugins.modules import nginx_reverse_proxy, nginx_upstream

MODULES = [nginx_upstream, nginx_reverse_proxy]


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


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_documentation_matches_argument_spec(module):
    doc = yaml.safe_load(module.DOCUMENTATION)
    assert doc["module"] == module.__name__.rsplit(".", 1)[-1]
    assert doc["extends_documentation_fragment"] == ["ansible.builtin.files", "dumbflix.stack.nginx_test"]
    options = dict(doc["options"], **yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"])
    compare(options, module.ARGUMENT_SPEC, doc["module"])


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_examples_use_only_documented_options(module):
    doc = yaml.safe_load(module.DOCUMENTATION)
    fqcn = "dumbflix.stack." + doc["module"]
    examples = yaml.safe_load(module.EXAMPLES)
    assert examples
    for task in examples:
        documented = set(doc["options"]) | set(yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"])
        assert set(task[fqcn]) <= documented, task["name"]


@pytest.mark.parametrize("module, keys", [
    (nginx_upstream, {"path", "content", "backup_file", "servers", "nginx_error"}),
    (nginx_reverse_proxy, {"path", "link", "content", "backup_file", "server_names", "log_format", "nginx_error"}),
], ids=["nginx_upstream", "nginx_reverse_proxy"])
def test_return_documents_every_key(module, keys):
    ret = yaml.safe_load(module.RETURN)
    assert set(ret) == keys
    for name, item in ret.items():
        assert item["description"] and item["returned"] and item["type"], name
