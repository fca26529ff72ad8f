"""EAN-13 card numbers in the GS1 restricted-circulation range.

A number reads  2 PPP SSSSSSSS C :
  2        restricted circulation (in-store use, never a product GTIN)
  PPP      the series prefix, exactly three digits ("000" by default), e.g.
           one per chain or programme, so printed ranges read well
  SSSSSSSS the serial inside the series, 8 digits (100 million per prefix)
  C        the EAN-13 check digit

A fixed-width prefix keeps series apart by construction: no number of
series "01x" can ever equal a number of series "012".
Pure functions, no Django.
"""

import re

PREFIX_LENGTH = 3
SERIAL_DIGITS = 12 - 1 - PREFIX_LENGTH
MAX_SERIAL = 10**SERIAL_DIGITS - 1
DEFAULT_PREFIX = "000"

_PREFIX_RE = re.compile(rf"^\d{{{PREFIX_LENGTH}}}$")


def check_digit(first12: str) -> str:
    """GS1 check digit: weights 1,3,1,3,... from the left over 12 digits."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def card_number(prefix: str, serial: int) -> str:
    body = f"2{prefix}{serial:0{SERIAL_DIGITS}d}"
    return body + check_digit(body)


def is_valid_prefix(prefix: str) -> bool:
    return bool(_PREFIX_RE.match(prefix))


class NumberFormatError(ValueError):
    """Not 13 digits, or not in the card range: a typo, not an unknown card."""


def normalise(raw: str) -> str:
    """The card number from what a scanner or a person typed.

    Surrounding spaces are allowed (api.md). Raises NumberFormatError on
    anything that cannot be one of our cards, including a wrong check digit.
    """
    number = (raw or "").strip()
    if not (len(number) == 13 and number.isascii() and number.isdigit()):
        raise NumberFormatError("A card number has 13 digits.")
    if number[0] != "2":
        raise NumberFormatError("This is not a store card number (it must start with 2).")
    if check_digit(number[:12]) != number[12]:
        raise NumberFormatError("The check digit is wrong: the number was probably mistyped.")
    return number
