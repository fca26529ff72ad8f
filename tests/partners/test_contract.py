"""A business customer's contract prices: the pure rule as a table, and at the till through the API."""

from datetime import date
from decimal import Decimal as D

import pytest

from cards.models import Card
from loyalty import rules
from loyalty.models import Category, Company, ContractDiscount
from loyalty.rules.terms import CategoryRule, Policy
from tests.pos.helpers import CARD, activate, buy, line

CATEGORIES = {
    "produce": CategoryRule(code="produce", policy=Policy.NORMAL),
    "tobacco": CategoryRule(code="tobacco", policy=Policy.EXCLUDED, earns_points=False),
}


def priced(sku, category, card_percent):
    ln = rules.Line(sku=sku, category=category, quantity=D("1"), unit_price=D("100.00"))
    return rules.pricing._quote_line(ln, CATEGORIES[category], D(card_percent))


@pytest.mark.parametrize(
    "sku, category, card, by_sku, by_category, justified, expected",
    [
        ("APPLE", "produce", "5", {}, {"produce": D("10")}, set(), D("10")),  # the contract beats the card
        ("APPLE", "produce", "12", {}, {"produce": D("10")}, set(), D("12")),  # the card's is better: kept
        ("APPLE", "produce", "5", {"APPLE": D("15")}, {"produce": D("10")}, set(), D("15")),  # SKU before category
        ("APPLE", "produce", "0", {}, {"produce": D("30")}, set(), D("20")),  # the ceiling binds
        ("APPLE", "produce", "0", {}, {"produce": D("30")}, {"produce"}, D("30")),  # unless justified
        ("CIG", "tobacco", "0", {"CIG": D("3")}, {}, set(), D("3")),  # named explicitly: applies where cards don't
        ("PEAR", "produce", "5", {"APPLE": D("15")}, {}, set(), D("5")),  # not named: the card's
    ],
)
def test_contract_prices(sku, category, card, by_sku, by_category, justified, expected):
    contract = rules.ContractTerms(by_sku=by_sku, by_category=by_category, justified=frozenset(justified))
    (result,) = rules.apply_contract([priced(sku, category, card)], contract, CATEGORIES, D("20"))
    assert (result.discount_percent, result.discount_amount) == (expected, D("100.00") * expected / 100)


@pytest.mark.django_db
def test_a_staff_card_pays_the_contract_price_at_the_till(till):
    activate(till)
    account = Card.objects.get(number=CARD).account
    firm = Company.objects.create(name="Bau GmbH", vat_id="DE1")
    account.company = firm
    account.save(update_fields=["company"])
    produce = Category.objects.get(code="produce")
    ContractDiscount.objects.create(company=firm, category=produce, percent=D("10.00"), valid_from=date(2020, 1, 1))
    sale = buy(till, [line("APPLE", "produce", "2", "50.00", "Apples"), line("BREAD", "bakery", "1", "10.00", "Bread")])
    body = sale.json()
    assert sale.status_code == 201
    assert [(ln["sku"], ln["discount_percent"], ln["discount_amount"]) for ln in body["lines"]] == [
        ("APPLE", "10.00", "10.00"), ("BREAD", "0.00", "0.00"),
    ]  # fmt: skip
    assert (body["discount_total"], body["total_due"]) == ("10.00", "100.00")


@pytest.mark.django_db
def test_a_contract_above_20_percent_needs_a_justification():
    from django.db import IntegrityError

    firm = Company.objects.create(name="Bau GmbH", vat_id="DE1")
    with pytest.raises(IntegrityError):
        ContractDiscount.objects.create(company=firm, sku="X", percent=D("25.00"), valid_from=date(2020, 1, 1))
