"""Staff cards of a business customer share the company's one account: spend, level and points."""

from decimal import Decimal as D

import pytest

from cards.companies import card_join_company
from cards.lifecycle import card_block, card_replace
from cards.models import Card, CompanyJoin
from core.errors import DomainError
from loyalty.models import Account, Company, PointsEntry, SpendEntry
from pos.models import Receipt
from tests.cards.companies import ANNA, BOB, CAROL, FRESH, ledger, state
from tests.pos.helpers import activate, buy, line, refund

pytestmark = pytest.mark.django_db


def test_joining_moves_spend_and_points_by_ledger_rows_into_one_company_account(staff, company):
    anna_own, bob_own = staff[ANNA].account_id, staff[BOB].account_id
    first = card_join_company(number=ANNA, company_id=company.pk)
    company.refresh_from_db()
    shared = company.account_id
    assert (first.points_moved, first.points_kept, first.spend_moved) == (D("20.00"), D("0.00"), D("400.00"))
    assert state(shared) == (D("400.00"), "Silver", D("20.00"))
    assert state(anna_own) == (D("0.00"), None, D("0.00"))

    second = card_join_company(number=BOB, company_id=company.pk)
    assert (second.points_moved, second.spend_moved) == (D("17.50"), D("350.00"))
    assert state(shared) == (D("750.00"), "Gold", D("37.50"))  # 750 reaches Gold (700) together
    assert state(bob_own) == (D("0.00"), None, D("0.00"))
    for account_id in (shared, anna_own, bob_own):  # every balance is its ledger, history kept on both sides
        assert Account.objects.get(pk=account_id).points_balance == ledger(account_id)
    assert list(PointsEntry.objects.filter(kind="transfer").order_by("id").values_list("account_id", "points")) == [
        (anna_own, D("-20.00")),
        (shared, D("20.00")),
        (bob_own, D("-17.50")),
        (shared, D("17.50")),
    ]
    assert list(SpendEntry.objects.filter(account_id=shared).values_list("kind", "amount", "level_after")) == [
        ("transfer", D("400.00"), "Silver"),
        ("transfer", D("350.00"), "Gold"),
    ]
    assert list(Card.objects.filter(number__in=[ANNA, BOB]).values_list("account_id", flat=True)) == [shared] * 2
    assert Receipt.objects.filter(card__number=ANNA).get().account_id == anna_own  # past receipts stay where made
    customer = Account.objects.select_related("customer").get(pk=shared).customer
    assert (customer.name, Account.objects.get(pk=shared).company_id) == ("Müller Bau GmbH", company.pk)


def test_the_till_shows_a_staff_card_with_its_holder_and_the_companys_level_and_points(till, staff, company):
    for number in (ANNA, BOB):
        card_join_company(number=number, company_id=company.pk)
    assert till.get(f"/api/v1/cards/{BOB}/").json() == {
        "number": BOB, "status": "active", "customer": {"display_name": "Bob N."}, "discount_percent": "5.00",
        "level": "Gold", "points_balance": "37.50", "spend_total": "750.00",
        "next_level": {"name": "Platinum", "discount_percent": "7.00", "spend_needed": "750.00"},
        "company": {"name": "Müller Bau GmbH"},
    }  # fmt: skip


def test_a_staff_card_buys_at_the_company_level_and_earns_and_refunds_on_the_company_account(till, staff, company):
    for number in (ANNA, BOB):
        card_join_company(number=number, company_id=company.pk)
    shared = Company.objects.get(pk=company.pk).account_id
    # 100.00 at Gold (5 %) = 95.00, paying 10.00 with points: 85.00 paid, 4.25 points earned.
    response = buy(till, [line("TV", "produce", "1", "100.00", "TV")], card=ANNA, redeem="10.00")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["discount_total"], body["points_redeemed"], body["points_earned"]) == ("5.00", "10.00", "4.25")
    assert state(shared) == (D("835.00"), "Gold", D("31.75"))
    assert Receipt.objects.get(pk=body["receipt_id"]).account_id == shared
    assert till.get(f"/api/v1/cards/{BOB}/").json()["points_balance"] == "31.75"  # Bob sees Anna's purchase

    assert refund(till, body["receipt_id"]).status_code == 201  # no lines: the whole receipt
    # The whole receipt back: the 10.00 points return and the 4.25 earned are taken back, on the company account.
    assert state(shared) == (D("750.00"), "Gold", D("37.50"))
    assert Account.objects.get(pk=shared).points_balance == ledger(shared)


def test_a_company_on_contract_terms_earns_no_points_and_keeps_the_cards_own_points_apart(till, staff, company):
    Company.objects.filter(pk=company.pk).update(earns_points=False)
    joined = card_join_company(number=ANNA, company_id=company.pk)
    assert (joined.points_moved, joined.points_kept, joined.spend_moved) == (D("0.00"), D("20.00"), D("400.00"))
    shared = Company.objects.get(pk=company.pk).account_id
    assert state(shared) == (D("400.00"), "Silver", D("0.00"))
    assert state(staff[ANNA].account_id) == (D("0.00"), None, D("20.00"))
    body = buy(till, [line("TV", "produce", "1", "100.00", "TV")], card=ANNA).json()
    assert (body["discount_total"], body["points_earned"]) == ("2.00", "0.00")
    assert state(shared) == (D("498.00"), "Silver", D("0.00"))


@pytest.mark.parametrize(
    ("number", "code"),
    [(FRESH, "card_not_active"), (CAROL, "card_blocked"), (ANNA, "card_in_company")],
)
def test_a_card_that_cannot_join_changes_nothing(till, staff, company, number, code):
    activate(till, number=CAROL, name="Carol Weiss", phone="+48600100202")
    card_block(number=CAROL, reason="lost")
    card_join_company(number=ANNA, company_id=company.pk)
    before = (
        list(Card.objects.order_by("number").values_list("number", "account_id", "shares_account", "holder_id")),
        list(Account.objects.order_by("pk").values_list("pk", "spend", "points_balance", "level_id")),
        PointsEntry.objects.count(), CompanyJoin.objects.count(),
    )  # fmt: skip
    with pytest.raises(DomainError) as error:
        card_join_company(number=number, company_id=company.pk)
    assert error.value.code == code
    after = (
        list(Card.objects.order_by("number").values_list("number", "account_id", "shares_account", "holder_id")),
        list(Account.objects.order_by("pk").values_list("pk", "spend", "points_balance", "level_id")),
        PointsEntry.objects.count(), CompanyJoin.objects.count(),
    )  # fmt: skip
    assert after == before


def test_a_replaced_staff_card_hands_the_company_account_on_without_moving_it(till, staff, company):
    for number in (ANNA, BOB):
        card_join_company(number=number, company_id=company.pk)
    shared = Company.objects.get(pk=company.pk).account_id
    entries = PointsEntry.objects.count()
    new = card_replace(number=ANNA, new_number=FRESH, reason="lost")
    assert (new.account_id, new.shares_account, new.holder.name) == (shared, True, "Anna Kowalska")
    assert state(shared) == (D("750.00"), "Gold", D("37.50"))
    assert PointsEntry.objects.count() == entries  # nothing moved: the account is the company's
    assert till.get(f"/api/v1/cards/{FRESH}/").json()["customer"] == {"display_name": "Anna K."}


def test_only_company_accounts_are_shared_by_the_database(staff):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Card.objects.filter(number=BOB).update(account_id=staff[ANNA].account_id)


def test_the_company_page_attaches_a_card_and_says_exactly_what_moved(manager_client, staff, company):
    card_join_company(number=BOB, company_id=company.pk)
    page = manager_client.get(f"/admin/loyalty/company/{company.pk}/change/").content.decode()
    assert "Attach a card" in page and BOB in page and "Spend 350.00, level Silver, 17.50 points" in page
    url = f"/admin/loyalty/company/{company.pk}/attach-card/"
    assert "The company's account now: spend 350.00, level Silver" in manager_client.get(url).content.decode()

    response = manager_client.post(url, {"number": ANNA}, follow=True)
    assert response.redirect_chain == [(f"/admin/loyalty/company/{company.pk}/change/", 302)]
    assert [str(m) for m in response.context["messages"]] == [
        f"Card {ANNA} now counts for Müller Bau GmbH: 20.00 points and 400.00 spend moved into the company's account."
    ]
    shared = Company.objects.get(pk=company.pk).account_id
    assert state(shared) == (D("750.00"), "Gold", D("37.50"))
    joined = CompanyJoin.objects.get(card__number=ANNA)
    assert (joined.points_moved, joined.spend_moved, joined.created_by.username) == (D("20.00"), D("400.00"), "boss")


def test_the_company_page_refuses_a_card_with_a_form_error_and_changes_nothing(manager_client, staff, company):
    card_join_company(number=ANNA, company_id=company.pk)
    points = list(Account.objects.order_by("pk").values_list("points_balance", flat=True))
    url = f"/admin/loyalty/company/{company.pk}/attach-card/"
    response = manager_client.post(url, {"number": ANNA})
    assert response.status_code == 200
    assert "This card is already a staff card of a company." in response.content.decode()
    response = manager_client.post(url, {"number": "123"})
    assert response.status_code == 200 and "errornote" in response.content.decode()
    assert list(Account.objects.order_by("pk").values_list("points_balance", flat=True)) == points
    assert CompanyJoin.objects.count() == 1


def test_customers_per_level_counts_each_staff_card_once_and_no_emptied_account(staff, company):
    from dashboard.reports.customers import per_level

    before = {r["level"]: r["cards"] for r in per_level().rows}
    assert before == {"Silver": 2}
    for number in (ANNA, BOB):
        card_join_company(number=number, company_id=company.pk)
    assert {r["level"]: r["cards"] for r in per_level().rows} == {"Gold": 2}


def test_the_replacement_search_finds_a_staff_card_by_its_holders_phone(staff, company):
    from pos.selectors import customers_to_identify

    card_join_company(number=ANNA, company_id=company.pk)
    assert customers_to_identify("+48600100200", None) == [
        {"display_name": "Anna K.", "birthday_matches": None, "cards": []}
    ]
    assert customers_to_identify("", None) == []  # the company's own record has no phone to be found by


def test_a_staff_card_scan_costs_one_statement_more_than_a_card_of_its_own(till, staff, company):
    from tests.pos.test_till_hot_path import statements

    card_join_company(number=ANNA, company_id=company.pk)
    till.get(f"/api/v1/cards/{ANNA}/")  # this process reads the programme's terms once
    scan = statements(lambda: till.get(f"/api/v1/cards/{ANNA}/"))
    # the terminal; the card with its account…; the holder's and the company's names (staff cards only)
    assert len(scan) == 3 and "cards_card" in scan[2] and "loyalty_company" in scan[2]
    assert buy(till, [line()], card=ANNA).status_code == 201
    sql = statements(lambda: buy(till, [line(), line("BREAD-RYE", "bakery", "1", "2.79")], card=ANNA))
    mine = statements(lambda: buy(till, [line(), line("BREAD-RYE", "bakery", "1", "2.79")], card=BOB))
    plain = [s for s in mine if s not in ("BEGIN", "COMMIT")]
    # Three more than Bob's own card: the company's points option and its contract prices (any company card),
    # and the names in the card body.
    assert len([s for s in sql if s not in ("BEGIN", "COMMIT")]) == len(plain) + 3
    assert sum(s.startswith("UPDATE") and "loyalty_account" in s for s in sql) == 1


def test_the_company_accounts_admin_page_links_to_its_staff_cards(manager_client, staff, company):
    for number in (ANNA, BOB):
        card_join_company(number=number, company_id=company.pk)
    shared = Company.objects.get(pk=company.pk).account_id
    page = manager_client.get(f"/admin/loyalty/account/{shared}/change/").content.decode()
    link = f"/admin/cards/card/?account__id__exact={shared}"
    assert f'<a href="{link}">2 staff cards of the company</a>' in page
    cards = manager_client.get(link)
    assert cards.status_code == 200 and ANNA in cards.content.decode() and BOB in cards.content.decode()
    assert f"{ANNA} +1 staff cards" in manager_client.get("/admin/loyalty/account/").content.decode()


def test_the_block_page_of_a_staff_card_names_its_holder_and_its_company(manager_client, staff, company):
    card_join_company(number=ANNA, company_id=company.pk)
    page = manager_client.get(f"/admin/cards/card/{staff[ANNA].pk}/block/").content.decode()
    assert "of <strong>Anna Kowalska</strong> (+48600100200)" in page
    assert "a staff card of Müller Bau GmbH, whose account has 20.00 points" in page
