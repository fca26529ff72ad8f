"""Time windows on the store's wall clock: edges, windows past midnight, DST change nights (no database)."""

from datetime import UTC, datetime, time
from decimal import Decimal as D

import pytest

from core.local_time import local_time
from loyalty.rules import TimeWindowRule

MON, THU, FRI, SAT, SUN = 0, 3, 4, 5, 6
FRIDAY_NIGHT = TimeWindowRule(frozenset({FRI}), time(22), time(2), D("5"))
SATURDAY_NIGHT = TimeWindowRule(frozenset({SAT}), time(22), time(2), D("5"))


def berlin(*utc: int) -> datetime:
    """A UTC instant as a shop in Berlin sees it."""
    return local_time(datetime(*utc, tzinfo=UTC), "Europe/Berlin")


@pytest.mark.parametrize(
    ("at", "active"),
    [
        (datetime(2026, 12, 4, 21, 59, 59), False),  # Friday, just before
        (datetime(2026, 12, 4, 22, 0), True),  # Friday 22:00: the start is inclusive
        (datetime(2026, 12, 4, 23, 0), True),
        (datetime(2026, 12, 5, 0, 0), True),  # midnight is inside
        (datetime(2026, 12, 5, 1, 30), True),  # Saturday 01:30 belongs to Friday night
        (datetime(2026, 12, 5, 1, 59, 59), True),
        (datetime(2026, 12, 5, 2, 0), False),  # Saturday 02:00: the end is exclusive
        (datetime(2026, 12, 5, 23, 0), False),  # Saturday night is not Friday night
        (datetime(2026, 12, 4, 1, 30), False),  # Friday 01:30 belongs to Thursday night
        (datetime(2026, 12, 3, 23, 0), False),  # Thursday
        (datetime(2026, 12, 4, 12, 0), False),  # Friday noon: between end and start
    ],
)
def test_a_friday_window_from_22_to_02_runs_into_saturday_morning(at, active):
    assert FRIDAY_NIGHT.is_active(at) is active


def test_a_sunday_night_window_runs_into_monday():
    sunday_night = TimeWindowRule(frozenset({SUN}), time(22), time(2))
    assert sunday_night.is_active(datetime(2026, 12, 7, 1, 0)) is True  # Monday 01:00
    assert sunday_night.is_active(datetime(2026, 11, 30, 23, 0)) is False  # Monday 23:00


def test_an_end_of_midnight_means_until_midnight():
    late = TimeWindowRule(frozenset({FRI}), time(22), time(0))
    assert late.is_active(datetime(2026, 12, 4, 23, 59, 59)) is True
    assert late.is_active(datetime(2026, 12, 5, 0, 0)) is False


def test_a_same_day_window_keeps_its_edges():
    morning = TimeWindowRule(frozenset({SAT}), time(7, 30), time(8, 20))
    assert [morning.is_active(datetime(2026, 12, 5, h, m)) for h, m in [(7, 29), (7, 30), (8, 19), (8, 20)]] == [
        False, True, True, False,
    ]  # fmt: skip


# --- Europe/Berlin's DST change nights (2026: 29 March 02:00 -> 03:00, 25 October 03:00 -> 02:00) --------


@pytest.mark.parametrize(
    ("instant", "active"),
    [
        ((2026, 3, 28, 20, 59), False),  # Saturday 21:59 CET
        ((2026, 3, 28, 21, 0), True),  # Saturday 22:00 CET
        ((2026, 3, 29, 0, 59), True),  # Sunday 01:59 CET
        ((2026, 3, 29, 1, 0), False),  # the clocks jump from 02:00 CET to 03:00 CEST: the window is over
    ],
)
def test_a_night_window_on_the_spring_change_ends_when_the_clock_jumps(instant, active):
    assert SATURDAY_NIGHT.is_active(berlin(*instant)) is active


def test_an_hour_that_the_spring_change_skips_never_comes():
    skipped = TimeWindowRule(frozenset({SUN}), time(2), time(3))
    assert skipped.is_active(berlin(2026, 3, 29, 0, 59, 59)) is False  # 01:59:59 CET
    assert skipped.is_active(berlin(2026, 3, 29, 1, 0)) is False  # 03:00 CEST


@pytest.mark.parametrize(
    ("instant", "active"),
    [
        ((2026, 10, 24, 23, 59), False),  # 01:59 CEST
        ((2026, 10, 25, 0, 0), True),  # 02:00 CEST
        ((2026, 10, 25, 0, 59), True),  # 02:59 CEST
        ((2026, 10, 25, 1, 0), True),  # 02:00 CET: the hour comes again, and so does the window
        ((2026, 10, 25, 1, 59), True),  # 02:59 CET
        ((2026, 10, 25, 2, 0), False),  # 03:00 CET
    ],
)
def test_an_hour_that_the_autumn_change_repeats_is_in_the_window_both_times(instant, active):
    repeated = TimeWindowRule(frozenset({SUN}), time(2), time(3))
    assert repeated.is_active(berlin(*instant)) is active


def test_a_night_window_on_the_autumn_change_ends_at_the_first_0200():
    assert SATURDAY_NIGHT.is_active(berlin(2026, 10, 24, 23, 30)) is True  # Sunday 01:30 CEST
    assert SATURDAY_NIGHT.is_active(berlin(2026, 10, 25, 0, 0)) is False  # Sunday 02:00 CEST
    assert SATURDAY_NIGHT.is_active(berlin(2026, 10, 25, 1, 30)) is False  # Sunday 02:30 CET


def test_the_same_instant_is_in_a_berlin_window_and_not_on_utc():
    # The case at rule level: Saturday 07:51 UTC is 08:51 in Berlin, after a 07:30-08:20 window.
    morning = TimeWindowRule(frozenset({SAT}), time(7, 30), time(8, 20))
    instant = datetime(2026, 12, 5, 7, 51, tzinfo=UTC)
    assert (morning.is_active(instant), morning.is_active(local_time(instant, "Europe/Berlin"))) == (True, False)
