"""POST /api/v1/cards/{number}/replace/ (api.md): a lost or worn card's customer, level, spend and points
move to an issued card, once per Idempotency-Key, logged with the store and the terminal or cashier."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from cards.models import Card
from loyalty.models import Account, PointsEntry, SpendEntry
from loyalty.services import points_adjust
from pos.models import CardReplacement, Cashier, Store, Terminal
from tests.pos.helpers import CARD, account_of, activate, buy, ledger_sum, line

pytestmark = pytest.mark.django_db

NEW = "2000000000022"
OTHER = "2000000000039"


def replace(client, number=CARD, new=NEW, reason="lost", key="swap-1"):
    body = {"new_card_number": new, "reason": reason}
    kwargs = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(f"/api/v1/cards/{number}/replace/", body, format="json", **kwargs)


@pytest.fixture
def silver(till):
    """Anna's card at Silver, 400.00 spent, 20.00 points bought plus 5.00 given."""
    activate(till)
    assert buy(till, [line("TV", "produce", "1", "400.00", "TV")]).status_code == 201
    account = account_of()
    points_adjust(account_id=account.pk, points=Decimal("5.00"), reason="Goodwill", by=None, at=account.created_at)
    return account_of()


def state():
    """Everything a refused replacement must leave as it was."""
    return (
        list(Card.objects.order_by("number").values_list("number", "status", "account", "replaced_by")),
        list(Account.objects.order_by("pk").values_list("pk", "customer", "spend", "points_balance", "level")),
        PointsEntry.objects.count(), SpendEntry.objects.count(), CardReplacement.objects.count(),
    )  # fmt: skip


def test_the_silver_fixture_is_what_it_says(silver):
    assert (silver.level.name, silver.spend, silver.points_balance) == ("Silver", Decimal("400.00"), Decimal("25.00"))


def test_replace_moves_level_spend_and_points_and_answers_with_the_new_card(till, silver):
    response = replace(till)
    assert response.status_code == 201
    assert response.json() == {
        "number": NEW, "status": "active", "customer": {"display_name": "Anna K."}, "discount_percent": "2.00",
        "level": "Silver", "points_balance": "25.00", "spend_total": "400.00",
        "next_level": {"name": "Gold", "discount_percent": "5.00", "spend_needed": "300.00"},
    }  # fmt: skip
    old, new = Card.objects.get(number=CARD), Card.objects.get(number=NEW)
    assert (old.status, old.replaced_by, old.blocked_reason, new.status) == (
        "replaced",
        new,
        "Replaced (lost)",
        "active",
    )
    assert (new.account.customer_id, new.account.replaces_id) == (silver.customer_id, silver.pk)
    old_account = account_of(CARD)
    assert (old_account.points_balance, old_account.spend, ledger_sum(old_account.pk)) == (0, 0, "0.00")
    assert ledger_sum(new.account_id) == "25.00"
    assert set(PointsEntry.objects.filter(kind="transfer").values_list("reason", flat=True)) == {
        f"Card {CARD} replaced (lost)"
    }
    record = CardReplacement.objects.get()
    terminal = Terminal.objects.get(store__code="central")
    assert (record.old_card, record.new_card, record.reason, record.store, record.terminal, record.cashier) == (
        old, new, "lost", terminal.store, terminal, None,
    )  # fmt: skip


def test_the_old_card_no_longer_sells(till, silver):
    replace(till)
    response = buy(till, [line()], card=CARD)
    assert (response.status_code, response.json()["error"]["code"]) == (409, "card_replaced")


def test_a_retry_replays_the_first_answer_and_moves_nothing_twice(till, silver):
    first = replace(till)
    after = state()
    again = replace(till)
    assert (again.status_code, again["Idempotent-Replayed"], again.json()) == (201, "true", first.json())
    assert "Idempotent-Replayed" not in first
    assert state() == after


def test_the_same_key_for_another_new_card_is_422_and_moves_nothing(till, silver):
    replace(till)
    after = state()
    response = replace(till, new=OTHER)
    assert (response.status_code, response.json()["error"]["code"]) == (422, "idempotency_key_reused")
    assert state() == after


@pytest.mark.parametrize("key", [None, "", "x" * 65])
def test_replace_needs_an_idempotency_key(till, silver, key):
    before = state()
    response = replace(till, key=key)
    assert (response.status_code, response.json()["error"]["code"]) == (400, "idempotency_key_required")
    assert state() == before


def test_a_card_already_replaced_is_409_card_replaced(till, silver):
    replace(till)
    after = state()
    response = replace(till, new=OTHER, key="swap-2")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "card_replaced")
    assert state() == after


def test_a_new_card_in_use_is_409_card_not_issued(till, silver):
    activate(till, number=OTHER, name="Bob Nowak", phone="+48600999999")
    before = state()
    response = replace(till, new=OTHER)
    assert (response.status_code, response.json()["error"]["code"]) == (409, "card_not_issued")
    assert state() == before


@pytest.mark.parametrize(
    ("number", "new", "reason", "status", "code"),
    [
        (CARD, NEW, "", 400, "invalid_input"),
        (CARD, NEW, "bored", 400, "invalid_input"),
        (CARD, CARD, "lost", 400, "same_card"),
        (CARD, "2000000000023", "lost", 400, "invalid_card_number"),
        (CARD, "2000000009995", "lost", 404, "card_not_found"),
        (OTHER, NEW, "lost", 409, "card_not_active"),
    ],
)
def test_bad_replacements_are_refused_and_change_nothing(till, silver, number, new, reason, status, code):
    before = state()
    response = replace(till, number=number, new=new, reason=reason)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert state() == before


def test_a_cashier_replacing_on_the_screen_is_recorded_by_name(till, silver):
    user = User.objects.create_user("olga")
    Cashier.objects.create(user=user, store=Store.objects.get(code="riverside"))
    screen = APIClient()
    screen.force_login(user)
    assert replace(screen, reason="worn").status_code == 201
    record = CardReplacement.objects.get()
    assert (record.store.code, record.terminal, record.cashier, record.reason) == ("riverside", None, user, "worn")
    assert set(PointsEntry.objects.filter(kind="transfer").values_list("created_by", flat=True)) == {user.pk}
