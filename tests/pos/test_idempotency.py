"""Idempotency at the till (pos/idempotency.py): a key per terminal, a retry replays the first answer, a changed
body is refused; nothing is written twice."""

from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings as live
from django.utils import timezone

from pos import tasks
from pos.idempotency import idempotency_records_purge
from pos.models import IdempotencyRecord, Receipt
from tests.pos.helpers import activate, buy, line, refund


@pytest.mark.parametrize("key", [None, "", "x" * 65])
def test_checkout_needs_an_idempotency_key(till, key):
    kwargs = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    response = till.post("/api/v1/checkout/", {"lines": [line()]}, format="json", **kwargs)
    assert (response.status_code, response.json()["error"]["code"]) == (400, "idempotency_key_required")
    assert Receipt.objects.count() == 0


def test_retry_replays_the_first_answer_and_writes_nothing(till):
    first = buy(till, [line()], card=None, key="sale-1")
    again = buy(till, [line()], card=None, key="sale-1")
    assert (again.status_code, again["Idempotent-Replayed"]) == (201, "true")
    assert again.json() == first.json()
    assert "Idempotent-Replayed" not in first
    assert Receipt.objects.count() == 1


def test_same_key_with_another_body_is_422(till):
    buy(till, [line()], card=None, key="sale-1")
    response = buy(till, [line(quantity="3")], card=None, key="sale-1")
    assert (response.status_code, response.json()["error"]["code"]) == (422, "idempotency_key_reused")
    assert Receipt.objects.count() == 1


def test_keys_are_per_terminal(till, other_till):
    buy(till, [line()], card=None, key="sale-1")
    response = buy(other_till, [line()], card=None, key="sale-1")
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Receipt.objects.count() == 2


def test_refund_retry_with_the_same_key_is_replayed(till):
    activate(till)
    rid = buy(till, [line(quantity="2")]).json()["receipt_id"]
    first = refund(till, rid, [{"sku": "MILK-1L", "quantity": "1"}], key="ref-1")
    again = refund(till, rid, [{"sku": "MILK-1L", "quantity": "1"}], key="ref-1")
    assert (again.status_code, again["Idempotent-Replayed"], again.json()) == (201, "true", first.json())
    assert Receipt.objects.get(pk=rid).refunds.count() == 1


# --- the nightly purge: records past the retry window go -------------------------------------


def test_the_nightly_purge_drops_records_older_than_the_retry_window_and_keeps_the_edge(till, settings):

    assert live.IDEMPOTENCY_RETENTION_DAYS == 30  # the default
    assert live.CELERY_BEAT_SCHEDULE["nightly-idempotency-purge"]["task"] == "pos.idempotency_purge"
    settings.IDEMPOTENCY_RETENTION_DAYS = 30
    now = timezone.now()
    for n in range(5):
        buy(till, [line()], card=None, key=f"old-{n}")
    ages = {
        "old-0": timedelta(days=400), "old-1": timedelta(days=30, seconds=1), "old-2": timedelta(days=30),
        "old-3": timedelta(days=29, hours=23), "old-4": timedelta(0),
    }  # fmt: skip
    for key, age in ages.items():
        IdempotencyRecord.objects.filter(key=key).update(created_at=now - age)
    receipts = Receipt.objects.count()

    with mock.patch("pos.tasks.timezone.now", return_value=now):
        assert tasks.idempotency_purge.delay().get() == 2
        assert tasks.idempotency_purge.delay().get() == 0  # twice changes nothing

    assert sorted(IdempotencyRecord.objects.values_list("key", flat=True)) == ["old-2", "old-3", "old-4"]
    assert Receipt.objects.count() == receipts  # only the records go, never what they answered
    # A purged key is forgotten: the same key makes a new sale; a kept one still replays.
    assert buy(till, [line()], card=None, key="old-1").status_code == 201 and Receipt.objects.count() == receipts + 1
    assert buy(till, [line()], card=None, key="old-2")["Idempotent-Replayed"] == "true"


def test_the_retention_is_a_setting(till, settings):

    buy(till, [line()], card=None, key="week-old")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(days=7, seconds=1))
    settings.IDEMPOTENCY_RETENTION_DAYS = 8
    assert idempotency_records_purge(at=timezone.now()) == 0
    settings.IDEMPOTENCY_RETENTION_DAYS = 7
    assert idempotency_records_purge(at=timezone.now()) == 1
    assert IdempotencyRecord.objects.count() == 0
