"""The cashier screen's pages (/pos/): who gets in, and what the page carries."""

import json

import pytest
from django.contrib.auth.models import User
from django.test import Client

from pos.demo import build_demo
from pos.models import Cashier, Store
from tests.mycard.support import fresh_cache  # noqa: F401  (autouse: the PIN counters stay in this test)

pytestmark = pytest.mark.django_db

SCREEN = "/pos/"
LOGIN = "/pos/login/"


@pytest.fixture
def cashier(db) -> User:
    store = Store.objects.create(code="north", name="North Mall", currency="PLN")
    user = User.objects.create_user("anna", password="till-password-1", first_name="Anna", last_name="Nowak")
    Cashier.objects.create(user=user, store=store)
    return user


def test_anonymous_is_sent_to_the_cashier_login_not_the_admin():
    response = Client().get(SCREEN)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={SCREEN}"


def test_logged_in_user_who_is_not_a_cashier_gets_a_403_page_that_says_why():
    client = Client()
    client.force_login(User.objects.create_user("manager-x", password="x", is_staff=True))

    response = client.get(SCREEN)

    assert response.status_code == 403
    assert b"is not a cashier of any store" in response.content
    assert b'action="/pos/logout/"' in response.content


def test_cashier_sees_the_screen_with_store_name_currency_and_themselves(cashier):
    client = Client()
    client.force_login(cashier)

    response = client.get(SCREEN)

    assert response.status_code == 200
    html = response.content.decode()
    assert "North Mall" in html
    assert "Anna Nowak" in html
    config = json.loads(html.split('id="pos-config" type="application/json">')[1].split("</script>")[0])
    assert config == {
        "apiRoot": "/api/v1/",
        "currency": "PLN",
        "storeCode": "north",
        "storeName": "North Mall",
        "cashier": "Anna Nowak",
        "cashierKey": str(cashier.pk),  # whose basket and parked sales the browser keeps
        "timeZone": "UTC",  # the store's, here the chain's default
        "webSigninUrl": "/pos/cards/NUMBER/web-signin/",
        "manualCategory": "",  # POS_MANUAL_LINE_CATEGORY
        "pinSlipUrl": "/pos/cards/NUMBER/pin-slip/",
        "refundReasons": [
            ["damaged", "Damaged or faulty"],
            ["wrong_item", "Wrong item or size"],
            ["not_as_described", "Not as described"],
            ["changed_mind", "Customer changed their mind"],
            ["price_error", "Charged wrongly"],
            ["other", "Other"],
        ],
    }


def test_the_screen_loads_its_script_and_styles_and_sets_the_csrf_cookie(cashier):
    client = Client()
    client.force_login(cashier)

    response = client.get(SCREEN)

    html = response.content.decode()
    assert '<script src="/static/pos/cashier.js" defer></script>' in html
    assert '<link rel="stylesheet" href="/static/pos/cashier.css">' in html
    assert 'id="scan"' in html
    assert "csrftoken" in response.cookies


def test_the_screen_documents_its_keys(cashier):
    client = Client()
    client.force_login(cashier)

    html = client.get(SCREEN).content.decode()

    for key in ("F9", "Ctrl+Enter", "F4", "F6", "F8", "Esc"):
        assert f"<kbd>{key}</kbd>" in html


def test_login_page_logs_a_cashier_in_and_lands_on_the_screen(cashier):
    client = Client()
    assert client.get(LOGIN).status_code == 200

    response = client.post(LOGIN, {"username": "anna", "password": "till-password-1", "next": SCREEN})

    assert response.status_code == 302
    assert response["Location"] == SCREEN
    assert client.get(SCREEN).status_code == 200


def test_login_without_next_goes_to_the_screen(cashier):
    response = Client().post(LOGIN, {"username": "anna", "password": "till-password-1"})

    assert response.status_code == 302
    assert response["Location"] == SCREEN


def test_login_page_refuses_a_user_who_is_not_a_cashier():
    User.objects.create_user("clerk", password="clerk-password-1")
    client = Client()

    response = client.post(LOGIN, {"username": "clerk", "password": "clerk-password-1"})

    assert response.status_code == 200
    assert b"not a cashier of any store" in response.content
    assert "_auth_user_id" not in client.session


def test_wrong_password_shows_an_error_on_the_login_page(cashier):
    response = Client().post(LOGIN, {"username": "anna", "password": "wrong"})

    assert response.status_code == 200
    assert b"enter a correct username and password" in response.content


def test_logout_goes_back_to_the_cashier_login(cashier):
    client = Client()
    client.force_login(cashier)

    response = client.post("/pos/logout/")

    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert client.get(SCREEN).status_code == 302


def test_demo_cashier_can_log_in_with_the_published_password():
    build_demo()
    client = Client()

    response = client.post(LOGIN, {"username": "cashier1", "password": "cashier-demo"})

    assert response["Location"] == SCREEN
    assert "Central Market" in client.get(SCREEN).content.decode()


def test_the_screen_session_can_call_the_api_with_the_csrf_cookie(cashier):
    """What the page's script does: session cookie + X-CSRFToken from the csrftoken cookie."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(cashier)
    client.get(SCREEN)
    token = client.cookies["csrftoken"].value

    refused = client.post("/api/v1/checkout/quote/", {}, content_type="application/json")
    answered = client.post("/api/v1/checkout/quote/", {}, content_type="application/json", HTTP_X_CSRFTOKEN=token)

    assert refused.status_code == 403
    assert answered.status_code == 400  # past CSRF and authentication: an empty basket is bad input
    assert answered.json()["error"]["code"] == "invalid_input"


# --- the customer page's PIN lockout, seen and lifted at the till --------------------------------


def locked_card(number="2000000000015"):
    from cards import signin_guard

    build_demo()
    for _ in range(signin_guard.WRONG_PIN_LIMIT):
        signin_guard.wrong_pin_record(number)
    return number


def test_a_cashier_sees_and_lifts_a_web_signin_lock_and_the_back_office_log_says_who(cashier):
    from django.contrib.admin.models import LogEntry

    from cards import signin_guard

    number = locked_card()
    client = Client()
    client.force_login(cashier)
    url = f"/pos/cards/{number}/web-signin/"
    assert client.get(url).json() == {"number": number, "locked": True}
    assert client.post(url).json() == {"number": number, "locked": False}
    assert signin_guard.web_signin_locked(number) is False
    entry = LogEntry.objects.get()
    assert (entry.user, entry.object_repr, entry.get_change_message()) == (
        cashier,
        number,
        "Unlocked web sign-in at the till in North Mall.",
    )
    assert client.post(url).json() == {"number": number, "locked": False}
    assert LogEntry.objects.count() == 1  # nothing to lift the second time, nothing logged


def test_the_web_signin_endpoint_refuses_others_and_bad_numbers_and_changes_nothing(cashier):
    from cards import signin_guard

    number = locked_card()
    url = f"/pos/cards/{number}/web-signin/"
    assert Client().post(url).status_code == 302  # not logged in: to the cashier login
    manager = Client()
    manager.force_login(User.objects.create_user("manager-y", is_staff=True))
    refused = manager.post(url)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "permission_denied")
    till = Client(enforce_csrf_checks=True)
    till.force_login(cashier)
    assert till.post(url).status_code == 403  # no CSRF token: the page always sends one
    assert signin_guard.web_signin_locked(number) is True
    till = Client()
    till.force_login(cashier)
    wrong = till.get("/pos/cards/2000000000016/web-signin/")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (400, "invalid_card_number")
    unknown = till.get("/pos/cards/2000000099996/web-signin/")  # valid, not printed
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "card_not_found")
