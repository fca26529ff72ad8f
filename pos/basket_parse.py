"""The common basket read quickly, for the till's hot path; anything else goes to the serializer.

`BasketIn` (pos/apis.py) is the contract: it validates every basket and words every error. Running it
is a large share of a checkout's Python time (DRF copies its fields and runs each validator for every
line; figures in bench/README.md, "Point of sale"), yet nearly every basket a till sends is the plain
case: string fields, short codes, decimals written as digits. `plain_basket` reads exactly that case
and returns what `BasketIn` would have produced for it; for anything else (a number sent as JSON
number, whitespace to trim, a field too long, a value out of range, a missing field) it returns None
and the serializer decides, with its error messages. So it can only ever accept less than the
serializer, never more (tests/pos/test_basket_parse.py checks it against the serializer on generated
baskets).
"""

import re
from decimal import Decimal

from loyalty import rules
from pos.services import Basket

# Digits as DRF's DecimalField(max_digits=12, decimal_places=…) takes them without rounding.
_QUANTITY = re.compile(r"(?:0|[1-9]\d{0,8})(?:\.\d{1,3})?")
_MONEY = re.compile(r"(?:0|[1-9]\d{0,9})(?:\.\d{1,2})?")
_THOUSANDTH, _CENT = Decimal("0.001"), Decimal("0.01")
MAX_GIFT_CARDS = 10  # pos.apis.BasketIn's limit (pos/apis.py imports this module)


def _text(value, max_length: int) -> str | None:
    """A CharField's value if it needs no trimming and holds only printable characters, else None."""
    if type(value) is str and 0 < len(value) <= max_length and value.isprintable() and value == value.strip():
        return value
    return None


def _decimal(value, pattern, step: Decimal, low: Decimal, high: Decimal) -> Decimal | None:
    if type(value) is not str or not pattern.fullmatch(value):
        return None
    number = Decimal(value).quantize(step)
    return number if low <= number <= high else None


def _line(data, max_quantity: Decimal, max_price: Decimal) -> rules.Line | None:
    if type(data) is not dict:
        return None
    sku, category = _text(data.get("sku"), 40), _text(data.get("category"), 40)
    name = data.get("name", "")
    if name != "" and _text(name, 120) is None:
        return None
    quantity = _decimal(data.get("quantity"), _QUANTITY, _THOUSANDTH, _THOUSANDTH, max_quantity)
    price = _decimal(data.get("unit_price"), _MONEY, _CENT, rules.ZERO, max_price)
    if sku is None or category is None or quantity is None or price is None:
        return None
    return rules.Line(sku=sku, name=name, category=category, quantity=quantity, unit_price=price)


def plain_basket(data, *, max_lines: int, max_quantity: Decimal, max_price: Decimal, max_basket: Decimal):
    """The Basket `BasketIn` would build from `data`, when `data` is the plain case; None otherwise."""
    if type(data) is not dict or type(data.get("lines")) is not list or not 1 <= len(data["lines"]) <= max_lines:
        return None
    if "coupons" in data:  # coupons are the serializer's to read (BasketIn.coupons)
        return None
    card_number = data.get("card_number")
    if card_number is not None and card_number != "" and _text(card_number, 10_000) is None:
        return None
    # Absent, the serializer's default; present, it must be plain digits (a null goes to the serializer).
    redeem = (
        _decimal(data["redeem_points"], _MONEY, _CENT, rules.ZERO, max_basket)
        if "redeem_points" in data
        else rules.ZERO
    )
    lines = [_line(line, max_quantity, max_price) for line in data["lines"]]
    if redeem is None or None in lines or sum(ln.quantity * ln.unit_price for ln in lines) > max_basket:
        return None
    gift_cards = _gift_card_payments(data.get("gift_card_payments", []), max_basket)
    if gift_cards is None:
        return None
    return Basket(
        lines=tuple(lines), card_number=card_number or None, redeem_points=redeem, gift_card_payments=gift_cards
    )


def _gift_card_payments(data, max_basket: Decimal) -> tuple | None:
    """`gift_card_payments` as BasketIn reads it, when every entry is {"number": text, "amount": digits}."""
    if type(data) is not list or len(data) > MAX_GIFT_CARDS:
        return None
    payments = []
    for entry in data:
        if type(entry) is not dict:
            return None
        number = _text(entry.get("number"), 40)
        amount = _decimal(entry.get("amount"), _MONEY, _CENT, rules.ZERO, max_basket)
        if number is None or amount is None:
            return None
        payments.append((number, amount))
    return tuple(payments)
