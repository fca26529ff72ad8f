import pytest
from django.db import connection


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests (races, locks) are skipped, visibly, on SQLite."""
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://... (SQLite hides races)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The demo users' passwords are hashed on every build_demo(); PBKDF2 would take seconds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
