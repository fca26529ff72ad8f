"""/my/ for a staff card: the company's discount, level and points, marked as the company's; the holder's own
details and purchases, never a colleague's."""

import pytest

from cards.companies import card_join_company, card_leave_company
from loyalty.models import Company, Customer
from pos.models import Receipt
from tests.mycard import support as my_support
from tests.mycard.support import pin, sign_in
from tests.pos.helpers import activate, buy, line

pytestmark = pytest.mark.django_db
fresh_cache = my_support.fresh_cache

ANNA, BOB = "2000000000015", "2000000000022"


def test_a_staff_card_shows_the_companys_balance_and_only_its_own_purchases(till, client):
    activate(till, number=ANNA, name="Anna Kowalska", phone="+48600100200")
    activate(till, number=BOB, name="Bob Nowak", phone="+48600100201")
    assert buy(till, [line("TV", "produce", "1", "400.00", "TV")], card=ANNA).status_code == 201
    assert buy(till, [line("TV", "produce", "1", "350.00", "TV")], card=BOB).status_code == 201
    company = Company.objects.create(name="Müller Bau GmbH", vat_id="DE123456789")
    for number in (ANNA, BOB):
        card_join_company(number=number, company_id=company.pk)

    assert sign_in(client, ANNA, pin(ANNA)).status_code == 302
    page = client.get("/my/").content.decode()
    assert "Hello, Anna K." in page
    assert 'id="company-note"' in page and "A staff card of Müller Bau GmbH" in page
    assert '<span id="points-balance">37.50</span>' in page
    assert '<span class="badge" id="level">Gold</span>' in page
    anna_receipt, bob_receipt = (Receipt.objects.get(card__number=n).pk for n in (ANNA, BOB))
    assert f"/my/receipts/{anna_receipt}/" in page and f"/my/receipts/{bob_receipt}/" not in page
    assert client.get(f"/my/receipts/{bob_receipt}/").status_code == 404

    # Her e-mail is hers: saved on her record, not on the company's.
    assert client.post("/my/profile/", {"email": "anna@example.com"}).status_code == 302
    emails = dict(Customer.objects.values_list("name", "email"))
    assert (emails["Anna Kowalska"], emails["Müller Bau GmbH"]) == ("anna@example.com", "")


def test_a_card_that_left_its_company_shows_its_own_account_and_keeps_its_staff_purchases(till, client):
    activate(till, number=ANNA, name="Anna Kowalska", phone="+48600100200")
    activate(till, number=BOB, name="Bob Nowak", phone="+48600100201")
    before = buy(till, [line("TV", "produce", "1", "400.00", "TV")], card=ANNA).json()["receipt_id"]
    company = Company.objects.create(name="Müller Bau GmbH", vat_id="DE123456789")
    for number in (ANNA, BOB):
        card_join_company(number=number, company_id=company.pk)
    staff = buy(till, [line("TV", "produce", "1", "100.00", "TV")], card=ANNA).json()["receipt_id"]
    colleague = buy(till, [line("TV", "produce", "1", "100.00", "TV")], card=BOB).json()["receipt_id"]
    card_leave_company(number=ANNA, reason="Left the firm, keeps the card")
    after = buy(till, [line("TV", "produce", "1", "10.00", "TV")], card=ANNA).json()["receipt_id"]

    assert sign_in(client, ANNA, pin(ANNA)).status_code == 302
    page = client.get("/my/").content.decode()
    assert "Hello, Anna K." in page and 'id="company-note"' not in page
    assert '<span id="points-balance">0.50</span>' in page  # her own account again: 10.00 at base, 5 %
    for receipt in (before, staff, after):
        assert f"/my/receipts/{receipt}/" in page
    assert client.get(f"/my/receipts/{staff}/").status_code == 200
    assert f"/my/receipts/{colleague}/" not in page and client.get(f"/my/receipts/{colleague}/").status_code == 404
