"""Hostile timing on one gift card, for real, on PostgreSQL: threads, each with its own connection."""

from decimal import Decimal as D

import pytest

from giftcards.models import GiftCard, GiftCardEntry
from giftcards.services import gift_cards_issue
from pos.demo import build_demo
from pos.models import Receipt
from tests.giftcards.helpers import assert_balances_equal_ledgers
from tests.pos.helpers import line
from tests.pos.test_api_races import in_parallel
from tests.tills import CENTRAL, RIVERSIDE, terminal_client

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def paying(number, amount):
    return {"number": number, "amount": amount}


@pytest.fixture
def card():
    build_demo()
    number = gift_cards_issue(count=1).first_number
    response = terminal_client(CENTRAL).post(
        f"/api/v1/gift-cards/{number}/load/", {"amount": "50.00"}, format="json", HTTP_IDEMPOTENCY_KEY="sell"
    )
    assert response.status_code == 201
    return number


def test_20_concurrent_checkouts_paying_10_from_50_exactly_five_succeed(card):
    def checkout(i):
        till = terminal_client(CENTRAL if i % 2 else RIVERSIDE)
        body = {
            "lines": [line("X", "dairy", "1", "12.00")],
            "gift_card_payments": [{"number": card, "amount": "10.00"}],
        }
        response = till.post("/api/v1/checkout/", body, format="json", HTTP_IDEMPOTENCY_KEY=f"pay-{i}")
        return response.status_code, response.json()

    results = in_parallel(20, checkout)
    assert sorted(status for status, _ in results) == [201] * 5 + [409] * 15
    assert {body["error"]["code"] for status, body in results if status == 409} == {"insufficient_gift_card_balance"}
    assert GiftCard.objects.get(number=card).balance == D("0.00")
    assert Receipt.objects.count() == 5
    assert sorted(b["gift_card_payments"][0]["balance_after"] for s, b in results if s == 201) == [
        "0.00", "10.00", "20.00", "30.00", "40.00",
    ]  # fmt: skip
    assert GiftCardEntry.objects.filter(kind="pay").count() == 5
    assert_balances_equal_ledgers()


def test_concurrent_loads_with_one_key_load_once(card):
    def top_up(i):
        response = terminal_client(CENTRAL).post(
            f"/api/v1/gift-cards/{card}/load/", {"amount": "20.00"}, format="json", HTTP_IDEMPOTENCY_KEY="top-up"
        )
        return response.status_code

    assert in_parallel(10, top_up) == [201] * 10
    assert GiftCard.objects.get(number=card).balance == D("70.00")
    assert GiftCardEntry.objects.filter(kind="load").count() == 2
    assert_balances_equal_ledgers()


def test_a_refund_and_a_payment_at_once_keep_the_ledger(card):
    till = terminal_client(CENTRAL)
    body = {"lines": [line("X", "dairy", "1", "30.00")], "gift_card_payments": [{"number": card, "amount": "30.00"}]}
    receipt_id = till.post("/api/v1/checkout/", body, format="json", HTTP_IDEMPOTENCY_KEY="first").json()["receipt_id"]

    def act(i):
        client = terminal_client(CENTRAL)
        if i % 2:
            return client.post(
                f"/api/v1/receipts/{receipt_id}/refund/", {"lines": []}, format="json", HTTP_IDEMPOTENCY_KEY=f"r{i}"
            ).status_code
        body = {
            "lines": [line("Y", "dairy", "1", "20.00")],
            "gift_card_payments": [{"number": card, "amount": "20.00"}],
        }
        return client.post("/api/v1/checkout/", body, format="json", HTTP_IDEMPOTENCY_KEY=f"p{i}").status_code

    results = in_parallel(6, act)
    assert results.count(201) >= 2  # one refund, and at least the payment the refunded money covers
    card_row = GiftCard.objects.get(number=card)
    assert (
        card_row.balance
        == D("50.00")
        - D("30.00")
        + D("30.00")
        - D("20.00") * GiftCardEntry.objects.filter(kind="pay", amount=D("-20.00")).count()
    )
    assert card_row.balance >= 0
    assert_balances_equal_ledgers()


def test_two_nightly_jobs_at_once_expire_each_card_once():
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from giftcards.services import Where, gift_card_load, gift_cards_expire

    batch = gift_cards_issue(count=6)
    sold_at = timezone.now() - timedelta(days=3 * 366 + 2)
    for number in batch.cards.values_list("number", flat=True):
        with transaction.atomic():
            gift_card_load(number=number, amount=D("10.00"), where=Where(), at=sold_at)
    expired = in_parallel(2, lambda i: gift_cards_expire(at=timezone.now()))
    assert sum(expired) == 6
    assert GiftCardEntry.objects.filter(kind="expire").count() == 6
    assert set(GiftCard.objects.values_list("status", "balance")) == {("expired", D("0.00"))}
    assert_balances_equal_ledgers()
