"""Signing in to the customer page /my/ with card number + PIN: one answer for every failure, the
per-address rate limit, the per-number lock after wrong PINs, and the back office's unlock."""

import socket
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Permission
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from cards import signin_guard
from cards.models import Card
from loyalty.models import Account, Customer
from tests.mycard import support as my_support
from tests.mycard.support import (
    ANNA,
    BLOCKED,
    BRUNO,
    ISSUED,
    REPLACED,
    SUCCESSOR,
    UNKNOWN,
    cards_in_every_state,
    pin,
    sign_in,
    signed_in_card_id,
    text,
    without_csrf,
    wrong_pin,
)

# Fixtures shared by the customer page's tests, used here by name.
clock = my_support.clock
fresh_cache = my_support.fresh_cache

pytestmark = pytest.mark.django_db

GENERIC = "The card number or the PIN is not right, or this card cannot be used here. Please check both and try again."
LOCKED = "Web sign-in for this card is locked."


@pytest.fixture
def cards(demo):
    cards_in_every_state()


def snapshot():
    """What a failed sign-in must leave as it was."""
    return (
        list(Card.objects.order_by("number").values_list("number", "status", "account", "replaced_by")),
        list(Account.objects.order_by("pk").values_list("pk", "points_balance", "spend", "level")),
        list(Customer.objects.order_by("pk").values_list("pk", "email", "marketing_consent")),
        Session.objects.count(),
    )


# --- success ------------------------------------------------------------------------------


def test_the_right_pin_signs_in_with_a_new_session_key_and_the_card_in_the_session(cards, client):
    session = client.session
    session["before"] = "visitor"
    session.save()
    client.cookies["sessionid"] = session.session_key

    response = sign_in(client, ANNA, pin(ANNA))

    assert (response.status_code, response["Location"]) == (302, "/my/")
    assert client.cookies["sessionid"].value != session.session_key  # no session fixation
    assert signed_in_card_id(client) == Card.objects.get(number=ANNA).pk
    assert "Hello, Anna K." in text(client.get("/my/"))


def test_spaces_in_the_number_and_around_the_pin_are_forgiven(cards, client):
    response = sign_in(client, "2 000000 000015 ", f" {pin(ANNA)} ")
    assert (response.status_code, response["Location"]) == (302, "/my/")


def test_a_signed_in_customer_going_to_the_sign_in_page_lands_on_the_card_page(cards, client):
    sign_in(client, ANNA, pin(ANNA))
    response = client.get("/my/signin/")
    assert (response.status_code, response["Location"]) == (302, "/my/")


def test_without_a_sign_in_the_card_page_sends_to_the_sign_in_page(cards, client):
    response = client.get("/my/")
    assert (response.status_code, response["Location"]) == (302, "/my/signin/")


def test_sign_out_forgets_the_card(cards, client):
    sign_in(client, ANNA, pin(ANNA))
    response = client.post("/my/signout/")
    assert (response.status_code, response["Location"]) == (302, "/my/signin/")
    assert signed_in_card_id(client) is None
    assert client.get("/my/")["Location"] == "/my/signin/"
    assert "You are signed out." in text(client.get("/my/signin/"))


def test_every_form_needs_the_csrf_token(cards):
    browser = Client(enforce_csrf_checks=True)
    assert sign_in(browser, ANNA, pin(ANNA)).status_code == 403
    token = browser.get("/my/signin/").context["csrf_token"]
    response = browser.post("/my/signin/", {"number": ANNA, "pin": pin(ANNA), "csrfmiddlewaretoken": str(token)})
    assert response.status_code == 302
    assert browser.post("/my/signout/").status_code == 403
    assert browser.post("/my/profile/", {"email": "x@example.com"}).status_code == 403


# --- one answer for every failure ---------------------------------------------------------


FAILURES = {  # reason: (number typed, PIN typed: "right" / "wrong" for that number, or the text typed)
    "unknown number": (UNKNOWN, "right"),
    "wrong PIN": (ANNA, "wrong"),
    "blocked card, right PIN": (BLOCKED, "right"),
    "replaced card, right PIN": (REPLACED, "right"),
    "never activated card, right PIN": (ISSUED, "right"),
    "wrong check digit": ("2000000000016", "right"),
    "too short": ("12345", "12345678"),
    "letters": ("abcdefghijklm", "12345678"),
    "non-ASCII PIN": (ANNA, "١٢٣٤٥٦٧٨"),
}


def typed(number: str, kind: str) -> str:
    return {"right": pin, "wrong": wrong_pin}[kind](number) if kind in ("right", "wrong") else kind


def test_every_failure_gets_the_same_bytes_status_and_headers(cards):
    answers = {}
    for reason, (number, kind) in FAILURES.items():
        response = sign_in(Client(), number, typed(number, kind))
        headers = dict(response.headers)
        headers.pop("Expires")  # never_cache's "now", which moves on between two requests
        cookies = sorted(response.cookies)  # the CSRF cookie only: no session for anyone who failed
        answers[reason] = (response.status_code, headers, cookies, without_csrf(response.content))
    status, _, cookies, content = answers["unknown number"]
    assert (status, cookies) == (200, ["csrftoken"])
    assert GENERIC in text(content)
    assert LOCKED not in text(content)
    assert UNKNOWN.encode() not in content  # the number typed is not echoed back
    different = {reason for reason, answer in answers.items() if answer != answers["unknown number"]}
    assert different == set()


def test_a_failure_changes_nothing_and_creates_no_session(cards, client):
    before = snapshot()
    for number, kind in FAILURES.values():
        sign_in(client, number, typed(number, kind))
    assert snapshot() == before
    assert signed_in_card_id(client) is None
    assert client.get("/my/")["Location"] == "/my/signin/"


def test_the_pin_is_computed_for_unknown_numbers_too(cards, client, monkeypatch):
    checked = []
    real = signin_guard.pin_matches
    monkeypatch.setattr(
        signin_guard, "pin_matches", lambda number, typed: checked.append(number) or real(number, typed)
    )
    sign_in(client, UNKNOWN, "12345678")
    sign_in(client, "12345", "12345678")
    sign_in(client, ANNA, wrong_pin(ANNA))
    assert checked == [UNKNOWN, "12345", ANNA]


def test_empty_fields_are_asked_for_and_count_as_no_attempt(cards, client):
    response = client.post("/my/signin/", {"number": "", "pin": ""})
    assert response.status_code == 200
    assert text(response).count("This field is required.") == 2
    assert signin_guard.wrong_pins("") == 0


# --- the lock after wrong PINs ------------------------------------------------------------


def test_the_fifth_wrong_pin_locks_the_card_and_then_even_the_right_pin_fails(cards, client):
    for attempt in range(1, 5):
        page = text(sign_in(client, ANNA, wrong_pin(ANNA)))
        assert (GENERIC in page, LOCKED in page, attempt) == (True, False, attempt)
    fifth = text(sign_in(client, ANNA, wrong_pin(ANNA)))
    assert LOCKED in fifth
    assert "The PIN was wrong 5 times. Please ask at the checkout in any of our stores to unlock it" in fifth
    assert GENERIC not in fifth

    before = snapshot()
    response = sign_in(client, ANNA, pin(ANNA))
    assert response.status_code == 200
    assert LOCKED in text(response)
    assert signed_in_card_id(client) is None
    assert snapshot() == before
    assert signin_guard.wrong_pins(ANNA) == 5  # a refused attempt while locked does not count on
    assert sign_in(client, BRUNO, pin(BRUNO)).status_code == 302  # other cards are not affected


def test_an_unknown_number_locks_after_exactly_as_many_failures_with_the_same_answer(cards):
    answers = {}
    for address, number in (("10.0.0.1", ANNA), ("10.0.0.2", UNKNOWN)):  # 12 attempts: two addresses
        client = Client(REMOTE_ADDR=address)
        pages = [sign_in(client, number, wrong_pin(number)) for _ in range(6)]
        answers[number] = [(p.status_code, without_csrf(p.content)) for p in pages]
        assert [LOCKED in text(p) for p in pages] == [False, False, False, False, True, True]
    assert answers[ANNA] == answers[UNKNOWN]


def test_the_lock_ends_24_hours_after_the_first_wrong_pin(cards, client, clock):
    for _ in range(5):
        sign_in(client, ANNA, wrong_pin(ANNA))
    clock.advance(24 * 3600 - 1)
    assert LOCKED in text(sign_in(client, ANNA, pin(ANNA)))
    clock.advance(1)
    assert sign_in(client, ANNA, pin(ANNA)).status_code == 302


def test_wrong_pins_spread_over_a_day_still_lock(cards, client, clock):
    for _ in range(4):
        sign_in(client, ANNA, wrong_pin(ANNA))
        clock.advance(5 * 3600)  # 4 × 5 h: still inside the 24 h window opened by the first one
    assert LOCKED in text(sign_in(client, ANNA, wrong_pin(ANNA)))


def test_the_manager_unlocks_web_sign_in_on_the_card_page_and_it_is_logged(cards, client, manager_client):
    for _ in range(5):
        sign_in(client, ANNA, wrong_pin(ANNA))
    card = Card.objects.get(number=ANNA)
    change_page = manager_client.get(reverse("admin:cards_card_change", args=[card.pk])).content.decode()
    unlock_url = reverse("admin:cards_card_unlock_web_signin", args=[card.pk])
    assert "Locked after 5 wrong PINs" in change_page
    assert f'href="{unlock_url}"' in change_page
    assert "Unlock web sign-in" in manager_client.get(unlock_url).content.decode()  # a confirmation first

    response = manager_client.post(unlock_url, follow=True)

    assert response.redirect_chain == [(reverse("admin:cards_card_change", args=[card.pk]), 302)]
    assert f"Web sign-in for card {ANNA} is unlocked." in response.content.decode()
    entry = LogEntry.objects.get()
    assert (entry.object_id, entry.action_flag, entry.get_change_message()) == (
        str(card.pk),
        CHANGE,
        "Unlocked web sign-in after too many wrong PINs.",
    )
    assert "Web sign-in: Open" in text(response)
    assert sign_in(client, ANNA, pin(ANNA)).status_code == 302


def test_unlocking_a_card_that_is_not_locked_logs_nothing(cards, manager_client):
    card = Card.objects.get(number=ANNA)
    response = manager_client.post(reverse("admin:cards_card_unlock_web_signin", args=[card.pk]), follow=True)
    assert f"Web sign-in for card {ANNA} was not locked." in response.content.decode()
    assert LogEntry.objects.count() == 0


def test_only_who_may_change_cards_may_unlock(cards, client, django_user_model):
    for _ in range(5):
        sign_in(Client(), ANNA, wrong_pin(ANNA))
    viewer = django_user_model.objects.create_user("viewer", password="pw-123456", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_card"))
    client.force_login(viewer)
    card = Card.objects.get(number=ANNA)
    assert client.post(reverse("admin:cards_card_unlock_web_signin", args=[card.pk])).status_code == 403
    assert signin_guard.web_signin_locked(ANNA) is True


# --- the limit per client address ---------------------------------------------------------


def test_the_eleventh_attempt_in_a_minute_from_one_address_gets_429(cards, client, clock):
    numbers = [UNKNOWN, BRUNO, ISSUED, BLOCKED, SUCCESSOR] * 2
    assert [sign_in(client, n, "12345678").status_code for n in numbers] == [200] * 10

    response = sign_in(client, ANNA, pin(ANNA))  # even the right PIN: the address is throttled

    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert "There were too many sign-in attempts from your network. Please wait a minute" in text(response)
    assert signed_in_card_id(client) is None
    assert signin_guard.wrong_pins(ANNA) == 0  # a throttled attempt never reaches the card's counter
    assert client.get("/my/signin/").status_code == 200  # reading the page is not an attempt
    assert sign_in(client, ANNA, pin(ANNA), REMOTE_ADDR="10.1.2.3").status_code == 302  # another address

    clock.advance(60)
    assert sign_in(Client(), ANNA, pin(ANNA)).status_code == 302


# --- the counter on the production cache ----------------------------------------------------


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_up(), reason="needs Redis on 127.0.0.1:6379 (CI starts one)")
def test_on_redis_wrong_pins_counted_by_many_servers_at_once_are_all_counted(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/15",
            "KEY_PREFIX": f"test-my-{uuid.uuid4().hex}",
        }
    }
    from django.core.cache import cache

    # Each thread gets its own cache connection, as separate server processes would.
    with ThreadPoolExecutor(max_workers=8) as pool:
        locked = list(pool.map(lambda _: signin_guard.wrong_pin_record(UNKNOWN), range(8)))
    key = cache.make_and_validate_key(signin_guard._counter_key(UNKNOWN))
    try:
        assert signin_guard.wrong_pins(UNKNOWN) == 8
        assert sorted(locked) == [False] * 4 + [True] * 4
        assert 24 * 3600 - 60 < cache._cache.get_client(key).ttl(key) <= 24 * 3600  # the window kept its expiry
        assert signin_guard.web_signin_unlock(UNKNOWN) is True
        assert signin_guard.wrong_pins(UNKNOWN) == 0
    finally:
        cache.delete(signin_guard._counter_key(UNKNOWN))
