"""api.md "Gift cards" over HTTP: the card, selling and topping up once per key, paying at checkout, refunds
back onto the cards."""

import itertools
from decimal import Decimal as D

import pytest

from giftcards.models import GiftCard, GiftCardEntry
from giftcards.services import gift_cards_issue
from pos.models import Receipt
from tests.giftcards.helpers import assert_balances_equal_ledgers
from tests.pos.helpers import line

pytestmark = pytest.mark.django_db
_keys = itertools.count()


@pytest.fixture(autouse=True)
def _ledgers_hold():
    yield
    assert_balances_equal_ledgers()


@pytest.fixture
def gift(till):
    """Three unsold gift cards: 5.00 to 500.00, top-ups allowed, 3 years."""
    return list(gift_cards_issue(count=3).cards.order_by("number").values_list("number", flat=True))


def load(till, number, amount, key=None):
    return till.post(
        f"/api/v1/gift-cards/{number}/load/", {"amount": amount}, format="json",
        HTTP_IDEMPOTENCY_KEY=key or f"g-{next(_keys)}",
    )  # fmt: skip


def pay(till, payments, lines=None, key=None, path="/api/v1/checkout/"):
    body = {"lines": lines or [line("X", "dairy", "1", "30.00")],
            "gift_card_payments": [{"number": n, "amount": a} for n, a in payments]}  # fmt: skip
    return till.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key or f"c-{next(_keys)}")


def refund(till, receipt_id, lines=()):
    return till.post(
        f"/api/v1/receipts/{receipt_id}/refund/", {"lines": list(lines)}, format="json",
        HTTP_IDEMPOTENCY_KEY=f"r-{next(_keys)}",
    )  # fmt: skip


def balance(number) -> D:
    return GiftCard.objects.get(number=number).balance


def test_an_unsold_card_and_an_unknown_one(till, gift):
    assert till.get(f"/api/v1/gift-cards/{gift[0]}/").json() == {
        "number": gift[0], "status": "issued", "balance": "0.00", "currency": "EUR", "expires_on": None,
    }  # fmt: skip
    assert till.get("/api/v1/gift-cards/2900000999992/").json()["error"]["code"] == "gift_card_not_found"
    assert till.get("/api/v1/gift-cards/2000000000015/").status_code == 404  # a discount card is no gift card
    assert till.get("/api/v1/gift-cards/2900000000019/").json()["error"]["code"] == "invalid_card_number"


def test_selling_is_idempotent_by_key_and_another_amount_is_422(till, gift):
    first = load(till, gift[0], "25.00", key="sale-1")
    assert first.status_code == 201
    assert first.json()["status"] == "active" and first.json()["balance"] == "25.00"
    again = load(till, gift[0], "25.00", key="sale-1")
    assert (again.status_code, again.json(), again["Idempotent-Replayed"]) == (201, first.json(), "true")
    other = load(till, gift[0], "30.00", key="sale-1")
    assert (other.status_code, other.json()["error"]["code"]) == (422, "idempotency_key_reused")
    assert balance(gift[0]) == D("25.00")
    assert GiftCardEntry.objects.count() == 1


def test_loads_outside_the_rules_and_on_a_blocked_card(till, gift):
    assert load(till, gift[0], "4.99").json()["error"]["code"] == "invalid_amount"
    assert load(till, gift[0], "4.99").status_code == 400
    GiftCard.objects.filter(number=gift[1]).update(status="blocked")
    response = load(till, gift[1], "10.00")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "gift_card_blocked")
    assert load(till, gift[0], "abc").status_code == 400
    assert GiftCardEntry.objects.count() == 0


@pytest.mark.parametrize("amount", ["-5.00", "0.00", "1000000000.00"])
def test_a_load_below_zero_or_far_above_the_limits_is_invalid_amount(till, gift, amount):
    """api.md: a load outside the chain's limits is 400 invalid_amount, however far outside."""
    response = load(till, gift[0], amount)
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_amount")
    assert response.json()["error"]["details"] == {}
    assert till.get(f"/api/v1/gift-cards/{gift[0]}/").json()["status"] == "issued"
    assert GiftCardEntry.objects.count() == 0


def test_quote_and_checkout_pay_part_with_a_gift_card(till, gift):
    load(till, gift[0], "20.00")
    quote = pay(till, [(gift[0], "12.50")], path="/api/v1/checkout/quote/")
    assert quote.status_code == 200
    assert quote.json()["gift_card_payments"] == [{"number": gift[0], "amount": "12.50", "balance_after": "7.50"}]
    assert quote.json()["due_after_gift_cards"] == "17.50"
    assert balance(gift[0]) == D("20.00")  # a quote writes nothing
    sale = pay(till, [(gift[0], "12.50")])
    assert sale.status_code == 201, sale.content
    body = sale.json()
    assert (body["total_due"], body["due_after_gift_cards"]) == ("30.00", "17.50")
    assert body["gift_card_payments"] == [{"number": gift[0], "amount": "12.50", "balance_after": "7.50"}]
    assert balance(gift[0]) == D("7.50")
    receipt = till.get(f"/api/v1/receipts/{body['receipt_id']}/").json()
    assert receipt["gift_card_payments"] == body["gift_card_payments"]
    assert receipt["due_after_gift_cards"] == "17.50"


@pytest.mark.parametrize(
    ("payments", "status", "code"),
    [([("X", "20.01")], 409, "insufficient_gift_card_balance"),
     ([("X", "20.00"), ("Y", "10.01")], 400, "invalid_amount"), ([("Y", "1.00")], 409, "gift_card_not_active"),
     ([("X", "0.00")], 400, "invalid_amount"), ([("X", "-5.00")], 400, "invalid_amount"),
     ([("X", "1000000000.00")], 400, "invalid_amount"),
     ([("2900000999992", "1.00")], 404, "gift_card_not_found")],
)  # fmt: skip
def test_payments_the_cards_cannot_make_are_refused_and_change_nothing(till, gift, payments, status, code):
    load(till, gift[0], "20.00")
    if len(payments) > 1:
        load(till, gift[1], "15.00")
    names = {"X": gift[0], "Y": gift[1]}
    response = pay(till, [(names.get(n, n), a) for n, a in payments])
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    for path in ("/api/v1/checkout/quote/",):
        assert pay(till, [(names.get(n, n), a) for n, a in payments], path=path).status_code == status
    assert Receipt.objects.count() == 0
    assert balance(gift[0]) == D("20.00")
    assert not GiftCardEntry.objects.filter(kind="pay").exists()


def test_an_expired_card_is_refused_at_the_till(till, gift):
    load(till, gift[0], "20.00")
    GiftCard.objects.filter(number=gift[0]).update(expires_on="2000-01-01")
    response = pay(till, [(gift[0], "1.00")])
    assert (response.status_code, response.json()["error"]["code"]) == (409, "gift_card_expired")
    assert till.get(f"/api/v1/gift-cards/{gift[0]}/").json()["status"] == "expired"
    assert load(till, gift[0], "10.00").json()["error"]["code"] == "gift_card_expired"
    assert balance(gift[0]) == D("20.00")


def test_a_receipt_refunded_in_two_parts_gives_the_gift_card_at_most_what_it_paid(till, gift):
    load(till, gift[0], "50.00")
    lines = [line("A", "dairy", "1", "20.00"), line("B", "dairy", "1", "10.00")]
    sale = pay(till, [(gift[0], "25.00")], lines=lines).json()  # 25.00 by gift card, 5.00 cash
    first = refund(till, sale["receipt_id"], [{"sku": "A", "quantity": "1"}])
    assert first.status_code == 201, first.content
    assert (first.json()["amount_refunded"], first.json()["cash_refunded"]) == ("20.00", "0.00")
    assert first.json()["gift_card_refunds"] == [{"number": gift[0], "amount": "20.00"}]
    second = refund(till, sale["receipt_id"], [{"sku": "B", "quantity": "1"}]).json()
    assert (second["amount_refunded"], second["cash_refunded"]) == ("10.00", "5.00")
    assert second["gift_card_refunds"] == [{"number": gift[0], "amount": "5.00"}]
    assert balance(gift[0]) == D("50.00")
    again = refund(till, sale["receipt_id"])
    assert (again.status_code, again.json()["error"]["code"]) == (409, "refund_exceeds_receipt")
    assert balance(gift[0]) == D("50.00")
    receipt = till.get(f"/api/v1/receipts/{sale['receipt_id']}/").json()
    assert [(r["cash_refunded"], r["gift_card_refunds"]) for r in receipt["refunds"]] == [
        ("0.00", [{"number": gift[0], "amount": "20.00"}]), ("5.00", [{"number": gift[0], "amount": "5.00"}]),
    ]  # fmt: skip


def test_two_gift_cards_get_back_first_paid_first(till, gift):
    load(till, gift[0], "10.00")
    load(till, gift[1], "10.00")
    sale = pay(till, [(gift[1], "10.00"), (gift[0], "10.00")]).json()  # 10.00 cash
    back = refund(till, sale["receipt_id"], [{"sku": "X", "quantity": "0.5"}]).json()
    assert back["gift_card_refunds"] == [{"number": gift[0], "amount": "10.00"}, {"number": gift[1], "amount": "5.00"}]
    assert back["cash_refunded"] == "0.00"


def test_a_plain_receipt_refund_answers_as_before(till, gift):
    sale = pay(till, []).json()
    body = refund(till, sale["receipt_id"]).json()
    assert "gift_card_refunds" not in body and "cash_refunded" not in body
