"""Make the checkout importable as ``ansible_collections.dumbflix.stack``.

The set-up step (``make venv``) links the checkout at
``.ansible/collections/ansible_collections/dumbflix/stack``, and pytest.ini puts
``.ansible/collections`` on the import path, so tests import modules and module_utils
exactly as Ansible does. A checkout that never ran ``make venv`` gets the link here.
"""

import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".ansible", "collections")
LINK = os.path.join(COLLECTIONS, "ansible_collections", "dumbflix", "stack")

if not os.path.exists(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink(os.path.relpath(ROOT, os.path.dirname(LINK)), LINK)
