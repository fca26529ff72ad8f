"""Levels: reached by spend, after a purchase, a refund, and the inactivity step (exact values, no database)."""

from dataclasses import replace

import pytest

from loyalty.rules import (
    Kind,
    LevelRule,
    ProgrammeRules,
    card_percent,
    inactivity_step,
    level_after_refund,
    level_by_name,
    level_for_spend,
    next_level,
)
from tests.loyalty.rules.programmes import (
    DEMO,
    LEVELS,
    D,
    is_cents,
)


@pytest.mark.parametrize(
    ("spend", "level", "percent"),
    [
        ("0", None, "0"),
        ("299.99", None, "0"),
        ("300.00", "Silver", "2"),
        ("699.99", "Silver", "2"),
        ("700", "Gold", "5"),
        ("1499.99", "Gold", "5"),
        ("1500", "Platinum", "7"),
        ("99999", "Platinum", "7"),
    ],
)
def test_level_for_spend_and_percent(spend, level, percent):
    reached = level_for_spend(DEMO, D(spend))
    assert (reached.name if reached else None) == level
    assert card_percent(DEMO, level) == D(percent)


@pytest.mark.parametrize(
    ("level", "spend", "expected"),
    [
        (None, "0.00", ("Silver", "300.00")),
        (None, "299.99", ("Silver", "0.01")),
        ("Silver", "300.00", ("Gold", "400.00")),
        ("Gold", "812.00", ("Platinum", "688.00")),
        ("Gold", "1600.00", ("Platinum", "0.00")),  # never negative
        ("Platinum", "2000.00", None),
    ],
)
def test_next_level(level, spend, expected):
    result = next_level(DEMO, level, D(spend))
    assert (None if result is None else (result[0].name, result[1])) == (
        None if expected is None else (expected[0], D(expected[1]))
    )
    if result is not None:
        assert is_cents(result[1])


@pytest.mark.parametrize(
    ("kind", "base", "level", "percent"),
    [
        (Kind.FIXED, "5", None, "5"),
        (Kind.FIXED, "5", "Platinum", "5"),  # a fixed programme ignores levels
        (Kind.CUMULATIVE, "1", None, "1"),
        (Kind.CUMULATIVE, "1", "Gold", "5"),
        (Kind.MIXED, "3", None, "3"),
        (Kind.MIXED, "3", "Silver", "3"),  # the fixed base is a floor
        (Kind.MIXED, "3", "Gold", "5"),
        (Kind.CUMULATIVE, "0", "Renamed", "0"),  # a level the programme no longer knows: base
    ],
)
def test_card_percent_by_kind(kind, base, level, percent):
    p = ProgrammeRules(kind=kind, base_percent=D(base), levels=LEVELS)
    assert card_percent(p, level) == D(percent)


def test_level_by_name_and_fixed_programme_has_no_next_level():
    assert level_by_name(DEMO, "Gold") == LevelRule("Gold", D("700"), D("5"))
    assert level_by_name(DEMO, None) is None
    assert level_by_name(DEMO, "Bronze") is None
    assert next_level(ProgrammeRules(kind=Kind.FIXED, base_percent=D("5"), levels=LEVELS), None, D("0")) is None


@pytest.mark.parametrize(
    ("level", "spend_after", "expected"),
    [
        ("Gold", "800.00", "Gold"),
        ("Gold", "700.00", "Gold"),
        ("Gold", "699.99", "Silver"),
        ("Gold", "100.00", None),
        ("Silver", "1600.00", "Silver"),  # a refund never raises
        (None, "5000.00", None),
    ],
)
def test_level_after_refund(level, spend_after, expected):
    assert level_after_refund(DEMO, level, D(spend_after)) == expected


def test_level_after_refund_fixed_programme_keeps_level():
    fixed = ProgrammeRules(kind=Kind.FIXED, base_percent=D("5"), levels=LEVELS)
    assert level_after_refund(fixed, "Gold", D("0")) == "Gold"


@pytest.mark.parametrize(
    ("action", "level", "expected_level", "expected_spend"),
    [
        ("step_down", "Platinum", "Gold", "700"),
        ("step_down", "Gold", "Silver", "300"),
        ("step_down", "Silver", None, "0"),
        ("step_down", None, None, "0"),
        ("reset", "Platinum", None, "0"),
        ("reset", None, None, "0"),
    ],
)
def test_inactivity_step(action, level, expected_level, expected_spend):
    p = replace(DEMO, inactivity_action=action)
    assert inactivity_step(p, level) == (expected_level, D(expected_spend))
