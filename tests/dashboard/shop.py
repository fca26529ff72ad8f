"""The small shop every manager-dashboard test reads: known receipts at known moments, so each report
row can be asserted exactly. No tests here: the test_manager_* modules call `build_shop()`.

November 2026, UTC; the demo programme (cumulative 300 -> 2 %, 700 -> 5 %, 1500 -> 7 %; points 5 %):

  R1  2 Nov 09:00  central   cashier1  card A  produce 400.00           base 0 %  -> points 20.00, Silver
  R2  3 Nov 10:00  central   cashier1  card A  dairy 100.00, tobacco 10  Silver 2 % -> discount 2.00, points 4.90
  R3  3 Nov 10:20  riverside cashier2  card A  bakery 250.00            Silver 2 % -> discount 5.00, points 12.25, Gold
  R4  3 Nov 12:00  riverside cashier2  no card dairy 50.00
  R5  4 Nov 09:00  central   cashier1  card A  dairy 20.00, 3 points    Gold 5 %   -> discount 1.00, points 0.80
      refunded whole at 4 Nov 15:00 (points 3.00 back, 0.80 taken back)
  R6, R7  6 Nov 11:00, 11:30  central  cashier3  no card  dairy 30.00 each

Card A (Anna) is activated on 2 Nov 08:55 at central, before R1.
"""

import itertools
from datetime import UTC, datetime
from decimal import Decimal

from django.contrib.auth.models import User

from cards.lifecycle import card_activate
from cards.numbers import card_number
from loyalty import rules
from pos.actors import PosActor
from pos.demo import build_demo
from pos.models import Cashier, Receipt, Store
from pos.refunds import RefundRequest, receipt_refund
from pos.services import Basket, checkout

CARD_A = card_number("000", 1)
_keys = itertools.count()


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def actor(store: str, username: str) -> PosActor:
    return PosActor(store=Store.objects.get(code=store), cashier=User.objects.get(username=username))


def sell(store: str, username: str, lines: list[tuple[str, str]], when: datetime, card=None, redeem="0.00") -> Receipt:
    """lines: (category, price) pairs, one of each."""
    basket = Basket(
        lines=tuple(
            rules.Line(sku=f"SKU-{cat}", name=cat, category=cat, quantity=Decimal(1), unit_price=Decimal(price))
            for cat, price in lines
        ),
        card_number=card,
        redeem_points=Decimal(redeem),
    )
    key = f"shop-{next(_keys)}"
    _, body, _ = checkout(actor=actor(store, username), key=key, basket=basket, payload={"key": key}, at=when)
    return Receipt.objects.get(pk=body["receipt_id"])


def build_shop() -> dict[str, Receipt]:
    build_demo()
    cashier3 = User.objects.create_user("cashier3", password="x")
    Cashier.objects.create(user=cashier3, store=Store.objects.get(code="central"))
    card_activate(number=CARD_A, name="Anna Kowalska", phone="+48600100200", at=at(2, 8, 55))
    r = {
        "R1": sell("central", "cashier1", [("produce", "400.00")], at(2, 9), CARD_A),
        "R2": sell("central", "cashier1", [("dairy", "100.00"), ("tobacco", "10.00")], at(3, 10), CARD_A),
        "R3": sell("riverside", "cashier2", [("bakery", "250.00")], at(3, 10, 20), CARD_A),
        "R4": sell("riverside", "cashier2", [("dairy", "50.00")], at(3, 12)),
        "R5": sell("central", "cashier1", [("dairy", "20.00")], at(4, 9), CARD_A, redeem="3.00"),
        "R6": sell("central", "cashier3", [("dairy", "30.00")], at(6, 11)),
        "R7": sell("central", "cashier3", [("dairy", "30.00")], at(6, 11, 30)),
    }
    receipt_refund(
        actor=actor("central", "cashier1"), receipt_id=r["R5"].pk, key="shop-refund", request=RefundRequest(lines=()),
        payload={"refund": 1}, at=at(4, 15),
    )  # fmt: skip
    return r


def build_chain(stores: int = 20) -> dict[str, Receipt]:
    """The small shop grown to a chain of `stores`: each new store has a cashier, a card customer of its
    own and a few receipts on 5-8 November, of sizes that differ from store to store (so a sort shows)."""
    receipts = build_shop()
    for i in range(3, stores + 1):
        store = Store.objects.create(code=f"s{i:02d}", name=f"Store {i:02d}")
        user = User.objects.create_user(f"cashier-s{i:02d}", password="x")
        Cashier.objects.create(user=user, store=store)
        card = card_number("000", i + 10)
        card_activate(number=card, name=f"Customer {i:02d}", phone=f"+4915100000{i:03d}", at=at(5, 8))
        for n in range(1 + i % 4):
            price = Decimal(40 + 13 * i + 7 * n).quantize(Decimal("0.01"))
            sell(store.code, user.username, [("produce", str(price))], at(5 + n % 4, 9 + n), card if n % 2 else None)
    return receipts
