"""Any sequence of point movements keeps the ledger honest.

After every step, for every account: balance == Σ ledger, balance ≥ 0,
Σ live lots == balance, and each lot's consumptions add up to exactly what
left it (so no lot is ever spent twice).
"""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from cards.lifecycle import card_replace
from cards.models import Card
from cards.services import batch_issue
from core.errors import DomainError
from loyalty import services
from loyalty.locks import account_lock
from loyalty.models import Account, LotConsumption, PointsEntry, PointsLot
from tests.factories import T0, active_card


def total(queryset, field):
    """Σ field to the cent (SQLite sums decimals as floats: 4.4e-16 is 0.00)."""
    return (queryset.aggregate(s=Sum(field))["s"] or D("0")).quantize(D("0.01"))


amounts = st.decimals(min_value=D("0.01"), max_value=D("300.00"), places=2)


class LedgerMachine(RuleBasedStateMachine):
    @initialize()
    def open_card(self):
        # Each example starts from the same empty database: roll back to here afterwards.
        self.savepoint = transaction.savepoint()
        self.card = active_card()
        self.now = T0

    def teardown(self):
        if hasattr(self, "savepoint"):
            transaction.savepoint_rollback(self.savepoint)

    @property
    def account_id(self):
        return self.card.account_id

    def _locked(self, fn):
        with transaction.atomic():
            return fn(account_lock(self.account_id, at=self.now))

    @rule(points=amounts)
    def earn(self, points):
        services.points_earn(account_id=self.account_id, points=points, at=self.now)

    @rule(points=amounts)
    def redeem(self, points):
        balance = Account.objects.get(pk=self.account_id).points_balance
        try:
            services.points_redeem(account_id=self.account_id, points=points, at=self.now)
            assert points <= balance
        except DomainError as error:
            assert (error.code, points > balance) == ("insufficient_points", True)

    @rule(points=amounts)
    def refund_returns_redeemed_points(self, points):
        self._locked(lambda a: services.credit(a, kind=PointsEntry.Kind.REFUND, points=points, at=self.now))

    @rule(points=amounts)
    def refund_takes_back_earned_points(self, points):
        try:
            self._locked(lambda a: services.debit(a, kind=PointsEntry.Kind.REFUND, points=points, at=self.now))
        except DomainError as error:
            assert error.code == "insufficient_points"

    @rule(points=amounts, sign=st.sampled_from([1, -1]))
    def adjust(self, points, sign):
        try:
            services.points_adjust(
                account_id=self.account_id, points=sign * points, reason="test", by=None, at=self.now
            )
        except DomainError as error:
            assert (error.code, sign) == ("insufficient_points", -1)

    @rule(days=st.integers(min_value=1, max_value=400))
    def time_passes_and_points_burn(self, days):
        self.now += timedelta(days=days)
        services.points_expire(account_id=self.account_id, at=self.now)
        assert not PointsLot.objects.filter(account_id=self.account_id, remaining__gt=0, expires_at__lte=self.now)

    @rule()
    def replace_card(self):
        before = Account.objects.get(pk=self.account_id).points_balance
        new = Card.objects.get(number=batch_issue(count=1).first_number)
        self.card = card_replace(number=self.card.number, new_number=new.number, at=self.now)
        assert Account.objects.get(pk=self.account_id).points_balance == before

    @invariant()
    def ledger_is_honest(self):
        for account in Account.objects.all():
            ledger = total(PointsEntry.objects.filter(account=account), "points")
            live = total(PointsLot.objects.filter(account=account), "remaining")
            assert account.points_balance == ledger == live
            assert account.points_balance >= 0

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
