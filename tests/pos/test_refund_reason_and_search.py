"""Issue 17 at the till, the API half: a refund's reason, a receipt found without its number, and a receipt
of another store named as such (or refunded here when the chain allows it)."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from pos.models import Receipt, Refund
from tests.pos.helpers import CARD, activate, buy, line, refund

pytestmark = pytest.mark.django_db


def refund_with(client, receipt_id, **body):
    return client.post(
        f"/api/v1/receipts/{receipt_id}/refund/", {"lines": [], **body}, format="json", HTTP_IDEMPOTENCY_KEY="rr-1"
    )


def test_a_refund_keeps_its_reason_and_note_and_answers_them(till):
    activate(till)
    rid = buy(till, [line("MILK-1L", quantity="2", unit_price="1.49")]).json()["receipt_id"]
    response = refund_with(till, rid, reason="damaged", note="Leaking carton")
    assert response.status_code == 201
    assert (response.json()["reason"], response.json()["note"]) == ("damaged", "Leaking carton")
    assert Refund.objects.values_list("reason", "note").get() == ("damaged", "Leaking carton")
    stored = till.get(f"/api/v1/receipts/{rid}/").json()["refunds"]
    assert [(r["reason"], r["note"]) for r in stored] == [("damaged", "Leaking carton")]


def test_a_refund_without_a_reason_is_still_taken_from_an_external_till(till):
    rid = buy(till, [line()], card=None).json()["receipt_id"]
    response = refund(till, rid)
    assert response.status_code == 201
    assert (response.json()["reason"], Refund.objects.get().reason) == ("", "")


def test_an_unknown_reason_is_a_400_and_refunds_nothing(till):
    rid = buy(till, [line()], card=None).json()["receipt_id"]
    response = refund_with(till, rid, reason="bored")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"
    assert "reason" in response.json()["error"]["details"]
    assert Refund.objects.count() == 0
    assert Receipt.objects.get().refunded_amount == D("0.00")


def test_a_receipt_of_another_store_says_which_store_sold_it(till, other_till):
    rid = buy(other_till, [line()], card=None).json()["receipt_id"]
    for response in (till.get(f"/api/v1/receipts/{rid}/"), refund(till, rid)):
        assert response.status_code == 404
        error = response.json()["error"]
        assert error["code"] == "receipt_not_found"
        assert error["message"] == f"Receipt {rid} was sold in Riverside (riverside): it is refunded there."
        assert error["details"] == {"store": "riverside", "store_name": "Riverside"}
    assert Refund.objects.count() == 0
    missing = till.get("/api/v1/receipts/999999/").json()["error"]
    assert (missing["message"], missing["details"]) == ("There is no such receipt in this store.", {})


def test_the_chain_may_allow_refunds_in_any_store(till, other_till, settings):
    settings.POS_CROSS_STORE_REFUNDS = True
    rid = buy(other_till, [line("MILK-1L", quantity="1", unit_price="1.49")], card=None).json()["receipt_id"]
    assert till.get(f"/api/v1/receipts/{rid}/").status_code == 200
    response = refund_with(till, rid, reason="changed_mind")
    assert response.status_code == 201
    assert response.json()["amount_refunded"] == "1.49"


def test_receipts_are_found_by_card_day_and_amount_in_this_store_newest_first(till, other_till):
    activate(till)
    mine = [buy(till, [line("MILK-1L", quantity=q, unit_price="1.49")]).json()["receipt_id"] for q in ("1", "2")]
    walk_in = buy(till, [line("MILK-1L", quantity="2", unit_price="1.49")], card=None).json()["receipt_id"]
    buy(other_till, [line()]).json()  # the same card in the other store: not this store's receipt
    Receipt.objects.filter(pk=mine[0]).update(created_at=timezone.now() - timedelta(days=3))

    by_card = till.get("/api/v1/receipts/", {"card": CARD}).json()
    assert by_card["count"] == 2
    assert [r["receipt_id"] for r in by_card["results"]] == [mine[1], mine[0]]
    assert by_card["results"][0] | {"created_at": None} == {
        "receipt_id": mine[1], "created_at": None, "total_due": "2.98", "refunded_amount": "0.00",
        "card_number": CARD, "line_count": 1,
    }  # fmt: skip

    today = timezone.localdate().isoformat()
    by_day_and_amount = till.get("/api/v1/receipts/", {"date": today, "amount": "2.98"}).json()
    assert [r["receipt_id"] for r in by_day_and_amount["results"]] == [walk_in, mine[1]]
    assert till.get("/api/v1/receipts/", {"card": CARD, "date": today}).json()["count"] == 1
    assert till.get("/api/v1/receipts/", {"amount": "99.99"}).json() == {
        "count": 0, "page": 1, "pages": 1, "results": []
    }  # fmt: skip


def test_receipt_search_pages_by_twenty(till):
    ids = [buy(till, [line()], card=None).json()["receipt_id"] for _ in range(21)]
    first = till.get("/api/v1/receipts/").json()
    second = till.get("/api/v1/receipts/", {"page": 2}).json()
    assert (first["count"], first["pages"], len(first["results"]), len(second["results"])) == (21, 2, 20, 1)
    assert second["results"][0]["receipt_id"] == ids[0]


@pytest.mark.parametrize(
    "query, code",
    [
        ({"date": "2026-13-01"}, "invalid_input"),
        ({"amount": "abc"}, "invalid_input"),
        ({"page": "0"}, "invalid_input"),
        ({"card": "2000000000016"}, "invalid_card_number"),
    ],
)
def test_bad_search_input_is_a_400(till, query, code):
    response = till.get("/api/v1/receipts/", query)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


def test_a_receipt_search_is_four_statements_whatever_it_finds(till, django_assert_num_queries):
    activate(till)
    for _ in range(3):
        buy(till, [line()])
    # the terminal, the card, the count, the page (lines counted in the same statement)
    with django_assert_num_queries(4):
        found = till.get("/api/v1/receipts/", {"card": CARD, "amount": "2.98"})
    assert found.json()["count"] == 3


def test_the_day_searched_is_the_stores_day(till):
    """Central in Berlin: 23:30 UTC on the 4th is 00:30 on the 5th there, so it is the 5th's receipt."""
    from datetime import UTC, datetime

    from pos.models import Store

    Store.objects.filter(code="central").update(time_zone="Europe/Berlin")
    rid = buy(till, [line()], card=None).json()["receipt_id"]
    Receipt.objects.filter(pk=rid).update(created_at=datetime(2026, 3, 4, 23, 30, tzinfo=UTC))
    assert till.get("/api/v1/receipts/", {"date": "2026-03-04"}).json()["count"] == 0
    assert [r["receipt_id"] for r in till.get("/api/v1/receipts/", {"date": "2026-03-05"}).json()["results"]] == [rid]
