#!/usr/bin/env bash
# Runs ansible-test offline (no get-pip, no collections from Galaxy) on a copy of the checkout.
# Usage: tests/sanity/ansible-test.sh sanity|units ARGS...
#
# ansible-test needs the collection at .../ansible_collections/dumbflix/stack and resolves symlinks, so the
# link in .ansible/collections (which points back at the checkout) reads as the checkout itself: the tree is
# copied to .cache/ansible-test instead. The copy gets a git repository of its own because ansible-test lists
# the files with the nearest .git, which would otherwise be the checkout's, where .cache is ignored.
# ansible-test's own caches (one virtual environment per sanity test, with the test's pinned requirements from
# PyPI) live in a HOME under .cache, with get_pip.py standing in for the bootstrap script it would download;
# they are made once and reused.
#
# What make test runs with it, and what it leaves out:
# - sanity on Python 3.11 only (the controller's; --local, no containers), every test but shellcheck, which
#   needs the shellcheck program that scripts/setup-host.sh does not install; pslint finds no PowerShell.
#   No finding is ignored: there is no tests/sanity/ignore-2.19.txt; fix the code instead of adding one.
# - units for tests/unit/plugins/{modules,module_utils,filter}, in a virtual environment of ansible-test's
#   (--venv: the project's .venv has no pytest-xdist) with its requirements and tests/unit/requirements.txt.
#   tests/unit/plugins/test/ imports tests/jinja_render.py by its bare name, which only pytest.ini's
#   pythonpath provides; pytest (make test's pytest stage) runs it and everything else under tests/.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
scratch=$root/${CACHE_DIR:-.cache}/ansible-test
dest=$scratch/ansible_collections/dumbflix/stack

mkdir -p "$dest"
# everything but the copy's results and ansible-test's delegation venv (tests/output), which are kept
find "$dest" -mindepth 1 -maxdepth 1 ! -name tests ! -name .git -exec rm -rf {} +
if [ -d "$dest/tests" ]; then find "$dest/tests" -mindepth 1 -maxdepth 1 ! -name output -exec rm -rf {} +; fi
# The collection as it ships (galaxy.yml's build_ignore leaves out the same tools) and the tests in
# ansible-test's layout: tests/unit/plugins, with the conftest.py and module_runner.py they import, and
# tests/sanity. bench/, scripts/, lab/, molecule/ and the other tests are the project's tooling, checked by
# ruff and run by pytest and molecule.
tar -C "$root" -c --exclude=./.venv --exclude=./.ansible --exclude=./.cache --exclude=./.git --exclude=./tests \
  --exclude=./bench --exclude=./scripts --exclude=./lab --exclude=./molecule --exclude=./inventory \
  --exclude=__pycache__ --exclude=node_modules --exclude=.pytest_cache --exclude=.ruff_cache --exclude=.hypothesis \
  --exclude='./*.tar.gz' . | tar -C "$dest" -x
tar -C "$root" -c --exclude=__pycache__ --exclude=.hypothesis \
  tests/conftest.py tests/module_runner.py tests/unit/requirements.txt tests/unit/plugins tests/sanity | tar -C "$dest" -x
[ -d "$dest/.git" ] || git -C "$dest" init -q
# The programs from Debian's packages that unit tests run (promtool), as scripts/setup-host.sh extracted them,
# where the tests look for them: under the copy's own .cache, which its .gitignore keeps out of sanity's sight.
if [ -d "$root/${CACHE_DIR:-.cache}/tools" ]; then
  mkdir -p "$dest/.cache" && cp -a "$root/${CACHE_DIR:-.cache}/tools" "$dest/.cache/"
fi

export HOME=$scratch/home
pip_version=$(python3 -c 'import sys
from ansible_test._internal.host_configs import NativePythonConfig
from ansible_test._internal.python_requirements import get_venv_packages
print(get_venv_packages(NativePythonConfig(version="%d.%d" % sys.version_info[:2], path=sys.executable))["pip"])')
mkdir -p "$HOME/.ansible/test/cache"
cp "$root/tests/sanity/get_pip.py" "$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"

cd "$dest"
exec ansible-test "$@"
