"""Money rounding: half-up for what is paid, down for what is given; exact Decimals."""

from decimal import Decimal as D

import pytest

from core.money import money_text, round_down, round_money


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


@pytest.mark.parametrize(
    ("x", "text"), [("-0", "0.00"), ("-0.00", "0.00"), ("-0.004", "0.00"), ("0", "0.00"), ("-1.5", "-1.50")]
)
def test_zero_is_never_signed_in_money_text_or_rounding(x, text):
    assert money_text(D(x)) == text
    assert str(round_down(D(x))) == text and str(round_money(D(x))) == text
