"""Money rounding, in one place: Decimals built from strings, never floats.

Amounts a customer pays round half-up to the cent (`round_money`); anything given away (discounts,
points, caps) rounds toward zero (`round_down`), so the giver never over-gives by a cent.
"""

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
TENTH = Decimal("0.1")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def round_money(x: Decimal) -> Decimal:
    """Half-up to the cent: for amounts the customer pays (a line's subtotal)."""
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def round_down(x: Decimal) -> Decimal:
    """Toward zero to the cent: for what the shop gives (discounts, points), so it never over-gives."""
    return x.quantize(CENT, rounding=ROUND_DOWN)
