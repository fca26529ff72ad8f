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


def test_a_bonus_coupon_used_at_the_till_while_its_statement_is_reversed_is_either_used_or_withdrawn():
    """The reversal's one conditional UPDATE waits for a till holding the coupon's row: either the sale used
    it and the reversal keeps its discount for the next statement, or the coupon is withdrawn and the sale is
    refused; never both, never neither."""
    from django.utils import timezone

    from cards.models import Card
    from loyalty.models import Account
    from partners.services import statement_approve, statement_pay_out, statement_reverse
    from pos.demo import build_demo
    from promotions.models import CouponUse
    from tests.pos.helpers import CARD, activate, line
    from tests.tills import CENTRAL, terminal_client

    build_demo()
    activate(terminal_client(CENTRAL))
    firm = company()
    Account.objects.filter(pk=Card.objects.get(number=CARD).account_id).update(company=firm)
    retro_bonus(firm)
    receipt(Card.objects.get(number=CARD), "1000.00", NOV)  # paid on time 3 % of 1,000.00 = 30.00
    settle_period(month="2026-11", at=SETTLED_AT)
    statement = Statement.objects.get()
    statement_approve(statement_id=statement.pk, by=None, at=SETTLED_AT)
    coupon = statement_pay_out(statement_id=statement.pk, by=None, at=SETTLED_AT, payout="discount").payout_coupon
    campaign = coupon.campaign
    campaign.starts_on = campaign.ends_on = timezone.localdate()
    campaign.save()

    def use_or_reverse(i):
        if i == 1:
            return statement_reverse(statement_id=statement.pk, by=None, at=timezone.now(), reason="wrong terms")
        body = {"card_number": CARD, "redeem_points": "0.00", "coupons": [coupon.code],
                "lines": [line("BREAD", "bakery", "1", "100.00", "Bread")]}  # fmt: skip
        response = terminal_client(CENTRAL).post("/api/v1/checkout/", body, format="json", HTTP_IDEMPOTENCY_KEY="b1")
        return response.status_code

    status, reversal = in_parallel(2, use_or_reverse)
    coupon.refresh_from_db()
    given = sum(CouponUse.objects.filter(coupon=coupon).values_list("discount", flat=True), D("0.00"))
    if status == 201:
        assert (coupon.uses, coupon.max_uses, given, reversal.kept) == (1, 1, D("30.00"), D("30.00"))
    else:
        assert (status, coupon.uses, coupon.max_uses, given, reversal.kept) == (409, 0, 0, D("0.00"), D("0.00"))
