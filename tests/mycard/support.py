"""Shared set-up for the customer page's tests (/my/): cards in every state, purchases at chosen times,
a fresh cache per test, and a clock for the cache and the rate limiter."""

import html
import re
import time
from datetime import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore

from cards.lifecycle import card_activate, card_block, card_replace
from cards.numbers import card_number
from cards.pins import card_pin
from loyalty import rules
from pos.actors import PosActor
from pos.models import Receipt, Store
from pos.refunds import RefundRequest, receipt_refund
from pos.services import Basket, checkout

# Demo batch numbers: serials 1, 2, 3… of the default prefix (the demo issues 50 cards).
ANNA = card_number("000", 1)  # 2000000000015
BRUNO = card_number("000", 2)
ISSUED = card_number("000", 3)  # never activated
BLOCKED = card_number("000", 4)
REPLACED = card_number("000", 5)
SUCCESSOR = card_number("000", 6)  # replaced REPLACED
ANNA_SECOND = card_number("000", 7)  # Anna's family card
UNKNOWN = card_number("000", 999)  # a valid EAN-13 that no batch has
_keys = iter(range(10**6))


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    """Each test its own locmem cache: sign-in counters never leak from one test into the next."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": f"my-{next(_keys)}"}
    }
    from django.core.cache import cache

    cache.clear()


class Clock:
    """time.time() for the cache's expiry, the rate limiter's windows, the sign-in locks and signed cookies,
    moved by hand."""

    def __init__(self, now: float):
        self.now = now

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(float(int(time.time())))
    monkeypatch.setattr("django.core.cache.backends.base.time", clock)  # sets expiry times
    monkeypatch.setattr("django.core.cache.backends.locmem.time", clock)  # checks them
    monkeypatch.setattr("django_ratelimit.core.time", clock)
    monkeypatch.setattr("cards.signin_guard.time", clock)  # when a lock ends
    monkeypatch.setattr("django.core.signing.time", clock)  # how old a trusted-device cookie is
    return clock


def pin(number: str) -> str:
    return card_pin(number)


def wrong_pin(number: str) -> str:
    right = card_pin(number)
    return "00000000" if right != "00000000" else "11111111"


def cards_in_every_state() -> None:
    """Anna and Bruno active; one card issued, one blocked, one replaced by its successor."""
    card_activate(number=ANNA, name="Anna Kowalska", phone="+48600100200", email="anna@example.com")
    card_activate(number=BRUNO, name="Bruno Weber", phone="+49170000111")
    card_activate(number=BLOCKED, name="Carla Blum", phone="+49170000222")
    card_block(number=BLOCKED, reason="Lost")
    card_activate(number=REPLACED, name="Dora Neu", phone="+49170000333")
    card_replace(number=REPLACED, new_number=SUCCESSOR)


def till(store: str = "central") -> PosActor:
    cashier = "cashier1" if store == "central" else "cashier2"
    return PosActor(store=Store.objects.get(code=store), cashier=User.objects.get(username=cashier))


def buy(number: str, at: datetime, *lines: tuple[str, str, str], redeem: str = "0.00", store="central") -> Receipt:
    """A checkout at `at`: lines are (sku, quantity, unit price) of fruit & vegetables (normal, earns points)."""
    basket = Basket(
        lines=tuple(
            rules.Line(sku=sku, name=sku, category="produce", quantity=Decimal(qty), unit_price=Decimal(price))
            for sku, qty, price in lines
        ),
        card_number=number,
        redeem_points=Decimal(redeem),
    )
    key = f"my-{next(_keys)}"
    status, body, _ = checkout(actor=till(store), key=key, basket=basket, payload={"key": key}, at=at)
    assert status == 201, body
    return Receipt.objects.get(pk=body["receipt_id"])


def refund(receipt: Receipt, at: datetime, *lines: tuple[str, str]) -> None:
    request = RefundRequest(lines=tuple((sku, Decimal(qty)) for sku, qty in lines))
    key = f"my-r-{next(_keys)}"
    receipt_refund(
        actor=till(receipt.store.code), receipt_id=receipt.pk, key=key, request=request, payload={"k": key}, at=at
    )


def signed_in_card_id(client) -> int | None:
    """The card in the client's session, read without creating a session (client.session would)."""
    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    if cookie is None or not cookie.value:
        return None
    return SessionStore(cookie.value).get("my_card_id")


def sign_in(client, number: str, pin_typed: str, **extra):
    return client.post("/my/signin/", {"number": number, "pin": pin_typed}, **extra)


CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')


def without_csrf(content: bytes) -> bytes:
    return CSRF_INPUT.sub(b'name="csrfmiddlewaretoken" value="-"', content)


def text(page) -> str:
    """The visible text of a response (or its bytes), whitespace collapsed: what a person reads."""
    content = page if isinstance(page, bytes) else page.content
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body))).strip()
