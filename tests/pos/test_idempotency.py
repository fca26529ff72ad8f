"""Idempotency at the till (pos/idempotency.py): a key per terminal, a retry replays the first answer, a changed
body is refused; nothing is written twice."""

import pytest

from pos.models import Receipt
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
