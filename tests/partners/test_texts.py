"""Statement lines said in the reader's language: codes and values stored, labels and figures translated
when shown; lines stored before the codes keep their English."""

from decimal import Decimal as D

import pytest
from django.utils import translation

from partners import rules, texts
from partners.models import StatementLine
from tests.partners.test_pages import signed_in


def test_the_english_of_the_rules_and_the_msgids_are_alike():
    with translation.override("en"):
        plain = {k: v for k, v in texts.FIGURES.items() if k not in rules.FIGURES_ONE}
        assert {k: str(v) for k, v in plain.items()} == {k: v for k, v in rules.FIGURES.items() if k in plain}
        assert set(texts.FIGURES) == set(rules.FIGURES)
        for code, (counted, _one) in rules.FIGURES_ONE.items():  # an ngettext: alike for one and for more
            for n in (1, 2):
                args = {counted: n, "volume": "100.00", "earned": "5.00"}
                assert texts.FIGURES[code] % args == rules.figure_text(code, args)
        assert str(texts.PENDING) == rules.PENDING
        assert {k: str(texts.LABELS[k]) for k in rules.LABELS} == rules.LABELS


@pytest.mark.parametrize(
    "kind, code, args, label, figure",
    [
        ("plan", "plan", {"volume": "12000.00", "plan": "10000.00"}, "Planumsatz erreicht", "12.000,00 von 10.000,00"),
        ("on_time", "paid_late", {"late": 1, "pending": 2}, "Pünktlich bezahlt",
         "1 verspätet bezahlt; 2 noch nicht fällig"),
        ("on_time", "all_on_time", {}, "Pünktlich bezahlt", "alle pünktlich bezahlt"),
        ("growth", "growth", {"grown": "12.50", "last_year": "8000.00"}, "Wachstum", "12,50 % gegenüber 8.000,00"),
        ("tier", "tier_reached", {"volume": "300.00", "percent": "2.00", "mode": "retroactive"},
         "Umsatzstaffel (rückwirkend)", "300,00 erreicht 2,00 %"),
        ("unit", "units", {"quantity": "12", "rate": "5.00", "sku": "DRILL-X"}, "DRILL-X je Stück", "12 × 5,00"),
        ("key_account", "own_rate", {"volume": "1500.00", "name": "Anna K."}, "Schlüsselkunde Anna K.",
         "1.500,00 zum eigenen Satz"),
        ("late_refund", "late_refund", {"receipt": 12345, "goods": "-40.00"}, "Rückgabe nach Abschluss",
         "Kassenbon 12345: -40,00 nach Abschluss des Zeitraums zurückgegeben"),
        ("cap", "capped", {"bonus": "1200.00", "cap": "1000.00"}, "Obergrenze", "1.200,00 begrenzt auf 1.000,00"),
        ("bypassed", "bypassed", {"receipts": 1, "volume": "40.00", "earned": "2.00"}, "Direktkäufe im Gebiet",
         "1 Bon, 40,00, im Umsatz oben: 2,00 der Provision"),
        ("bypassed", "bypassed", {"receipts": 2, "volume": "100.00", "earned": "5.00"}, "Direktkäufe im Gebiet",
         "2 Bons, 100,00, im Umsatz oben: 5,00 der Provision"),
    ],
)  # fmt: skip
def test_a_line_in_german(kind, code, args, label, figure):
    with translation.override("de"):
        assert (texts.label(kind, "English label", args), texts.figure(code, "English figure", args)) == (label, figure)


def test_one_bypassed_receipt_is_said_in_the_singular_also_on_a_line_stored_with_the_plural():
    one = {"receipts": 1, "volume": "40.00", "earned": "2.00"}
    assert rules.figure_text("bypassed", one) == "1 receipt, 40.00, in the volume above: 2.00 of the commission"
    assert rules.figure_text("bypassed", {**one, "receipts": 2}).startswith("2 receipts, 40.00")
    # A line settled before the singular: its English says "1 receipts", its code and count say it right.
    old = StatementLine(kind="bypassed", label="Bypassed sales in your region", figure_code="bypassed", args=one,
                        figure="1 receipts, 40.00, in the volume above: 2.00 of the commission")  # fmt: skip
    with translation.override("en"):
        assert old.figure_text == "1 receipt, 40.00, in the volume above: 2.00 of the commission"
    with translation.override("de"):
        assert old.figure_text == "1 Bon, 40,00, im Umsatz oben: 2,00 der Provision"


def test_a_line_stored_before_the_codes_keeps_its_figure_and_gets_a_label_by_its_kind():
    with translation.override("de"):
        assert texts.label("plan", "Plan volume met", {}) == "Planumsatz erreicht"
        assert texts.label("unit", "DRILL-X per unit", {}) == "DRILL-X per unit"
        assert texts.figure("", "12000.00 of 10000.00", {}) == "12000.00 of 10000.00"


@pytest.mark.django_db
def test_the_statement_page_in_german(client, two_partners):
    mine, _ = two_partners
    own = mine.agreements.get().statements.get()
    StatementLine.objects.create(
        statement=own, position=9, kind="plan", label="Plan volume met", figure="12000.00 of 10000.00", met=True,
        percent=D("3"), amount=D("0"),
    )  # fmt: skip
    signed_in(client, "nord", "pw-nord-1")
    page = client.get(f"/partner/statements/{own.pk}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Umsatzstaffel (rückwirkend)" in page and "300,00 erreicht 2,00 %" in page
    assert "Planumsatz erreicht</td><td>12000.00 of 10000.00" in page  # an old line: its figure as stored
    assert "Volume tier" not in page
