"""Phones in one normal form (E.164): the data migration for rows stored before it, and the admin searches
that find a stored phone however it is typed, and a card by its holder's name."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from loyalty.models import Customer
from tests.dashboard.shop import CARD_A, build_shop

migration = importlib.import_module("loyalty.migrations.0010_customer_phones_e164")


@pytest.mark.django_db
def test_the_migration_turns_stored_phones_into_e164(settings):
    settings.PHONE_DEFAULT_REGION = "DE"
    stored = ["01512345678", "+48600100200", "0048 600 100 200", "not a phone", "+491701234567"]
    ids = [Customer.objects.create(name=f"C{i}", phone=phone).pk for i, phone in enumerate(stored)]
    migration.to_e164(apps, None)
    phones = dict(Customer.objects.values_list("pk", "phone"))
    assert [phones[pk] for pk in ids] == [
        "+491512345678", "+48600100200", "+48600100200", "not a phone", "+491701234567"
    ]  # fmt: skip
    migration.to_e164(apps, None)  # twice is the same
    assert dict(Customer.objects.values_list("pk", "phone")) == phones


@pytest.fixture
def customers(db):
    build_shop()  # Anna Kowalska, +48600100200, holds card A
    Customer.objects.create(name="Bernd Till", phone="+4915100000001")


@pytest.mark.parametrize("typed", ["015100000001", "0151 0000 0001", "+49 151 00000001", "004915100000001"])
def test_the_admin_finds_a_customer_by_a_phone_typed_any_way(manager_client, customers, typed):
    response = manager_client.get(reverse("admin:loyalty_customer_changelist"), {"q": typed})
    assert [c.name for c in response.context["cl"].result_list] == ["Bernd Till"]


def test_the_admin_finds_a_card_by_its_holders_name_or_phone(manager_client, customers):
    for typed in ("kowalska", "600 100 200", CARD_A):
        response = manager_client.get(reverse("admin:cards_card_changelist"), {"q": typed})
        assert [card.number for card in response.context["cl"].result_list] == [CARD_A], typed
