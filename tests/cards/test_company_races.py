"""Staff cards of one company on one account, for real, on PostgreSQL: threads, each with its own connection."""

import time
from decimal import Decimal as D

import pytest
from django.db.models import Sum

from cards.companies import card_join_company, card_leave_company
from cards.models import Card
from loyalty.models import Account, Company, PointsEntry, SpendEntry
from loyalty.services import points_adjust
from pos.demo import build_demo
from pos.models import Receipt
from tests.pos.helpers import activate, buy, line
from tests.pos.test_api_races import in_parallel
from tests.tills import CENTRAL, RIVERSIDE, terminal_client

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ANNA, BOB = "2000000000015", "2000000000022"


def ledger(account_id) -> D:
    return PointsEntry.objects.filter(account_id=account_id).aggregate(s=Sum("points"))["s"]


@pytest.fixture
def two_staff_cards():
    build_demo()
    till = terminal_client(CENTRAL)
    activate(till, number=ANNA, name="Anna Kowalska", phone="+48600100200")
    activate(till, number=BOB, name="Bob Nowak", phone="+48600100201")
    return Company.objects.create(name="Müller Bau GmbH", vat_id="DE123456789")


def test_two_first_cards_joining_at_once_open_one_company_account(two_staff_cards):
    company = two_staff_cards
    in_parallel(2, lambda i: card_join_company(number=(ANNA, BOB)[i], company_id=company.pk))
    shared = Company.objects.get(pk=company.pk).account_id
    assert list(Card.objects.filter(number__in=[ANNA, BOB]).values_list("account_id", flat=True)) == [shared] * 2
    assert Account.objects.filter(company=company).count() == 1


def test_two_staff_tills_redeeming_the_company_points_at_once_never_overspend(two_staff_cards):
    company = two_staff_cards
    for number in (ANNA, BOB):
        card_join_company(number=number, company_id=company.pk)
    shared = Company.objects.get(pk=company.pk).account_id
    points_adjust(account_id=shared, points=D("100.00"), reason="Opening balance", by=None, at=Account.objects.get(
        pk=shared).created_at)  # fmt: skip

    # 40 checkouts of 20.00, each redeeming 4.00 (the 20 % cap), from two stores on the two staff cards:
    # 100.00 points cover 25 of them at most.
    def checkout(i):
        till = terminal_client((CENTRAL, RIVERSIDE)[i % 2])
        response = buy(till, [line("X", quantity="1", unit_price="20.00")], card=(ANNA, BOB)[i % 2], redeem="4.00")
        return response.status_code, response.json()

    results = in_parallel(40, checkout)
    assert {status for status, _ in results} <= {201, 409}
    conflicts = {body["error"]["code"] for status, body in results if status == 409}
    assert conflicts <= {"insufficient_points", "redeem_limit_exceeded"}
    ok = [body for status, body in results if status == 201]
    redeemed = sum(D(body["points_redeemed"]) for body in ok)
    earned = sum(D(body["points_earned"]) for body in ok)
    account = Account.objects.get(pk=shared)
    assert redeemed <= D("100.00")
    assert account.points_balance >= 0
    assert account.points_balance == ledger(shared) == D("100.00") - redeemed + earned
    assert {body["card"]["company"]["name"] for body in ok} == {"Müller Bau GmbH"}


def test_a_checkout_on_a_staff_card_leaving_at_that_moment_lands_on_exactly_one_account(two_staff_cards):
    """The checkout and the leaving both lock the card first: the sale goes to the company's account (the
    checkout came first) or to the card's own one (the leaving did), never half and half. Round after round,
    the card joins again first (what its own account got moves in by ledger rows)."""
    company = two_staff_cards
    anna_own = Card.objects.get(number=ANNA).account_id
    card_join_company(number=BOB, company_id=company.pk)  # a colleague keeps the company account in use
    shared = Company.objects.get(pk=company.pk).account_id
    landed = set()
    for round_ in range(8):
        card_join_company(number=ANNA, company_id=company.pk)
        before = {pk: Account.objects.get(pk=pk) for pk in (anna_own, shared)}

        def act(i, round_=round_):
            if i == 0:
                response = buy(terminal_client(CENTRAL), [line("TV", "produce", "1", "100.00", "TV")], card=ANNA)
                return response.status_code, response.json()
            time.sleep(round_ * 0.01)  # a sweep over interleavings: which one wins is not asserted, both are fine
            return card_leave_company(number=ANNA, reason=f"Left, round {round_}")

        (status, body), left = in_parallel(2, act)
        assert status == 201, body
        receipt = Receipt.objects.get(pk=body["receipt_id"])
        into, other = receipt.account_id, ({anna_own, shared} - {receipt.account_id}).pop()
        landed.add(into)
        total, earned = D(body["total_due"]), D(body["points_earned"])
        assert (into == shared) == ("company" in body["card"])  # the till showed the account it booked on
        assert set(PointsEntry.objects.filter(receipt_id=receipt.pk).values_list("account_id", "points")) == {
            (into, earned)
        }
        assert set(SpendEntry.objects.filter(receipt_id=receipt.pk).values_list("account_id", "amount")) == {
            (into, total)
        }
        after = {pk: Account.objects.get(pk=pk) for pk in (anna_own, shared)}
        assert (after[into].spend, after[into].points_balance) == (
            before[into].spend + total, before[into].points_balance + earned
        )  # fmt: skip
        assert (after[other].spend, after[other].points_balance) == (before[other].spend, before[other].points_balance)
        for pk in (anna_own, shared):
            assert after[pk].points_balance == (ledger(pk) or D("0.00"))
        card = Card.objects.get(number=ANNA)
        assert (card.account_id, card.shares_account, left.left_reason) == (anna_own, False, f"Left, round {round_}")
    assert landed <= {anna_own, shared}
