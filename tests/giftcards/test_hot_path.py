"""Paying with a gift card costs a checkout one locked row and two statements: one conditional UPDATE of the
card (which locks it, checks it is active and holds enough, and takes the amount), one INSERT of its ledger row."""

import itertools

import pytest

from giftcards.services import gift_cards_issue
from tests.pos.helpers import CARD, activate, line
from tests.pos.test_till_hot_path import statements

pytestmark = pytest.mark.django_db
_keys = itertools.count()


def sale(till, *, gift=None, card=None):
    body = {"lines": [line(), line("BREAD-RYE", "bakery", "1", "2.79")], "card_number": card}
    if gift:
        body["gift_card_payments"] = [{"number": gift, "amount": "1.00"}]
    response = till.post("/api/v1/checkout/", body, format="json", HTTP_IDEMPOTENCY_KEY=f"h-{next(_keys)}")
    assert response.status_code == 201, response.content
    return response


@pytest.mark.parametrize("card", [None, CARD])
def test_a_gift_card_payment_adds_two_statements_to_a_checkout(till, card):
    if card:
        activate(till)
    number = gift_cards_issue(count=1).first_number
    till.post(f"/api/v1/gift-cards/{number}/load/", {"amount": "50.00"}, format="json", HTTP_IDEMPOTENCY_KEY="sell")
    sale(till, card=card), sale(till, gift=number, card=card)  # terms and statements known to this process
    plain = statements(lambda: sale(till, card=card))
    paid = statements(lambda: sale(till, gift=number, card=card))
    added = [s for s in paid if "giftcards_" in s]
    assert len(paid) == len(plain) + 2
    assert [s.split()[0] for s in added] == ["UPDATE", "INSERT"]
    assert "RETURNING" in added[0] and '"balance" >=' in added[0] and '"status" =' in added[0]
