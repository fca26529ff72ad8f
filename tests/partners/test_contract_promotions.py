"""A staff card's contract prices with a campaign or a coupon in the basket, at the till: the programme's
ceiling still binds what is not justified, a justified contract price is kept, excluded categories stay
excluded from the campaign."""

from datetime import date
from decimal import Decimal as D

import pytest

from cards.models import Card
from loyalty.models import Category, Company, ContractDiscount
from promotions.models import Campaign
from tests.pos.helpers import CARD, activate, line
from tests.promotions.helpers import coupon_for, running_campaign

pytestmark = pytest.mark.django_db

APPLES = line("APPLE", "produce", "2", "50.00", "Apples")  # 100.00
BREAD = line("BREAD", "bakery", "1", "10.00", "Bread")
CIGS = line("CIGS", "tobacco", "1", "8.00", "Cigarettes")


def on_contract(till, *discounts):
    activate(till)
    account = Card.objects.get(number=CARD).account
    firm = Company.objects.create(name="Bau GmbH", vat_id="DE1")
    account.company = firm
    account.save(update_fields=["company"])
    for target, percent, justification in discounts:
        where = {"sku": target} if target.isupper() else {"category": Category.objects.get(code=target)}
        ContractDiscount.objects.create(
            company=firm, percent=D(percent), valid_from=date(2020, 1, 1), justification=justification, **where
        )


def sale(till, lines, coupons=()):
    body = {"card_number": CARD, "lines": lines, "redeem_points": "0.00", "coupons": list(coupons)}
    response = till.post("/api/v1/checkout/", body, format="json", HTTP_IDEMPOTENCY_KEY=f"c-{len(lines)}")
    assert response.status_code == 201, response.content
    return response.json()


def discounts(body):
    return [
        (ln["sku"], ln["discount_amount"], [(d["source"], d["amount"]) for d in ln["discounts"]])
        for ln in body["lines"]
    ]


def test_a_stacking_campaign_on_a_contract_price_stops_at_the_ceiling(till):
    on_contract(till, ("produce", "15.00", ""))
    running_campaign()  # 10 % off everything, on top of the card's
    body = sale(till, [APPLES, BREAD])
    assert discounts(body) == [
        ("APPLE", "20.00", [("card", "15.00"), ("campaign", "5.00")]),  # 15 + 10 cut to the 20 % ceiling
        ("BREAD", "1.00", [("campaign", "1.00")]),
    ]
    assert (body["discount_total"], body["total_due"]) == ("21.00", "89.00")


def test_a_justified_contract_price_above_the_ceiling_is_kept_and_the_campaign_adds_nothing_to_it(till):
    on_contract(till, ("produce", "30.00", "Framework contract 2026, approved by the board"))
    running_campaign()
    body = sale(till, [APPLES, BREAD])
    assert discounts(body) == [
        ("APPLE", "30.00", [("card", "30.00")]),
        ("BREAD", "1.00", [("campaign", "1.00")]),
    ]
    assert body["total_due"] == "79.00"


def test_an_excluded_category_gets_its_named_contract_price_and_no_campaign(till):
    on_contract(till, ("CIGS", "3.00", ""))
    running_campaign()
    body = sale(till, [CIGS, BREAD])
    assert discounts(body) == [
        ("CIGS", "0.24", [("card", "0.24")]),  # the contract names it; the campaign keeps out
        ("BREAD", "1.00", [("campaign", "1.00")]),
    ]


def test_a_coupon_on_a_contract_price_at_the_ceiling_gives_only_where_there_is_room(till):
    on_contract(till, ("produce", "20.00", ""))
    campaign = running_campaign(name="Coupon 10 %", needs_coupon=True)
    coupon_for(campaign)
    body = sale(till, [APPLES, BREAD], coupons=["ABCDE23456"])
    assert discounts(body) == [
        ("APPLE", "20.00", [("card", "20.00")]),
        ("BREAD", "1.00", [("coupon", "1.00")]),
    ]
    assert body["coupons"] == [{"code": "ABCDE23456", "discount": "1.00"}]


def test_a_coupon_with_no_room_left_beside_a_justified_contract_price_says_so_and_nothing_is_sold(till):
    from pos.models import Receipt

    on_contract(till, ("produce", "30.00", "Framework contract 2026, approved by the board"))
    campaign = running_campaign(
        name="5 off", needs_coupon=True, benefit=Campaign.Benefit.AMOUNT_PER_RECEIPT, value=D("5.00")
    )
    coupon_for(campaign)
    body = {"card_number": CARD, "lines": [APPLES], "redeem_points": "0.00", "coupons": ["ABCDE23456"]}
    response = till.post("/api/v1/checkout/", body, format="json", HTTP_IDEMPOTENCY_KEY="c-none")
    assert (response.status_code, response.json()["error"]["details"]["reason"]) == (409, "not_applicable")
    assert Receipt.objects.count() == 0
