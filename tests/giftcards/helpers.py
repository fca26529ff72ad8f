from datetime import UTC, datetime
from decimal import Decimal as D

from django.db.models import Sum

from giftcards.models import GiftCard, GiftCardEntry
from giftcards.services import Where, gift_card_load, gift_cards_issue

AT = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def batch(count=3, **rules):
    return gift_cards_issue(count=count, **rules)


def sold(amount="50.00", at=AT, **rules) -> GiftCard:
    """The first card of a new batch, sold with `amount` on it."""
    b = batch(**rules)
    from django.db import transaction

    with transaction.atomic():
        return gift_card_load(number=b.first_number, amount=D(amount), where=Where(store_id=1), at=at)


def ledger_total(card: GiftCard) -> D:
    return GiftCardEntry.objects.filter(gift_card=card).aggregate(s=Sum("amount"))["s"] or D("0.00")


def assert_balances_equal_ledgers():
    for card in GiftCard.objects.all():
        assert card.balance == ledger_total(card), card.number
