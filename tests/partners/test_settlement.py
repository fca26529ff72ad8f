"""settle_period: the worked example, once per period, refunds after close, partners and key accounts."""

import os
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from partners import payments
from partners.models import KeyAccount, Statement, StatementItem, Tier
from partners.services import settle_period, statement_reverse
from tests.partners.shop import DEC, NOV, SETTLED_AT, assign, company, partner, receipt, refund, retro_bonus, staff_card

pytestmark = pytest.mark.django_db


def the_worked_example(*, pay_late=False):
    firm = company(days_to_pay=14)
    retro_bonus(firm)
    anna, ben = staff_card(firm, "Anna Bau"), staff_card(firm, "Ben Bau")
    bought = [receipt(anna, "6000.00", NOV), receipt(ben, "5500.00", NOV + timedelta(days=3)),
              receipt(ben, "500.00", NOV + timedelta(days=5), sku="PAINT-5L", category="paint")]  # fmt: skip
    for r in bought:
        payments.receipt_on_account(receipt_id=r.pk, at=r.created_at)
        due = r.on_account.due_on
        paid_on = due + timedelta(days=1) if pay_late and r is bought[0] else due
        payments.payment_record(receipt_id=r.pk, amount=r.total_due, paid_on=paid_on, reference=f"bank-{r.pk}",
                                source="manager", by=None, at=r.created_at)  # fmt: skip
    return firm, bought


def test_the_worked_example_met_plan_paid_on_time_bought_the_line_earns_8_percent():
    the_worked_example()
    run = settle_period(month="2026-11", at=SETTLED_AT)
    statement = Statement.objects.get()
    assert (run.statements, run.total) == (1, D("960.00"))
    assert (statement.volume, statement.bonus, statement.receipts) == (D("12000.00"), D("960.00"), 3)
    assert [(ln.label, ln.figure, ln.met, ln.percent, ln.amount) for ln in statement.lines.all()] == [
        ("Plan volume met", "12000.00 of 10000.00", True, D("3.00"), D("360.00")),
        ("Paid on time", "all paid on time", True, D("3.00"), D("360.00")),
        ("Chosen line bought", "500.00 bought", True, D("2.00"), D("240.00")),
    ]
    assert run.summary() == "1 statement made for 2026-11, total 960.00"


def test_paid_late_earns_5_percent():
    the_worked_example(pay_late=True)
    assert settle_period(month="2026-11", at=SETTLED_AT).total == D("600.00")
    assert Statement.objects.get().lines.get(kind="on_time").figure == "1 paid late"


def test_a_rerun_writes_nothing_and_a_dry_run_writes_nothing():
    the_worked_example()
    dry = settle_period(month="2026-11", at=SETTLED_AT, dry_run=True)
    assert (dry.statements, dry.total, Statement.objects.count()) == (1, D("960.00"), 0)
    settle_period(month="2026-11", at=SETTLED_AT)
    counts = (Statement.objects.count(), StatementItem.objects.count())
    again = settle_period(month="2026-11", at=SETTLED_AT + timedelta(hours=1))
    assert (again.statements, again.total) == (0, D("0"))
    assert (Statement.objects.count(), StatementItem.objects.count()) == counts == (1, 3)


def test_a_correction_is_a_reversing_statement_then_a_new_settlement():
    _, bought = the_worked_example()
    first = settle_period(month="2026-11", at=SETTLED_AT) and Statement.objects.get()
    reversal = statement_reverse(statement_id=first.pk, by=None, at=SETTLED_AT, reason="wrong plan")
    assert (reversal.kind, reversal.bonus, reversal.volume) == ("reversal", D("-960.00"), D("-12000.00"))
    assert [ln.amount for ln in reversal.lines.all()] == [D("-360.00"), D("-360.00"), D("-240.00")]
    again = settle_period(month="2026-11", at=SETTLED_AT + timedelta(hours=1))
    assert (again.statements, again.total) == (1, D("960.00"))
    first.refresh_from_db()
    assert first.bonus == D("960.00")  # the closed statement itself is never edited


def test_a_refund_in_the_period_counts_net_and_one_after_close_adjusts_the_next_statement():
    firm, bought = the_worked_example()
    refund(bought[0], "1000.00", NOV + timedelta(days=6))  # same month: net 11000.00, still above plan
    settle_period(month="2026-11", at=SETTLED_AT)
    november = Statement.objects.get()
    assert (november.volume, november.bonus) == (D("11000.00"), D("880.00"))
    refund(bought[1], "500.00", DEC)  # December: November is closed
    staff = bought[1].card
    receipt(staff, "100.00", DEC + timedelta(days=1))
    settle_period(month="2026-12", at=SETTLED_AT + timedelta(days=31))
    november.refresh_from_db()
    december = Statement.objects.get(period_start=date(2026, 12, 1))
    assert (november.volume, november.bonus, november.adjustment) == (D("11000.00"), D("880.00"), D("0.00"))
    assert (december.volume, december.adjustment) == (D("100.00"), D("-40.00"))  # 500.00 at November's 8 %
    late = december.lines.get(kind="late_refund")
    assert (late.amount, late.figure) == (
        D("-40.00"),
        f"receipt {bought[1].pk}: 500.00 refunded after its period closed",
    )
    assert settle_period(month="2026-12", at=SETTLED_AT + timedelta(days=32)).statements == 0
    assert StatementItem.objects.filter(refund__isnull=False).count() == 1


def test_a_partner_earns_tiered_commission_on_its_customers_only_and_key_accounts_by_their_rule():
    agent = partner()
    from partners.models import Agreement

    agreement = Agreement.objects.create(name="Agent", partner=agent, valid_from=date(2026, 1, 1))
    Tier.objects.create(agreement=agreement, threshold=D("0"), percent=D("2"))
    Tier.objects.create(agreement=agreement, threshold=D("1000.00"), percent=D("4"))
    mine, key, excluded, other = (staff_card(company(name=n, vat=v), n) for n, v in
                                  [("a", "V1"), ("b", "V2"), ("c", "V3"), ("d", "V4")])  # fmt: skip
    for card in (mine, key, excluded):
        assign(agent, card)
    KeyAccount.objects.create(partner=agent, customer=key.account.customer, percent=D("1"))
    KeyAccount.objects.create(partner=agent, customer=excluded.account.customer, percent=None)
    receipt(mine, "1200.00", NOV)
    receipt(key, "500.00", NOV)
    receipt(excluded, "900.00", NOV)
    receipt(other, "5000.00", NOV)
    settle_period(month="2026-11", at=SETTLED_AT)
    statement = Statement.objects.get(agreement=agreement)
    assert (statement.volume, statement.bonus, statement.receipts) == (D("1700.00"), D("53.00"), 2)
    assert [(ln.kind, ln.amount) for ln in statement.lines.all()] == [("tier", D("48.00")), ("key_account", D("5.00"))]


def test_an_unfinished_month_or_a_bad_period_is_one_readable_line_and_nothing_written():
    the_worked_example()
    with pytest.raises(CommandError, match="--period must be a month as YYYY-MM, not '2026-13'"):
        call_command("settle_period", "--period", "2026-13")
    with pytest.raises(CommandError, match="has not ended yet"):
        call_command("settle_period", "--period", "2999-01")
    assert Statement.objects.count() == 0


@pytest.mark.parametrize("period", ["2026-1", "2026-011", " 2026-11", "2026-+1", "+2026-11", "２０２６-１１"])
def test_a_period_not_written_yyyy_mm_is_refused_and_nothing_written(period):
    """api.md: `settle_period --period YYYY-MM`; '2026-1' is not that month written another way."""
    the_worked_example()
    with pytest.raises(CommandError) as refused:
        call_command("settle_period", "--period", period)
    assert str(refused.value) == f"--period must be a month as YYYY-MM, not {period!r}."
    assert Statement.objects.count() == 0


def test_a_bad_period_exits_1_with_one_line_on_stderr():
    shown = subprocess.run(
        [sys.executable, "manage.py", "settle_period", "--period", "2026-1"], capture_output=True, text=True,
        cwd=settings.BASE_DIR, env={**os.environ, "DJANGO_DEBUG": "true"},
    )  # fmt: skip
    assert (shown.returncode, shown.stdout, shown.stderr) == (
        1,
        "",
        "CommandError: --period must be a month as YYYY-MM, not '2026-1'.\n",
    )


def test_growth_units_tiers_and_cap_from_the_receipts():
    from partners.models import Agreement, Condition, UnitRate

    firm = company()
    agreement = Agreement.objects.create(
        name="Growth", company=firm, valid_from=date(2025, 1, 1), tier_mode="marginal", cap=D("500.00")
    )
    Condition.objects.create(agreement=agreement, kind="growth", percent=D("1"), growth_percent=D("10"))
    Tier.objects.create(agreement=agreement, threshold=D("0"), percent=D("1"))
    Tier.objects.create(agreement=agreement, threshold=D("5000.00"), percent=D("2"))
    UnitRate.objects.create(agreement=agreement, sku="DRILL-X", amount=D("2.50"))
    card = staff_card(firm)
    receipt(card, "5000.00", NOV.replace(year=2025))  # last year's November
    drills = receipt(card, "6000.00", NOV, sku="DRILL-X", quantity="12")
    refund(drills, "500.00", NOV + timedelta(days=1), quantity="2")  # 10 drills kept, 5500.00 net
    settle_period(month="2026-11", at=SETTLED_AT)
    statement = Statement.objects.get()
    assert (statement.volume, statement.last_year_volume) == (D("5500.00"), D("5000.00"))
    assert [(ln.kind, ln.figure, ln.met, ln.amount) for ln in statement.lines.all()] == [
        ("growth", "10.00 % against 5000.00", True, D("55.00")),
        ("tier", "5500.00 reaches 2.00 %", True, D("60.00")),  # 5000 at 1 % + 500 at 2 %
        ("unit", "10.000 × 2.50", True, D("25.00")),
    ]
    assert statement.bonus == D("140.00")


def test_a_quarterly_agreement_settles_only_when_its_quarter_ends():
    from partners.models import Agreement

    firm = company()
    agreement = Agreement.objects.create(name="Q", company=firm, period="quarter", valid_from=date(2026, 1, 1))
    Tier.objects.create(agreement=agreement, threshold=D("0"), percent=D("1"))
    card = staff_card(firm)
    receipt(card, "1000.00", NOV - timedelta(days=30))  # October
    receipt(card, "2000.00", NOV)
    assert settle_period(month="2026-11", at=SETTLED_AT).statements == 0
    settle_period(month="2026-12", at=SETTLED_AT)
    statement = Statement.objects.get()
    assert (statement.period_start, statement.period_end, statement.volume, statement.bonus) == (
        date(2026, 10, 1), date(2026, 12, 31), D("3000.00"), D("30.00"),
    )  # fmt: skip


def test_receipts_of_a_company_paying_on_account_are_booked_with_its_terms_once():
    firm = company(days_to_pay=30, pays_on_account=True, prepayment_discount_percent=D("2.00"))
    cash = company(name="Cash AG", vat="DE999")
    retro_bonus(firm)
    invoiced = receipt(staff_card(firm), "12000.00", NOV)
    receipt(staff_card(cash), "100.00", NOV)
    assert payments.book_receipts_on_account(at=NOV) == 1
    assert payments.book_receipts_on_account(at=NOV) == 0
    booked = invoiced.on_account
    assert (booked.amount, booked.due_on, booked.days_to_pay, booked.prepayment_discount_percent) == (
        D("12000.00"), date(2026, 12, 10), 30, D("2.00"),
    )  # fmt: skip
    # Unpaid and past due when November is settled on 2 January: not paid on time.
    settle_period(month="2026-11", at=SETTLED_AT)
    assert Statement.objects.get(agreement__company=firm).lines.get(kind="on_time").figure == "1 paid late"
