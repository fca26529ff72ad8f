"""The receipt's own arithmetic check, on every database the product runs on."""

from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction

from pos.models import Receipt, Store
from tests.factories import T0

pytestmark = pytest.mark.django_db


def receipt(subtotal: str, discount: str, points: str, total: str) -> Receipt:
    store = Store.objects.get_or_create(code="s1", defaults={"name": "Shop", "currency": "EUR"})[0]
    return Receipt.objects.create(
        store=store, created_at=T0, subtotal=D(subtotal), discount_total=D(discount), points_redeemed=D(points),
        points_redeemed_amount=D(points), total_due=D(total), points_earned=D("0.00"),
    )  # fmt: skip


def test_a_total_that_adds_up_in_cents_is_accepted_even_where_the_database_adds_in_floats():
    # 13.96 - 0.28 is 13.680000000000001 in binary floating point (SQLite's arithmetic).
    assert receipt("13.96", "0.28", "0.00", "13.68").total_due == D("13.68")
    assert receipt("71.13", "1.42", "0.10", "69.61").total_due == D("69.61")


def test_a_total_that_does_not_add_up_is_refused_and_nothing_is_written():
    with pytest.raises(IntegrityError), transaction.atomic():
        receipt("13.96", "0.28", "0.00", "13.69")
    assert Receipt.objects.count() == 0
