"""Gift card numbers: EAN-13 in the GS1 restricted-circulation range, in a range of their own.

A gift card number reads  2 9 SSSSSSSSSS C : `29`, a 10-digit serial, the check digit. Discount cards
read `2 PPP …` with a three-digit prefix, and prefixes 900–999 are reserved for gift cards (cards refuses
them, and a check constraint on cards_card refuses any number starting with 29): a scanned number is a
gift card or a discount card by its first two digits, never both. Pure functions, no Django.
"""

from cards.numbers import check_digit

GIFT_PREFIX = "29"
SERIAL_DIGITS = 12 - len(GIFT_PREFIX)
MAX_SERIAL = 10**SERIAL_DIGITS - 1


def gift_card_number(serial: int) -> str:
    body = f"{GIFT_PREFIX}{serial:0{SERIAL_DIGITS}d}"
    return body + check_digit(body)


def is_gift_card_number(number: str) -> bool:
    """For a number already read as a valid EAN-13 (cards.numbers.normalise)."""
    return number.startswith(GIFT_PREFIX)
