"""Signing in to the customer page /my/ with card number + PIN: one answer for every failure, the
per-address rate limit, the per-number lock after wrong PINs, and the back office's unlock."""

import socket
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Permission
from django.contrib.sessions.models import Session
from django.core import signing
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


@pytest.mark.parametrize("typed", ["{0} {1}", "{0}-{1}", " {0} - {1} ", "{0}\u00a0{1}"])
def test_a_pin_typed_in_groups_with_spaces_or_a_dash_signs_in_and_counts_no_wrong_attempt(cards, client, typed):
    right = pin(ANNA)
    response = sign_in(client, ANNA, typed.format(right[:4], right[4:]))
    assert (response.status_code, response["Location"]) == (302, "/my/")
    assert signin_guard.wrong_pins(ANNA) == 0


def test_a_pin_of_only_spaces_and_dashes_is_asked_for_and_counts_as_no_attempt(cards, client):
    response = sign_in(client, ANNA, " - ")
    assert response.status_code == 200
    assert text(response).count("This field is required.") == 1
    assert signin_guard.wrong_pins(ANNA) == 0


def test_a_wrong_pin_in_groups_is_still_wrong(cards, client):
    wrong = wrong_pin(ANNA)
    assert "The card number or the PIN is not right" in text(sign_in(client, ANNA, f"{wrong[:4]} {wrong[4:]}"))
    assert signin_guard.wrong_pins(ANNA) == 1


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


# --- the lock ladder after wrong PINs -------------------------------------------------------

MINUTE, HOUR, DAY = 60, 3600, 24 * 3600


def wrong_run(client, number, times=5):
    """`times` wrong PINs on `number`; the last page's text."""
    for _ in range(times):
        page = text(sign_in(client, number, wrong_pin(number)))
    return page


def locked_now(number) -> bool:
    """Does a stranger's device (no cookie, its own address) meet the lock on `number`?"""
    return LOCKED in text(sign_in(Client(REMOTE_ADDR=f"10.9.{next(_addresses)}.1"), number, wrong_pin(number)))


_addresses = iter(range(10**6))


def test_the_fifth_wrong_pin_locks_the_card_for_15_minutes_and_then_even_the_right_pin_fails(cards, client):
    for attempt in range(1, 5):
        page = text(sign_in(client, ANNA, wrong_pin(ANNA)))
        assert (GENERIC in page, LOCKED in page, attempt) == (True, False, attempt)
    fifth = text(sign_in(client, ANNA, wrong_pin(ANNA)))
    assert LOCKED in fifth
    assert (
        "The PIN was wrong 5 times. Please try again in 15 minutes, or ask at the checkout in any of our stores"
        " to unlock it." in fifth
    )
    assert GENERIC not in fifth

    before = snapshot()
    response = sign_in(client, ANNA, pin(ANNA))
    assert response.status_code == 200
    assert LOCKED in text(response)
    assert signed_in_card_id(client) is None
    assert snapshot() == before
    assert signin_guard.wrong_pins(ANNA) == 5  # a refused attempt while locked does not count on
    assert sign_in(client, BRUNO, pin(BRUNO)).status_code == 302  # other cards are not affected


def test_the_lock_says_when_to_try_again_in_german_too(cards):
    page = wrong_run(Client(HTTP_ACCEPT_LANGUAGE="de"), ANNA)
    assert (
        "Die PIN war 5 Mal falsch. Bitte versuchen Sie es in 15 Minuten wieder, oder lassen Sie sie an der Kasse"
        " in einer unserer Filialen entsperren." in page
    )


def test_an_unknown_number_locks_after_exactly_as_many_failures_with_the_same_answer(cards):
    answers = {}
    for address, number in (("10.0.0.1", ANNA), ("10.0.0.2", UNKNOWN)):  # 12 attempts: two addresses
        client = Client(REMOTE_ADDR=address)
        pages = [sign_in(client, number, wrong_pin(number)) for _ in range(6)]
        answers[number] = [(p.status_code, without_csrf(p.content)) for p in pages]
        assert [LOCKED in text(p) for p in pages] == [False, False, False, False, True, True]
    assert answers[ANNA] == answers[UNKNOWN]


@pytest.mark.parametrize("number", [ANNA, UNKNOWN], ids=["real card", "made-up number"])
def test_each_run_of_five_wrong_pins_locks_longer_15_minutes_then_1_hour_then_24_hours(cards, clock, number):
    client = Client()
    for lock, words in ((15 * MINUTE, "15 minutes"), (HOUR, "1 hour"), (DAY, "1 day"), (DAY, "1 day")):
        assert locked_now(number) is False
        assert f"Please try again in {words}," in wrong_run(client, number)
        clock.advance(lock - 1)
        page = text(sign_in(client, number, pin(number)))
        assert "Please try again in 1 minute," in page  # what is left, rounded up to the minute
        assert signin_guard.web_signin_locked_for(number) == 1
        clock.advance(1)
        assert signin_guard.web_signin_locked(number) is False
        assert signin_guard.wrong_pins(number) == 0  # a new run of five starts
    if number == ANNA:
        assert sign_in(client, ANNA, pin(ANNA)).status_code == 302


def test_four_wrong_pins_then_the_wait_is_not_a_lock_and_the_run_counts_on(cards, client, clock):
    wrong_run(client, ANNA, times=4)
    clock.advance(HOUR)
    assert "Please try again in 15 minutes," in wrong_run(client, ANNA, times=1)


def test_wrong_pins_spread_over_a_day_still_lock_but_not_over_more(cards, client, clock):
    for _ in range(4):
        sign_in(client, ANNA, wrong_pin(ANNA))
        clock.advance(5 * HOUR)  # 4 × 5 h: still inside the 24 h window opened by the first one
    assert LOCKED in text(sign_in(client, ANNA, wrong_pin(ANNA)))
    clock.advance(15 * MINUTE)
    for _ in range(4):
        sign_in(client, BRUNO, wrong_pin(BRUNO))
        clock.advance(6 * HOUR)  # the fifth comes 24 h after the first: a new window
    assert LOCKED not in text(sign_in(client, BRUNO, wrong_pin(BRUNO)))
    assert signin_guard.wrong_pins(BRUNO) == 1


def test_a_day_without_a_lock_after_the_last_one_ended_starts_the_ladder_again(cards, client, clock):
    wrong_run(client, ANNA)  # 15 min
    clock.advance(15 * MINUTE + DAY - 1)  # the lock, then a day less one second
    assert "Please try again in 1 hour," in wrong_run(client, ANNA)
    clock.advance(HOUR + DAY)  # the lock, then a whole quiet day
    assert "Please try again in 15 minutes," in wrong_run(client, ANNA)


# --- a device the customer signed in from before ---------------------------------------------


def trusted_cookie(client, number):
    return client.cookies.get(signin_guard.trusted_device_cookie_name(number))


def test_signing_in_trusts_this_device_with_that_card_by_a_signed_http_only_cookie(cards, client):
    assert sign_in(client, ANNA, pin(ANNA)).status_code == 302

    cookie = trusted_cookie(client, ANNA)
    assert (cookie["max-age"], cookie["path"], cookie["httponly"], cookie["secure"], cookie["samesite"]) == (
        365 * DAY,
        "/my/signin/",
        True,
        "",
        "Lax",
    )
    assert signin_guard.trusted_device_for(ANNA, {cookie.key: cookie.value}) is not None
    secure = Client()
    sign_in(secure, ANNA, pin(ANNA), secure=True)
    assert trusted_cookie(secure, ANNA)["secure"] is True  # over HTTPS, sent over HTTPS only


def test_failures_set_no_trusted_device_cookie(cards, client):
    sign_in(client, ANNA, wrong_pin(ANNA))
    sign_in(client, UNKNOWN, "12345678")
    assert sorted(client.cookies) == ["csrftoken"]


def test_a_trusted_device_signs_in_with_the_right_pin_while_strangers_locked_the_card(cards, clock):
    phone = Client(REMOTE_ADDR="10.0.0.1")
    sign_in(phone, ANNA, pin(ANNA))
    phone.post("/my/signout/")
    stranger = Client(REMOTE_ADDR="10.0.0.2")
    wrong_run(stranger, ANNA)
    clock.advance(15 * MINUTE)
    assert "Please try again in 1 hour," in wrong_run(stranger, ANNA)

    response = sign_in(phone, ANNA, pin(ANNA))

    assert (response.status_code, response["Location"]) == (302, "/my/")
    assert signed_in_card_id(phone) == Card.objects.get(number=ANNA).pk
    assert LOCKED in text(sign_in(stranger, ANNA, pin(ANNA)))  # still locked for everyone else
    assert signin_guard.web_signin_locked_for(ANNA) == HOUR


def test_a_trusted_devices_wrong_pins_count_for_the_card_and_lock_the_device_too(cards, clock):
    phone = Client(REMOTE_ADDR="10.0.0.1")
    sign_in(phone, ANNA, pin(ANNA))
    phone.post("/my/signout/")

    assert "Please try again in 15 minutes," in wrong_run(phone, ANNA)

    assert signin_guard.wrong_pins(ANNA) == 5
    assert locked_now(ANNA) is True
    assert LOCKED in text(sign_in(phone, ANNA, pin(ANNA)))  # guessing from a stolen phone gets no further
    clock.advance(15 * MINUTE)
    assert sign_in(phone, ANNA, pin(ANNA)).status_code == 302


def test_another_cards_cookie_does_not_open_a_locked_card(cards):
    bruno_phone = Client(REMOTE_ADDR="10.0.0.1")
    sign_in(bruno_phone, BRUNO, pin(BRUNO))
    bruno_phone.post("/my/signout/")
    wrong_run(Client(REMOTE_ADDR="10.0.0.2"), ANNA)
    bruno_cookie = trusted_cookie(bruno_phone, BRUNO).value

    assert LOCKED in text(sign_in(bruno_phone, ANNA, pin(ANNA)))  # holding Bruno's cookie
    bruno_phone.cookies[signin_guard.trusted_device_cookie_name(ANNA)] = bruno_cookie  # renamed as Anna's
    assert LOCKED in text(sign_in(bruno_phone, ANNA, pin(ANNA)))
    assert signed_in_card_id(bruno_phone) is None
    assert signin_guard.wrong_pins(ANNA) == 5


def test_an_altered_cookie_is_ignored(cards):
    phone = Client(REMOTE_ADDR="10.0.0.1")
    sign_in(phone, ANNA, pin(ANNA))
    phone.post("/my/signout/")
    wrong_run(Client(REMOTE_ADDR="10.0.0.2"), ANNA)
    name = signin_guard.trusted_device_cookie_name(ANNA)
    value = phone.cookies[name].value
    payload, stamp, signature = value.rsplit(":", 2)
    forged_payload = signing.b64_encode(b'{"card":"' + ANNA.encode() + b'","device":"mine"}').decode()
    for forged in (
        f"{payload}:{stamp}:{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",  # one character changed
        f"{forged_payload}:{stamp}:{signature}",  # another payload under the old signature
        signing.TimestampSigner(salt="another-purpose").sign_object({"card": ANNA, "device": "x"}),
        "garbage",
    ):
        phone.cookies[name] = forged
        assert LOCKED in text(sign_in(phone, ANNA, pin(ANNA))), forged
        assert signed_in_card_id(phone) is None


def test_a_trusted_device_cookie_older_than_a_year_counts_for_nothing(cards, clock):
    phone = Client(REMOTE_ADDR="10.0.0.1")
    sign_in(phone, ANNA, pin(ANNA))
    phone.post("/my/signout/")
    clock.advance(365 * DAY + 1)
    wrong_run(Client(REMOTE_ADDR="10.0.0.2"), ANNA)
    assert LOCKED in text(sign_in(phone, ANNA, pin(ANNA)))


# --- lifting a lock in store ------------------------------------------------------------------


def test_unlocking_starts_the_ladder_again_for_the_card_and_its_devices(cards, client, clock):
    phone = Client(REMOTE_ADDR="10.0.0.1")
    sign_in(phone, ANNA, pin(ANNA))
    phone.post("/my/signout/")
    wrong_run(client, ANNA)
    clock.advance(15 * MINUTE)
    wrong_run(client, ANNA)  # 1 h now
    wrong_run(phone, ANNA)  # the phone locked itself too

    assert signin_guard.web_signin_unlock(ANNA) is True

    assert sign_in(phone, ANNA, pin(ANNA)).status_code == 302
    assert "Please try again in 15 minutes," in wrong_run(client, ANNA)
    assert signin_guard.web_signin_unlock(ANNA) is True
    assert signin_guard.web_signin_unlock(ANNA) is False


def test_the_manager_unlocks_web_sign_in_on_the_card_page_and_it_is_logged(cards, client, manager_client):
    for _ in range(5):
        sign_in(client, ANNA, wrong_pin(ANNA))
    card = Card.objects.get(number=ANNA)
    change_page = manager_client.get(reverse("admin:cards_card_change", args=[card.pk])).content.decode()
    unlock_url = reverse("admin:cards_card_unlock_web_signin", args=[card.pk])
    assert "Locked after 5 wrong PINs, 15 minutes more" in text(change_page.encode())
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
    ladder = signin_guard._Ladder.of_card(UNKNOWN)
    failures_key, step_key = (cache.make_and_validate_key(key) for key in (ladder.failures_key, ladder.step_key))
    try:
        assert signin_guard.wrong_pins(UNKNOWN) == 8
        assert sorted(locked) == [False] * 4 + [True] * 4
        assert cache.get(ladder.step_key)["step"] == 0  # one lock, one step: not one per late failure
        # The run's count lasts as long as the lock (15 min), the step reached a day longer.
        assert 15 * 60 - 60 < cache._cache.get_client(failures_key).ttl(failures_key) <= 15 * 60
        assert 15 * 60 + 24 * 3600 - 60 < cache._cache.get_client(step_key).ttl(step_key) <= 15 * 60 + 24 * 3600
        assert signin_guard.web_signin_unlock(UNKNOWN) is True
        assert signin_guard.wrong_pins(UNKNOWN) == 0
    finally:
        cache.delete_many([ladder.failures_key, ladder.step_key, signin_guard._generation_key(UNKNOWN)])
