"""Settlements and payments at the same moment, for real, on PostgreSQL."""

import contextlib
from decimal import Decimal as D

import pytest

from partners import payments
from partners.models import Payment, ReceiptOnAccount, Statement, StatementItem
from partners.services import settle_period
from tests.partners.shop import NOV, SETTLED_AT, company, receipt, retro_bonus, staff_card
from tests.pos.test_api_races import in_parallel

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_settlement_runs_at_once_make_one_statement():
    firm = company()
    retro_bonus(firm)
    receipt(staff_card(firm), "12000.00", NOV)
    runs = in_parallel(2, lambda i: settle_period(month="2026-11", at=SETTLED_AT))
    assert sorted(r.statements for r in runs) == [0, 1]
    assert (Statement.objects.count(), StatementItem.objects.count()) == (1, 1)


def test_two_payments_of_one_receipt_never_pay_more_than_it_owes():
    firm = company()
    r = receipt(staff_card(firm), "100.00", NOV)
    payments.receipt_on_account(receipt_id=r.pk, at=NOV)

    def pay(i):
        try:
            return payments.payment_record(
                receipt_id=r.pk, amount=D("60.00"), paid_on=NOV.date(), reference=f"bank-{i}", source="manager",
                by=None, at=NOV,
            )  # fmt: skip
        except payments.PaymentRefused as refused:
            return refused

    results = in_parallel(2, pay)
    assert sorted(type(x).__name__ for x in results) == ["Payment", "PaymentRefused"]
    assert ReceiptOnAccount.objects.get().paid == D("60.00") == sum(p.amount for p in Payment.objects.all())


def test_two_managers_paying_out_one_statement_pay_it_once():
    from partners.services import StatementRefused, statement_approve, statement_pay_out

    firm = company()
    retro_bonus(firm)
    receipt(staff_card(firm), "12000.00", NOV)
    settle_period(month="2026-11", at=SETTLED_AT)
    statement = Statement.objects.get()
    statement_approve(statement_id=statement.pk, by=None, at=SETTLED_AT)

    def pay(i):
        try:
            return statement_pay_out(statement_id=statement.pk, by=None, at=SETTLED_AT, payout=("credit", "export")[i])
        except StatementRefused as refused:
            return refused

    results = in_parallel(2, pay)
    assert sorted(type(x).__name__ for x in results) == ["Statement", "StatementRefused"]
    assert statement.events.filter(action="paid").count() == 1


def test_two_credits_of_one_statement_at_once_credit_the_points_once():
    from loyalty.models import Account, PointsEntry
    from partners.services import StatementRefused, statement_approve, statement_pay_out

    firm = company()
    card = staff_card(firm)
    retro_bonus(firm)
    receipt(card, "12000.00", NOV)
    settle_period(month="2026-11", at=SETTLED_AT)
    statement = Statement.objects.get()

    def approve_and_pay(i):
        with contextlib.suppress(StatementRefused):  # the other manager approved it first
            statement_approve(statement_id=statement.pk, by=None, at=SETTLED_AT)
        try:
            return statement_pay_out(statement_id=statement.pk, by=None, at=SETTLED_AT, payout="credit")
        except StatementRefused as refused:
            return refused

    results = in_parallel(2, approve_and_pay)
    assert sorted(type(x).__name__ for x in results) == ["Statement", "StatementRefused"]
    assert list(PointsEntry.objects.filter(kind="adjust").values_list("points", flat=True)) == [D("720.00")]
    assert Account.objects.get(pk=card.account_id).points_balance == D("720.00")
    assert statement.events.filter(action="approved").count() == 1
