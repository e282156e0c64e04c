"""Make the checkout importable as ``ansible_collections.dumbflix.stack``.

The set-up step (``make venv``) links the checkout at
``.ansible/collections/ansible_collections/dumbflix/stack``; putting that root on
sys.path lets tests import modules and module_utils exactly as Ansible does.
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".ansible", "collections")
LINK = os.path.join(COLLECTIONS, "ansible_collections", "dumbflix", "stack")

if not os.path.exists(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink(os.path.relpath(ROOT, os.path.dirname(LINK)), LINK)
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
# shared test helpers (module_runner) live next to this file
TESTS = os.path.dirname(os.path.abspath(__file__))
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)
