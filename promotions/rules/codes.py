"""Coupon codes: random, never sequential, with a check character that catches a mistyped code.

The alphabet leaves out 0/O and 1/I, which people confuse when they read a printed code aloud. The check
character is Luhn mod 32 (Luhn's algorithm over this alphabet): any single wrong character and most swaps
of two neighbours give a wrong check, so the till can say "mistyped" without asking the database.
"""

import secrets
from collections.abc import Callable

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32 characters: no 0, 1, I, O
BODY = 9  # random characters: 32**9 = 3.5e13 codes, so a guess hits one of 5,000 with odds of 1 in 7 billion


def normalise(code: str) -> str:
    """As typed or scanned: spaces and dashes dropped, upper case."""
    return "".join(code.split()).replace("-", "").upper()


def check_character(body: str) -> str:
    """Luhn mod N over ALPHABET, N = 32."""
    n = len(ALPHABET)
    total, factor = 0, 2
    for char in reversed(body):
        addend = factor * ALPHABET.index(char)
        total += addend // n + addend % n
        factor = 1 if factor == 2 else 2
    return ALPHABET[(n - total % n) % n]


def is_well_formed(code: str) -> bool:
    """A printed single-use code: BODY characters of the alphabet and the right check character."""
    code = normalise(code)
    if len(code) != BODY + 1 or any(c not in ALPHABET for c in code):
        return False
    return check_character(code[:-1]) == code[-1]


def new_code(choice: Callable[[str], str] = secrets.choice) -> str:
    """A fresh single-use code (normalised form); `choice` is a parameter so tests can replay one."""
    body = "".join(choice(ALPHABET) for _ in range(BODY))
    return body + check_character(body)


def printed(code: str) -> str:
    """How a single-use code is printed: ABCDE-FGHJK (the dash is ignored when typed back)."""
    return f"{code[:5]}-{code[5:]}" if len(code) == BODY + 1 else code
