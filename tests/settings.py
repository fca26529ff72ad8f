"""The tests' settings: the product's own, with DEBUG asked for (the development secrets, static files from the
app folders, no collectstatic). pytest-django still runs each test with DEBUG off. Set before the import, so a
process a test starts inherits it too; tests/test_production_*.py start theirs with the production settings."""

import os

os.environ.setdefault("DJANGO_DEBUG", "true")

from config.settings import *  # noqa: E402, F403
