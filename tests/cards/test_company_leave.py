"""A staff card leaves its company: back to its holder's own account; what it earned stays with the company."""

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from cards.companies import card_join_company, card_leave_company
from cards.lifecycle import card_block, card_replace
from cards.models import Card, CompanyJoin
from core.errors import DomainError
from loyalty.models import Account, Company, PointsEntry, SpendEntry
from pos.models import Receipt
from tests.cards.companies import ANNA, BOB, CAROL, FRESH, ledger, state
from tests.pos.helpers import activate, buy, line, refund

pytestmark = pytest.mark.django_db

UNKNOWN = "2500000000010"  # a valid number no batch printed
AT = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)


def joined(company, *numbers) -> int:
    for number in numbers:
        card_join_company(number=number, company_id=company.pk)
    return Company.objects.get(pk=company.pk).account_id


def snapshot() -> tuple:
    return (
        list(Card.objects.order_by("number").values_list("number", "account_id", "shares_account", "holder_id")),
        list(Account.objects.order_by("pk").values_list("pk", "spend", "points_balance", "level_id")),
        list(CompanyJoin.objects.order_by("pk").values_list("pk", "left_at", "left_by", "left_reason")),
        PointsEntry.objects.count(), SpendEntry.objects.count(),
    )  # fmt: skip


def test_a_card_that_leaves_uses_its_own_account_again_and_the_company_keeps_what_it_earned(
    till, staff, company, manager
):
    anna_own = staff[ANNA].account_id
    shared = joined(company, ANNA, BOB)
    body = buy(till, [line("TV", "produce", "1", "100.00", "TV")], card=ANNA).json()  # at Gold, on the company
    assert (body["discount_total"], body["points_earned"]) == ("5.00", "4.75")
    assert state(shared) == (D("845.00"), "Gold", D("42.25"))
    entries = (PointsEntry.objects.count(), SpendEntry.objects.count())

    left = card_leave_company(number=ANNA, by=manager, at=AT, reason="  Left the firm, keeps the card  ")
    assert (left.card.number, left.left_at, left.left_by, left.left_reason) == (
        ANNA, AT, manager, "Left the firm, keeps the card"
    )  # fmt: skip
    card = Card.objects.get(number=ANNA)
    assert (card.account_id, card.shares_account, card.holder_id, card.customer.name) == (
        anna_own, False, None, "Anna Kowalska"
    )  # fmt: skip
    assert state(shared) == (D("845.00"), "Gold", D("42.25"))  # the company keeps spend, level and points
    assert state(anna_own) == (D("0.00"), None, D("0.00"))  # the own account starts again from what it had left
    assert (PointsEntry.objects.count(), SpendEntry.objects.count()) == entries  # nothing moved
    scan = till.get(f"/api/v1/cards/{ANNA}/").json()
    assert "company" not in scan
    assert (scan["customer"], scan["level"], scan["points_balance"], scan["spend_total"]) == (
        {"display_name": "Anna K."}, None, "0.00", "0.00"
    )  # fmt: skip
    assert till.get(f"/api/v1/cards/{BOB}/").json()["points_balance"] == "42.25"  # Bob stays

    after = buy(till, [line("TV", "produce", "1", "100.00", "TV")], card=ANNA).json()  # her own again: base
    assert (after["discount_total"], after["points_earned"]) == ("0.00", "5.00")
    assert Receipt.objects.get(pk=after["receipt_id"]).account_id == anna_own
    assert state(anna_own) == (D("100.00"), None, D("5.00"))
    assert state(shared) == (D("845.00"), "Gold", D("42.25"))

    # A refund of what she bought as staff acts on the company's account, where it was made.
    assert refund(till, body["receipt_id"]).status_code == 201
    assert state(shared) == (D("750.00"), "Gold", D("37.50"))
    assert state(anna_own) == (D("100.00"), None, D("5.00"))
    for account_id in (shared, anna_own, staff[BOB].account_id):
        assert Account.objects.get(pk=account_id).points_balance == ledger(account_id)


def test_on_contract_terms_the_points_the_card_kept_are_its_own_again(till, staff, company):
    Company.objects.filter(pk=company.pk).update(earns_points=False)
    shared = joined(company, ANNA)
    card_leave_company(number=ANNA, reason="Taken off the account")
    assert state(staff[ANNA].account_id) == (D("0.00"), None, D("20.00"))
    assert state(shared) == (D("400.00"), "Silver", D("0.00"))
    assert till.get(f"/api/v1/cards/{ANNA}/").json()["points_balance"] == "20.00"


def test_a_card_that_left_joins_again_the_same_company_and_then_another(till, staff, company):
    anna_own = staff[ANNA].account_id
    shared = joined(company, ANNA)
    card_leave_company(number=ANNA, reason="Left the firm")
    assert buy(till, [line("TV", "produce", "1", "100.00", "TV")], card=ANNA).status_code == 201
    assert state(anna_own) == (D("100.00"), None, D("5.00"))

    again = card_join_company(number=ANNA, company_id=company.pk)  # back at the firm: what she has moves in
    assert (again.from_account_id, again.into_account_id, again.points_moved, again.spend_moved) == (
        anna_own, shared, D("5.00"), D("100.00")
    )  # fmt: skip
    assert state(shared) == (D("500.00"), "Silver", D("25.00"))
    assert state(anna_own) == (D("0.00"), None, D("0.00"))
    card_leave_company(number=ANNA, reason="Left again")

    other = Company.objects.create(name="Schmidt Transporte KG", vat_id="DE987654321")
    elsewhere = card_join_company(number=ANNA, company_id=other.pk)
    other.refresh_from_db()
    assert (elsewhere.from_account_id, elsewhere.into_account_id) == (anna_own, other.account_id)
    assert Card.objects.get(number=ANNA).account_id == other.account_id
    joins = CompanyJoin.objects.filter(card__number=ANNA).order_by("pk")
    assert [(j.company.name, j.left_reason) for j in joins] == [
        ("Müller Bau GmbH", "Left the firm"), ("Müller Bau GmbH", "Left again"), ("Schmidt Transporte KG", "")
    ]  # fmt: skip
    for account_id in (shared, anna_own, other.account_id):
        assert Account.objects.get(pk=account_id).points_balance == ledger(account_id)


def test_the_card_that_replaced_a_staff_card_leaves_with_its_join(till, staff, company):
    joined(company, ANNA)
    card_replace(number=ANNA, new_number=FRESH, reason="lost")
    left = card_leave_company(number=FRESH, reason="Left the firm")
    assert left.card.number == ANNA and left.left_reason == "Left the firm"
    new = Card.objects.get(number=FRESH)
    assert (new.account_id, new.shares_account, new.holder_id) == (staff[ANNA].account_id, False, None)
    assert till.get(f"/api/v1/cards/{FRESH}/").json()["customer"] == {"display_name": "Anna K."}


@pytest.mark.parametrize(
    ("number", "reason", "company_of", "error"),
    [
        (ANNA, "Left", None, None),  # (the one that works, for contrast)
        (BOB, "Left", None, "card_not_in_company"),  # a card of its own
        (FRESH, "Left", None, "card_not_in_company"),  # never used
        (CAROL, "Left", None, "card_blocked"),  # a blocked staff card: replace it first
        (UNKNOWN, "Left", None, "card_not_found"),
        ("123", "Left", None, "invalid_card_number"),
        (ANNA, "  ", None, "invalid_input"),
        (ANNA, "Left", "other", "card_not_in_company"),  # the company's page of another company
        (ANNA, "Left", "left", "card_not_in_company"),  # already left
    ],
)
def test_a_card_that_cannot_leave_changes_nothing(till, staff, company, number, reason, company_of, error):
    activate(till, number=CAROL, name="Carol Weiss", phone="+48600100202")
    joined(company, ANNA, CAROL)
    card_block(number=CAROL, reason="lost")
    other = Company.objects.create(name="Schmidt Transporte KG", vat_id="DE987654321")
    if company_of == "left":
        card_leave_company(number=ANNA, reason="Left the firm")
    before = snapshot()
    company_id = other.pk if company_of == "other" else company.pk
    if error is None:
        card_leave_company(number=number, company_id=company_id, reason=reason)
        assert snapshot() != before
        return
    with pytest.raises(DomainError) as raised:
        card_leave_company(number=number, company_id=company_id, reason=reason)
    assert raised.value.code == error
    assert snapshot() == before


def test_customers_per_level_counts_a_card_that_left_on_its_own_account(staff, company):
    from dashboard.reports.customers import per_level

    joined(company, ANNA, BOB)
    assert {r["level"]: r["cards"] for r in per_level().rows} == {"Gold": 2}
    card_leave_company(number=ANNA, reason="Left the firm")
    assert {r["level"]: r["cards"] for r in per_level().rows} == {"base (no level)": 1, "Gold": 1}
    card_leave_company(number=BOB, reason="Left the firm")  # the company's account holds no card now
    assert {r["level"]: r["cards"] for r in per_level().rows} == {"base (no level)": 2}


def test_the_company_page_lets_a_card_leave_with_a_reason_and_shows_who_when_and_why(manager_client, staff, company):
    shared = joined(company, ANNA, BOB)
    card = staff[ANNA]
    url = f"/admin/loyalty/company/{company.pk}/cards/{card.pk}/leave/"
    page = manager_client.get(f"/admin/loyalty/company/{company.pk}/change/").content.decode()
    assert f'<a href="{url}">Leave the company</a>' in page
    assert (
        f'{BOB}</a> (Bob Nowak, active) <a href="/admin/loyalty/company/{company.pk}/cards/{staff[BOB].pk}/leave/"'
        in page
    )
    card_block(number=BOB, reason="lost")
    page = manager_client.get(f"/admin/loyalty/company/{company.pk}/change/").content.decode()
    assert f"{BOB}</a> (Bob Nowak, blocked)</" in page  # a blocked card is replaced, not taken off the account
    card_page = manager_client.get(f"/admin/cards/card/{card.pk}/change/").content.decode()
    assert f'<a href="{url}">Leave the company</a>' in card_page
    form = manager_client.get(url).content.decode()
    assert "Card <strong>2000000000015</strong> of <strong>Anna Kowalska</strong>" in form
    assert "(spend 0.00, level base, 0.00 points)" in form
    assert "(now spend 750.00, level Gold,\n  37.50 points) stays with the company" in form

    response = manager_client.post(url, {"reason": ""})
    assert response.status_code == 200 and "errornote" in response.content.decode()
    assert CompanyJoin.objects.filter(left_at__isnull=False).count() == 0

    response = manager_client.post(url, {"reason": "Left the firm, keeps the card"}, follow=True)
    assert response.redirect_chain == [(f"/admin/loyalty/company/{company.pk}/change/", 302)]
    assert [str(m) for m in response.context["messages"]] == [
        f"Card {ANNA} left Müller Bau GmbH: it uses its holder's own account again; what it earned on the "
        "company's account stays with the company."
    ]
    left = CompanyJoin.objects.get(card=card)
    assert (left.left_by.username, left.left_reason) == ("boss", "Left the firm, keeps the card")
    assert Card.objects.get(pk=card.pk).account_id == card.account_id
    assert state(shared) == (D("750.00"), "Gold", D("37.50"))
    page = response.content.decode()
    assert (
        f"{ANNA}</a>: joined {left.created_at:%Y-%m-%d %H:%M}, left {left.left_at:%Y-%m-%d %H:%M} (boss): "
        "Left the firm, keeps the card" in page
    )
    assert f'<a href="{url}">Leave the company</a>' not in page

    response = manager_client.post(url, {"reason": "Twice"})  # the card is no staff card any more
    assert response.status_code == 200
    assert "This card is not a staff card of the company." in response.content.decode()
    assert CompanyJoin.objects.get(card=card).left_reason == "Left the firm, keeps the card"
