"""The customer page's sign-in (card number + PIN), and what stops guessing PINs without locking the
customer out for a day because a stranger typed their number.

Everything is counted in the shared cache (Redis in production), so it holds across server processes:

- per client address: at most SIGNIN_RATE sign-in attempts (django-ratelimit, on the view);
- per card number, a lock ladder: each run of WRONG_PIN_LIMIT failed sign-ins (within WRONG_PIN_WINDOW of
  the run's first) locks the number's web sign-in for the next step of settings.SIGNIN_LOCK_MINUTES
  (15 min, then 1 h, then 24 h, and 24 h from then on). A number with no new lock for a day after its
  last one ran out starts again at the first step. A cashier at the till or the back office lifts the
  lock and starts the ladder again;
- a trusted device: a successful sign-in leaves a signed cookie naming that card (`trusted_device_cookie`).
  A device holding it keeps its own ladder for that card instead of the card's: a stranger locking the
  number does not lock out the customer's phone. Its wrong PINs count on the card's ladder as well, so
  a stolen phone is no better at guessing than anyone else, and it locks itself like any other device.

Nothing here may tell a visitor which card numbers exist. So every failure looks the same (unknown
number, wrong PIN, blocked, replaced or never-activated card, a malformed number), the PIN's HMAC is
computed for unknown numbers too, and the ladder is kept for every number typed whether a card has it
or not: a made-up number locks after exactly as many failures, for exactly as long, as a real one.
"""

import hashlib
import math
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.core import signing
from django.core.cache import cache

from cards.models import Card
from cards.pins import pin_matches

SIGNIN_RATE = "10/m"
WRONG_PIN_LIMIT = 5
WRONG_PIN_WINDOW = 24 * 60 * 60  # seconds, counted from a run's first failure (a fixed window)
LADDER_MEMORY = 24 * 60 * 60  # seconds without a new lock after the last one ended: back to the first step

TRUSTED_DEVICE_SALT = "mycard.trusted-device"

_TYPING_NOISE = re.compile(r"[\s\-]")


@dataclass(frozen=True)
class SignInAttempt:
    card: Card | None  # set on success only
    locked: bool = False
    retry_in: int = 0  # seconds until this device may try this number again, when locked


def typed_number(raw: str) -> str:
    """What the customer typed, as the number to look up: printed groups of digits may come with spaces."""
    return _TYPING_NOISE.sub("", raw or "")


def signin_attempt(raw_number: str, pin: str, *, device: str | None = None) -> SignInAttempt:
    """Check a card number and PIN; count the failure if it is one. `device` is the trusted-device id this
    browser holds for this very number (`trusted_device_for`), or None."""
    number = typed_number(raw_number)
    own_ladder = _Ladder.of_device(number, device) if device else _Ladder.of_card(number)
    retry_in = own_ladder.locked_for()
    if retry_in:
        # Checked before the PIN: while locked even the right PIN gets in nowhere, or guessing would go on.
        return SignInAttempt(None, locked=True, retry_in=retry_in)
    # Always one query and one HMAC, for unknown and malformed numbers too: the time taken tells nothing.
    card = Card.objects.filter(number=number).first()
    pin_ok = pin_matches(number, pin if pin.isascii() else "")  # compare_digest refuses non-ASCII text
    if card is not None and pin_ok and card.status == Card.Status.ACTIVE and card.account_id:
        return SignInAttempt(card)
    card_retry_in = _Ladder.of_card(number).failure_record()
    retry_in = own_ladder.failure_record() if device else card_retry_in
    return SignInAttempt(None, locked=bool(retry_in), retry_in=retry_in)


class _Ladder:
    """One ladder of locks in the cache: the failures of the current run, and the step reached.

    Keys are hashed: any string a visitor typed becomes a fixed-size key with none of the input in it.
    """

    def __init__(self, material: str):
        digest = hashlib.sha256(material.encode()).hexdigest()
        self.failures_key = "my:wrong-pin:" + digest
        self.step_key = "my:signin-step:" + digest

    @classmethod
    def of_card(cls, number: str) -> "_Ladder":
        return cls(number)

    @classmethod
    def of_device(cls, number: str, device: str) -> "_Ladder":
        # The card's unlock generation is part of the key: lifting the card's lock lifts its devices' too.
        return cls(f"{number}\0device:{device}\0{cache.get(_generation_key(number), 0)}")

    def failures(self) -> int:
        return cache.get(self.failures_key) or 0

    def locked_for(self) -> int:
        """Seconds this ladder stays locked, 0 when open (whole seconds, rounded up)."""
        if self.failures() < WRONG_PIN_LIMIT:
            return 0
        step = cache.get(self.step_key)
        return max(1, math.ceil(step["until"] - time.time())) if step else 1

    def failure_record(self) -> int:
        """Count one failed sign-in; the seconds of the lock it starts (or is under), else 0."""
        # add() opens the run's window at its first failure only; incr() is atomic in Redis and keeps the
        # expiry, so two servers counting at once never lose a failure.
        cache.add(self.failures_key, 0, timeout=WRONG_PIN_WINDOW)
        try:
            count = cache.incr(self.failures_key)
        except ValueError:  # the window ran out between add() and incr()
            cache.add(self.failures_key, 1, timeout=WRONG_PIN_WINDOW)
            count = 1
        if count < WRONG_PIN_LIMIT:
            return 0
        if count > WRONG_PIN_LIMIT:  # another server's failure reached the limit a moment before: its lock
            return self.locked_for()
        # Exactly one failure reaches the limit, so the ladder climbs one step per run, never two.
        steps = [minutes * 60 for minutes in settings.SIGNIN_LOCK_MINUTES]
        previous = cache.get(self.step_key)
        step = min(previous["step"] + 1, len(steps) - 1) if previous else 0
        lock = steps[step]
        cache.set(self.step_key, {"step": step, "until": time.time() + lock}, timeout=lock + LADDER_MEMORY)
        # The run's count stays at the limit exactly as long as the lock: when it expires the next run starts.
        cache.touch(self.failures_key, timeout=lock)
        return lock

    def reset(self) -> None:
        cache.delete_many([self.failures_key, self.step_key])


def _generation_key(number: str) -> str:
    return "my:signin-generation:" + hashlib.sha256(number.encode()).hexdigest()


def wrong_pins(number: str) -> int:
    """Failed sign-ins on this number in its current run (WRONG_PIN_LIMIT while locked)."""
    return _Ladder.of_card(number).failures()


def web_signin_locked(number: str) -> bool:
    return bool(_Ladder.of_card(number).locked_for())


def web_signin_locked_for(number: str) -> int:
    """Seconds until the number's web sign-in opens again for devices not trusted with it; 0 when open."""
    return _Ladder.of_card(number).locked_for()


def wrong_pin_record(number: str) -> bool:
    """Count one failed sign-in on this number. True when the number is now locked."""
    return bool(_Ladder.of_card(number).failure_record())


# --- trusted devices -----------------------------------------------------------------------------


def trusted_device_cookie_name(number: str) -> str:
    """One cookie per card, so a family's shared tablet can be trusted with each of their cards."""
    return "my_trusted_" + hashlib.sha256(number.encode()).hexdigest()[:16]


def trusted_device_cookie(card: Card, device: str | None) -> str:
    """The signed value naming `card` as trusted on this device (a new device id unless it has one)."""
    payload = {"card": card.number, "device": device or secrets.token_urlsafe(12)}
    return signing.TimestampSigner(salt=TRUSTED_DEVICE_SALT).sign_object(payload, compress=False)


def trusted_device_for(raw_number: str, cookies) -> str | None:
    """The device id of this browser's valid cookie for exactly this number, else None: a cookie for
    another card, an altered one or one older than SIGNIN_TRUSTED_DEVICE_DAYS counts for nothing."""
    number = typed_number(raw_number)
    value = cookies.get(trusted_device_cookie_name(number))
    if not value:
        return None
    max_age = settings.SIGNIN_TRUSTED_DEVICE_DAYS * 24 * 60 * 60
    try:
        payload = signing.TimestampSigner(salt=TRUSTED_DEVICE_SALT).unsign_object(value, max_age=max_age)
    except signing.BadSignature:  # SignatureExpired too
        return None
    if not isinstance(payload, dict) or payload.get("card") != number or not isinstance(payload.get("device"), str):
        return None
    return payload["device"]


# --- the back office -----------------------------------------------------------------------------


def web_signin_unlock_logged(card: Card, *, by, context: str) -> bool:
    """Lift a card's lock and note in its history (the admin's LogEntry) who did it, with `context`
    ("at the till in …", "after too many wrong PINs"). True if there was a lock to lift."""
    if not web_signin_unlock(card.number):
        return False
    LogEntry.objects.log_actions(by.pk, [card], CHANGE, f"Unlocked web sign-in {context}.", single_object=True)
    return True


def web_signin_unlock(number: str) -> bool:
    """The back office lifts a lock (the customer proved who they are in store) and starts the ladder
    again, for the card and every device trusted with it. True if the card was locked."""
    was_locked = web_signin_locked(number)
    _Ladder.of_card(number).reset()
    key = _generation_key(number)
    if not cache.add(key, 1, timeout=None):
        cache.incr(key)
    return was_locked


def pin_attempt(raw_number: str, pin: str, *, find: Callable[[str], Any]) -> tuple[Any, int]:
    """The same guard for another card that signs in with its number and PIN (a gift card's balance page):
    the number's lock ladder, one lookup (`find(number)`, None when unknown or not usable) and one HMAC for
    every attempt, the same answer for a wrong PIN as for an unknown number. Returns (what `find` found,
    0) on success, else (None, seconds until this number may try again, 0 when not locked)."""
    number = typed_number(raw_number)
    ladder = _Ladder.of_card(number)
    retry_in = ladder.locked_for()
    if retry_in:
        return None, retry_in
    found = find(number)
    pin_ok = pin_matches(number, pin if pin.isascii() else "")
    if found is not None and pin_ok:
        return found, 0
    return None, ladder.failure_record()
