"""Races on one card's points, for real, on PostgreSQL."""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal as D

import pytest
from django.db import connection
from django.db.models import Sum

from core.errors import DomainError
from loyalty.models import Account, PointsEntry
from loyalty.services import points_adjust
from tests.factories import T0, active_card

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# PostgreSQL allows 100 connections here; 40 at once is plenty of contention.
WORKERS = 40


def test_100_parallel_debits_of_10_from_500_points_exactly_50_succeed():
    account_id = active_card().account_id
    points_adjust(account_id=account_id, points=D("500.00"), reason="Opening balance", by=None, at=T0)
    start = threading.Barrier(WORKERS)

    def redeem(i):
        if i < WORKERS:
            start.wait()  # the first wave hits the row at the same moment
        try:
            points_adjust(account_id=account_id, points=D("-10.00"), reason="Correction", by=None, at=T0)
            return "ok"
        except DomainError as error:
            return error.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        outcomes = list(pool.map(redeem, range(100)))

    assert outcomes.count("ok") == 50
    assert outcomes.count("insufficient_points") == 50
    assert Account.objects.get(pk=account_id).points_balance == D("0.00")
    assert PointsEntry.objects.filter(account_id=account_id).aggregate(s=Sum("points"))["s"] == D("0.00")
    debits = PointsEntry.objects.filter(account_id=account_id, kind="adjust", points__lt=0)
    assert set(debits.values_list("points", flat=True)) == {D("-10.00")}
    assert debits.count() == 50
