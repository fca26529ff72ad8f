"""Money rounding: half-up for what is paid, down for what is given; exact Decimals."""

from decimal import Decimal as D

import pytest

from core.money import round_down, round_money


def is_cents(x: D) -> bool:
    return x.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("x", "money", "down"),
    [
        ("0.005", "0.01", "0.00"),
        ("0.00149", "0.00", "0.00"),
        ("2.985", "2.99", "2.98"),
        ("0.149", "0.15", "0.14"),
        ("0.4995", "0.50", "0.49"),
        ("12", "12.00", "12.00"),
    ],
)
def test_rounding(x, money, down):
    assert round_money(D(x)) == D(money) and is_cents(round_money(D(x)))
    assert round_down(D(x)) == D(down) and is_cents(round_down(D(x)))
