"""Hostile timing at the till, for real, on PostgreSQL: threads, each with its own connection."""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal as D

import pytest
from django.db import connection

from loyalty.models import PointsEntry
from loyalty.services import points_earn
from pos.demo import build_demo
from pos.models import Receipt, Refund
from tests.pos.helpers import account_of, activate, buy, ledger_sum, line, refund
from tests.tills import CENTRAL, terminal_client

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def in_parallel(n, fn):
    start = threading.Barrier(n)

    def run(i):
        start.wait()
        try:
            return fn(i)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


@pytest.fixture
def card():
    build_demo()
    activate(terminal_client(CENTRAL))
    account = account_of()
    points_earn(account_id=account.pk, points=D("100.00"), at=account.created_at)
    return account


def test_50_concurrent_checkouts_redeeming_points_never_overspend(card):
    # Each basket is 20.00: the cap lets it take 4.00 points; 100.00 points cover 25 of them.
    def checkout(i):
        response = buy(terminal_client(CENTRAL), [line("X", quantity="1", unit_price="20.00")], redeem="4.00")
        return response.status_code, response.json()

    results = in_parallel(50, checkout)
    statuses = sorted({status for status, _ in results})
    assert statuses in ([201], [201, 409])
    conflicts = [body["error"]["code"] for status, body in results if status == 409]
    # Out of points, or (once the customer reached Silver and the basket costs 19.60) above the 20 % cap.
    assert set(conflicts) <= {"insufficient_points", "redeem_limit_exceeded"}
    ok = sum(1 for status, _ in results if status == 201)
    account = account_of()
    earned = sum(D(body["points_earned"]) for status, body in results if status == 201)
    assert account.points_balance == D("100.00") - 4 * ok + earned
    assert account.points_balance >= 0
    assert ledger_sum(account.pk) == str(account.points_balance)
    assert Receipt.objects.count() == ok
    assert PointsEntry.objects.filter(kind="redeem").count() == ok


def test_30_concurrent_requests_with_one_key_make_one_receipt(card):
    def checkout(i):
        response = buy(terminal_client(CENTRAL), [line()], key="the-same-sale")
        return response.status_code, response.content

    results = in_parallel(30, checkout)
    assert {status for status, _ in results} == {201}
    assert len({body for _, body in results}) == 1
    assert Receipt.objects.count() == 1
    assert PointsEntry.objects.filter(kind="earn").count() == 2  # the seed above and this one sale


def test_two_concurrent_refunds_of_the_same_line_one_succeeds(card):
    rid = buy(terminal_client(CENTRAL), [line(quantity="1")]).json()["receipt_id"]

    def refund_it(i):
        response = refund(terminal_client(CENTRAL), rid, [{"sku": "MILK-1L", "quantity": "1"}])
        return response.status_code, response.json()

    results = in_parallel(2, refund_it)
    assert sorted(status for status, _ in results) == [201, 409]
    assert [body["error"]["code"] for status, body in results if status == 409] == ["refund_exceeds_receipt"]
    assert Refund.objects.count() == 1
