"""Which period a month ends, and which one a day is in, when the year does not start in January."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from partners.models import Agreement, Statement, Tier
from partners.periods import containing, ending_with
from partners.services import settle_period
from tests.partners.shop import company, receipt, staff_card


@pytest.mark.parametrize(
    "kind, year, month, first, expected",
    [
        ("year", 2026, 12, 1, (date(2026, 1, 1), date(2026, 12, 31))),  # the calendar year, as before
        ("year", 2026, 11, 1, None),
        ("year", 2027, 3, 4, (date(2026, 4, 1), date(2027, 3, 31))),  # April–March ends in March
        ("year", 2026, 12, 4, None),
        ("year", 2027, 1, 2, (date(2026, 2, 1), date(2027, 1, 31))),  # February–January
        ("year", 2026, 11, 12, (date(2025, 12, 1), date(2026, 11, 30))),  # December–November
        ("quarter", 2026, 3, 1, (date(2026, 1, 1), date(2026, 3, 31))),
        ("quarter", 2026, 4, 1, None),
        ("quarter", 2026, 6, 4, (date(2026, 4, 1), date(2026, 6, 30))),  # Q1 of an April year
        ("quarter", 2027, 3, 4, (date(2027, 1, 1), date(2027, 3, 31))),  # its Q4
        ("quarter", 2026, 3, 4, (date(2026, 1, 1), date(2026, 3, 31))),
        ("quarter", 2027, 1, 2, (date(2026, 11, 1), date(2027, 1, 31))),  # across the new year
        ("quarter", 2026, 12, 2, None),
        ("quarter", 2024, 4, 2, (date(2024, 2, 1), date(2024, 4, 30))),  # a leap February inside
        ("month", 2026, 2, 4, (date(2026, 2, 1), date(2026, 2, 28))),  # months do not care
    ],
)
def test_the_period_a_month_ends(kind, year, month, first, expected):
    period = ending_with(kind, year, month, first)
    assert (None if period is None else (period.start, period.end)) == expected


@pytest.mark.parametrize(
    "kind, day, first, expected",
    [
        ("year", date(2026, 3, 31), 4, (date(2025, 4, 1), date(2026, 3, 31))),  # the last day of an April year
        ("year", date(2026, 4, 1), 4, (date(2026, 4, 1), date(2027, 3, 31))),  # the first day of the next
        ("year", date(2026, 7, 15), 1, (date(2026, 1, 1), date(2026, 12, 31))),
        ("quarter", date(2027, 1, 31), 2, (date(2026, 11, 1), date(2027, 1, 31))),
        ("quarter", date(2026, 2, 1), 2, (date(2026, 2, 1), date(2026, 4, 30))),
        ("quarter", date(2026, 12, 31), 10, (date(2026, 10, 1), date(2026, 12, 31))),
        ("quarter", date(2026, 9, 30), 10, (date(2026, 7, 1), date(2026, 9, 30))),
    ],
)
def test_the_period_a_day_is_in(kind, day, first, expected):
    period = containing(kind, day, first)
    assert (period.start, period.end) == expected


@pytest.mark.django_db
def test_an_april_year_is_settled_with_march_and_counts_april_to_march():
    firm = company()
    agreement = Agreement.objects.create(
        name="FY", company=firm, period="year", year_starts_in=4, valid_from=date(2025, 1, 1)
    )
    Tier.objects.create(agreement=agreement, threshold=D("0"), percent=D("1"))
    card = staff_card(firm)
    receipt(card, "500.00", datetime(2026, 3, 31, 12, tzinfo=UTC))  # the year before
    receipt(card, "1000.00", datetime(2026, 4, 1, 12, tzinfo=UTC))
    receipt(card, "2000.00", datetime(2027, 3, 31, 12, tzinfo=UTC))
    receipt(card, "4000.00", datetime(2027, 4, 1, 12, tzinfo=UTC))  # the year after
    at = datetime(2027, 5, 2, tzinfo=UTC)
    assert settle_period(month="2026-12", at=at).statements == 0
    assert settle_period(month="2027-03", at=at).statements == 1
    statement = Statement.objects.get()
    assert (statement.period_start, statement.period_end, statement.volume, statement.bonus) == (
        date(2026, 4, 1), date(2027, 3, 31), D("3000.00"), D("30.00"),
    )  # fmt: skip
    assert statement.last_year_volume == D("500.00")  # April 2025 – March 2026


@pytest.mark.django_db
def test_the_first_month_is_1_to_12():
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        Agreement.objects.create(
            name="X", company=company(), period="year", year_starts_in=13, valid_from=date(2026, 1, 1)
        )
