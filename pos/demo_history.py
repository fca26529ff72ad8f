"""A year of shopping for the demo, through the real services, so every page has something to show.

Only `loyalty_demo` calls this (the tests' `demo` fixture stays an empty shop). It is deterministic
(a seeded random walk over fixed dates) and runs once: the first demo customer's card marks it done.
"""

import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from cards.lifecycle import card_activate
from cards.models import Card, CardBatch
from cards.pins import card_pin
from loyalty import rules
from pos.actors import PosActor
from pos.demo import DEMO_BATCH_NAME, DEMO_PRODUCTS
from pos.models import Store, Terminal
from pos.refunds import RefundRequest, receipt_refund
from pos.services import Basket, checkout

CUSTOMERS = [
    ("Anna Kowalska", "+4915100000001"), ("Bruno Schmidt", "+4915100000002"), ("Chiara Rossi", "+4915100000003"),
    ("Dmitri Ivanov", "+4915100000004"), ("Elif Yilmaz", "+4915100000005"), ("Femi Adeyemi", "+4915100000006"),
]  # fmt: skip
DAYS = 340  # first purchases old enough that their points burn within the month


def build_history(now: datetime | None = None) -> list[str]:
    """Customers with a year of receipts (one refund), plus walk-in receipts without a card."""
    now = now or timezone.now()
    batch = CardBatch.objects.get(name=DEMO_BATCH_NAME)
    cards = list(Card.objects.filter(batch=batch).order_by("-number")[: len(CUSTOMERS)])
    showcase = cards[0]
    if showcase.status == Card.Status.ISSUED:
        _shop(cards, now)
    showcase.refresh_from_db()
    return [f"Customer page (/my/): card {showcase.number}, PIN {card_pin(showcase.number)}"]


def _shop(cards: list[Card], now: datetime) -> None:
    tills = [PosActor(store=t.store, terminal=t) for t in Terminal.objects.select_related("store").order_by("pk")]
    walk = random.Random(20261123)
    start = now - timedelta(days=DAYS)
    for card, (name, phone) in zip(cards, CUSTOMERS, strict=False):
        card_activate(number=card.number, name=name, phone=phone, at=start)
    showcase, regulars, idle = cards[0], cards[1:-1], cards[-1]
    for n, day in enumerate(range(0, DAYS, 3)):
        at = start + timedelta(days=day, hours=walk.randint(8, 19))
        if n % 4 == 0:
            card = None  # a walk-in without a card
        elif n % 4 == 1:
            card = showcase  # a loyal customer: Gold by now, with points about to burn
        else:
            # One customer shops a lot, then stops after 100 days: `expire_inactive` steps them down.
            card = idle if day <= 100 else regulars[(n // 4) % len(regulars)]
        _buy(tills[n % len(tills)], card, at, walk, key=f"demo-{n}")
    _refund_one(tills[0], now)


def _buy(till: PosActor, card: Card | None, at: datetime, walk: random.Random, key: str) -> None:
    lines = tuple(
        rules.Line(sku=sku, name=name, category=category, quantity=Decimal(walk.randint(1, 6)), unit_price=Decimal(p))
        for sku, _, name, category, p in walk.sample(DEMO_PRODUCTS, 4)
    )
    basket = Basket(lines=lines, card_number=card.number if card else None)
    checkout(actor=till, key=key, basket=basket, payload={"demo": key}, at=at)


def _refund_one(till: PosActor, now: datetime) -> None:
    receipt = Store.objects.get(pk=till.store.pk).receipts.filter(card__isnull=False).order_by("-created_at").first()
    if receipt is not None:
        sku = receipt.lines.order_by("pk").first().sku
        request = RefundRequest(lines=((sku, Decimal(1)),))
        receipt_refund(actor=till, receipt_id=receipt.pk, key="demo-refund", request=request,
                       payload={"demo": "refund"}, at=now - timedelta(days=1))  # fmt: skip
