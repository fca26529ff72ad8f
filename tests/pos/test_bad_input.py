"""Input the till's API must refuse in words, never with a 500 (issue 13): numbers the columns cannot
hold, signed zeros, JSON nested without end, bodies sent in chunks."""

from decimal import Decimal

import pytest

from loyalty.models import Account, PointsEntry, SpendEntry
from pos.models import IdempotencyRecord, Receipt, ReceiptLine
from tests.pos.helpers import CARD, account_of, activate, buy, line

pytestmark = pytest.mark.django_db

TOTAL_MAX = Decimal("9999999999999.99")  # numeric(15,2), core/money.py
MILLION_LINES = [line(sku=f"TV-{n}", category="dairy", quantity="1", unit_price="1000000") for n in range(100)]


def written() -> tuple:
    return (
        Receipt.objects.count(), ReceiptLine.objects.count(), SpendEntry.objects.count(),
        PointsEntry.objects.count(), IdempotencyRecord.objects.count(),
    )  # fmt: skip


# --- numbers that overflow -------------------------------------------------------------------


@pytest.mark.postgres  # numeric(12,2) overflows only there; SQLite stores anything
def test_a_business_customer_past_ten_billion_of_spend_still_buys(till):
    activate(till)
    Account.objects.filter(card__number=CARD).update(spend=Decimal("9950000000.00"))
    response = buy(till, MILLION_LINES)
    assert response.status_code == 201, response.content
    assert response.json()["card"]["spend_total"] == "10050000000.00"
    assert account_of().spend == Decimal("10050000000.00")


def test_a_sale_the_spend_total_cannot_hold_is_a_400_naming_the_lines_and_writes_nothing(till):
    activate(till)
    Account.objects.filter(card__number=CARD).update(spend=TOTAL_MAX - Decimal("50000000.00"))
    before = written()
    response = buy(till, MILLION_LINES)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    message = (
        "This would take this card's lifetime spend to 10,000,049,999,999.99, above the "
        "9,999,999,999,999.99 that can be stored."
    )
    assert error == {"code": "invalid_input", "message": message, "details": {"lines": [message]}}
    assert written() == before
    account = account_of()
    assert (account.spend, account.points_balance) == (TOTAL_MAX - Decimal("50000000.00"), Decimal("0.00"))


def test_a_sale_whose_points_the_balance_cannot_hold_is_a_400_and_writes_nothing(till):
    activate(till)
    Account.objects.filter(card__number=CARD).update(points_balance=TOTAL_MAX - Decimal("1.00"))
    before = written()
    response = buy(till, [line(quantity="10", unit_price="100.00")])
    assert response.status_code == 400, response.content
    assert list(response.json()["error"]["details"]) == ["lines"]
    assert "points balance" in response.json()["error"]["message"]
    assert written() == before
    assert account_of().points_balance == TOTAL_MAX - Decimal("1.00")


@pytest.mark.parametrize("field", ["unit_price", "redeem_points"])
def test_minus_zero_is_read_as_zero_and_answered_and_replayed_as_0_00(till, field):
    activate(till)
    lines = [line(unit_price="-0" if field == "unit_price" else "1.49")]
    first = buy(till, lines, redeem="-0" if field == "redeem_points" else "0.00", key="signed-zero")
    again = buy(till, lines, redeem="-0" if field == "redeem_points" else "0.00", key="signed-zero")
    assert first.status_code == 201 and again.status_code == 201, first.content
    assert again["Idempotent-Replayed"] == "true"
    assert '"-0.00"' not in first.content.decode() and again.content == first.content
    body = first.json()
    assert (body["points_redeemed"], body["lines"][0]["discount_amount"]) == ("0.00", "0.00")
    assert body["lines"][0]["unit_price"] == ("0.00" if field == "unit_price" else "1.49")
    stored = ReceiptLine.objects.get(receipt_id=body["receipt_id"])
    assert str(stored.unit_price) == body["lines"][0]["unit_price"]
    assert not str(stored.subtotal).startswith("-")
