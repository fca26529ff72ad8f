from decimal import Decimal as D

import pytest

from loyalty.models import Account
from pos.models import DiscountEntry, Receipt, ReceiptLine
from tests.pos.helpers import CARD, account_of, activate, buy, ledger_sum, line

pytestmark = pytest.mark.django_db


def make_gold(points="120.00"):
    """The api.md example card: Gold (5 %), 812.00 spent, 120.00 points."""
    from loyalty.services import points_adjust

    account = account_of()
    Account.objects.filter(pk=account.pk).update(spend=D("812.00"), level=account.programme.levels.get(name="Gold"))
    points_adjust(account_id=account.pk, points=D(points), reason="Goodwill", by=None, at=account.created_at)


def test_quote_is_the_api_md_example_and_writes_nothing(till):
    activate(till)
    make_gold()
    response = till.post("/api/v1/checkout/quote/", {"card_number": CARD, "lines": [line()]}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert {k: v for k, v in body.items() if k not in ("lines", "card")} == {
        "subtotal": "2.98", "discount_total": "0.14", "points_redeemed": "0.00", "points_redeemed_amount": "0.00",
        "total_due": "2.84", "points_earned": "0.14", "max_redeemable_points": "0.56",
    }  # fmt: skip
    assert body["lines"] == [
        {"sku": "MILK-1L", "name": "Milk 1 l", "category": "dairy", "quantity": "2", "unit_price": "1.49",
         "subtotal": "2.98", "discount_percent": "5.00", "discount_amount": "0.14", "total": "2.84",
         "discounts": [{"source": "card", "name": "Card", "percent": "5.00", "amount": "0.14"}]},
    ]  # fmt: skip
    assert body["card"] == {
        "number": CARD, "status": "active", "customer": {"display_name": "Anna K."}, "discount_percent": "5.00",
        "level": "Gold", "points_balance": "120.00", "spend_total": "812.00",
        "next_level": {"name": "Platinum", "discount_percent": "7.00", "spend_needed": "688.00"},
    }  # fmt: skip
    assert Receipt.objects.count() == 0


def test_checkout_commits_receipt_register_ledger_spend_and_level(till):
    activate(till)
    make_gold()
    lines = [line(), line("CIG-20", "tobacco", "1", "8.20", "Cigarettes")]
    response = buy(till, lines, redeem="0.50")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["subtotal"], body["discount_total"], body["points_redeemed"], body["total_due"]) == (
        "11.18", "0.14", "0.50", "10.54",
    )  # fmt: skip
    # Points are earned on what was paid in money, on earning lines only (tobacco earns none).
    assert body["points_earned"] == "0.13"
    assert (body["store"], body["terminal"]) == ("central", "till-1")
    receipt = Receipt.objects.get(pk=body["receipt_id"])
    assert (receipt.total_due, receipt.card.number, receipt.terminal.name) == (D("10.54"), CARD, "till-1")
    assert ReceiptLine.objects.filter(receipt=receipt).count() == 2
    register = list(DiscountEntry.objects.values_list("category__code", "percent", "amount", "store__code"))
    assert register == [("dairy", D("5.00"), D("0.14"), "central")]
    account = account_of()
    assert (account.spend, account.points_balance, account.last_purchase_at.isoformat()) == (
        D("822.54"), D("119.63"), body["created_at"],
    )  # fmt: skip
    assert ledger_sum(account.pk) == "119.63"


def test_a_five_line_receipt_keeps_its_lines_in_order_and_each_register_row_on_its_own_line(till):
    # Five lines are more values than psycopg caches a statement for: on PostgreSQL lines and register rows
    # go as one array per column (core/rows.py); the ids must still come back in the lines' order.
    activate(till)
    make_gold()
    skus = ["MILK-1L", "BREAD-RYE", "APPLE-KG", "EGGS-10", "BUTTER"]
    prices = ["1.49", "2.79", "2.49", "3.20", "4.00"]
    response = buy(till, [line(sku, "dairy", str(n), price, f"Item {n}") for n, (sku, price) in enumerate(
        zip(skus, prices, strict=True), start=1)])  # fmt: skip
    assert response.status_code == 201, response.content
    receipt_id = response.json()["receipt_id"]
    lines = list(
        ReceiptLine.objects.filter(receipt_id=receipt_id)
        .order_by("id")
        .values_list("position", "sku", "name", "quantity", "unit_price", "discount_amount")
    )
    assert lines == [
        (1, "MILK-1L", "Item 1", D("1.000"), D("1.49"), D("0.07")),
        (2, "BREAD-RYE", "Item 2", D("2.000"), D("2.79"), D("0.27")),
        (3, "APPLE-KG", "Item 3", D("3.000"), D("2.49"), D("0.37")),
        (4, "EGGS-10", "Item 4", D("4.000"), D("3.20"), D("0.64")),
        (5, "BUTTER", "Item 5", D("5.000"), D("4.00"), D("1.00")),
    ]
    register = list(
        DiscountEntry.objects.filter(receipt_id=receipt_id).order_by("id").values_list("line__sku", "amount")
    )
    assert register == [(sku, amount) for _, sku, _, _, _, amount in lines]


def test_a_purchase_is_discounted_at_the_level_before_it(till):
    activate(till)
    first = buy(till, [line("BIG", "dairy", "1", "300.00")]).json()
    assert (first["discount_total"], first["card"]["level"]) == ("0.00", "Silver")
    second = buy(till, [line("BIG", "dairy", "1", "100.00")]).json()
    assert (second["discount_total"], second["lines"][0]["discount_percent"]) == ("2.00", "2.00")


def test_checkout_without_a_card_gives_no_discount_and_no_points(till):
    response = buy(till, [line()], card=None)
    body = response.json()
    assert response.status_code == 201
    assert (body["total_due"], body["points_earned"], body["card"]) == ("2.98", "0.00", None)
    assert DiscountEntry.objects.count() == 0


@pytest.mark.parametrize(
    ("redeem", "status", "code"),
    [("0.57", 409, "redeem_limit_exceeded"), ("500.00", 409, "insufficient_points"), ("-1", 400, "invalid_input")],
)
def test_redeeming_too_much_is_rejected_and_writes_nothing(till, redeem, status, code):
    activate(till)
    make_gold()
    response = buy(till, [line()], redeem=redeem)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert Receipt.objects.count() == 0
    assert account_of().points_balance == D("120.00")


def test_redeem_exactly_the_maximum(till):
    activate(till)
    make_gold()
    body = buy(till, [line()], redeem="0.56").json()
    assert (body["total_due"], body["points_redeemed"], body["card"]["points_balance"]) == ("2.28", "0.56", "119.55")


@pytest.mark.parametrize(
    ("setup", "code", "message"),
    [
        ("issued", "card_not_active", "This card is new: register the customer first (activate), then continue."),
        ("blocked", "card_blocked", "This card is blocked. Ask the customer for another card."),
        ("replaced", "card_replaced", "This card was replaced by a new one. Ask for the new card."),
    ],
)
def test_unusable_card_at_the_till_is_409_with_a_cashier_message(till, setup, code, message):
    from cards.lifecycle import card_block, card_replace

    if setup != "issued":
        activate(till)
    if setup == "blocked":
        card_block(number=CARD, reason="Lost")
    if setup == "replaced":
        card_replace(number=CARD, new_number="2000000000022")
    for response in (
        buy(till, [line()]),
        till.post("/api/v1/checkout/quote/", {"card_number": CARD, "lines": [line()]}, format="json"),
    ):
        assert response.status_code == 409
        assert response.json()["error"] == {"code": code, "message": message, "details": {}}
    assert Receipt.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        {"lines": []},
        {"lines": [line(category="nope")]},
        {"lines": [line(quantity="0")]},
        {"lines": [line(quantity="-1")]},
        {"lines": [line(unit_price="-0.01")]},
        {"lines": [line(unit_price="abc")]},
        {"lines": [line(unit_price="NaN")]},
        {"lines": [line(quantity="Infinity")]},
        {"lines": [line(unit_price="1.001")]},
        {"lines": [line()] * 501},
        {"lines": [line(quantity="100000.001")]},
        {"lines": [line(unit_price="1000000.01")]},
        {"lines": [line(quantity="100000", unit_price="1000000")]},
        {"lines": [line()], "redeem_points": "1e30"},
        {"lines": "milk"},
        {"card_number": "2000000000016", "lines": [line()]},
        {},
    ],
)
def test_malformed_basket_is_400_and_writes_nothing(till, body):
    response = till.post("/api/v1/checkout/", body, format="json", HTTP_IDEMPOTENCY_KEY="bad-1")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] in ("invalid_input", "invalid_card_number")
    assert Receipt.objects.count() == 0


def test_unknown_category_names_it(till):
    response = till.post("/api/v1/checkout/quote/", {"lines": [line(category="nope")]}, format="json")
    assert response.json()["error"]["details"] == {"lines": ["Unknown category: nope."]}


def test_not_json_is_400(till):
    response = till.generic("POST", "/api/v1/checkout/quote/", "{not json", content_type="application/json")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "malformed_request")


def test_a_terminal_sees_only_its_own_stores_receipts(till, other_till):
    receipt_id = buy(till, [line()], card=None).json()["receipt_id"]
    assert till.get(f"/api/v1/receipts/{receipt_id}/").status_code == 200
    response = other_till.get(f"/api/v1/receipts/{receipt_id}/")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "receipt_not_found")
    refund = other_till.post(f"/api/v1/receipts/{receipt_id}/refund/", {}, format="json", HTTP_IDEMPOTENCY_KEY="r")
    assert refund.status_code == 404


def test_receipt_shows_the_checkout_as_stored(till):
    activate(till)
    make_gold()
    body = buy(till, [line()]).json()
    stored = till.get(f"/api/v1/receipts/{body['receipt_id']}/").json()
    for key in ("receipt_id", "subtotal", "discount_total", "total_due", "points_earned", "store", "terminal"):
        assert stored[key] == body[key]
    assert stored["refunds"] == []
    assert stored["lines"][0]["discount_amount"] == "0.14"
