"""The partner's pages: its own login, tier and progress, its customers and statements only (page, CSV, PDF)."""

from decimal import Decimal as D

import pytest

pytestmark = pytest.mark.django_db


def signed_in(client, username, password):
    assert client.post("/partner/login/", {"username": username, "password": password}).status_code == 302
    return client


def test_the_partner_sees_its_tier_progress_customers_and_statements_only(client, two_partners):
    mine, theirs = two_partners
    page = signed_in(client, "nord", "pw-nord-1").get("/partner/").content.decode()
    assert "Sell 3,200.00 more this quarter for 4 %" in page
    assert "Anna K." in page and "Bert" not in page
    assert "+48" not in page  # no phone numbers: the partner sees what it brought, the short name
    own = mine.agreements.get().statements.get()
    other = theirs.agreements.get().statements.get()
    assert f"/partner/statements/{own.pk}/" in page and f"/partner/statements/{other.pk}/" not in page


def test_another_partners_statement_is_404_as_page_csv_and_pdf(client, two_partners):
    mine, theirs = two_partners
    other = theirs.agreements.get().statements.get()
    signed_in(client, "nord", "pw-nord-1")
    for suffix in ("/", ".csv", ".pdf"):
        assert client.get(f"/partner/statements/{other.pk}{suffix}").status_code == 404


def test_the_own_statement_as_page_csv_and_pdf(client, two_partners):
    mine, _ = two_partners
    own = mine.agreements.get().statements.get()
    signed_in(client, "nord", "pw-nord-1")
    page = client.get(f"/partner/statements/{own.pk}/").content.decode()
    assert "Volume tier (retroactive)" in page and "300.00 reaches 2.00 %" in page
    csv = client.get(f"/partner/statements/{own.pk}.csv")
    rid = own.items.get().receipt_id
    assert csv["Content-Type"] == "text/csv"
    assert csv.content.decode().splitlines() == [
        "receipt,date,customer,amount,refund,bonus",
        f"{rid},2026-08-10 12:00,Anna K.,300.00,,0.00",
    ]
    pdf = client.get(f"/partner/statements/{own.pk}.pdf")
    assert (pdf["Content-Type"], pdf.content[:5]) == ("application/pdf", b"%PDF-")


def test_anonymous_goes_to_the_sign_in_and_a_non_partner_gets_403(client, two_partners, django_user_model):
    assert client.get("/partner/")["Location"] == "/partner/login/?next=/partner/"
    own = two_partners[0].agreements.get().statements.get()
    assert client.get(f"/partner/statements/{own.pk}.csv").status_code == 302
    django_user_model.objects.create_user("cashier1", password="pw-cash-1")
    signed_in(client, "cashier1", "pw-cash-1")
    assert client.get("/partner/").status_code == 403
    assert client.get(f"/partner/statements/{own.pk}.pdf").status_code == 404


def test_a_wrong_password_stays_on_the_sign_in(client, two_partners):
    response = client.post("/partner/login/", {"username": "nord", "password": "wrong"})
    assert response.status_code == 200
    assert "The user name or password is not right." in response.content.decode()


def test_a_manager_opens_any_statement_as_pdf(manager_client, two_partners):
    other = two_partners[1].agreements.get().statements.get()
    assert manager_client.get(f"/partner/statements/{other.pk}.pdf").status_code == 200


def test_the_managers_cost_page_weighs_each_programme_against_its_extra_volume(manager_client, two_partners):
    page = manager_client.get("/manager/partners/?start=2026-07-01&end=2026-09-30").content.decode()
    assert "Commission AGENT-7" in page and "Commission AGENT-9" in page
    rows = two_partners[0].agreements.get().statements.get()
    assert (rows.volume, rows.bonus) == (D("300.00"), D("6.00"))
    assert "6.00" in page and "2.00 %" in page  # 6.00 paid on 300.00 its customers bought


def test_the_cost_page_is_for_managers_only(client, two_partners):
    assert client.get("/manager/partners/").status_code == 302
    signed_in(client, "nord", "pw-nord-1")
    assert client.get("/manager/partners/").status_code == 403


def test_the_partner_page_in_german(client, two_partners):
    signed_in(client, "nord", "pw-nord-1")
    client.cookies["django_language"] = "de"
    page = client.get("/partner/").content.decode()
    assert "Verkaufen Sie in diesem Quartal noch 3.200,00 für 4 %" in page
    assert "Ihre Kunden" in page and "Wartet auf Freigabe" in page and "Von einem Manager zugeordnet" in page
