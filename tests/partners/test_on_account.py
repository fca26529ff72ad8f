"""A refund of a receipt booked on account lowers what it owes: payments are weighed against the rest, and
a receipt whose payments and refunds cover it counts as paid on the day the last of them came."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from partners import payments
from partners.models import Payment, ReceiptOnAccount, Statement
from partners.services import settle_period
from tests.partners.shop import NOV, SETTLED_AT, company, receipt, refund, retro_bonus, staff_card

pytestmark = pytest.mark.django_db


def booked(amount="100.00"):
    firm = company(pays_on_account=True, days_to_pay=14)  # due 24 November
    retro_bonus(firm)
    r = receipt(staff_card(firm), amount, NOV)
    payments.book_receipts_on_account(at=NOV)
    return r


def pay(r, amount, day, reference):
    return payments.payment_record(
        receipt_id=r.pk, amount=D(amount), paid_on=day, reference=reference, source="manager", by=None, at=NOV
    )


def state(r):
    c = ReceiptOnAccount.objects.get(receipt=r)
    return c.amount, c.refunded, c.paid, c.owed, c.paid_in_full_on


def on_time_figure():
    settle_period(month="2026-11", at=SETTLED_AT)
    return Statement.objects.get().lines.get(kind="on_time").figure


def test_a_refund_before_paying_lowers_what_is_owed_and_the_rest_pays_it_in_full():
    r = booked()
    refund(r, "40.00", NOV + timedelta(days=2))
    with pytest.raises(payments.PaymentRefused, match="61.00 is more than the 60.00 owed"):
        pay(r, "61.00", date(2026, 11, 20), "bank-1")
    # Refused, so nothing is written (the refunds are followed again with the next payment or tonight).
    assert (state(r), Payment.objects.count()) == ((D("100.00"), D("0.00"), D("0.00"), D("100.00"), None), 0)
    pay(r, "60.00", date(2026, 11, 20), "bank-1")
    assert state(r) == (D("100.00"), D("40.00"), D("60.00"), D("0.00"), date(2026, 11, 20))
    assert on_time_figure() == "all paid on time"


def test_a_refund_after_part_payment_settles_the_receipt_on_the_refunds_day():
    r = booked()
    pay(r, "60.00", date(2026, 11, 15), "bank-1")
    refund(r, "40.00", NOV + timedelta(days=6))  # 16 November
    assert payments.follow_refunds() == 1
    assert payments.follow_refunds() == 0  # a second run finds nothing to change
    assert state(r) == (D("100.00"), D("40.00"), D("60.00"), D("0.00"), date(2026, 11, 16))
    assert on_time_figure() == "all paid on time"


def test_a_receipt_refunded_in_full_after_its_due_date_was_not_paid_on_time():
    r = booked()
    refund(r, "100.00", NOV + timedelta(days=20))  # 30 November, due the 24th
    assert on_time_figure() == "1 paid late"  # the settlement follows the refunds first
    assert state(r) == (D("100.00"), D("100.00"), D("0.00"), D("0.00"), date(2026, 11, 30))


def test_a_refund_of_a_receipt_paid_in_full_keeps_its_payment_day_and_owes_nothing():
    r = booked()
    pay(r, "100.00", date(2026, 11, 12), "bank-1")
    refund(r, "30.00", NOV + timedelta(days=5))
    payments.follow_refunds()
    assert state(r) == (D("100.00"), D("30.00"), D("100.00"), D("0.00"), date(2026, 11, 12))


def test_an_unpaid_receipt_part_refunded_is_still_owed_and_late_after_its_due_date():
    r = booked()
    refund(r, "40.00", NOV + timedelta(days=1))
    assert on_time_figure() == "1 paid late"
    assert state(r) == (D("100.00"), D("40.00"), D("0.00"), D("60.00"), None)


def test_the_admin_list_shows_refunded_paid_and_owed(manager_client):
    r = booked()
    refund(r, "40.00", NOV + timedelta(days=2))
    payments.follow_refunds()
    page = manager_client.get("/admin/partners/receiptonaccount/").content.decode()
    assert (
        '<td class="field-refunded">40.00</td><td class="field-paid">0.00</td><td class="field-owed">60.00</td>' in page
    )
