"""Issue 13.3: a store's time windows run on the store's clock, not on UTC."""

import io
from datetime import UTC, datetime, time
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from loyalty.models import Programme, TimeWindow
from pos.models import DiscountEntry, Store, Terminal
from tests.pos.helpers import CARD, activate, buy, line

pytestmark = pytest.mark.django_db

SATURDAY = 5


@pytest.fixture
def berlin(settings):
    """The issue's set-up: DJANGO_TIME_ZONE=Europe/Berlin, set before the demo's stores are made."""
    settings.TIME_ZONE = "Europe/Berlin"


@pytest.fixture
def early_saturday(berlin, till):
    activate(till)
    TimeWindow.objects.create(
        programme=Programme.objects.get(code="default"), name="Early birds", weekdays=str(SATURDAY),
        start_time=time(7, 30), end_time=time(8, 20), extra_percent=D("3.00"),
    )  # fmt: skip
    return till


def quote_at(till, monkeypatch, moment: datetime) -> str:
    monkeypatch.setattr("django.utils.timezone.now", lambda: moment)
    body = till.post("/api/v1/checkout/quote/", {"card_number": CARD, "lines": [line()]}, format="json").json()
    return body["lines"][0]["discount_percent"]


def test_a_saturday_window_0730_0820_does_not_apply_at_0851_berlin(early_saturday, monkeypatch):
    # Saturday 5 December 2026, 08:51 in Berlin (CET, UTC+1) is 07:51 UTC: inside the window only on UTC.
    assert quote_at(early_saturday, monkeypatch, datetime(2026, 12, 5, 7, 51, tzinfo=UTC)) == "0.00"


def test_a_saturday_window_0730_0820_applies_at_0810_berlin(early_saturday, monkeypatch):
    # 08:10 in Berlin is 07:10 UTC: outside the window on UTC, inside it on the store's clock.
    assert quote_at(early_saturday, monkeypatch, datetime(2026, 12, 5, 7, 10, tzinfo=UTC)) == "3.00"


def test_a_checkout_at_0851_berlin_gets_no_window_discount_and_writes_no_register_row(early_saturday, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: datetime(2026, 12, 5, 7, 51, tzinfo=UTC))
    response = buy(early_saturday, [line()])
    assert (response.status_code, response.json()["discount_total"]) == (201, "0.00")
    assert DiscountEntry.objects.count() == 0


def test_a_friday_night_window_prices_a_saturday_0130_checkout_in_berlin(berlin, till, monkeypatch):
    activate(till)
    TimeWindow.objects.create(
        programme=Programme.objects.get(code="default"), name="Friday night", weekdays="4",
        start_time=time(22), end_time=time(2), extra_percent=D("4.00"),
    )  # fmt: skip
    # Saturday 01:30 in Berlin is Saturday 00:30 UTC; Saturday 02:00 in Berlin is past the window.
    assert quote_at(till, monkeypatch, datetime(2026, 12, 5, 0, 30, tzinfo=UTC)) == "4.00"
    assert quote_at(till, monkeypatch, datetime(2026, 12, 5, 1, 0, tzinfo=UTC)) == "0.00"
    response = buy(till, [line()])  # at Saturday 02:00 Berlin
    assert (response.status_code, response.json()["discount_total"]) == (201, "0.00")


def test_a_window_that_ends_when_it_starts_is_refused_by_the_database(demo):
    with pytest.raises(IntegrityError), transaction.atomic():
        TimeWindow.objects.create(
            programme=Programme.objects.get(code="default"), name="Nothing", start_time=time(8), end_time=time(8)
        )
    assert TimeWindow.objects.count() == 0


# --- the store's zone --------------------------------------------------------------------------


def test_a_new_store_takes_the_chains_zone(berlin):
    assert Store.objects.create(code="new", name="New").time_zone == "Europe/Berlin"


def test_the_demo_stores_and_a_new_terminal_keep_working_with_a_zone(berlin, demo):
    assert set(Store.objects.values_list("time_zone", flat=True)) == {"Europe/Berlin"}
    out = io.StringIO()
    call_command("terminal_create", "--store", "central", "--name", "till-9", stdout=out)
    assert Terminal.objects.filter(store__code="central", name="till-9").count() == 1


@pytest.fixture
def admin_client(client, django_user_model, demo):
    client.force_login(django_user_model.objects.create_superuser("root", password="x"))
    return client


def store_form(time_zone: str) -> dict:
    return {"code": "harbour", "name": "Harbour", "currency": "EUR", "time_zone": time_zone}


def test_the_admin_saves_a_store_with_its_own_zone(admin_client):
    response = admin_client.post("/admin/pos/store/add/", store_form("Europe/London"))
    assert response.status_code == 302
    assert Store.objects.get(code="harbour").time_zone == "Europe/London"


@pytest.mark.parametrize("bad", ["Berlin", "+01:00", "Europe/Berlinn", "../etc/passwd", ""])
def test_the_admin_refuses_a_zone_that_is_not_an_iana_name_and_saves_nothing(admin_client, bad):
    stores = Store.objects.count()
    response = admin_client.post("/admin/pos/store/add/", store_form(bad))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["time_zone"] == [
        f"{bad} is not a time zone name. Use an IANA name such as Europe/Berlin." if bad else "This field is required."
    ]
    assert Store.objects.count() == stores
