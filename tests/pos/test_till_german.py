"""The till in German: every string of its pages and of its script has a German translation, compiled; the
page carries the script's sentences in the request's language."""

import json
import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from pos.till_strings import TILL_STRINGS
from tests.mycard.test_card_page import _po_entries

PO = settings.BASE_DIR / "pos/locale/de/LC_MESSAGES/django.po"


SCRIPTS = ("static/pos/cashier.js", "static/pos/giftcards.js")  # giftcards.js borrows the till's t()


def script_sentences() -> set[str]:
    found = set()
    for name in SCRIPTS:
        script = (settings.BASE_DIR / name).read_text(encoding="utf-8")
        found |= {json.loads(f'"{text}"') for text in re.findall(r'\bt\("((?:[^"\\]|\\.)*)"', script)}
    return found


def test_the_scripts_sentences_are_exactly_the_translated_list():
    assert script_sentences() == set(TILL_STRINGS)


def test_every_till_string_is_translated_to_german_and_compiled():
    entries = list(_po_entries(PO))
    assert len(entries) > 200
    ids = {msgid for msgid, _, _, _ in entries}
    assert set(TILL_STRINGS) <= ids, "run makemessages for pos (README, the till) after changing a t(…) sentence"
    with translation.override("de"):
        for msgid, _plural, strs, _refs in entries:
            assert all(strs), f"no German for {msgid!r}"
            if "%" not in msgid:  # a template's "%" is written "%%" in the .po
                assert translation.gettext(msgid) == strs[0], f"django.mo is older than django.po: {msgid!r}"


@pytest.mark.django_db
def test_the_till_speaks_german_to_a_german_browser(demo):
    client = Client(HTTP_ACCEPT_LANGUAGE="de")
    assert "Kassen-Anmeldung" in client.get("/pos/login/").content.decode()
    client.login(username="cashier1", password="cashier-demo")
    html = client.get("/pos/").content.decode()
    assert "Verkauf abschließen" in html
    assert "Karte oder Artikel scannen" in html
    strings = json.loads(html.split('id="pos-strings" type="application/json">')[1].split("</script>")[0])
    assert strings["Void this sale?"] == "Diesen Verkauf stornieren?"
    assert 'id="gift-pay">Diesen Verkauf damit bezahlen</button>' in html  # the gift card panel (templates/giftcards)
    assert "Geschenkkarte zahlt <kbd>Ctrl+G</kbd>" in html
    assert strings["Gift card {0} pays {1}; rest to pay {2}."] == "Geschenkkarte {0} zahlt {1}; noch zu zahlen {2}."
    # the refund slip's line for a later receipt's level discount taken back (the browser test prints it)
    assert strings["Receipt #{0} was priced at {1}, earned {2}: discount {3} kept from the cash"] == (
        "Bon-Nr. {0} wurde mit {1} berechnet, verdient war {2}: Rabatt {3} von der Auszahlung einbehalten"
    )
    assert strings["Receipt #{0} was priced at {1}, earned {2}: discount {3} paid back, {4} no longer owed"] == (
        "Bon-Nr. {0} wurde mit {1} berechnet, verdient war {2}: Rabatt {3} zurückgezahlt, {4} nicht mehr geschuldet"
    )
    assert strings["base"] == "Basis"
    # a refund the server did not answer: the cashier may press again (the same key, so it is paid once)
    assert strings["Try again: the refund will not be paid twice."] == (
        "Erneut versuchen: die Erstattung wird nicht doppelt ausgezahlt."
    )
    # a card the till cannot use, the manual line's checks, the refund search's count
    assert strings["This card is blocked. Ask the customer for another card."] == (
        "Diese Karte ist gesperrt. Den Kunden nach einer anderen Karte fragen."
    )
    assert strings["Unit price: an amount like 2.49."] == "Stückpreis: ein Betrag wie 2.49."
    assert [strings["1 receipt found"], strings["{0} receipts found"]] == ["1 Bon gefunden", "{0} Bons gefunden"]
    assert strings["Remove coupon {0}"] == "Gutschein {0} entfernen"
    assert strings["{0} · no card discount"] == "{0} · kein Kartenrabatt"
    assert strings["Press F9 to try again: the sale will not be charged twice."] == (
        "F9 drücken, um es erneut zu versuchen: der Verkauf wird nicht doppelt berechnet."
    )
    config = json.loads(html.split('id="pos-config" type="application/json">')[1].split("</script>")[0])
    assert ["damaged", "Beschädigt oder defekt"] in config["refundReasons"]

    english = Client()
    english.login(username="cashier1", password="cashier-demo")
    html = english.get("/pos/").content.decode()
    assert "Complete sale" in html
    assert 'id="pos-strings" type="application/json">{}</script>' in html


@pytest.mark.django_db
def test_the_till_switches_language_with_its_button(demo):
    client = Client()
    client.login(username="cashier1", password="cashier-demo")
    response = client.post("/pos/language/", {"language": "de", "next": "/pos/"})
    assert response.status_code == 302 and response["Location"] == "/pos/"
    assert "Verkauf abschließen" in client.get("/pos/").content.decode()
