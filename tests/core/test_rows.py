"""core/rows.py: values reach the driver exactly as the ORM's own preparation would send them."""

import warnings
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection

from core import rows

# Every model whose rows the till writes or updates through core/rows.py.
WRITTEN = [
    ("pos", "IdempotencyRecord"),
    ("pos", "Receipt"),
    ("pos", "ReceiptLine"),
    ("pos", "DiscountEntry"),
    ("pos", "CouponShare"),
    ("loyalty", "PointsEntry"),
    ("loyalty", "PointsLot"),
    ("loyalty", "SpendEntry"),
    ("loyalty", "Account"),
    ("giftcards", "GiftCard"),  # rows.subtract at checkout
    ("giftcards", "GiftCardEntry"),
]
SAMPLES = [
    0, 7, 2**40, None, True, False, "", "Platinum", "naïve ✓", D("0.00"), D("12.345"), D("-3.10"),
    datetime(2026, 12, 4, 19, 0, tzinfo=UTC),
]  # fmt: skip


def fields_with_native_values():
    native = rows.NATIVE.get(connection.vendor, {})
    for app, name in WRITTEN:
        for field in apps.get_model(app, name)._meta.concrete_fields:
            if field.get_internal_type() in native:
                yield pytest.param(field, id=f"{name}.{field.name}")


@pytest.mark.postgres
@pytest.mark.parametrize("field", list(fields_with_native_values()))
def test_a_value_passed_unprepared_is_what_the_field_would_have_sent(field):
    passes = rows.NATIVE[connection.vendor][field.get_internal_type()]
    passed = [value for value in SAMPLES if passes(value)]
    assert passed, "every native type lets some value through"
    for value in passed:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a preparation that only warns would differ too
            sent = field.get_db_prep_save(value, connection)
        assert (type(sent), sent) == (type(value), value), value


def preparer(model_name: str, field_name: str):
    model = apps.get_model("pos" if model_name in ("Receipt", "ReceiptLine") else "loyalty", model_name)
    [prepare] = rows._preparers(model, (field_name,), connection.vendor)
    return prepare


@pytest.mark.django_db
def test_values_outside_the_native_types_are_left_to_the_field():
    amount = preparer("Receipt", "subtotal")
    with pytest.raises(ValidationError):
        amount(D("NaN"), connection)
    with pytest.raises(ValidationError):
        amount("lots", connection)
    assert amount("1.50", connection) == D("1.50")  # a string is still read by the field, as the ORM would
    earned = preparer("Receipt", "points_earned")
    assert earned(3, connection) == D("3")  # an int for a decimal column goes through the field


@pytest.mark.django_db
def test_a_naive_time_is_still_made_aware_by_the_field(settings):
    created = preparer("Receipt", "created_at")
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        sent = created(datetime(2026, 12, 4, 19, 0), connection)
    expected = {"postgresql": datetime(2026, 12, 4, 19, 0, tzinfo=UTC), "sqlite": "2026-12-04 19:00:00"}
    assert sent == expected[connection.vendor]  # made aware in the default time zone (UTC), as the ORM does


def record(key: str, **fields) -> dict:
    return {"scope": "terminal:1", "key": key, "endpoint": "checkout", "request_hash": "h"} | fields


@pytest.mark.django_db
def test_rows_go_in_by_field_name_whatever_order_each_row_names_them_in():
    from pos.models import IdempotencyRecord

    shuffled = dict(reversed(record("k-2", status_code=409).items()))
    ids = rows.insert(IdempotencyRecord, [record("k-1", status_code=201), shuffled])
    stored = IdempotencyRecord.objects.filter(pk__in=ids).order_by("pk")
    assert [(r.scope, r.key, r.endpoint, r.request_hash, r.status_code) for r in stored] == [
        ("terminal:1", "k-1", "checkout", "h", 201), ("terminal:1", "k-2", "checkout", "h", 409),
    ]  # fmt: skip
    assert [r.response for r in stored] == ["", ""]  # a field no row names gets what a new instance holds


@pytest.mark.django_db
@pytest.mark.parametrize("other", [{}, {"status_code": 201, "response": "{}"}, {"response": "{}"}])
def test_an_insert_whose_rows_name_different_fields_is_refused_and_writes_nothing(other):
    from pos.models import IdempotencyRecord

    with pytest.raises(ValueError, match="Every row of one insert names the same fields"):
        rows.insert(IdempotencyRecord, [record("k-1", status_code=201), record("k-2", **other)])
    assert IdempotencyRecord.objects.count() == 0


@pytest.mark.django_db
def test_a_taken_key_is_skipped_and_an_update_sets_the_named_fields():
    from pos.models import IdempotencyRecord

    [first] = rows.insert(IdempotencyRecord, [record("k-1")], skip_taken=("scope", "key"))
    assert rows.insert(IdempotencyRecord, [record("k-1")], skip_taken=("scope", "key")) == []
    assert rows.insert(IdempotencyRecord, []) == []
    rows.update(IdempotencyRecord, first, {"response": '{"ok": 1}', "status_code": 201})
    stored = IdempotencyRecord.objects.get()
    assert (stored.pk, stored.status_code, stored.response, stored.request_hash) == (first, 201, '{"ok": 1}', "h")


@pytest.mark.django_db
@pytest.mark.parametrize("many", [1, 30])  # 30 rows: the arrays (UNNEST) form on PostgreSQL
def test_rows_along_go_in_with_the_insert_in_one_statement_on_postgresql(many, django_assert_num_queries):
    from pos.models import IdempotencyRecord

    along = (IdempotencyRecord, [record(f"a-{i}") for i in range(many)])
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 2):
        ids = rows.insert(IdempotencyRecord, [record(f"m-{i}") for i in range(many)], along=along)
    assert len(ids) == many and set(IdempotencyRecord.objects.filter(pk__in=ids).values_list("key", flat=True)) == {
        f"m-{i}" for i in range(many)
    }
    assert IdempotencyRecord.objects.filter(key__startswith="a-").count() == many
    assert rows.insert(IdempotencyRecord, [], along=(IdempotencyRecord, [record("b-1")])) == []
    assert IdempotencyRecord.objects.filter(key="b-1").count() == 1  # written alone when nothing goes with it


@pytest.mark.django_db
def test_subtract_takes_only_from_a_row_that_holds_enough_and_matches():
    from giftcards.models import GiftCard
    from giftcards.services import gift_cards_issue

    number = gift_cards_issue(count=1).first_number
    GiftCard.objects.filter(number=number).update(balance=D("10.00"), status="active")
    taken = rows.subtract(GiftCard, "balance", D("4.00"), where={"number": number, "status": "active"})
    assert (taken.number, taken.balance) == (number, D("6.00"))
    assert rows.subtract(GiftCard, "balance", D("6.01"), where={"number": number, "status": "active"}) is None
    assert rows.subtract(GiftCard, "balance", D("1.00"), where={"number": number, "status": "blocked"}) is None
    assert GiftCard.objects.get(number=number).balance == D("6.00")
