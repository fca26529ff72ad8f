"""Campaigns and coupons at the till, through the API: what each line shows, the refusals with their
reasons before payment, the register's campaign and coupon, one use per checkout."""

import re
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from loyalty.models import Category, Level
from pos.models import CouponShare, DiscountEntry, Receipt
from promotions.models import Campaign, Coupon, CouponUse
from tests.pos.helpers import CARD, account_of, activate, line, refund
from tests.promotions.helpers import coupon_for, ended_campaign, running_campaign

pytestmark = pytest.mark.django_db

MILK = line()  # 2 x 1.49 = 2.98, dairy
CIGS = line("CIGS", "tobacco", "1", "8.00", "Cigarettes")


def quote(till, lines, coupons=None, card=CARD):
    body = {"card_number": card, "lines": lines}
    if coupons is not None:
        body["coupons"] = coupons
    return till.post("/api/v1/checkout/quote/", body, format="json")


def checkout(till, lines, coupons=None, card=CARD, key="k-1"):
    body = {"card_number": card, "lines": lines}
    if coupons is not None:
        body["coupons"] = coupons
    return till.post("/api/v1/checkout/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def gold():
    account = account_of()
    account.level, account.spend = Level.objects.get(name="Gold"), D("800.00")
    account.save()


def test_a_stacking_campaign_shows_on_the_line_beside_the_card(till):
    activate(till)
    gold()
    running_campaign(scope=Campaign.Scope.CATEGORIES, categories=[Category.objects.get(code="dairy")])
    body = quote(till, [MILK, CIGS]).json()
    assert body["lines"][0]["discounts"] == [
        {"source": "card", "name": "Card", "percent": "5.00", "amount": "0.14"},
        {"source": "campaign", "name": "Summer week", "percent": "10.00", "amount": "0.29"},
    ]
    assert (body["lines"][0]["discount_amount"], body["lines"][0]["total"]) == ("0.43", "2.55")
    assert body["lines"][1]["discounts"] == []  # tobacco stays excluded
    assert (body["discount_total"], body["total_due"]) == ("0.43", "10.55")


def test_a_campaign_for_card_holders_gives_a_walk_in_nothing(till):
    running_campaign(audience=Campaign.Audience.CARD_HOLDERS)
    body = quote(till, [MILK], card=None).json()
    assert (body["discount_total"], body["lines"][0]["discounts"]) == ("0.00", [])


def test_a_walk_in_gets_a_campaign_for_everyone_and_the_register_records_it(till):
    campaign = running_campaign()
    response = checkout(till, [MILK], card=None)
    assert response.status_code == 201
    assert response.json()["lines"][0]["discounts"] == [
        {"source": "campaign", "name": "Summer week", "percent": "10.00", "amount": "0.29"}
    ]
    entry = DiscountEntry.objects.get()
    assert (entry.card_id, entry.campaign_id, entry.campaign_amount, entry.amount, entry.coupon_id) == (
        None, campaign.pk, D("0.29"), D("0.29"), None,
    )  # fmt: skip


def test_a_coupon_gives_its_amount_and_is_used_once(till):
    activate(till)
    five_off = running_campaign(
        needs_coupon=True, benefit=Campaign.Benefit.AMOUNT_PER_RECEIPT, value=D("5.00"), ceiling_justification="Tax ok"
    )
    coupon = coupon_for(five_off)
    lines = [line("HOSE", "produce", "1", "20.00", "Hose"), MILK]
    assert quote(till, lines).json()["discount_total"] == "0.00"  # the campaign needs its coupon
    body = quote(till, lines, ["abcde-23456"]).json()
    assert body["coupons"] == [{"code": "ABCDE23456", "discount": "5.00"}]
    assert [ln["discounts"] for ln in body["lines"]] == [
        [{"source": "coupon", "name": "Summer week", "percent": "21.80", "amount": "4.36"}],
        [{"source": "coupon", "name": "Summer week", "percent": "21.47", "amount": "0.64"}],
    ]
    response = checkout(till, lines, ["ABCDE-23456"])
    assert response.status_code == 201
    assert response.json()["total_due"] == "17.98"
    coupon.refresh_from_db()
    assert coupon.uses == 1
    use = CouponUse.objects.get()
    assert (use.receipt_id, use.discount, use.card.number) == (response.json()["receipt_id"], D("5.00"), CARD)
    register = DiscountEntry.objects.order_by("line__position")
    assert [(e.coupon_id, e.coupon_amount, e.campaign_id) for e in register] == [
        (coupon.pk, D("4.36"), None), (coupon.pk, D("0.64"), None),
    ]  # fmt: skip


def refusal(response) -> tuple[int, str, str]:
    error = response.json()["error"]
    return response.status_code, error["code"], error["details"]["reason"]


def test_a_used_single_use_coupon_is_refused_before_payment_and_nothing_is_written(till):
    activate(till)
    coupon_for(running_campaign(needs_coupon=True), uses=1)
    receipts = Receipt.objects.count()
    assert refusal(quote(till, [MILK], ["ABCDE23456"])) == (409, "coupon_invalid", "used")
    assert refusal(checkout(till, [MILK], ["ABCDE23456"])) == (409, "coupon_invalid", "used")
    assert (Receipt.objects.count(), CouponUse.objects.count(), Coupon.objects.get().uses) == (receipts, 0, 1)


@pytest.mark.parametrize(
    ("make", "codes", "reason"),
    [
        (lambda: None, ["NOSUCHCODE"], "not_found"),
        (lambda: coupon_for(ended_campaign(needs_coupon=True)), ["ABCDE23456"], "expired"),
        (
            lambda: coupon_for(running_campaign(needs_coupon=True, min_basket=D("50"))),
            ["ABCDE23456"],
            "minimum_not_met",
        ),
        (
            lambda: coupon_for(running_campaign(needs_coupon=True, scope=Campaign.Scope.SKUS, skus="HOSE")),
            ["ABCDE23456"],
            "not_applicable",
        ),
        (lambda: coupon_for(running_campaign(needs_coupon=True), max_uses=3, uses=3), ["ABCDE23456"], "limit_reached"),
    ],
)
def test_a_coupon_that_cannot_apply_says_why(till, make, codes, reason):
    activate(till)
    make()
    assert refusal(quote(till, [MILK], codes)) == (409, "coupon_invalid", reason)
    assert Receipt.objects.count() == 0


def test_a_mistyped_code_says_so(till):
    activate(till)
    response = quote(till, [MILK], ["ABCDE23457"])
    assert refusal(response) == (409, "coupon_invalid", "not_found")
    assert "mistyped" in response.json()["error"]["message"]


def test_a_shared_code_keeps_its_limit_per_card(till):
    activate(till)
    coupon_for(running_campaign(needs_coupon=True), code="SUMMER", max_uses=None, max_uses_per_card=1)
    assert checkout(till, [MILK], ["summer"], key="a").status_code == 201
    assert refusal(checkout(till, [MILK], ["SUMMER"], key="b")) == (409, "coupon_invalid", "limit_reached")
    assert Coupon.objects.get().uses == 1


def test_a_refund_returns_the_money_paid_and_the_coupon_stays_used(till):
    activate(till)
    coupon_for(running_campaign(needs_coupon=True, benefit=Campaign.Benefit.AMOUNT_PER_RECEIPT, value=D("0.50")))
    receipt = checkout(till, [MILK], ["ABCDE23456"]).json()
    assert receipt["total_due"] == "2.48"
    response = refund(till, receipt["receipt_id"])
    assert (response.status_code, response.json()["amount_refunded"]) == (201, "2.48")
    assert Coupon.objects.get().uses == 1
    assert refusal(quote(till, [MILK], ["ABCDE23456"])) == (409, "coupon_invalid", "used")


def statements(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    sql = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    return len(sql)


def test_a_campaign_change_is_seen_by_the_next_sale_and_costs_no_statement_once_kept(till):
    activate(till)
    assert quote(till, [MILK]).json()["discount_total"] == "0.00"
    plain = statements(lambda: quote(till, [MILK]))
    campaign = running_campaign()  # renews the terms stamp: read again once
    assert quote(till, [MILK]).json()["discount_total"] == "0.29"
    assert statements(lambda: quote(till, [MILK])) == plain
    campaign.value = D("20.00")
    campaign.save()
    assert quote(till, [MILK]).json()["discount_total"] == "0.59"
    campaign.delete()
    assert quote(till, [MILK]).json()["discount_total"] == "0.00"


def test_a_checkout_with_a_coupon_costs_one_statement_more_on_postgresql(till):
    activate(till)
    gold()  # a discounted sale either way: the register row is no extra
    coupon_for(running_campaign(needs_coupon=True), max_uses=None)
    checkout(till, [MILK], key="warm")  # terms and campaigns read
    plain = statements(lambda: checkout(till, [MILK], key="plain"))
    with_coupon = statements(lambda: checkout(till, [MILK], ["ABCDE23456"], key="coupon"))
    # The coupon's use taken (counted, its row locked and read: one UPDATE ... RETURNING); its use row goes
    # with the register's INSERT on PostgreSQL, apart on SQLite (no INSERT inside a WITH there).
    assert with_coupon - plain == (1 if connection.vendor == "postgresql" else 2)
    assert CouponUse.objects.filter(coupon__code="ABCDE23456").values_list("discount", flat=True).get() == D("0.29")


def test_a_second_coupon_on_a_line_costs_one_statement_more_and_only_then(till):
    activate(till)
    gold()
    coupon_for(running_campaign(name="Spring ten", needs_coupon=True, value=D("2.00")), code="FIRST", max_uses=None)
    euro = running_campaign(name="Euro off", needs_coupon=True, benefit="amount_receipt", value=D("0.10"))
    coupon_for(euro, code="SECOND", max_uses=None)
    bread = line("BREAD", "bakery", "1", "4.00", "Bread")
    checkout(till, [MILK], ["FIRST"], key="warm")
    one = statements(lambda: checkout(till, [MILK, bread], ["FIRST"], key="one"))
    two = statements(lambda: checkout(till, [MILK, bread], ["FIRST", "SECOND"], key="two"))
    # the coupons are taken in one UPDATE and their use rows ride with the register either way: the second
    # coupon's shares of the two lines are the one INSERT more
    assert (two - one, CouponShare.objects.count()) == (1, 2)


def test_the_stored_receipt_repeats_each_lines_discounts_as_the_checkout_answered(till):
    activate(till)
    gold()  # 5 % card
    dairy = Category.objects.get(code="dairy")
    running_campaign(scope=Campaign.Scope.CATEGORIES, categories=[dairy])  # 10 % stacked
    coupon_for(running_campaign(name="Coupon euro", needs_coupon=True, benefit="amount_receipt", value=D("0.50")))
    bread = line("BREAD", "bakery", "1", "2.00", "Bread")
    sold = checkout(till, [MILK, bread, CIGS], ["ABCDE23456"]).json()
    stored = till.get(f"/api/v1/receipts/{sold['receipt_id']}/").json()
    assert [ln["discounts"] for ln in stored["lines"]] == [ln["discounts"] for ln in sold["lines"]]
    assert stored["lines"][0]["discounts"] == [
        {"source": "card", "name": "Card", "percent": "5.00", "amount": "0.14"},
        {"source": "campaign", "name": "Summer week", "percent": "10.00", "amount": "0.29"},
        {"source": "coupon", "name": "Coupon euro", "percent": "5.36", "amount": "0.16"},  # trimmed to 20 %
    ]
    for ln in stored["lines"]:
        assert sum((D(p["amount"]) for p in ln["discounts"]), D(0)) == D(ln["discount_amount"])
    assert sum((D(ln["discount_amount"]) for ln in stored["lines"]), D(0)) == D(stored["discount_total"])
    assert stored["lines"][2]["discounts"] == []  # tobacco stays excluded


def test_a_walk_ins_stored_receipt_names_the_justified_fixed_price_campaign_alone(till):
    running_campaign(benefit=Campaign.Benefit.FIXED_PRICE, value=D("1.00"), ceiling_justification="Clearance")
    sold = checkout(till, [MILK], card=None).json()
    stored = till.get(f"/api/v1/receipts/{sold['receipt_id']}/").json()
    assert (
        stored["lines"][0]["discounts"]
        == sold["lines"][0]["discounts"]
        == [{"source": "campaign", "name": "Summer week", "percent": "32.88", "amount": "0.98"}]
    )


def test_a_personal_coupon_is_for_its_customers_card_only(till):
    from loyalty.models import Customer

    activate(till)
    activate(till, "2000000000022", phone="+48600100300", name="Bruno Weber")
    anna = Customer.objects.get(name="Anna Kowalska")
    coupon_for(running_campaign(needs_coupon=True), customer=anna)
    assert refusal(quote(till, [MILK], ["ABCDE23456"], card=None)) == (409, "coupon_invalid", "not_applicable")
    assert refusal(checkout(till, [MILK], ["ABCDE23456"], card="2000000000022")) == (
        409, "coupon_invalid", "not_applicable",
    )  # fmt: skip
    assert (Receipt.objects.count(), Coupon.objects.get().uses) == (0, 0)
    assert checkout(till, [MILK], ["ABCDE-23456"], key="anna").json()["coupons"] == [
        {"code": "ABCDE23456", "discount": "0.29"}
    ]
    assert Coupon.objects.get().uses == 1


def test_the_stored_receipt_repeats_the_checkouts_coupons(till):
    """api.md: GET /receipts/{id}/ is "the checkout body as stored": its `coupons` [{code, discount}] too."""
    activate(till)
    gold()  # 5 % card
    coupon_for(running_campaign(name="Spring ten", needs_coupon=True))  # 10 % off each line
    euro = running_campaign(name="Euro off", needs_coupon=True, benefit="amount_receipt", value=D("0.50"))
    coupon_for(euro, code="SHARED", max_uses=None)
    bread = line("BREAD", "bakery", "1", "4.00", "Bread")
    sold = checkout(till, [bread, CIGS], ["SHARED", "ABCDE-23456"]).json()
    assert [c["code"] for c in sold["coupons"]] == ["SHARED", "ABCDE23456"]  # as asked
    stored = till.get(f"/api/v1/receipts/{sold['receipt_id']}/").json()
    assert stored["coupons"] == sold["coupons"]
    plain = checkout(till, [bread], key="k-2").json()
    assert "coupons" not in plain
    assert "coupons" not in till.get(f"/api/v1/receipts/{plain['receipt_id']}/").json()


def test_two_coupons_on_one_line_are_stored_as_two_shares_and_the_receipt_repeats_them(till, admin_client):
    activate(till)
    gold()  # 5 % card
    coupon_for(running_campaign(name="Spring ten", needs_coupon=True))  # 10 % off each line
    euro = running_campaign(name="Euro off", needs_coupon=True, benefit="amount_receipt", value=D("0.50"))
    coupon_for(euro, code="SHARED", max_uses=None)
    bread = line("BREAD", "bakery", "1", "4.00", "Bread")
    sold = checkout(till, [bread, CIGS], ["ABCDE23456", "SHARED"]).json()
    assert sold["lines"][0]["discounts"] == [
        {"source": "card", "name": "Card", "percent": "5.00", "amount": "0.20"},
        {"source": "coupon", "name": "Spring ten", "percent": "10.00", "amount": "0.40"},
        {"source": "coupon", "name": "Euro off", "percent": "5.00", "amount": "0.20"},  # trimmed to the 20 %
    ]
    stored = till.get(f"/api/v1/receipts/{sold['receipt_id']}/").json()
    assert [ln["discounts"] for ln in stored["lines"]] == [ln["discounts"] for ln in sold["lines"]]
    entry = DiscountEntry.objects.get()
    assert (entry.amount, entry.coupon.code, entry.coupon_amount, entry.coupon_percent) == (
        D("0.80"),
        "ABCDE23456",
        D("0.40"),
        D("10.00"),
    )
    assert list(CouponShare.objects.values_list("entry", "coupon__code", "amount", "percent")) == [
        (entry.pk, "SHARED", D("0.20"), D("5.00"))
    ]
    page = admin_client.get(f"/admin/pos/discountentry/{entry.pk}/change/")
    assert (page.status_code, "SHARED" in page.content.decode()) == (200, True)


def test_the_managers_receipt_page_names_where_each_lines_discount_came_from(till, manager_client):
    activate(till)
    gold()  # 5 % card
    dairy = Category.objects.get(code="dairy")
    running_campaign(scope=Campaign.Scope.CATEGORIES, categories=[dairy])  # 10 % stacked
    coupon_for(running_campaign(name="Spring ten", needs_coupon=True, value=D("2.00")))
    euro = running_campaign(name="Euro off", needs_coupon=True, benefit="amount_receipt", value=D("0.10"))
    coupon_for(euro, "SHARED")
    sold = checkout(till, [MILK, CIGS], ["ABCDE23456", "SHARED"]).json()
    html = manager_client.get(f"/manager/receipts/{sold['receipt_id']}/").content.decode()
    sources = re.findall(r'<div class="source-(\w+)">([^<]*)</div>', html)
    assert sources == [
        ("card", "Card, Gold: 5.00 % = 0.14"),
        ("campaign", "Summer week: 10.00 % = 0.29"),
        ("coupon", "ABCDE-23456 (Spring ten): 2.00 % = 0.05"),
        ("coupon", "SHARED (Euro off): 3.35 % = 0.10"),
    ]
    assert [p["amount"] for p in sold["lines"][0]["discounts"]] == ["0.14", "0.29", "0.05", "0.10"]
