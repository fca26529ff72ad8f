import pytest
from django.db import connection

from tests import browser as browser_kit
from tests.tills import CENTRAL, RIVERSIDE, terminal_client


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
def _default_language_after_each_test():
    # A German page (LocaleMiddleware) leaves its language active in the thread; the next test would read
    # lazy labels in German ("Heute" for "Today").
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def _nightly_job_in_the_test_transaction(settings):
    # Worker threads have connections of their own, which cannot see a test's uncommitted rows;
    # the tests of the parallel sweep pass `workers` themselves (tests/loyalty/test_expiry_races.py).
    settings.NIGHTLY_JOB_WORKERS = 1


_buckets = iter(range(10**9))


@pytest.fixture(autouse=True)
def _fresh_api_throttle(monkeypatch):
    # Each test starts with full buckets: terminals of different tests share primary keys, and the
    # cache outlives a test (tests/pos/test_throttling.py counts the throttle itself).
    from pos import throttling

    run = next(_buckets)
    for name in ("BUCKET_PREFIX", "THROTTLED_PREFIX", "LAST_THROTTLED_PREFIX"):
        monkeypatch.setattr(f"pos.throttling.{name}", f"test-{run}-{getattr(throttling, name)}")


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


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API keeps an event loop running in this thread; the test's own ORM calls
    # (setting up cards, checking receipts) are still plain synchronous code.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with browser_kit.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=browser_kit.CHROMIUM, args=browser_kit.CHROMIUM_ARGS)
            yield browser
            browser.close()


@pytest.fixture
def demo(db):
    from pos.demo import build_demo

    build_demo()


@pytest.fixture
def till(demo):
    return terminal_client(CENTRAL)


@pytest.fixture
def other_till(demo):
    return terminal_client(RIVERSIDE)
