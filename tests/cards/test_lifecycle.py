from decimal import Decimal as D

import pytest

from cards.lifecycle import card_activate, card_block, card_replace
from cards.models import Card
from cards.services import batch_issue
from config.api_errors import status_for
from core.errors import DomainError
from loyalty.models import Account, Customer, PointsEntry, Programme
from loyalty.services import points_adjust
from pos.demo import ensure_default_programme
from tests.factories import T0, active_card

pytestmark = pytest.mark.django_db


@pytest.fixture
def cards():
    ensure_default_programme()
    return list(batch_issue(count=3).cards.values_list("number", flat=True))


def test_first_use_links_the_card_to_a_new_customer(cards):
    card = card_activate(number=f" {cards[0]} ", name="Anna Kowalska", phone="+48 600 100 200", at=T0)
    customer = Customer.objects.get()
    assert (card.status, card.activated_at, card.account.customer) == ("active", T0, customer)
    assert (customer.name, customer.phone, customer.display_name) == ("Anna Kowalska", "+48600100200", "Anna K.")
    assert (card.account.programme.code, card.account.points_balance, card.account.level) == ("default", 0, None)


def test_second_card_with_the_same_phone_gets_a_customer_of_its_own(cards):
    first = card_activate(number=cards[0], name="Anna Kowalska", phone="+48600100200", at=T0)
    second = card_activate(number=cards[1], name="Anna K", phone="0048 600 100 200", at=T0)
    assert list(Customer.objects.order_by("pk").values_list("name", "phone")) == [
        ("Anna Kowalska", "+48600100200"), ("Anna K", "+48600100200"),
    ]  # fmt: skip
    assert second.account.customer_id != first.account.customer_id
    assert Account.objects.count() == 2


def test_welcome_bonus_is_credited_at_first_use(cards):
    Programme.objects.update(welcome_bonus=D("10.00"))
    card = card_activate(number=cards[0], name="Anna", phone="600100200", at=T0)
    entry = PointsEntry.objects.get()
    assert (entry.kind, entry.points, card.account.points_balance) == ("welcome", D("10.00"), D("10.00"))


@pytest.mark.parametrize(
    ("prepare", "code"),
    [("activate", "card_already_active"), ("block", "card_blocked")],
)
def test_activating_a_used_card_is_409_and_changes_nothing(cards, prepare, code):
    card_activate(number=cards[0], name="Anna", phone="600100200", at=T0)
    if prepare == "block":
        card_block(number=cards[0], reason="Lost")
    with pytest.raises(DomainError) as error:
        card_activate(number=cards[0], name="Bob", phone="600100999", at=T0)
    assert (error.value.code, status_for(error.value)) == (code, 409)
    assert Customer.objects.count() == 1


@pytest.mark.parametrize(
    ("number", "code", "status"),
    [("2000000000016", "invalid_card_number", 400), ("2000000009995", "card_not_found", 404)],
)
def test_mistyped_and_unknown_numbers(cards, number, code, status):
    with pytest.raises(DomainError) as error:
        card_activate(number=number, name="Anna", phone="600100200", at=T0)
    assert (error.value.code, status_for(error.value)) == (code, status)
    assert Customer.objects.count() == 0


def test_missing_name_is_rejected_and_card_stays_issued(cards):
    with pytest.raises(DomainError) as error:
        card_activate(number=cards[0], name=" ", phone="600100200", at=T0)
    assert error.value.details == {"name": ["This field is required."]}
    assert Card.objects.get(number=cards[0]).status == "issued"


def test_replace_moves_points_spend_and_level_and_keeps_history():
    old = active_card()
    account = old.account
    account.level = account.programme.levels.get(name="Gold")
    account.spend = D("812.00")
    account.save()
    points_adjust(account_id=account.pk, points=D("12.00"), reason="Goodwill", by=None, at=T0)
    new_number = batch_issue(count=1).first_number
    new = card_replace(number=old.number, new_number=new_number, at=T0)
    old.refresh_from_db()
    assert (old.status, old.replaced_by, new.status) == ("replaced", new, "active")
    moved = new.account
    assert (moved.customer, moved.level.name, moved.spend, moved.points_balance) == (
        account.customer, "Gold", D("812.00"), D("12.00"),
    )  # fmt: skip
    assert (old.account.points_balance, moved.replaces) == (D("0.00"), old.account)
    kinds = list(PointsEntry.objects.filter(account=old.account).values_list("kind", "points"))
    assert kinds == [("adjust", D("12.00")), ("transfer", D("-12.00"))]
