from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from cards.lifecycle import card_block
from cards.models import Card
from cards.pins import card_pin
from loyalty.models import Customer
from loyalty.services import points_adjust
from mycard.selectors import other_cards
from pos.models import Receipt
from tests.pos.helpers import CARD, account_of, activate, buy, ledger_sum, line

pytestmark = pytest.mark.django_db


def test_issued_card_has_no_customer_and_the_pos_must_offer_activation(till):
    response = till.get(f"/api/v1/cards/{CARD}/")
    assert response.status_code == 200
    assert response.json() == {
        "number": CARD, "status": "issued", "customer": None, "discount_percent": "0.00", "level": None,
        "points_balance": "0.00", "spend_total": "0.00", "next_level": None,
    }  # fmt: skip


def test_activation_links_the_card_and_answers_with_the_card_body(till):
    response = activate(till, number=f" {CARD} ")
    assert response.json() == {
        "number": CARD, "status": "active", "customer": {"display_name": "Anna K."}, "discount_percent": "0.00",
        "level": None, "points_balance": "0.00", "spend_total": "0.00",
        "next_level": {"name": "Silver", "discount_percent": "2.00", "spend_needed": "300.00"},
    }  # fmt: skip


ANNA_POINTS = Decimal("50.00")
STRANGER = "2000000000022"


@pytest.fixture
def anna_with_points(till):
    """Anna's card, with 50 points and an e-mail on file: what a stranger knowing her phone must not reach."""
    activate(till)
    anna = account_of(CARD)
    Customer.objects.filter(pk=anna.customer_id).update(email="anna@example.com")
    points_adjust(account_id=anna.pk, points=ANNA_POINTS, reason="Goodwill", by=None, at=timezone.now())
    return anna


def test_a_known_phone_makes_a_new_customer_with_the_name_sent(till, anna_with_points):
    response = till.post(
        f"/api/v1/cards/{STRANGER}/activate/", {"name": "Bob Nowak", "phone": "0048 600 100 200"}, format="json"
    )
    assert response.status_code == 201
    assert response.json() == {
        "number": STRANGER, "status": "active", "customer": {"display_name": "Bob N."}, "discount_percent": "0.00",
        "level": None, "points_balance": "0.00", "spend_total": "0.00",
        "next_level": {"name": "Silver", "discount_percent": "2.00", "spend_needed": "300.00"},
    }  # fmt: skip
    assert list(Customer.objects.order_by("pk").values_list("name", "phone")) == [
        ("Anna Kowalska", "+48600100200"), ("Bob Nowak", "+48600100200"),
    ]  # fmt: skip
    assert account_of(STRANGER).customer_id != anna_with_points.customer_id


def test_the_new_cards_pin_page_shows_only_its_own_customer(till, anna_with_points):
    activate(till, number=STRANGER, phone="+48600100200", name="Bob Nowak")
    client = Client()
    assert client.post("/my/signin/", {"number": STRANGER, "pin": card_pin(STRANGER)}).status_code == 302
    page = client.get("/my/").content.decode()
    assert "Bob Nowak" in page
    for anna in ("Anna", "anna@example.com", CARD, "50.00"):
        assert anna not in page


def test_the_till_cannot_spend_the_phone_owners_points_through_the_new_card(till, anna_with_points):
    """Before, the new card's page listed the owner's cards (their numbers are all a till needs to spend)."""
    activate(till, number=STRANGER, phone="+48600100200", name="Bob Nowak")
    stranger = Card.objects.select_related("account").get(number=STRANGER)
    assert other_cards(stranger, timezone.now()) == []
    response = buy(till, [line(quantity="10", unit_price="10.00")], card=STRANGER, redeem="10.00")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "insufficient_points")
    anna = account_of(CARD)
    assert (anna.points_balance, ledger_sum(anna.pk)) == (ANNA_POINTS, "50.00")
    assert Receipt.objects.count() == 0


@pytest.mark.parametrize(
    ("prepare", "status", "code"),
    [("activate", 409, "card_already_active"), ("block", 409, "card_blocked")],
)
def test_activating_a_used_card_is_a_409(till, prepare, status, code):
    activate(till)
    if prepare == "block":
        card_block(number=CARD, reason="Lost")
    response = till.post(f"/api/v1/cards/{CARD}/activate/", {"name": "Bob", "phone": "600999999"}, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert Customer.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "600100200"}, "name"),
        ({"name": "Anna"}, "phone"),
        ({"name": "A", "phone": "1", "email": "x"}, "email"),
    ],
)
def test_activation_with_missing_fields_is_400_and_writes_nothing(till, body, field):
    response = till.post(f"/api/v1/cards/{CARD}/activate/", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"
    assert field in response.json()["error"]["details"]
    assert Customer.objects.count() == 0


def test_wrong_check_digit_is_400_and_unknown_card_404(till):
    typo = till.get("/api/v1/cards/2000000000016/")
    assert (typo.status_code, typo.json()["error"]["code"]) == (400, "invalid_card_number")
    unknown = till.get("/api/v1/cards/2999000000012/")
    assert (unknown.status_code, unknown.json()["error"]) == (
        404, {"code": "card_not_found", "message": "This card is not known here.", "details": {}},
    )  # fmt: skip


def test_categories_for_the_pos(till):
    response = till.get("/api/v1/categories/")
    rows = {row["code"]: row for row in response.json()}
    assert rows["dairy"] == {
        "code": "dairy", "name": "Dairy", "discount_policy": "normal", "max_discount_percent": None,
        "earns_points": True,
    }  # fmt: skip
    assert rows["tobacco"]["discount_policy"] == "excluded"
    assert rows["promo"]["max_discount_percent"] == "3.00"


@pytest.mark.parametrize(
    ("header", "code"),
    [(None, "not_authenticated"), ("Token nope", "authentication_failed"), ("Bearer x", "not_authenticated")],
)
def test_every_action_needs_a_valid_terminal_token(demo, client, header, code):
    kwargs = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get(f"/api/v1/cards/{CARD}/", **kwargs)
    assert (response.status_code, response.json()["error"]["code"]) == (401, code)


def test_revoked_token_is_refused(till):
    from pos.actors import terminal_revoke
    from pos.models import Terminal

    terminal_revoke(Terminal.objects.get(store__code="central"))
    response = till.get(f"/api/v1/cards/{CARD}/")
    assert (response.status_code, response.json()["error"]["code"]) == (401, "authentication_failed")


def test_activation_records_who_registered_the_card(till):
    from cards.models import Card
    from pos.models import CardActivation, Terminal

    activate(till)
    record = CardActivation.objects.get()
    card = Card.objects.get(number=CARD)
    terminal = Terminal.objects.get(store__code="central")
    assert (record.card, record.store, record.terminal, record.cashier) == (card, terminal.store, terminal, None)
    assert record.created_at == card.activated_at

    again = till.post(f"/api/v1/cards/{CARD}/activate/", {"name": "X", "phone": "+48600999999"}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "card_already_active"
    assert CardActivation.objects.count() == 1  # a refused activation records nothing


def test_a_cashier_activating_on_the_screen_is_recorded_by_name(demo):
    from django.contrib.auth.models import User
    from rest_framework.test import APIClient

    from pos.models import CardActivation, Cashier, Store

    user = User.objects.create_user("olga")
    Cashier.objects.create(user=user, store=Store.objects.get(code="riverside"))
    screen = APIClient()
    screen.force_login(user)
    activate(screen)
    record = CardActivation.objects.get()
    assert (record.store.code, record.terminal, record.cashier) == ("riverside", None, user)


def test_the_till_stores_a_local_phone_in_e164(till, settings):
    # The till used to store what was typed ("01512345678"); the chain's region gives it its country code.
    settings.PHONE_DEFAULT_REGION = "DE"
    response = till.post(f"/api/v1/cards/{CARD}/activate/", {"name": "Bernd", "phone": "01512345678"}, format="json")
    assert response.status_code == 201
    assert Customer.objects.get().phone == "+491512345678"
