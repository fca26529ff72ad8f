"""The manager's back office: approve, pay out, export, reverse, payments by hand and from accounting's CSV."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from partners import payments
from partners.models import Payment, ReceiptOnAccount, Statement
from partners.services import settle_period
from tests.partners.shop import NOV, SETTLED_AT, company, receipt, retro_bonus, staff_card

pytestmark = pytest.mark.django_db


@pytest.fixture
def statement():
    firm = company()
    retro_bonus(firm)
    receipt(staff_card(firm), "12000.00", NOV)
    settle_period(month="2026-11", at=SETTLED_AT)
    return Statement.objects.get()


def act(client, action, *ids):
    return client.post("/admin/partners/statement/", {"action": action, "_selected_action": [str(i) for i in ids]})


def test_approve_then_export_marks_paid_and_gives_the_accounting_csv(manager_client, statement):
    act(manager_client, "approve", statement.pk)
    statement.refresh_from_db()
    assert statement.status == "approved"
    response = act(manager_client, "export_csv", statement.pk)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.decode().splitlines() == [
        "statement,period,party,vat_id_or_code,volume,bonus,adjustment,payable",
        f"{statement.pk},2026-11,Bau GmbH,DE123456789,12000.00,720.00,0.00,720.00",
    ]  # plan 3 % + paid on time 3 % (nothing on account); no paint bought
    statement.refresh_from_db()
    assert (statement.status, statement.payout) == ("paid", "export")
    assert [e.action for e in statement.events.order_by("id")] == ["made", "approved", "paid"]


def test_a_draft_cannot_be_paid_out_and_nothing_changes(manager_client, statement):
    act(manager_client, "pay_out_credit", statement.pk)
    statement.refresh_from_db()
    assert (statement.status, statement.payout, statement.events.count()) == ("draft", "", 1)


def test_reverse_needs_a_reason_and_makes_a_negated_statement(manager_client, statement):
    url = f"/admin/partners/statement/{statement.pk}/reverse/"
    assert manager_client.post(url, {"reason": ""}).status_code == 200
    assert Statement.objects.count() == 1
    response = manager_client.post(url, {"reason": "plan was wrong"})
    reversal = Statement.objects.get(kind="reversal")
    assert response["Location"] == f"/admin/partners/statement/{reversal.pk}/change/"
    assert (reversal.bonus, reversal.reverses) == (D("-720.00"), statement)
    page = manager_client.get(response["Location"]).content.decode()
    assert manager_client.get(f"/admin/partners/statement/{statement.pk}/change/").status_code == 200
    # a draft: nothing was paid, so nothing is taken back, and the manager is told so
    assert f"Statement {statement.pk} is reversed by statement {reversal.pk} (nothing was paid out)." in page
    assert (reversal.status, reversal.get_status_display()) == ("closed", "Nothing to pay")


def test_payments_imported_from_csv_all_or_nothing_and_once(manager_client):
    firm = company()
    card = staff_card(firm)
    first, second = receipt(card, "100.00", NOV), receipt(card, "50.00", NOV + timedelta(days=1))
    for r in (first, second):
        payments.receipt_on_account(receipt_id=r.pk, at=r.created_at)
    url = "/admin/partners/receiptonaccount/import/"
    bad = f"receipt,amount,paid_on,reference\n{first.pk},100.00,2026-11-20,B1\n{second.pk},fifty,2026-11-20,B2\n"
    page = manager_client.post(url, {"file": SimpleUploadedFile("p.csv", bad.encode())}).content.decode()
    assert "Line 3: not a receipt id, an amount, a date YYYY-MM-DD and a reference." in page
    assert Payment.objects.count() == 0
    good = f"receipt,amount,paid_on,reference\n{first.pk},100.00,2026-11-20,B1\n{second.pk},50.00,2026-11-30,B2\n"
    for _ in range(2):
        response = manager_client.post(url, {"file": SimpleUploadedFile("p.csv", good.encode())})
        assert response.status_code == 302
    assert Payment.objects.count() == 2
    on_account = {c.receipt_id: (c.paid, c.paid_in_full_on.isoformat()) for c in ReceiptOnAccount.objects.all()}
    assert on_account == {first.pk: (D("100.00"), "2026-11-20"), second.pk: (D("50.00"), "2026-11-30")}


def test_a_payment_above_what_is_owed_is_refused_on_the_form(manager_client):
    r = receipt(staff_card(company()), "100.00", NOV)
    charge = payments.receipt_on_account(receipt_id=r.pk, at=NOV)
    url = f"/admin/partners/receiptonaccount/{charge.pk}/payment/"
    page = manager_client.post(url, {"amount": "100.01", "paid_on": "2026-11-20", "reference": "X"}).content.decode()
    assert "is more than the 100.00 owed" in page
    assert Payment.objects.count() == 0
    assert manager_client.post(url, {"amount": "100.00", "paid_on": "2026-11-20", "reference": "X"}).status_code == 302
    assert ReceiptOnAccount.objects.get().paid_in_full_on.isoformat() == "2026-11-20"


def test_a_manager_reads_a_companys_statement_with_every_receipt(manager_client, statement):
    page = manager_client.get(f"/partner/statements/{statement.pk}/").content.decode()
    assert "Bau GmbH" in page and "Plan volume met" in page and "12,000.00" in page
    assert manager_client.get(f"/admin/partners/statement/{statement.pk}/change/").status_code == 200
    csv = manager_client.get(f"/partner/statements/{statement.pk}.csv").content.decode().splitlines()
    assert len(csv) == 2 and csv[1].endswith(",12000.00,,0.00")


def test_pay_out_as_credit_from_the_admin_puts_the_points_on_the_staff_card_and_shows_them(manager_client, statement):
    from loyalty.models import Account

    act(manager_client, "approve", statement.pk)
    act(manager_client, "pay_out_credit", statement.pk)
    statement.refresh_from_db()
    assert (statement.status, statement.payout, statement.payout_points) == ("paid", "credit", D("720.00"))
    account = Account.objects.get(company=statement.agreement.company)
    assert account.points_balance == D("720.00")
    page = manager_client.get(f"/admin/partners/statement/{statement.pk}/change/").content.decode()
    assert "credit: 720.00 points" in page
    act(manager_client, "pay_out_discount", statement.pk)  # paid already: refused, nothing more
    account.refresh_from_db()
    assert (account.points_balance, statement.events.filter(action="paid").count()) == (D("720.00"), 1)
