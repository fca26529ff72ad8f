"""The API's refusals speak the request's language: a German till reads German, a POS that asks for no
language reads English; `code` and `details` stay the same. Every sentence a refusal on the till's way can
give has German in core/locale/de, with the same {slots} as the English."""

import ast
import string
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone, translation

from core.errors import DomainError
from core.refusals import spoken
from loyalty.services import points_adjust
from tests.mycard.test_card_page import _po_entries
from tests.pos.helpers import CARD, account_of, activate, line

PO = settings.BASE_DIR / "core/locale/de/LC_MESSAGES/django.po"

# Where the till's refusals are written, and the scale designer's (the manager's batch and import screens in the
# English admin are not translated).
SOURCES = [
    "core/errors.py",
    "config/api_errors.py",
    "pos/apis.py",
    "pos/giftcard_apis.py",
    "pos/idempotency.py",
    "pos/refunds.py",
    "pos/selectors.py",
    "pos/services.py",
    "cards/locks.py",
    "cards/lifecycle.py",
    "giftcards/errors.py",
    "giftcards/services.py",
    "loyalty/locks.py",
    "loyalty/rules/pricing.py",
    "loyalty/rules/lots.py",
    "loyalty/rules/scale.py",
    "loyalty/services/levels.py",
    "loyalty/services/ledger.py",
    "loyalty/services/partners.py",
    "promotions/services.py",
    "promotions/rules/campaigns.py",
    "promotions/rules/pricing.py",
]
# The refusals and where their sentence stands among the call's arguments.
SENTENCE_AT = {
    "DomainError": 0,
    "InvalidInput": 0,
    "NotFound": 0,
    "InsufficientPoints": 0,
    "RedeemLimitExceeded": 0,
    "UnknownCategory": 0,
    "DiscountExceedsMargin": 0,
    "invalid_amount": 0,
    "gettext": 0,
    "gettext_noop": 0,
    "CouponInvalid": 2,
    "Closed": 1,
}


def _name(func) -> str:
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _strings(node) -> list:
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    return [node]


def refusal_sentences() -> tuple[set[str], list[str]]:
    """The sentences written into refusals, and the places that build one with an f-string (untranslatable)."""
    sentences, formatted = set(), []
    for source in SOURCES:
        tree = ast.parse((settings.BASE_DIR / source).read_text(encoding="utf-8"))
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            at = SENTENCE_AT.get(_name(call.func))
            if at is None or len(call.args) <= at:
                continue
            for arg in _strings(call.args[at]):
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    sentences.add(arg.value)
                elif isinstance(arg, ast.JoinedStr):
                    formatted.append(f"{source}:{call.lineno}")
    return sentences, formatted


def slots(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_the_refusals_are_sentences_with_slots_not_f_strings():
    sentences, formatted = refusal_sentences()
    assert len(sentences) > 60
    assert formatted == []


def test_every_refusal_has_german_with_the_same_slots_compiled():
    sentences, _ = refusal_sentences()
    entries = {msgid: strs[0] for msgid, _plural, strs, _refs in _po_entries(PO)}
    assert sorted(sentences - set(entries)) == []
    with translation.override("de"):
        for msgid, german in entries.items():
            assert german, f"no German for {msgid!r}"
            assert slots(german) == slots(msgid), msgid
            assert translation.gettext(msgid) == german, f"django.mo is older than django.po: {msgid!r}"


def test_a_refusal_fills_its_slots_in_english_for_the_code_and_logs():
    error = DomainError(
        "Gift card {number} holds {balance}.", code="x", params={"number": "9", "balance": Decimal("1.50")}
    )
    assert (error.message, error.template, str(error)) == (
        "Gift card 9 holds 1.50.",
        "Gift card {number} holds {balance}.",
        "Gift card 9 holds 1.50.",
    )
    assert DomainError("Braces {stay} without params.").message == "Braces {stay} without params."


@pytest.fixture
def card_with_points(till):
    """The demo's card, registered at the till, with 50 points on it."""
    activate(till)
    account = account_of(CARD)
    points_adjust(account_id=account.pk, points=Decimal("50.00"), reason="Goodwill", by=None, at=timezone.now())
    return account


def over_redemption(client):
    return client.post(
        "/api/v1/checkout/quote/",
        {"card_number": CARD, "lines": [line(quantity="100", unit_price="10.00")], "redeem_points": "80.00"},
        content_type="application/json",
    )


@pytest.mark.django_db
def test_the_german_till_reads_an_over_redemption_in_german(card_with_points):
    screen = Client()
    screen.force_login(User.objects.get(username="cashier1"))
    assert screen.post("/pos/language/", {"language": "de", "next": "/pos/"}).status_code == 302
    response = over_redemption(screen)
    assert (response.status_code, response.json()) == (
        409,
        {"error": {"code": "insufficient_points", "message": "nur 50.00 Punkte auf der Karte", "details": {}}},
    )


@pytest.mark.django_db
def test_a_german_browser_reads_german_and_a_pos_that_asks_for_nothing_reads_english(till, card_with_points):
    german = Client(HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    german.force_login(User.objects.get(username="cashier1"))
    assert over_redemption(german).json()["error"]["message"] == "nur 50.00 Punkte auf der Karte"

    response = till.post(
        "/api/v1/checkout/quote/",
        {"card_number": CARD, "lines": [line(quantity="100", unit_price="10.00")], "redeem_points": "80.00"},
        format="json",
    )
    assert (response.status_code, response.json()) == (
        409,
        {"error": {"code": "insufficient_points", "message": "only 50.00 points on the card", "details": {}}},
    )


@pytest.mark.django_db
def test_a_gift_card_short_of_money_keeps_its_details_in_either_language(till):
    from giftcards.errors import insufficient

    error = insufficient("9000000000011", Decimal("5.00"))
    with translation.override("de"):
        assert spoken(error) == "Geschenkkarte 9000000000011 hat 5.00: nicht genug für diese Zahlung."
    assert spoken(error) == error.message == "Gift card 9000000000011 holds 5.00: not enough for this payment."
    assert error.details == {"number": "9000000000011", "balance": "5.00"}


@pytest.mark.django_db
def test_drf_refusals_speak_german_too(db):
    """DRF's own sentences come with DRF's German; the code stays."""
    response = Client(HTTP_ACCEPT_LANGUAGE="de").get("/api/v1/categories/")
    assert (response.status_code, response.json()["error"]["code"]) == (401, "not_authenticated")
    assert response.json()["error"]["message"] == "Anmeldedaten fehlen."
    english = Client().get("/api/v1/categories/").json()["error"]
    assert (english["code"], english["message"]) == (
        "not_authenticated",
        "Authentication credentials were not provided.",
    )
    unknown = Client(HTTP_ACCEPT_LANGUAGE="de").post("/api/v1/nowhere/").json()["error"]
    assert (unknown["code"], unknown["message"]) == ("not_found", "Nicht gefunden.")
