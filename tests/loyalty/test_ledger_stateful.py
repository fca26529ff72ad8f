"""Any sequence of what moves points keeps the ledger honest: checkouts earning and redeeming, refunds in
parts, a manager's adjustments, nights of the nightly job, card replacements, each through the service
production calls.

After every step, for every account: balance == Σ ledger, balance ≥ 0, Σ live lots == balance, spend ≥ 0,
and each lot's consumptions add up to exactly what left it (so no lot is ever spent twice).
"""

import itertools
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from cards.lifecycle import card_replace
from cards.models import Card
from cards.services import batch_issue
from core.errors import DomainError
from loyalty import rules
from loyalty.expiry import nightly_run
from loyalty.models import Account, LotConsumption, PointsEntry, PointsLot
from loyalty.services import points_adjust
from pos.actors import PosActor, terminal_create
from pos.models import ReceiptLine, Store
from pos.refunds import RefundRequest, receipt_refund
from pos.services import Basket, checkout
from tests.factories import T0, active_card


def total(queryset, field):
    """Σ field to the cent (SQLite sums decimals as floats: 4.4e-16 is 0.00)."""
    return (queryset.aggregate(s=Sum(field))["s"] or D("0")).quantize(D("0.01"))


amounts = st.decimals(min_value=D("0.01"), max_value=D("300.00"), places=2)
prices = st.decimals(min_value=D("0.00"), max_value=D("150.00"), places=2)
REFUSED = {"insufficient_points", "redeem_limit_exceeded", "refund_exceeds_receipt"}


class LedgerMachine(RuleBasedStateMachine):
    @initialize()
    def open_card(self):
        # Each example starts from the same empty database: roll back to here afterwards.
        self.savepoint = transaction.savepoint()
        self.card = active_card()
        store = Store.objects.create(code="ledger", name="Ledger shop")
        self.actor = PosActor(store=store, terminal=terminal_create(store=store, name="till-1")[0])
        self.keys = itertools.count()
        self.receipts: list[int] = []
        self.now = T0

    def teardown(self):
        if hasattr(self, "savepoint"):
            transaction.savepoint_rollback(self.savepoint)

    @property
    def account_id(self):
        return self.card.account_id

    def balance(self):
        return Account.objects.get(pk=self.account_id).points_balance

    @rule(
        price=prices, category=st.sampled_from(["dairy", "tobacco"]), redeem=st.sampled_from(["0", "0.50", "2", "10"])
    )
    def buy(self, price, category, redeem):
        """Two of a product, paid partly with points (or refused: above the balance or the cap)."""
        line = rules.Line(sku="X", category=category, quantity=D("2"), unit_price=price)
        basket = Basket(lines=(line,), card_number=self.card.number, redeem_points=D(redeem))
        key = f"sale-{next(self.keys)}"
        try:
            _, body, _ = checkout(actor=self.actor, key=key, basket=basket, payload={"key": key}, at=self.now)
        except DomainError as error:
            assert error.code in REFUSED
            return
        self.receipts.append(body["receipt_id"])

    @precondition(lambda self: self.receipts)
    @rule(data=st.data(), whole=st.booleans())
    def refund(self, data, whole):
        """One of the two, or what is left of a receipt; a receipt refunded in full refuses more."""
        receipt_id = data.draw(st.sampled_from(self.receipts))
        request = RefundRequest(lines=() if whole else (("X", D("1")),))
        key = f"refund-{next(self.keys)}"
        try:
            receipt_refund(
                actor=self.actor, receipt_id=receipt_id, key=key, request=request, payload={"key": key}, at=self.now
            )
        except DomainError as error:
            assert error.code in REFUSED
            assert ReceiptLine.objects.get(receipt_id=receipt_id).refunded_quantity > 0  # refunded before

    @rule(points=amounts, sign=st.sampled_from([1, -1]))
    def adjust(self, points, sign):
        balance = self.balance()
        try:
            points_adjust(account_id=self.account_id, points=sign * points, reason="test", by=None, at=self.now)
        except DomainError as error:
            assert (error.code, sign) == ("insufficient_points", -1)
            assert points > balance - self.overdue()

    def overdue(self):
        lots = PointsLot.objects.filter(account_id=self.account_id, remaining__gt=0, expires_at__lte=self.now)
        return total(lots, "remaining")

    @rule(days=st.integers(min_value=1, max_value=400))
    def a_night_passes(self, days):
        self.now += timedelta(days=days)
        nightly_run(at=self.now, trigger="test")
        assert self.overdue() == 0

    @rule()
    def replace_card(self):
        before = self.balance()
        new = Card.objects.get(number=batch_issue(count=1).first_number)
        self.card = card_replace(number=self.card.number, new_number=new.number, at=self.now)
        assert self.balance() == before

    @invariant()
    def ledger_is_honest(self):
        for account in Account.objects.all():
            ledger = total(PointsEntry.objects.filter(account=account), "points")
            live = total(PointsLot.objects.filter(account=account), "remaining")
            assert account.points_balance == ledger == live
            assert account.points_balance >= 0
            assert account.spend >= 0

    @invariant()
    def no_lot_spent_twice(self):
        for lot in PointsLot.objects.all():
            taken = total(LotConsumption.objects.filter(lot=lot), "points")
            assert lot.points - lot.remaining == taken
            assert D("0") <= lot.remaining <= lot.points


@pytest.mark.django_db
def test_ledger_state_machine():
    LedgerMachine.TestCase.settings = settings(
        max_examples=25, stateful_step_count=20, deadline=None, suppress_health_check=list(HealthCheck)
    )
    LedgerMachine.TestCase().runTest()
