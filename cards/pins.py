"""Card PINs for the customer web page.

A PIN is an HMAC-SHA256 of the card number under CARD_PIN_SECRET, cut to
PIN_DIGITS decimal digits. So:
- it cannot be derived from the (non-secret, sequential) number without the key;
- nothing about it is stored, so a database dump does not reveal it;
- the print files can be exported again at any time, with the same PINs.
Rotating CARD_PIN_SECRET invalidates every printed PIN: don't.
"""

import hashlib
import hmac

from django.conf import settings

PIN_DIGITS = 8


def card_pin(number: str, *, secret: str | None = None) -> str:
    key = (secret or settings.CARD_PIN_SECRET).encode()
    digest = hmac.new(key, number.encode(), hashlib.sha256).digest()
    # 64 bits of the digest modulo 10^8: the bias is below 10^-10, irrelevant.
    return f"{int.from_bytes(digest[:8], 'big') % 10**PIN_DIGITS:0{PIN_DIGITS}d}"


def pin_matches(number: str, pin: str) -> bool:
    return hmac.compare_digest(card_pin(number), (pin or "").strip())
