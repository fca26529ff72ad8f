"""Gift cards for the demo: a batch, a few sold at both stores over the year, one that paid part of a receipt,
one sold long ago that has expired, so the till, /my/gift-card/ and the manager's liability page have
something to show. Runs once (the demo batch marks it done); `loyalty_demo` prints the showcase card."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from cards.pins import card_pin
from giftcards.models import GiftCard, GiftCardBatch
from giftcards.services import Where, gift_card_load, gift_cards_expire, gift_cards_issue
from loyalty import rules
from pos.actors import PosActor
from pos.models import Terminal
from pos.services import Basket, checkout

DEMO_GIFT_BATCH = "Demo gift cards"
# (days ago, till index, amount): the first is the showcase, sold last month and partly spent.
SALES = [(30, 0, "50.00"), (200, 1, "25.00"), (120, 0, "100.00"), (60, 1, "20.00")]


def build_gift_cards(now: datetime | None = None) -> list[str]:
    now = now or timezone.now()
    batch = GiftCardBatch.objects.filter(name=DEMO_GIFT_BATCH).first()
    if batch is None:
        batch = gift_cards_issue(count=20, name=DEMO_GIFT_BATCH, validity_years=3)
        _sell(batch, now)
    showcase = GiftCard.objects.get(number=batch.first_number)
    return [
        f"Gift card (till, /my/gift-card/): {showcase.number}, PIN {card_pin(showcase.number)}, "
        f"balance {showcase.balance}"
    ]


def _sell(batch: GiftCardBatch, now: datetime) -> None:
    tills = [PosActor(store=t.store, terminal=t) for t in Terminal.objects.select_related("store").order_by("pk")]
    numbers = list(batch.cards.order_by("number").values_list("number", flat=True))
    for number, (days, till, amount) in zip(numbers, SALES, strict=False):
        actor = tills[till % len(tills)]
        where = Where(store_id=actor.store.pk, terminal_id=actor.terminal.pk)
        with transaction.atomic():
            gift_card_load(number=number, amount=Decimal(amount), where=where, at=now - timedelta(days=days))
    # The showcase pays 12.40 of a 15.40 basket at the other store; the rest was cash.
    line = rules.Line(sku="COFFEE-PROMO", name="Coffee 500 g", category="promo", quantity=Decimal("2"),
                      unit_price=Decimal("7.70"))  # fmt: skip
    basket = Basket(lines=(line,), gift_card_payments=((numbers[0], Decimal("12.40")),))
    checkout(actor=tills[-1], key="demo-gift-card", basket=basket, payload={"demo": "gift"}, at=now - timedelta(days=5))
    # One sold three years and a month ago: its 3 years are over, the nightly job took the rest (breakage).
    old = numbers[len(SALES)]
    with transaction.atomic():
        gift_card_load(number=old, amount=Decimal("30.00"), where=Where(store_id=tills[0].store.pk),
                       at=now - timedelta(days=3 * 365 + 31))  # fmt: skip
    gift_cards_expire(at=now)
