"""Issue 13.3: a store's time windows run on the store's clock, not on UTC."""

from datetime import UTC, datetime, time
from decimal import Decimal as D

import pytest

from loyalty.models import Programme, TimeWindow
from tests.pos.helpers import CARD, activate, line

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
