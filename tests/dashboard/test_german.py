"""The dashboard in German: every string of its catalogue translated and compiled (the check /my/ has), and
the pages speak it when the manager's browser or the topbar's switch asks for it."""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from tests.dashboard.shop import build_shop

CATALOGUE = Path(settings.BASE_DIR) / "dashboard/locale/de/LC_MESSAGES/django.po"
PERIOD = "from=2026-11-01&to=2026-11-10"


def po_entries(path: Path):
    """(context, msgid, msgid_plural, [msgstr…]) of each entry of a .po file."""

    def joined(lines: list[str]) -> str:
        return "".join(ast.literal_eval(line) for line in lines)

    for block in path.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, list[str]] = {}
        current = None
        for line in block.splitlines():
            if line.startswith("#"):
                continue
            if line.startswith('"'):
                fields[current].append(line)
            else:
                current, _, value = line.partition(" ")
                fields[current] = [value]
        if fields.get("msgid", ['""']) != ['""']:
            strs = [joined(v) for k, v in sorted(fields.items()) if k.startswith("msgstr")]
            context = joined(fields["msgctxt"]) if "msgctxt" in fields else None
            yield context, joined(fields["msgid"]), joined(fields.get("msgid_plural", ['""'])), strs


def test_every_dashboard_string_is_translated_to_german_and_compiled():
    entries = list(po_entries(CATALOGUE))
    assert len(entries) > 200
    with translation.override("de"):
        for context, msgid, plural, strs in entries:
            assert all(strs), f"no German for {msgid!r}"
            if plural:
                assert [translation.ngettext(msgid, plural, n) for n in (1, 2)] == strs
            elif context:  # a word /my/ translates otherwise ("Points earned")
                assert translation.pgettext(context, msgid) == strs[0], f"django.mo is older: {msgid!r}"
            elif "%%" not in msgid:  # template strings keep their %% escaped in the catalogue
                assert translation.gettext(msgid) == strs[0], f"django.mo is older than django.po: {msgid!r}"


@pytest.fixture
def shop(db):
    return build_shop()


def test_the_summary_in_german(client, manager, shop):
    client.force_login(manager)
    html = client.get(f"/manager/?{PERIOD}", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<html lang="de"' in html or 'lang="de"' in html
    assert "<h1>Was das Programm kostet und einbringt</h1>" in html
    assert "<dt>Gewährte Rabatte</dt><dd>8,00 EUR</dd>" in html
    assert ">Übersicht</a>" in html and ">Filialen</a>" in html and ">Letzte 12 Monate</a>" in html
    assert "Nur 4 Bons mit Karte und 3 ohne" in html


def test_the_notes_under_the_tables_in_german(client, manager, shop):
    client.force_login(manager)
    html = client.get(f"/manager/points/?{PERIOD}", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Kunden werden benachrichtigt, bevor ihre Punkte verfallen: darüber werden sie hören." in html
    html = client.get(f"/manager/receipts/?{PERIOD}", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "1–7 von 7, neueste zuerst." in html


def test_the_topbar_switches_to_german_and_back(client, manager, shop):
    client.force_login(manager)
    response = client.post("/manager/i18n/setlang/", {"language": "de", "next": f"/manager/stores/?{PERIOD}"})
    assert response.status_code == 302 and response["Location"] == f"/manager/stores/?{PERIOD}"
    html = client.get(response["Location"]).content.decode()
    assert "<h1>Filialen im Vergleich</h1>" in html and "587,00" in html
    assert "Umsatz = Listenpreis abzüglich Rabatte." in html and "Zum Sortieren auf eine Überschrift klicken." in html
    client.post("/manager/i18n/setlang/", {"language": "en", "next": "/manager/"})
    assert "<h1>Stores side by side</h1>" in client.get(f"/manager/stores/?{PERIOD}").content.decode()
