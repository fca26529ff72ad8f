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


@pytest.fixture(autouse=True)
def _nightly_job_in_the_test_transaction(settings):
    # Worker threads have connections of their own, which cannot see a test's uncommitted rows;
    # the tests of the parallel sweep pass `workers` themselves (tests/loyalty/test_expiry_races.py).
    settings.NIGHTLY_JOB_WORKERS = 1


@pytest.fixture
def manager(django_user_model):
    """A staff user in the managers group (the demo's permissions)."""
    from pos.demo import ensure_manager_group

    user = django_user_model.objects.create_user("boss", password="pw-123456", is_staff=True)
    user.groups.add(ensure_manager_group())
    return user


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client
