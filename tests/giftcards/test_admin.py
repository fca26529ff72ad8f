"""The manager's gift cards in the admin: a batch with its rules and print files, Block / move balance."""

from decimal import Decimal as D

import pytest
from django.contrib.admin.models import LogEntry

from giftcards.models import GiftCard, GiftCardBatch, GiftCardEntry
from tests.giftcards.helpers import assert_balances_equal_ledgers, sold

pytestmark = pytest.mark.django_db


def test_a_manager_issues_a_batch_with_its_rules_and_downloads_the_pdf(manager_client):
    form = {"name": "Xmas", "count": "4", "min_load": "10.00", "max_balance": "300.00", "top_ups_allowed": "on",
            "validity_years": "3"}  # fmt: skip
    response = manager_client.post("/admin/giftcards/giftcardbatch/add/", form)
    assert response.status_code == 302, response.content[:2000]
    batch = GiftCardBatch.objects.get()
    assert (batch.count, batch.min_load, batch.max_balance, batch.validity_years) == (4, D("10.00"), D("300.00"), 3)
    assert GiftCard.objects.filter(batch=batch, status="issued").count() == 4
    pdf = manager_client.get(f"/admin/giftcards/giftcardbatch/{batch.pk}/export/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    page = manager_client.get(f"/admin/giftcards/giftcardbatch/{batch.pk}/change/").content.decode()
    assert "/export/csv/" in page and "See the 4 gift cards" in page


def test_a_validity_below_the_law_is_a_form_error(manager_client):
    form = {"count": "4", "min_load": "10.00", "max_balance": "300.00", "validity_years": "1"}
    response = manager_client.post("/admin/giftcards/giftcardbatch/add/", form)
    assert response.status_code == 200 and "3 to 30 years" in response.content.decode()
    assert GiftCardBatch.objects.count() == 0


def test_block_a_stolen_card_and_move_its_balance(manager_client, manager):
    card = sold("40.00")
    new = GiftCard.objects.exclude(pk=card.pk).order_by("number").first()
    page = manager_client.get(f"/admin/giftcards/giftcard/{card.pk}/change/").content.decode()
    assert "Block / move balance" in page and "40.00" in page
    response = manager_client.post(
        f"/admin/giftcards/giftcard/{card.pk}/block/", {"reason": "Stolen from the customer", "move_to": new.number}
    )
    assert response.status_code == 302
    card.refresh_from_db()
    new.refresh_from_db()
    assert (card.status, card.balance, new.status, new.balance) == ("blocked", D("0.00"), "active", D("40.00"))
    assert GiftCardEntry.objects.filter(kind="adjust").count() == 2
    assert LogEntry.objects.filter(user=manager).count() == 2
    assert_balances_equal_ledgers()


def test_moving_to_a_card_already_sold_is_refused_and_changes_nothing(manager_client):
    card = sold("40.00")
    other = sold("10.00")
    response = manager_client.post(
        f"/admin/giftcards/giftcard/{card.pk}/block/", {"reason": "Stolen", "move_to": other.number}
    )
    assert response.status_code == 200 and "new (unsold) gift card" in response.content.decode()
    card.refresh_from_db()
    assert (card.status, card.balance) == ("active", D("40.00"))
    assert GiftCardEntry.objects.count() == 2
