from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db.models import Sum

from config.api_errors import status_for
from core.errors import DomainError
from loyalty.expiry import nightly_run
from loyalty.models import Account, LotConsumption, PointsEntry, PointsLot
from loyalty.services import normalise_phone, points_adjust
from tests.factories import T0, active_card

pytestmark = pytest.mark.django_db


def ledger_sum(account_id):
    # Quantized: SQLite sums decimals as floats.
    return (PointsEntry.objects.filter(account_id=account_id).aggregate(s=Sum("points"))["s"] or D("0")).quantize(
        D("0.01")
    )


def state(account_id):
    account = Account.objects.get(pk=account_id)
    lots = list(PointsLot.objects.filter(account_id=account_id).order_by("id").values_list("remaining", flat=True))
    return account.points_balance, ledger_sum(account_id), lots, PointsEntry.objects.count()


def adjust(account_id, points: str, at=T0, reason="test"):
    return points_adjust(account_id=account_id, points=D(points), reason=reason, by=None, at=at)


def test_a_debit_takes_the_soonest_burning_lot_first():
    account_id = active_card().account_id
    adjust(account_id, "10.00", at=T0)
    adjust(account_id, "5.00", at=T0 + timedelta(days=1))
    adjust(account_id, "-12.00", at=T0 + timedelta(days=2))
    assert state(account_id) == (D("3.00"), D("3.00"), [D("0.00"), D("3.00")], 3)
    taken = list(LotConsumption.objects.order_by("lot_id").values_list("points", flat=True))
    assert taken == [D("10.00"), D("2.00")]


def test_lots_burn_after_the_programme_lifetime():
    account_id = active_card().account_id
    adjust(account_id, "10.00", at=T0)
    assert list(PointsLot.objects.values_list("expires_at", flat=True)) == [T0 + timedelta(days=365)]
    assert nightly_run(at=T0 + timedelta(days=364), trigger="test").lots_burned == 0
    run = nightly_run(at=T0 + timedelta(days=365), trigger="test")
    burned = PointsEntry.objects.filter(kind="expire")
    assert [(e.points, e.job_run, e.burned_lot.points) for e in burned] == [(D("-10.00"), run.label, D("10.00"))]
    assert state(account_id)[:3] == (D("0.00"), D("0.00"), [D("0.00")])
    assert nightly_run(at=T0 + timedelta(days=366), trigger="test").lots_burned == 0  # twice changes nothing
    assert PointsEntry.objects.filter(kind="expire").count() == 1


def test_a_debit_burns_the_points_past_their_date_first_even_before_the_nightly_job():
    account_id = active_card().account_id
    adjust(account_id, "10.00", at=T0)
    adjust(account_id, "5.00", at=T0 + timedelta(days=100))
    with pytest.raises(DomainError) as error:  # 10.00 of the 15.00 burned at T0 + 365 days
        adjust(account_id, "-5.01", at=T0 + timedelta(days=365))
    assert error.value.message == "Only 5.00 points are available, not 5.01."
    assert state(account_id) == (D("15.00"), D("15.00"), [D("10.00"), D("5.00")], 2)  # the refusal burned nothing
    adjust(account_id, "-1.00", at=T0 + timedelta(days=365))
    burns = list(PointsEntry.objects.filter(kind="expire").values_list("points", "job_run", "burned_lot__points"))
    assert burns == [(D("-10.00"), "", D("10.00"))]
    assert state(account_id) == (D("4.00"), D("4.00"), [D("0.00"), D("4.00")], 4)


def test_a_debit_above_the_balance_is_rejected_and_changes_nothing():
    account_id = active_card().account_id
    adjust(account_id, "5.00")
    before = state(account_id)
    with pytest.raises(DomainError) as error:
        adjust(account_id, "-5.01")
    assert (error.value.code, status_for(error.value)) == ("insufficient_points", 409)
    assert error.value.message == "Only 5.00 points are available, not 5.01."
    assert error.value.details == {"balance": "5.00", "requested": "5.01"}
    assert state(account_id) == before


@pytest.mark.parametrize("points", ["0.001", "-0.001", "-1.005", "2.999"])
def test_an_adjustment_of_a_sub_cent_amount_is_rejected_and_changes_nothing(points):
    account_id = active_card().account_id
    adjust(account_id, "5.00")
    before = state(account_id)
    with pytest.raises(DomainError) as error:
        adjust(account_id, points)
    assert (error.value.code, error.value.message) == (
        "invalid_input", "Points must be a positive amount with at most two decimals.",
    )  # fmt: skip
    assert state(account_id) == before


def test_manual_adjustment_records_who_and_why(django_user_model):
    manager = django_user_model.objects.create_user("boss")
    account_id = active_card().account_id
    entry = points_adjust(account_id=account_id, points=D("7.50"), reason="Goodwill: broken yoghurt", by=manager, at=T0)
    assert (entry.kind, entry.points, entry.reason, entry.created_by, entry.created_at) == (
        "adjust", D("7.50"), "Goodwill: broken yoghurt", manager, T0,
    )  # fmt: skip
    points_adjust(account_id=account_id, points=D("-2.50"), reason="Typo in the first one", by=manager, at=T0)
    assert state(account_id)[:3] == (D("5.00"), D("5.00"), [D("5.00")])


@pytest.mark.parametrize(
    ("points", "reason", "code"),
    [
        (D("5.00"), "  ", "invalid_input"),
        (D("0.00"), "why", "invalid_input"),
        (D("-0.01"), "why", "insufficient_points"),
    ],
)
def test_bad_adjustment_is_rejected_and_changes_nothing(django_user_model, points, reason, code):
    account_id = active_card().account_id
    before = state(account_id)
    with pytest.raises(DomainError) as error:
        points_adjust(account_id=account_id, points=points, reason=reason, by=None, at=T0)
    assert error.value.code == code
    assert state(account_id) == before


@pytest.mark.parametrize(
    ("raw", "phone"),
    [
        ("+48 600-100-200", "+48600100200"),
        ("0048 (600) 100 200", "+48600100200"),
        ("01512345678", "+491512345678"),  # what the till stored: a German number without its country code
        ("0151 234 56 78", "+491512345678"),
        ("+49 (0)151 2345678", "+491512345678"),
        ("0049 151 2345678", "+491512345678"),
    ],
)
def test_phone_is_normalised_to_e164_with_the_default_region(raw, phone):
    assert normalise_phone(raw) == phone


def test_the_default_region_is_a_setting(settings):
    settings.PHONE_DEFAULT_REGION = "PL"
    assert normalise_phone("600 100 200") == "+48600100200"
    assert normalise_phone("+49 151 2345678") == "+491512345678"  # a country code typed wins


@pytest.mark.parametrize("raw", ["", "1", "+48 600 abc", "1234567890123456789", "+48 600 100 200 300 400", "call me"])
def test_bad_phone_is_rejected(raw):
    with pytest.raises(DomainError) as error:
        normalise_phone(raw)
    assert error.value.message == "Enter a phone number, with its country code if it is not local."


def test_a_debit_reads_only_as_many_lots_as_it_needs():
    from loyalty.models import Account
    from loyalty.selectors import lots_covering, lots_due

    account_id = active_card().account_id
    for day in range(5):
        adjust(account_id, "1.00", at=T0 + timedelta(days=day))
    account = Account.objects.get(pk=account_id)
    lots = PointsLot.objects.filter(account_id=account_id).order_by("id")
    assert [lot.lot_id for lot in lots_covering(account, D("3.50"), batch=2)] == [lot.pk for lot in lots[:4]]
    assert len(lots_covering(account, D("99.00"), batch=2)) == 5
    assert [lot.lot_id for lot in lots_due(account, T0 + timedelta(days=366))] == [lot.pk for lot in lots[:2]]
