"""The nightly job against real concurrency, on PostgreSQL."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.db.models import Sum

from core.errors import DomainError
from loyalty import expiry
from loyalty.models import Account, PointsEntry, PointsLot, SpendEntry
from loyalty.services import points_adjust
from tests.factories import T0, active_card
from tests.loyalty.test_expiry import card_at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NIGHT = T0 + timedelta(days=366)


def in_parallel(*jobs):
    start = threading.Barrier(len(jobs))

    def run(job):
        start.wait()
        try:
            return job()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(run, jobs))


def test_two_sweeps_at_once_step_each_card_and_burn_each_lot_exactly_once():
    cards = [card_at("800.00") for _ in range(30)]
    for account_id in cards:
        points_adjust(account_id=account_id, points=D("3.00"), reason="test", by=None, at=T0)
    runs = in_parallel(*[lambda: expiry.nightly_run(at=NIGHT, trigger="test", batch=7, workers=2)] * 2)
    assert sum(r.cards_stepped_down for r in runs) == 30
    assert sum(r.lots_burned for r in runs) == 30
    assert SpendEntry.objects.filter(kind="inactivity").count() == 30
    assert PointsEntry.objects.filter(kind="expire").count() == 30
    assert set(Account.objects.values_list("level__name", "spend", "points_balance")) == {
        ("Silver", D("300.00"), D("0.00"))
    }


def test_debits_during_the_sweep_never_spend_burned_points_and_the_ledger_holds():
    accounts = [active_card().account_id for _ in range(20)]
    later = T0 + timedelta(days=200)
    for account_id in accounts:
        points_adjust(account_id=account_id, points=D("5.00"), reason="test", by=None, at=T0)  # burns at NIGHT
        points_adjust(account_id=account_id, points=D("5.00"), reason="test", by=None, at=later)  # still live

    def debit(account_id):
        def go():
            try:
                points_adjust(account_id=account_id, points=D("-4.00"), reason="test", by=None, at=NIGHT)
                return "ok"
            except DomainError as error:
                return error.code

        return go

    outcomes = in_parallel(lambda: expiry.nightly_run(at=NIGHT, trigger="test", batch=3), *[debit(a) for a in accounts])
    assert outcomes[1:] == ["ok"] * 20  # the live lot always covers 4.00, whoever burned the old one
    assert PointsEntry.objects.filter(kind="expire").count() == 20  # each old lot burned once, by one of them
    for account_id in accounts:
        balance = Account.objects.get(pk=account_id).points_balance
        ledger = PointsEntry.objects.filter(account_id=account_id).aggregate(s=Sum("points"))["s"]
        assert (balance, ledger) == (D("1.00"), D("1.00"))
    assert list(PointsLot.objects.filter(remaining__gt=0).values_list("remaining", flat=True)) == [D("1.00")] * 20
