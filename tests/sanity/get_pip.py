# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stands in for the get-pip script ansible-test bootstraps each sanity test's virtual environment with.

ansible-test downloads that script from ci-files.testing.ansible.com, which make test can't reach. This one
installs the pip wheel Python bundles (ensurepip), then the pip version ansible-test pinned, from the package
index pip is configured with. tests/sanity/ansible-test.sh puts it where ansible-test looks for its cached copy,
in a HOME of its own, so no other use of ansible-test on the machine sees it.
"""

import subprocess
import sys

# get-pip's own options; pip install does not know them
GET_PIP_ONLY = ("--no-setuptools", "--no-wheel")

subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
subprocess.check_call(
    [sys.executable, "-m", "pip", "install"] + [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
)
