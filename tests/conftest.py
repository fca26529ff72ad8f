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
