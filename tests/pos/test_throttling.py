"""The API's throttle per terminal (api.md: a burst of 100, then 2 a second; 429 `throttled` with
Retry-After), on the cashier screen too, and what the manager sees of it in the admin."""

import socket
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import URLPattern, reverse

from pos import throttling, urls_api
from pos.apis import CustomerSearchApi
from pos.models import Receipt, Terminal
from pos.throttling import CustomerSearchThrottle, TerminalThrottle
from tests.mycard.support import Clock
from tests.tills import CENTRAL, RIVERSIDE, terminal_client

pytestmark = pytest.mark.django_db

CATEGORIES = "/api/v1/categories/"
START = 1_780_000_000.0  # 2026-05-28 20:26:40 UTC, a whole second


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": f"t-{uuid.uuid4()}"}
    }


@pytest.fixture
def clock(monkeypatch):
    """The throttle's clock and the in-process cache's, stopped until a test moves them."""
    clock = Clock(START)
    monkeypatch.setattr("pos.throttling.time", clock)
    monkeypatch.setattr("django.core.cache.backends.base.time", clock)
    monkeypatch.setattr("django.core.cache.backends.locmem.time", clock)
    return clock


def statuses(client, count, path=CATEGORIES):
    return [client.get(path).status_code for _ in range(count)]


def passing(client, limit=500):
    """How many requests pass before the first 429 (the 429 itself included in the asking)."""
    for passed in range(limit):
        if client.get(CATEGORIES).status_code == 429:
            return passed
    raise AssertionError(f"{limit} requests passed")


def test_a_burst_of_exactly_100_passes_and_the_101st_is_429_with_the_error_body_and_retry_after(till, clock):
    assert statuses(till, 100) == [200] * 100

    response = till.get(CATEGORIES)

    assert response.status_code == 429
    assert response["Retry-After"] == "1"
    assert response.json() == {
        "error": {
            "code": "throttled",
            "message": "Too many requests from this terminal; try again in 1 s.",
            "details": {"retry_after": 1},
        }
    }


def test_the_bucket_refills_at_2_a_second_and_never_above_the_burst(till, clock):
    assert passing(till) == 100
    clock.advance(0.499)
    assert statuses(till, 1) == [429]
    clock.advance(0.001)  # half a second since the bucket ran dry: one request back
    assert statuses(till, 2) == [200, 429]
    clock.advance(10)
    assert passing(till) == 20
    clock.advance(3600)  # an hour idle refills to the burst, not to 7,200
    assert passing(till) == 100


def test_a_till_at_2_a_second_is_never_throttled(till, clock):
    assert statuses(till, 100) == [200] * 100  # the burst spent at once
    for _ in range(50):
        clock.advance(0.5)
        assert statuses(till, 1) == [200]


def test_settings_change_the_burst_and_the_rate(till, clock, settings):
    settings.API_THROTTLE_BURST = 3
    settings.API_THROTTLE_PER_SECOND = 0.1  # one every 10 s
    assert statuses(till, 4) == [200, 200, 200, 429]
    response = till.get(CATEGORIES)
    assert (response["Retry-After"], response.json()["error"]["details"]) == ("10", {"retry_after": 10})
    clock.advance(9.999)
    assert till.get(CATEGORIES)["Retry-After"] == "1"  # what is left, rounded up to the second
    clock.advance(0.001)
    assert statuses(till, 2) == [200, 429]


def test_one_terminals_throttle_leaves_another_terminal_alone(till, other_till, clock):
    assert passing(till) == 100
    assert statuses(other_till, 100) == [200] * 100
    assert statuses(till, 1) == [429]


def test_a_throttled_checkout_writes_nothing(till, clock):
    passing(till)
    before = Receipt.objects.count()
    basket = {"card_number": None, "lines": [{"sku": "x", "name": "x", "category": "produce",
                                              "quantity": "1", "unit_price": "1.00"}]}  # fmt: skip
    response = till.post("/api/v1/checkout/", basket, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert (response.status_code, response.json()["error"]["code"]) == (429, "throttled")
    assert Receipt.objects.count() == before
    clock.advance(0.5)
    assert till.post("/api/v1/checkout/", basket, format="json", HTTP_IDEMPOTENCY_KEY="k1").status_code == 201
    assert Receipt.objects.count() == before + 1


def test_every_endpoint_of_the_till_api_is_throttled():
    views = [pattern.callback.view_class for pattern in urls_api.urlpatterns if isinstance(pattern, URLPattern)]
    assert len(views) == 12  # with the two gift card endpoints
    assert {view.__name__: view.throttle_classes[0] for view in views} == {
        view.__name__: TerminalThrottle for view in views
    }
    assert CustomerSearchApi.throttle_classes == [TerminalThrottle, CustomerSearchThrottle]


def test_the_cashier_screens_calls_count_for_the_cashier_and_not_for_the_stores_terminals(demo, clock):
    from django.contrib.auth.models import User

    screen = Client()
    screen.force_login(User.objects.get(username="cashier1"))  # Central, as the demo's CENTRAL terminal
    assert passing(screen) == 100
    response = screen.get(CATEGORIES)
    assert (response.status_code, response["Retry-After"], response.json()["error"]["code"]) == (
        429,
        "1",
        "throttled",
    )
    assert statuses(terminal_client(CENTRAL), 1) == [200]


def test_a_wrong_token_is_401_not_a_throttled_bucket(demo, clock):
    stranger = terminal_client("not-a-token")
    assert statuses(stranger, 101) == [401] * 101


# --- what the manager sees --------------------------------------------------------------------


def test_the_terminal_list_shows_how_often_and_when_each_terminal_was_throttled_today(demo, clock, manager_client):
    central = terminal_client(CENTRAL)
    passing(central)  # its first 429
    clock.advance(60)
    statuses(central, 111)  # a minute refilled the burst: 100 pass, 11 more 429
    statuses(terminal_client(RIVERSIDE), 5)
    rows = throttling.throttled_today([f"terminal:{t.pk}" for t in Terminal.objects.order_by("name", "store")])
    assert sorted(rows.values(), key=lambda row: row[0]) == [
        (0, None),
        (12, datetime.fromtimestamp(START + 60, tz=UTC)),
    ]

    page = manager_client.get(reverse("admin:pos_terminal_changelist")).content.decode()
    assert "Throttled today" in page and "Last throttled" in page
    filtered = manager_client.get(reverse("admin:pos_terminal_changelist"), {"throttled": "today"})
    names = [str(terminal) for terminal in filtered.context["cl"].result_list]
    assert names == [str(Terminal.objects.get(store__code="central"))]
    assert filtered.context["cl"].result_list[0].throttled_today == 12


def test_yesterdays_throttling_is_not_todays_but_the_last_time_stays(demo, clock, manager_client):
    passing(terminal_client(CENTRAL))
    clock.advance(24 * 3600)
    filtered = manager_client.get(reverse("admin:pos_terminal_changelist"), {"throttled": "today"})
    assert list(filtered.context["cl"].result_list) == []
    central = f"terminal:{Terminal.objects.get(store__code='central').pk}"
    assert throttling.throttled_today([central])[central] == (0, datetime.fromtimestamp(START, tz=UTC))


# --- the production cache -----------------------------------------------------------------------


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_up(), reason="needs Redis on 127.0.0.1:6379 (CI starts one)")
def test_on_redis_the_bucket_is_exact_shared_by_servers_and_refills(demo, settings, monkeypatch):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/13",  # a database of its own
            "KEY_PREFIX": f"test-throttle-{uuid.uuid4().hex}",
        }
    }
    clock = Clock(START)
    monkeypatch.setattr("pos.throttling.time", clock)
    scope = f"terminal:redis-{uuid.uuid4().hex}"
    try:
        # 8 threads, each with its own connection as separate servers would have: exactly the burst passes.
        with ThreadPoolExecutor(max_workers=8) as pool:
            waits = list(pool.map(lambda _: throttling.request_take(scope), range(160)))
        assert sorted(waits) == [0] * 100 + [500] * 60
        clock.advance(2)
        assert [throttling.request_take(scope) for _ in range(5)] == [0, 0, 0, 0, 500]
        clock.advance(0.25)
        assert throttling.request_take(scope) == 250

        till = terminal_client(CENTRAL)  # through the API, on Redis
        assert statuses(till, 101) == [200] * 100 + [429]
        assert till.get(CATEGORIES)["Retry-After"] == "1"
        central = f"terminal:{Terminal.objects.get(store__code='central').pk}"
        assert throttling.throttled_today([central])[central] == (2, datetime.fromtimestamp(START + 2.25, tz=UTC))
    finally:
        from django.core.cache import cache

        client = cache._cache.get_client(None, write=True)
        client.delete(*client.keys(f"{settings.CACHES['default']['KEY_PREFIX']}:*") or ["-"])
