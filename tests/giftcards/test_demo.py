"""The demo's gift cards: one with a balance to try at the till and on /my/gift-card/, one expired."""

import io
from decimal import Decimal as D

import pytest
from django.core.management import call_command

from cards.pins import card_pin
from giftcards.models import GiftCard, GiftCardEntry
from tests.giftcards.helpers import assert_balances_equal_ledgers

pytestmark = pytest.mark.django_db


def test_loyalty_demo_prints_a_gift_card_with_a_balance(settings):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("loyalty_demo", stdout=out)
    pin = card_pin("2900000000018")
    assert f"Gift card (till, /my/gift-card/): 2900000000018, PIN {pin}, balance 37.60" in out.getvalue()
    assert GiftCard.objects.get(number="2900000000018").balance == D("37.60")
    assert GiftCard.objects.filter(status="expired").count() == 1
    assert list(GiftCardEntry.objects.filter(kind="expire").values_list("amount", flat=True)) == [D("-30.00")]
    assert_balances_equal_ledgers()
    again = io.StringIO()
    call_command("loyalty_demo", stdout=again)
    assert again.getvalue() == out.getvalue()
