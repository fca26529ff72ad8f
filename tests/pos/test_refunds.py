from decimal import Decimal as D

import pytest

from loyalty.models import Account, Programme
from loyalty.services import points_adjust
from pos.models import Receipt
from tests.pos.helpers import CARD, account_of, activate, buy, ledger_sum, line, refund

pytestmark = pytest.mark.django_db


def snapshot():
    account = account_of()
    return (account.points_balance, account.spend, account.level.name if account.level else None)


def test_refund_of_one_line_gives_back_its_share(till):
    activate(till)
    receipt = buy(till, [line("MILK-1L", quantity="4", unit_price="1.49")]).json()  # 5.96, earns 0.29
    response = refund(till, receipt["receipt_id"], [{"sku": "MILK-1L", "quantity": "1"}])
    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in ("amount_refunded", "points_returned", "points_reversed", "points_shortfall")} == {
        "amount_refunded": "1.49", "points_returned": "0.00", "points_reversed": "0.08", "points_shortfall": "0.00",
    }  # fmt: skip
    assert body["card"]["points_balance"] == "0.21"
    assert body["card"]["spend_total"] == "4.47"
    assert ledger_sum(account_of().pk) == "0.21"


def test_refund_in_parts_equals_refund_in_one(till):
    activate(till)
    points_adjust(account_id=account_of().pk, points=D("50.00"), reason="Goodwill", by=None, at=account_of().created_at)
    lines = [line("MILK-1L", quantity="3", unit_price="3.33"), line("BREAD", "bakery", "1", "2.79")]
    receipt = buy(till, lines, redeem="2.00").json()
    rid = receipt["receipt_id"]
    parts = [refund(till, rid, [{"sku": "MILK-1L", "quantity": "1"}]).json() for _ in range(3)]
    parts.append(refund(till, rid).json())  # what is left: the bread
    assert sum(D(p["amount_refunded"]) for p in parts) == D(receipt["total_due"])
    assert sum(D(p["points_returned"]) for p in parts) == D("2.00")
    assert sum(D(p["points_reversed"]) for p in parts) == D(receipt["points_earned"])
    assert snapshot() == (D("50.00"), D("0.00"), None)


def test_buy_earn_refund_repeat_gains_nothing(till):
    activate(till)
    for _ in range(5):
        rid = buy(till, [line("X", quantity="1", unit_price="0.99")]).json()["receipt_id"]
        refund(till, rid)
    assert snapshot() == (D("0.00"), D("0.00"), None)
    assert ledger_sum(account_of().pk) == "0.00"


def test_refund_can_lower_the_level(till):
    activate(till)
    rid = buy(till, [line("TV", quantity="1", unit_price="750.00")]).json()["receipt_id"]
    assert snapshot()[2] == "Gold"
    refund(till, rid, [{"sku": "TV", "quantity": "1"}])
    assert snapshot() == (D("0.00"), D("0.00"), None)


def test_refunding_more_than_was_bought_is_409_and_changes_nothing(till):
    activate(till)
    rid = buy(till, [line(quantity="2")]).json()["receipt_id"]
    refund(till, rid, [{"sku": "MILK-1L", "quantity": "1.5"}])
    before = snapshot()
    for lines in ([{"sku": "MILK-1L", "quantity": "0.501"}], [{"sku": "BREAD", "quantity": "1"}]):
        response = refund(till, rid, lines)
        assert (response.status_code, response.json()["error"]["code"]) == (409, "refund_exceeds_receipt")
    assert snapshot() == before
    assert Receipt.objects.get(pk=rid).refunds.count() == 1


def test_a_whole_receipt_cannot_be_refunded_twice(till):
    activate(till)
    rid = buy(till, [line()]).json()["receipt_id"]
    assert refund(till, rid).status_code == 201
    again = refund(till, rid)
    assert (again.status_code, again.json()["error"]["message"]) == (409, "This receipt is already refunded in full.")


def test_points_already_spent_reduce_the_cash_refund(till):
    activate(till)
    rid = buy(till, [line("BIG", quantity="1", unit_price="100.00")]).json()["receipt_id"]  # earns 5.00
    spend = buy(till, [line("X", quantity="1", unit_price="50.00")], redeem="5.00")  # 20 % cap = 10.00 at 0 %
    assert spend.status_code == 201, spend.content
    body = refund(till, rid).json()
    # Balance is 2.25 (earned by the second purchase): taken back; the other 2.75 were spent,
    # so their value is kept from the cash.
    assert (body["points_reversed"], body["points_shortfall"], body["amount_refunded"]) == ("2.25", "2.75", "97.25")
    assert account_of().points_balance == D("0.00")


def test_shortfall_can_be_recorded_instead(till):
    Programme.objects.update(refund_shortfall=Programme.RefundShortfall.RECORD)
    activate(till)
    rid = buy(till, [line("BIG", quantity="1", unit_price="100.00")]).json()["receipt_id"]
    buy(till, [line("X", quantity="1", unit_price="50.00")], redeem="5.00")
    body = refund(till, rid).json()
    assert (body["points_shortfall"], body["amount_refunded"]) == ("2.75", "100.00")
    assert Account.objects.get(cards__number=CARD).points_balance == D("0.00")


def test_refund_after_the_card_was_replaced_moves_points_on_the_new_card(till):
    from cards.lifecycle import card_replace

    activate(till)
    rid = buy(till, [line("BIG", quantity="1", unit_price="100.00")]).json()["receipt_id"]
    card_replace(number=CARD, new_number="2000000000022")
    body = refund(till, rid).json()
    assert (body["card"]["number"], body["points_reversed"], body["card"]["points_balance"]) == (
        "2000000000022", "5.00", "0.00",
    )  # fmt: skip


@pytest.mark.parametrize(
    "lines", [[{"sku": "MILK-1L", "quantity": "0"}], [{"sku": "MILK-1L"}], [{"quantity": "1"}], "all"]
)
def test_malformed_refund_is_400(till, lines):
    activate(till)
    rid = buy(till, [line()]).json()["receipt_id"]
    response = refund(till, rid, lines)
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_input")
