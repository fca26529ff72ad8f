"""Two customer records sharing a phone merged by a manager (Admin → Customers → "Merge"): the dropped
record's cards move with their accounts, whole; every balance still equals its ledger; both records'
history says what happened."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.urls import reverse
from django.utils import timezone

from cards.models import Card
from core.errors import DomainError
from loyalty.models import Account, Customer, PointsEntry, SpendEntry
from loyalty.services import customer_merge, points_adjust
from mycard.selectors import other_cards
from tests.pos.helpers import CARD, account_of, activate, buy, ledger_sum, line

pytestmark = pytest.mark.django_db

SECOND, PIOTR = "2000000000022", "2000000000039"


@pytest.fixture
def twins(till):
    """One person as two records: Anna at Silver (400.00 spent, 20.00 points) and, after she typed her
    phone on a second card, "A. Kowalska" with an e-mail and a birthday (100.00 spent, 5.00 + 2.50 points)."""
    activate(till)
    assert buy(till, [line("TV", "produce", "1", "400.00", "TV")]).status_code == 201
    body = {"name": "A. Kowalska", "email": "anna@example.com", "birthday": "1990-04-01", "phone": "0048 600 100 200"}
    assert till.post(f"/api/v1/cards/{SECOND}/activate/", body, format="json").status_code == 201
    assert buy(till, [line("PEAR", "produce", "1", "100.00", "PEAR")], card=SECOND).status_code == 201
    second = account_of(SECOND)
    points_adjust(account_id=second.pk, points=Decimal("2.50"), reason="Goodwill", by=None, at=timezone.now())
    activate(till, number=PIOTR, name="Piotr Nowak", phone="+48601000000")
    return account_of(CARD).customer, account_of(SECOND).customer


def accounts():
    return list(
        Account.objects.order_by("cards__number").values_list("cards__number", "customer__name", "spend",
                                                             "points_balance", "level__name")
    )  # fmt: skip


def ledgers():
    return PointsEntry.objects.count(), SpendEntry.objects.count()


def test_the_twins_are_what_they_say(twins):
    assert accounts() == [
        (CARD, "Anna Kowalska", Decimal("400.00"), Decimal("20.00"), "Silver"),
        (SECOND, "A. Kowalska", Decimal("100.00"), Decimal("7.50"), None),
        (PIOTR, "Piotr Nowak", Decimal("0.00"), Decimal("0.00"), None),
    ]


def test_merge_moves_the_cards_whole_and_every_balance_still_equals_its_ledger(twins, manager):
    anna, twin = twins
    rows_before = ledgers()
    kept = customer_merge(keep_id=anna.pk, drop_id=twin.pk, by=manager)
    assert accounts() == [
        (CARD, "Anna Kowalska", Decimal("400.00"), Decimal("20.00"), "Silver"),
        (SECOND, "Anna Kowalska", Decimal("100.00"), Decimal("7.50"), None),
        (PIOTR, "Piotr Nowak", Decimal("0.00"), Decimal("0.00"), None),
    ]
    for number, balance in ((CARD, "20.00"), (SECOND, "7.50")):
        assert ledger_sum(account_of(number).pk) == balance
    assert ledgers() == rows_before  # nothing rewritten, nothing added: the rows moved with their accounts
    assert list(Customer.objects.order_by("pk").values_list("name", "phone", "email", "birthday")) == [
        ("Anna Kowalska", "+48600100200", "anna@example.com", date(1990, 4, 1)),
        ("Piotr Nowak", "+48601000000", "", None),
    ]
    assert kept == anna
    card = Card.objects.select_related("account").get(number=CARD)
    assert [c.number for c in other_cards(card, timezone.now())] == [SECOND]


def test_both_records_histories_say_what_happened(twins, manager):
    anna, twin = twins
    customer_merge(keep_id=anna.pk, drop_id=twin.pk, by=manager)
    logged = list(LogEntry.objects.order_by("pk").values_list("object_id", "action_flag", "change_message", "user"))
    assert logged == [
        (str(anna.pk), CHANGE,
         f"Merged customer #{twin.pk} A. Kowalska (+48600100200, e-mail anna@example.com, birthday 1990-04-01) "
         f"into this record; cards moved: {SECOND}. Taken over: email, birthday.", manager.pk),
        (str(twin.pk), DELETION, f"Merged into customer #{anna.pk} Anna Kowalska; cards moved: {SECOND}.", manager.pk),
    ]  # fmt: skip


def test_merging_records_with_different_phones_is_refused_and_changes_nothing(twins, manager):
    anna, _ = twins
    piotr = account_of(PIOTR).customer
    before = accounts(), ledgers(), Customer.objects.count()
    with pytest.raises(DomainError) as error:
        customer_merge(keep_id=anna.pk, drop_id=piotr.pk, by=manager)
    assert error.value.code == "phones_differ"
    assert (accounts(), ledgers(), Customer.objects.count()) == before
    assert LogEntry.objects.count() == 0


# --- the admin action ------------------------------------------------------------------------


def merge_post(client, ids, **extra):
    return client.post(
        reverse("admin:loyalty_customer_changelist"),
        {"action": "merge_customers", "_selected_action": [str(i) for i in ids], **extra},
    )


def test_the_action_asks_which_record_to_keep(manager_client, twins):
    anna, twin = twins
    response = merge_post(manager_client, [anna.pk, twin.pk])
    assert response.status_code == 200
    choices = [label for _, label in response.context["form"].fields["keep"].choices]
    assert choices == [
        f"#{anna.pk} Anna Kowalska, +48600100200, e-mail -, birthday -, since {anna.created_at:%Y-%m-%d}",
        f"#{twin.pk} A. Kowalska, +48600100200, e-mail anna@example.com, birthday 1990-04-01, "
        f"since {twin.created_at:%Y-%m-%d}",
    ]
    assert Customer.objects.count() == 3


def test_the_action_merges_into_the_record_chosen(manager_client, twins):
    anna, twin = twins
    response = merge_post(manager_client, [anna.pk, twin.pk], keep=str(twin.pk))
    assert (response.status_code, response["Location"]) == (
        302, reverse("admin:loyalty_customer_change", args=[twin.pk]),
    )  # fmt: skip
    assert [name for _, name, *_ in accounts()] == ["A. Kowalska", "A. Kowalska", "Piotr Nowak"]
    assert not Customer.objects.filter(pk=anna.pk).exists()


@pytest.mark.parametrize("pick", ["one", "different phones"])
def test_the_action_refuses_a_wrong_selection_and_changes_nothing(manager_client, twins, pick):
    anna, _ = twins
    ids = [anna.pk] if pick == "one" else [anna.pk, account_of(PIOTR).customer_id]
    before = accounts(), Customer.objects.count()
    response = merge_post(manager_client, ids, keep=str(anna.pk))
    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["Select exactly two customers with the same phone."]
    assert (accounts(), Customer.objects.count(), LogEntry.objects.count()) == (*before, 0)
