"""The customer page's sign-in (card number + PIN), and what stops guessing PINs.

Two counters, both in the shared cache (Redis in production), so they hold across server processes:

- per client address: at most SIGNIN_RATE sign-in attempts (django-ratelimit, on the view);
- per card number: WRONG_PIN_LIMIT failed sign-ins within WRONG_PIN_WINDOW lock that number's web
  sign-in until the window runs out, or a cashier at the till or the back office unlocks it.

Nothing here may tell a visitor which card numbers exist. So every failure looks the same (unknown
number, wrong PIN, blocked, replaced or never-activated card, a malformed number), the PIN's HMAC is
computed for unknown numbers too, and the per-number counter is kept for every number typed whether
a card has it or not: a made-up number locks after exactly as many failures as a real one.
"""

import hashlib
import re
from dataclasses import dataclass

from django.contrib.admin.models import CHANGE, LogEntry
from django.core.cache import cache

from cards.models import Card
from cards.pins import pin_matches

SIGNIN_RATE = "10/m"
WRONG_PIN_LIMIT = 5
WRONG_PIN_WINDOW = 24 * 60 * 60  # seconds, counted from the first failure (a fixed window)

_TYPING_NOISE = re.compile(r"[\s\-]")


@dataclass(frozen=True)
class SignInAttempt:
    card: Card | None  # set on success only
    locked: bool = False


def typed_number(raw: str) -> str:
    """What the customer typed, as the number to look up: printed groups of digits may come with spaces."""
    return _TYPING_NOISE.sub("", raw or "")


def signin_attempt(raw_number: str, pin: str) -> SignInAttempt:
    """Check a card number and PIN; count the failure if it is one."""
    number = typed_number(raw_number)
    if web_signin_locked(number):
        # Checked before the PIN: while locked even the right PIN gets in nowhere, or guessing would go on.
        return SignInAttempt(None, locked=True)
    # Always one query and one HMAC, for unknown and malformed numbers too: the time taken tells nothing.
    card = Card.objects.filter(number=number).first()
    pin_ok = pin_matches(number, pin if pin.isascii() else "")  # compare_digest refuses non-ASCII text
    if card is not None and pin_ok and card.status == Card.Status.ACTIVE and card.account_id:
        return SignInAttempt(card)
    return SignInAttempt(None, locked=wrong_pin_record(number))


def _counter_key(number: str) -> str:
    # Hashed: any string a visitor typed becomes a fixed-size key with none of the input in it.
    return "my:wrong-pin:" + hashlib.sha256(number.encode()).hexdigest()


def wrong_pins(number: str) -> int:
    return cache.get(_counter_key(number)) or 0


def web_signin_locked(number: str) -> bool:
    return wrong_pins(number) >= WRONG_PIN_LIMIT


def wrong_pin_record(number: str) -> bool:
    """Count one failed sign-in on this number. True when the number is now locked."""
    key = _counter_key(number)
    # add() opens the window at the first failure only; incr() is atomic in Redis and keeps the expiry,
    # so two servers counting at once never lose a failure.
    cache.add(key, 0, timeout=WRONG_PIN_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # the window ran out between add() and incr()
        cache.add(key, 1, timeout=WRONG_PIN_WINDOW)
        count = 1
    return count >= WRONG_PIN_LIMIT


def web_signin_unlock_logged(card: Card, *, by, context: str) -> bool:
    """Lift a card's lock and note in its history (the admin's LogEntry) who did it, with `context`
    ("at the till in …", "after too many wrong PINs"). True if there was a lock to lift."""
    if not web_signin_unlock(card.number):
        return False
    LogEntry.objects.log_actions(by.pk, [card], CHANGE, f"Unlocked web sign-in {context}.", single_object=True)
    return True


def web_signin_unlock(number: str) -> bool:
    """The back office lifts a lock (the customer proved who they are in store). True if there was one."""
    was_locked = web_signin_locked(number)
    cache.delete(_counter_key(number))
    return was_locked
