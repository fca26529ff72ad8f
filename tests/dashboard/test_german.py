"""The dashboard in German: every string of its catalogue translated and compiled (the check /my/ has), and
the pages speak it when the manager's browser or the topbar's switch asks for it."""

import ast
import json
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone, translation

from promotions.models import Campaign
from promotions.services import coupon_batch_issue
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


def headings(html: str, slug: str) -> list[str]:
    """The column headings of one table of a page, as the manager reads them (the unit left out)."""
    section = html.split(f'<section class="report" id="{slug}">', 1)[1].split("</section>", 1)[0]
    return re.findall(r'<th[^>]*scope="col">([^<]*?)(?: <small class="unit">|</th>)', section)


def chart(html: str, slug: str) -> dict:
    found = re.search(rf'<script id="chart-{slug}" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(found[1])


def test_the_gift_cards_page_in_german(client, manager, shop):
    client.force_login(manager)
    query = "from=2026-11-02&to=2026-11-15&per=week"
    html = client.get(f"/manager/gift-cards/?{query}", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "<h2>Geschenkkartengeld pro Woche</h2>" in html
    assert headings(html, "movements") == [
        "Woche", "Aufgeladen (verkauft, nachgeladen)", "An der Kasse ausgegeben", "Auf Karten erstattet",
        "Unverbraucht verfallen", "Korrekturen (netto)",
    ]  # fmt: skip
    movements = chart(html, "movements")
    assert movements["labels"] == ["Woche ab 2026-11-02", "Woche ab 2026-11-09"]
    assert [s["name"] for s in movements["series"]] == ["Aufgeladen", "Ausgegeben", "Abgelaufen"]
    assert movements["yTitle"] == "Geld"
    assert "<h2>Pro Filiale: verkauft und ausgegeben</h2>" in html
    assert headings(html, "stores") == [
        "Filiale", "Aufgeladene Karten", "Verkauft", "Ausgegeben (abzüglich Erstattungen)", "Verkauft − ausgegeben",
    ]  # fmt: skip
    assert [s["name"] for s in chart(html, "stores")["series"]] == ["Verkauft", "Ausgegeben"]
    assert "<h2>Bald verfallend: Guthaben nach Verfallsmonat</h2>" in html
    assert headings(html, "expiring") == ["Verfällt im", "Karten", "Guthaben"]
    assert [s["name"] for s in chart(html, "expiring")["series"]] == ["Verfallend"]
    assert "Nur aktive Karten; der erste Monat enthält auch Karten, deren Datum schon vorbei ist." in html
    assert "<h2>Verfallen: unverbrauchtes Guthaben pro Monat</h2>" in html
    assert headings(html, "breakage") == ["Monat", "Unverbraucht verfallen"]
    assert [s["name"] for s in chart(html, "breakage")["series"]] == ["Verfallen"]
    assert "Eine Buchung je Karte, die der nächtliche Lauf verfallen ließ, mit dem Datum des Laufs." in html
    day = client.get("/manager/gift-cards/?from=2026-11-02&to=2026-11-03&per=day", HTTP_ACCEPT_LANGUAGE="de")
    assert "<h2>Geschenkkartengeld pro Tag</h2>" in day.content.decode()
    assert headings(day.content.decode(), "movements")[0] == "Tag"


def test_the_campaigns_page_in_german(client, manager, shop):
    today = timezone.localdate()
    weekend = Campaign.objects.create(
        name="Weekend five", starts_on=today - timedelta(days=3), ends_on=today + timedelta(days=3),
        benefit="amount_receipt", value=Decimal("5"), needs_coupon=True, weekdays="45",
    )  # fmt: skip
    coupon_batch_issue(campaign=weekend, count=2)
    later = Campaign.objects.create(
        name="Later", starts_on=today + timedelta(days=5), ends_on=today + timedelta(days=9), value=Decimal("5")
    )
    client.force_login(manager)
    query = f"from={today - timedelta(days=10)}&to={today + timedelta(days=10)}"
    html = client.get(f"/manager/campaigns/?{query}", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "<h2>Aktionen: Kosten und erfasster Umsatz gegenüber den Tagen davor</h2>" in html
    assert headings(html, "campaigns") == [
        "Aktion", "Tage", "Bons", "Rabattkosten", "Erfasster Umsatz, während",
        "Erfasster Umsatz, gleich viele Tage davor", "Veränderung, %", "Kosten, % des erfassten Umsatzes",
    ]  # fmt: skip
    assert [s["name"] for s in chart(html, "campaigns")["series"]] == [
        "Erfasster Umsatz, gleich viele Tage davor", "Erfasster Umsatz, während", "Rabattkosten",
    ]  # fmt: skip
    assert chart(html, "campaigns")["yTitle"] == "Geld"
    assert f"<td>{weekend.starts_on:%d.%m.%Y}–{weekend.ends_on:%d.%m.%Y} · Fr Sa</td>" in html
    assert f"<td>{later.starts_on:%d.%m.%Y}–{later.ends_on:%d.%m.%Y} (noch nicht begonnen)</td>" in html
    assert "<h2>Gutscheine ausgegeben und eingelöst</h2>" in html
    assert headings(html, "coupons") == [
        "Aktion", "Ausgegebene Gutscheine", "Eingelöste Gutscheine", "Eingelöst, % der ausgegebenen",
        "Einlösungen insgesamt",
    ]  # fmt: skip
    assert [s["name"] for s in chart(html, "coupons")["series"]] == ["Ausgegeben", "Eingelöst"]


def test_the_points_page_in_german(client, manager, shop):
    client.force_login(manager)
    html = client.get(f"/manager/points/?{PERIOD}&per=week", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "<h2>Punkte pro Woche</h2>" in html
    assert headings(html, "movements") == [
        "Woche", "Verdient", "Willkommensbonus", "Eingelöst", "Verfallen", "Erstattungen (netto)",
        "Korrekturen (netto)",
    ]  # fmt: skip
    assert headings(html, "liability") == [
        "Programm", "Offene Punkte", "Verbindlichkeit (Geld)", "Verfällt in 30 Tagen", "Verfällt in 30 Tagen (Geld)",
        "Verfällt in 90 Tagen", "Verfällt in 90 Tagen (Geld)",
    ]  # fmt: skip
    day = client.get(f"/manager/points/?{PERIOD}&per=day", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "<h2>Punkte pro Tag</h2>" in day and headings(day, "movements")[0] == "Tag"
    month = client.get(f"/manager/points/?{PERIOD}&per=month", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "<h2>Punkte pro Monat</h2>" in month and headings(month, "movements")[0] == "Monat"


def test_burning_within_one_day_is_singular():
    from dashboard.reports.points import burn_in

    with translation.override("de"):
        assert [burn_in(1), burn_in(30), burn_in(1, in_money=True)] == [
            "Verfällt in 1 Tag", "Verfällt in 30 Tagen", "Verfällt in 1 Tag (Geld)",
        ]  # fmt: skip
    with translation.override("en"):
        assert [burn_in(1), burn_in(90), burn_in(90, in_money=True)] == [
            "Burn in 1 day", "Burn in 90 days", "Burn in 90 days (money)",
        ]  # fmt: skip


def test_the_discounts_page_in_german(client, manager, shop):
    client.force_login(manager)
    html = client.get(f"/manager/discounts/?{PERIOD}&per=week", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "<h2>Gewährte Rabatte pro Woche</h2>" in html
    assert headings(html, "period") == ["Woche", "Rabattierte Positionen", "Gewährter Rabatt", "Anteil am Gesamten"]
    assert chart(html, "period")["labels"] == ["Woche ab 2026-10-26", "Woche ab 2026-11-02", "Woche ab 2026-11-09"]
    for tab in ("Nach Zeitraum", "Nach Filiale", "Nach Kassierer", "Nach Warengruppe", "Nach Stufe"):
        assert f">{tab}</a>" in html
    day = client.get(f"/manager/discounts/?{PERIOD}&per=day", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "<h2>Gewährte Rabatte pro Tag</h2>" in day and headings(day, "period")[0] == "Tag"
    month = client.get(f"/manager/discounts/?{PERIOD}&per=month", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "<h2>Gewährte Rabatte pro Monat</h2>" in month and headings(month, "period")[0] == "Monat"
    by = [("store", "Filiale"), ("cashier", "Kassierer"), ("category", "Warengruppe"), ("level", "Stufe")]
    for slug, title in by:
        page = client.get(f"/manager/discounts/{slug}/?{PERIOD}", HTTP_ACCEPT_LANGUAGE="de").content.decode()
        assert f"<h2>Gewährte Rabatte pro {title}</h2>" in page


def test_the_levels_and_cards_pages_in_german(client, manager, shop):
    client.force_login(manager)
    html = client.get(f"/manager/levels/?{PERIOD}&per=week", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert headings(html, "flow") == ["Woche", "Von", "Nach", "Richtung", "Wegen", "Karten"]
    row = "<td>Woche ab 2026-11-02</td><td>Basis (keine Stufe)</td><td>Silver</td><td>hinauf</td><td>Einkauf</td>"
    assert row in html
    assert (
        "Karten, die die Stufe wechselten: hinauf durch Einkäufe, hinab durch eine Erstattung oder die "
        "Inaktivitätsregel." in html
    )
    month = client.get(f"/manager/levels/?{PERIOD}&per=month", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert headings(month, "flow")[0] == "Monat"
    cards = client.get(f"/manager/cards/?{PERIOD}", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert chart(cards, "activity")["labels"] == [
        "Im Zeitraum gekauft", "Aktiv, kein Einkauf im Zeitraum", "Ausgegeben, nie benutzt", "Gesperrt", "Ersetzt",
    ]  # fmt: skip
    assert "Die letzten 50 Chargen, unabhängig vom Zeitraum." in cards


def test_the_receipt_page_in_german_says_what_a_refund_took_back(client, manager, shop):
    from pos.models import Clawback

    refund = shop["R5"].refunds.get()
    later = shop["R2"]
    Clawback.objects.create(
        refund=refund, receipt=later, created_at=refund.created_at, level_given="Gold", level_earned="",
        unearned=Decimal("2.50"), kept=Decimal("2.50"), recorded=Decimal("0.00"),
    )  # fmt: skip
    client.force_login(manager)
    html = client.get(f"/manager/receipts/{shop['R5'].pk}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert (
        f'↳ auf Bon <a href="/manager/receipts/{later.pk}/">#{later.pk}</a>, berechnet mit Gold, verdient Basis: '
        "2,50 unverdient</td>"
    ) in html
    assert "Eingelöste Punkte 3,00 (Wert 3,00), vergebene Punkte 0,80, erstattet 16,00." in html
    assert "<th>Artikelnr.</th>" in html
    english = client.get(f"/manager/receipts/{shop['R5'].pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert (
        f'↳ on receipt <a href="/manager/receipts/{later.pk}/">#{later.pk}</a>, priced at Gold, earned base: '
        "2.50 unearned</td>"
    ) in english
    taken = client.get(f"/manager/receipts/{later.pk}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "<td>Gold</td><td>Basis</td>" in taken
    without = client.get(f"/manager/receipts/{shop['R6'].pk}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "<dd>keine Karte</dd>" in without and "<dd>Basis → Basis</dd>" in without


def test_the_suspicious_pages_in_german(client, manager, shop):
    client.force_login(manager)
    html = client.get(f"/manager/suspicious/cashiers/?{PERIOD}", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    for tab in ("Zwei Filialen binnen Minuten", "Oft an einem Tag", "Kassierer weit über ihrer Filiale",
                "Erstattungen nach Einlösung"):  # fmt: skip
        assert f">{tab}</a>" in html
    assert '<label>Abstand im Kartenanteil (Prozentpunkte) <input name="gap"' in html
    assert '<label>Aktivierungsrate × Filiale <input name="times"' in html
    assert '<label>Mindestzahl Bons für ein Urteil <input name="min_receipts"' in html
    assert "<td>zu wenige</td>" in html
    flagged = client.get(f"/manager/suspicious/cashiers/?{PERIOD}&min_receipts=1", HTTP_ACCEPT_LANGUAGE="de")
    assert "<td>Kartenanteil</td>" in flagged.content.decode()
    often = client.get(f"/manager/suspicious/often/?{PERIOD}", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<label>Bons pro Tag <input name="per_day"' in often
    two = client.get(f"/manager/suspicious/two-stores/?{PERIOD}", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<label>Minuten zwischen Filialen <input name="minutes"' in two
    refunds = client.get(f"/manager/suspicious/refunds/?{PERIOD}", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<label>Stunden von Einlösung bis Erstattung <input name="hours"' in refunds


def test_the_card_holders_page_and_the_summary_in_german(client, manager, shop):
    client.force_login(manager)
    html = client.get(f"/manager/holders/?{PERIOD}", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "<tr><td>Mit Karte</td>" in html and "<tr><td>Ohne Karte</td>" in html
    assert "Umsatz = Listenpreis − Rabatte (wofür die Waren verkauft wurden, in Geld oder in Punkten)." in html
    assert "<td>Mehrmarge (Aufschlag 25 %, Margenanteil 0,2000)</td>" in html
    assert "So wird gerechnet. Mehrmarge = (Durchschnittsbon der Karteninhaber zum Listenpreis − " in html
    summary = client.get(f"/manager/?{PERIOD}", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Rabatte aus den Bons der Karteninhaber; Punkte bewertet, wenn sie vergeben werden." in summary


def test_figures_titles_and_notes_elsewhere_in_german(client, manager, shop):
    client.force_login(manager)
    points = client.get(f"/manager/points/?{PERIOD}", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "<dt>Vergebene Punkte</dt><dd>37,95</dd>" in points  # a German decimal comma, not 37.95
    receipt = client.get(f"/manager/receipts/{shop['R5'].pk}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert f"<h1>Bon-Nr. {shop['R5'].pk}</h1>" in receipt
    levels = client.get(f"/manager/levels/?{PERIOD}", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "die Mitarbeiterkarten einer Firma teilen deren Stufe und zählen jede einzeln." in levels
    narrowed = client.get(f"/manager/receipts/?{PERIOD}&card=1&discounted=1", HTTP_ACCEPT_LANGUAGE="de")
    html = narrowed.content.decode()
    assert '<label>Karte <input name="card"' in html and '<label>Nur rabattierte <input name="discounted"' in html


def test_the_what_if_form_and_result_in_german(client, manager, shop):
    from loyalty.models import Programme
    from tests.dashboard.test_whatif import FORM

    client.force_login(manager)
    form = client.get("/manager/whatif/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    for label in ("Monate", "Art", "Stufen", "Aktion %", "Auf Warengruppen", "Zielgruppe", "Bis (einschließlich)"):
        assert f"{label} <" in form or f"<legend>{label}</legend>" in form, label
    assert '<option value="cumulative" selected>Kumulativ (wächst mit dem Umsatz)</option>' in form
    assert '<option value="everyone">Alle (gezählt werden die Bons der Karteninhaber)</option>' in form
    assert "<legend>Vorgeschlagene Aktion (optional)</legend>" in form
    assert "Z. B. eine Sommerwoche: 10 % auf Garten für Karteninhaber, am 1.–7. Juli des Vorjahres." in form
    assert "Leer: keine Aktion." in form and "Nichts angekreuzt: alles nicht Ausgeschlossene." in form
    assert 'data-busy="Wird nachgerechnet …"' in form
    programme = Programme.objects.get(code="default").pk
    refused = client.post(
        "/manager/whatif/", FORM | {"programme": programme, "levels": "Silver; x; 3", "campaign-percent": "10"},
        HTTP_ACCEPT_LANGUAGE="de",
    ).content.decode()  # fmt: skip
    assert "Zeile 1: Name; ab Umsatz; Prozent schreiben." in refused
    assert "Eine Aktion braucht ihren ersten und letzten Tag." in refused
    data = FORM | {
        "programme": programme, "campaign-name": "Milchtag", "campaign-percent": "10", "campaign-starts": "2026-11-03",
        "campaign-ends": "2026-11-03", "campaign-categories": ["dairy"], "campaign-audience": "card_holders",
    }  # fmt: skip
    response = client.post("/manager/whatif/", data, HTTP_ACCEPT_LANGUAGE="de")
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Aktion Milchtag: 10 % vom 2026-11-03 bis 2026-11-03 auf dairy, für Karteninhaber." in page
    assert '<th scope="row">Art</th><td>Kumulativ (wächst mit dem Umsatz)</td>' in page
    assert "<td><b>Silver ab 300,00 mit 3,00 %; Gold ab 700,00 mit 6,00 %; Platinum ab 1500,00 mit 9,00 %</b>" in page
    assert "<h2>Die vorgeschlagene Aktion</h2>" in page
    assert headings(page, "campaign") == [
        "Aktion", "Von ihr rabattierte Bons", "Ihr Rabatt", "Kosten des Programms daneben",
        "Vorgeschlagene Gesamtkosten",
    ]  # fmt: skip
    assert list(re.findall(r"<tr><td>([^<]*)</td>", page.split('id="cost"')[1].split("</section>")[0])) == [
        "Rabatte", "Vergebene Punkte", "Punkte (Geld)", "Gesamtkosten",
    ]  # fmt: skip
    assert chart(page, "levels")["labels"][0] == "Rang 0"
    assert "Rang 0 ist keine Stufe." in page and "Gesamtkosten = Rabatte + Punkte (Geld)." in page


def test_the_scale_designer_in_german(client, manager, shop):
    from tests.dashboard.test_design import SCALE

    client.force_login(manager)
    html = client.get("/manager/scale/", SCALE | {"months": "12"}, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    scale = html.split('<section class="report" id="scale">')[1].split("</section>")[0]
    assert "<tr><td>Heute</td>" in scale
    assert "Cumulative discount card zählt den Umsatz seit Beginn: jeder Monatswert × 12, die Monate" in html
    preview = html.split('<section class="report" id="preview">')[1].split("</section>")[0]
    assert "<td>Silver ab 300,00 mit 2,00 %</td>" in preview and "<td>Bronze ab 4000 mit 2 %</td>" in preview


def test_a_cashier_is_refused_in_german_and_a_day_off_the_calendar_too(client, manager, shop):
    from django.contrib.auth.models import User

    client.force_login(User.objects.get(username="cashier1"))
    refused = client.get("/manager/", HTTP_ACCEPT_LANGUAGE="de")
    assert refused.status_code == 403
    assert "Sie sind als cashier1 angemeldet, das nicht zur Leitung gehört" in refused.content.decode()
    client.force_login(manager)
    html = client.get("/manager/?from=1999-12-31&to=2026-11-10", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Einen Tag von 2000-01-01 bis 2099-12-31 wählen." in html
