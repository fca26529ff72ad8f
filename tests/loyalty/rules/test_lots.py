"""Point lots: oldest first, expired, burning soon (exact values, no database)."""

from datetime import datetime
from decimal import ROUND_DOWN

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty.rules import (
    CENT,
    InsufficientPoints,
    InvalidInput,
    Lot,
    burning_within,
    consume_oldest_first,
    expired_lots,
)
from tests.loyalty.rules.programmes import (
    D,
)

LOTS = (
    Lot(1, D("7.00"), None),  # never burns: used last despite the smallest id
    Lot(2, D("5.00"), datetime(2025, 3, 5, 12, 0)),
    Lot(3, D("10.00"), datetime(2025, 3, 10, 10, 0)),
    Lot(4, D("0.00"), datetime(2025, 3, 1, 0, 0)),  # spent already
    Lot(5, D("3.00"), datetime(2025, 3, 5, 9, 0)),
    Lot(6, D("4.00"), datetime(2025, 3, 5, 12, 0)),  # same expiry as lot 2: the lower id first
)


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0", []),
        ("2.50", [(5, "2.50")]),
        ("3.00", [(5, "3.00")]),
        ("4.00", [(5, "3.00"), (2, "1.00")]),
        ("12.00", [(5, "3.00"), (2, "5.00"), (6, "4.00")]),
        ("29.00", [(5, "3.00"), (2, "5.00"), (6, "4.00"), (3, "10.00"), (1, "7.00")]),
    ],
)
def test_consume_oldest_first(amount, expected):
    assert consume_oldest_first(LOTS, D(amount)) == [(lot_id, D(taken)) for lot_id, taken in expected]


def test_consume_more_than_the_lots_hold():
    with pytest.raises(InsufficientPoints):
        consume_oldest_first(LOTS, D("29.01"))
    with pytest.raises(InvalidInput):
        consume_oldest_first(LOTS, D("-1"))


lot_specs = st.lists(st.tuples(st.integers(0, 10000), st.none() | st.integers(0, 30)), min_size=1, max_size=10)


@given(specs=lot_specs, share=st.integers(0, 100))
def test_consume_takes_exactly_the_amount_oldest_first(specs, share):
    lots = [Lot(i, D(c) / 100, None if d is None else datetime(2025, 1, 1 + d)) for i, (c, d) in enumerate(specs)]
    amount = (sum((lot.remaining for lot in lots), D(0)) * share / 100).quantize(CENT, rounding=ROUND_DOWN)
    taken = consume_oldest_first(lots, amount)
    by_id = {lot.lot_id: lot for lot in lots}
    assert sum((t for _, t in taken), D(0)) == amount
    assert all(0 < t <= by_id[i].remaining for i, t in taken)
    # every lot but the last one touched is emptied, and they are touched soonest-to-burn first
    assert all(t == by_id[i].remaining for i, t in taken[:-1])
    keys = [(by_id[i].expires_at is None, by_id[i].expires_at or datetime.min, i) for i, _ in taken]
    assert keys == sorted(keys)
    assert len({i for i, _ in taken}) == len(taken)


@pytest.mark.parametrize(
    ("at", "expected_ids"),
    [
        (datetime(2025, 3, 5, 8, 59), []),
        (datetime(2025, 3, 5, 9, 0), [5]),  # the expiry moment itself burns
        (datetime(2025, 3, 5, 12, 0), [2, 5, 6]),
        (datetime(2030, 1, 1), [2, 3, 5, 6]),  # lot 1 never burns, lot 4 is empty
    ],
)
def test_expired_lots(at, expected_ids):
    assert [lot.lot_id for lot in expired_lots(LOTS, at)] == expected_ids


@pytest.mark.parametrize(
    ("at", "days", "expected"),
    [
        (datetime(2025, 3, 1), 7, [(datetime(2025, 3, 5, 9, 0), "12.00")]),  # one row per day, summed
        (
            datetime(2025, 3, 1),
            10,
            [(datetime(2025, 3, 5, 9, 0), "12.00"), (datetime(2025, 3, 10, 10, 0), "10.00")],
        ),
        (datetime(2025, 3, 5, 9, 0), 1, [(datetime(2025, 3, 5, 12, 0), "9.00")]),  # `at` itself excluded
        (datetime(2025, 3, 3, 10, 0), 7, [(datetime(2025, 3, 5, 9, 0), "12.00"), (datetime(2025, 3, 10, 10), "10.00")]),
        (datetime(2025, 3, 10, 10, 0), 365, []),
    ],
)
def test_burning_within(at, days, expected):
    assert burning_within(LOTS, at, days) == [(when, D(amount)) for when, amount in expected]


# --- designing a discount scale ---------------------------------------------------------------
