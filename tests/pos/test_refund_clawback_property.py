"""Buy → refund → repeat, in any order, never leaves a customer better off than never having bought what they
refunded (issue 13). Two cards of the demo programme: one buys and refunds; the other buys only what the
first kept, in the same order. After every example:

- the first is no better off in money and points: points − (paid − refunded + recorded as owed) is at most
  the second's, whether the programme keeps what it takes back from the cash or records it;
- nor in level: it holds no higher level than the second, and no more spend;
- and each card's ledgers are honest: balance == Σ points ledger, spend == Σ spend ledger.

Whole receipts are refunded (the second card cannot buy "part of" a line at the same price); points do not
pay (the two cards hold different balances, so the same redemption could not be asked of both).
"""

import itertools
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyalty import rules
from loyalty.models import Account, PointsEntry, Programme, SpendEntry
from loyalty.selectors import programme_rules
from pos.actors import PosActor, terminal_create
from pos.models import Receipt, Refund, Store
from pos.refunds import RefundRequest, receipt_refund
from pos.services import Basket, checkout
from tests.factories import T0, active_card

pytestmark = pytest.mark.django_db

# Near the thresholds (300, 700, 1500) and anywhere.
prices = st.one_of(
    st.sampled_from([D("299.99"), D("300.00"), D("400.00"), D("700.00"), D("800.00"), D("1500.00"), D("2000.00")]),
    st.decimals(min_value=D("0.01"), max_value=D("2500.00"), places=2),
)
baskets = st.lists(st.tuples(prices, st.sampled_from(["dairy", "tobacco", "promo"])), min_size=1, max_size=2)
steps = st.lists(st.one_of(st.tuples(st.just("buy"), baskets), st.tuples(st.just("refund"), st.integers(0, 99))),
                 min_size=1, max_size=8)  # fmt: skip


def total(queryset, field):
    return (queryset.aggregate(s=Sum(field))["s"] or D("0")).quantize(D("0.01"))


class Shopper:
    def __init__(self, actor, name):
        self.card, self.actor, self.keys = active_card(name=name), actor, itertools.count()

    def buy(self, basket, at):
        lines = tuple(
            rules.Line(sku=f"L{i}", category=c, quantity=D("1"), unit_price=p) for i, (p, c) in enumerate(basket)
        )
        key = f"{self.card.number}-{next(self.keys)}"
        _, body, _ = checkout(actor=self.actor, key=key, basket=Basket(lines=lines, card_number=self.card.number),
                              payload={"key": key}, at=at)  # fmt: skip
        return body["receipt_id"]

    def refund(self, receipt_id, at):
        key = f"{self.card.number}-{next(self.keys)}"
        receipt_refund(actor=self.actor, receipt_id=receipt_id, key=key, request=RefundRequest(lines=()),
                       payload={"key": key}, at=at)  # fmt: skip

    @property
    def account(self):
        return Account.objects.get(pk=self.card.account_id)

    def value(self):
        """Points (1 point = 1.00) less what the customer paid net: refunds back, amounts recorded as owed."""
        receipts = Receipt.objects.filter(account_id=self.card.account_id)
        refunds = Refund.objects.filter(receipt__account_id=self.card.account_id)
        paid = total(receipts, "total_due") - total(refunds, "amount_refunded") + total(refunds, "clawback_recorded")
        return self.account.points_balance - paid

    def level_rank(self):
        account = self.account
        order = sorted(programme_rules(account.programme).levels, key=lambda lv: lv.threshold)
        return [lv.name for lv in order].index(account.level.name) if account.level_id else -1

    def assert_ledgers_honest(self):
        account = self.account
        assert account.points_balance == total(PointsEntry.objects.filter(account=account), "points")
        assert account.spend == total(SpendEntry.objects.filter(account=account), "amount")


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=steps, shortfall=st.sampled_from(Programme.RefundShortfall.values))
def test_buying_and_refunding_in_any_order_never_beats_not_buying(steps, shortfall):
    savepoint = transaction.savepoint()
    try:
        active_card()  # the demo programme, then how it treats what a refund cannot take back
        Programme.objects.update(refund_shortfall=shortfall)
        store = Store.objects.create(code="prop", name="Property shop")
        actor = PosActor(store=store, terminal=terminal_create(store=store, name="till-1")[0])
        shopper, abstainer = Shopper(actor, "Buys and returns"), Shopper(actor, "Never bought it")
        bought, kept, at = [], {}, T0
        for kind, what in steps:
            at += timedelta(minutes=5)
            if kind == "buy":
                kept[len(bought)] = what
                bought.append(shopper.buy(what, at))
            elif kept:
                index = sorted(kept)[what % len(kept)]
                del kept[index]
                shopper.refund(bought[index], at)
        at = T0
        for index in sorted(kept):
            at += timedelta(minutes=5)
            abstainer.buy(kept[index], at)

        assert shopper.value() <= abstainer.value()
        assert shopper.level_rank() <= abstainer.level_rank()
        assert shopper.account.spend <= abstainer.account.spend
        shopper.assert_ledgers_honest()
        abstainer.assert_ledgers_honest()
    finally:
        transaction.savepoint_rollback(savepoint)
