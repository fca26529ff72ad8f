"""POST /api/v1/customers/search/: before a replacement the till finds the customer by phone, then checks the
birthday they tell. Names shortened, birthdays never handed out, card numbers only after a match; throttled."""

from datetime import date

import pytest
from django.core.cache import cache

from cards.lifecycle import card_activate, card_block
from tests.pos.helpers import CARD

pytestmark = pytest.mark.django_db

PHONE = "+48600100200"
SECOND, STRANGER = "2000000000022", "2000000000039"


@pytest.fixture(autouse=True)
def fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def two_under_one_phone(demo):
    """Anna (born 1990-04-01, card blocked after she lost it) and a stranger who typed her phone."""
    card_activate(number=CARD, name="Anna Kowalska", phone=PHONE, birthday=date(1990, 4, 1))
    card_block(number=CARD, reason="Lost")
    card_activate(number=SECOND, name="Anna Kowalska", phone="+48 600 100 200", birthday=date(1990, 4, 1))
    card_activate(number=STRANGER, name="Bob Nowak", phone=PHONE)


def search(client, **body):
    return client.post("/api/v1/customers/search/", body, format="json")


def test_by_phone_alone_the_till_sees_shortened_names_and_nothing_else(till, two_under_one_phone):
    response = search(till, phone="0048 600-100-200")
    assert response.status_code == 200
    assert response.json() == {
        "customers": [
            {"display_name": "Anna K.", "birthday_matches": None, "cards": []},
            {"display_name": "Anna K.", "birthday_matches": None, "cards": []},
            {"display_name": "Bob N.", "birthday_matches": None, "cards": []},
        ]
    }


def test_the_birthday_told_shows_the_cards_of_who_it_matches_only(till, two_under_one_phone):
    response = search(till, phone=PHONE, birthday="1990-04-01")
    assert response.json() == {
        "customers": [
            {"display_name": "Anna K.", "birthday_matches": True, "cards": [
                {"number": CARD, "status": "blocked", "level": None, "points_balance": "0.00"},
            ]},
            {"display_name": "Anna K.", "birthday_matches": True, "cards": [
                {"number": SECOND, "status": "active", "level": None, "points_balance": "0.00"},
            ]},
            {"display_name": "Bob N.", "birthday_matches": False, "cards": []},
        ]
    }  # fmt: skip
    assert "1990" not in response.content.decode()


def test_a_wrong_birthday_shows_no_card(till, two_under_one_phone):
    response = search(till, phone=PHONE, birthday="1990-04-02")
    assert [c["birthday_matches"] for c in response.json()["customers"]] == [False, False, False]
    assert all(c["cards"] == [] for c in response.json()["customers"])


def test_an_unknown_phone_finds_nobody(till, two_under_one_phone):
    assert search(till, phone="+48700000000").json() == {"customers": []}


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "phone"), ({"phone": "call me"}, "phone"), ({"phone": PHONE, "birthday": "April"}, "birthday")],
)
def test_bad_input_is_400(till, body, field):
    response = search(till, **body)
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_input")
    assert field in response.json()["error"]["details"]


def test_searches_are_throttled_per_terminal(till, other_till, two_under_one_phone, settings):
    settings.POS_CUSTOMER_SEARCH_RATE = "3/hour"
    assert [search(till, phone=PHONE, birthday=f"1990-01-0{d}").status_code for d in range(1, 5)] == [
        200, 200, 200, 429,
    ]  # fmt: skip
    refused = search(till, phone=PHONE, birthday="1990-04-01")
    assert (refused.status_code, refused.json()["error"]["code"]) == (429, "throttled")
    assert int(refused["Retry-After"]) > 0
    assert search(other_till, phone=PHONE).status_code == 200


def test_the_search_needs_a_till(client, demo):
    response = client.post("/api/v1/customers/search/", {"phone": PHONE}, content_type="application/json")
    assert response.status_code == 401
