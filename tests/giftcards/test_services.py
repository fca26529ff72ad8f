"""Gift card write paths: issue, sell, top up, pay, refund, block and move, expire."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction

from cards.services import batch_issue
from core.errors import DomainError, InvalidInput
from giftcards.models import GiftCard, GiftCardEntry
from giftcards.numbers import gift_card_number, is_gift_card_number
from giftcards.services import (
    Payment,
    Where,
    gift_card_block,
    gift_card_load,
    gift_card_payments_record,
    gift_card_refund,
    gift_card_take,
    gift_cards_expire,
    gift_cards_issue,
    payments_checked,
)
from tests.giftcards.helpers import AT, assert_balances_equal_ledgers, batch, sold

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _ledgers_hold():
    yield
    assert_balances_equal_ledgers()


def load(number, amount, at=AT):
    with transaction.atomic():
        return gift_card_load(number=number, amount=D(amount), where=Where(store_id=1), at=at)


def test_a_batch_has_numbers_of_its_own_range():
    b = batch(count=3)
    numbers = list(GiftCard.objects.filter(batch=b).values_list("number", flat=True))
    assert numbers == ["2900000000018", "2900000000025", "2900000000032"] == [gift_card_number(i) for i in (1, 2, 3)]
    assert all(is_gift_card_number(n) for n in numbers)
    assert batch(count=1).first_number == "2900000000049"  # the next batch goes on


def test_discount_cards_cannot_take_gift_prefixes_nor_gift_numbers():
    with pytest.raises(InvalidInput, match="reserved for gift cards"):
        batch_issue(count=1, prefix="900")
    from cards.models import Card, CardBatch

    b = batch_issue(count=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Card.objects.create(number="2900000000018", batch=CardBatch.objects.get(pk=b.pk))


@pytest.mark.parametrize("years", [0, 1, 2, 31])
def test_validity_shorter_than_the_law_allows_is_refused(years):
    with pytest.raises(InvalidInput, match="3 to 30 years"):
        gift_cards_issue(count=1, validity_years=years)
    assert GiftCard.objects.count() == 0


def test_selling_activates_with_expiry_years_from_the_sale():
    card = sold("25.00", validity_years=3)
    assert (card.status, card.balance, card.expires_on) == ("active", D("25.00"), date(2029, 3, 1))
    entry = GiftCardEntry.objects.get()
    assert (entry.kind, entry.amount, entry.balance_after, entry.store_id) == ("load", D("25.00"), D("25.00"), 1)


def test_no_validity_never_expires():
    assert sold(validity_years=None).expires_on is None


@pytest.mark.parametrize("amount", ["4.99", "500.01"])
def test_a_load_outside_the_limits_is_refused_and_changes_nothing(amount):
    b = batch(min_load="5.00", max_balance="500.00")
    with pytest.raises(InvalidInput) as error:
        load(b.first_number, amount)
    assert error.value.code == "invalid_amount"
    card = GiftCard.objects.get(number=b.first_number)
    assert (card.status, card.balance, GiftCardEntry.objects.count()) == ("issued", D("0.00"), 0)


def test_top_up_above_the_maximum_balance_is_refused():
    card = sold("450.00", max_balance="500.00")
    with pytest.raises(InvalidInput):
        load(card.number, "50.01")
    assert load(card.number, "50.00").balance == D("500.00")


def test_top_up_not_allowed_by_the_batch():
    card = sold(top_ups_allowed=False)
    with pytest.raises(DomainError) as error:
        load(card.number, "10.00")
    assert error.value.code == "gift_card_top_up_not_allowed"
    assert GiftCard.objects.get(pk=card.pk).balance == D("50.00")


def test_paying_takes_from_the_balance_and_writes_one_ledger_row():
    card = sold("50.00")
    with transaction.atomic():
        card_id, paid = gift_card_take(payment=Payment(card.number, D("12.34")), at=AT)
        gift_card_payments_record(taken=[(card_id, paid)], receipt_id=7, where=Where(store_id=2), at=AT)
    assert paid.balance_after == D("37.66") == GiftCard.objects.get(pk=card.pk).balance
    entry = GiftCardEntry.objects.get(kind="pay")
    assert (entry.amount, entry.receipt_id, entry.store_id) == (D("-12.34"), 7, 2)


@pytest.mark.parametrize(
    ("setup", "code"),
    [("more", "insufficient_gift_card_balance"), ("unsold", "gift_card_not_active"), ("blocked", "gift_card_blocked"),
     ("expired", "gift_card_expired")],
)  # fmt: skip
def test_a_payment_the_card_cannot_make_is_refused_and_changes_nothing(setup, code):
    card = sold("50.00")
    amount = "50.01" if setup == "more" else "1.00"
    at = AT
    if setup == "unsold":
        card = GiftCard.objects.filter(batch_id=card.batch_id, status="issued").first()
    elif setup == "blocked":
        GiftCard.objects.filter(pk=card.pk).update(status="blocked")
    elif setup == "expired":
        at = AT + timedelta(days=3 * 366 + 1)
    with pytest.raises(DomainError) as error, transaction.atomic():
        gift_card_take(payment=Payment(card.number, D(amount)), at=at)
    assert error.value.code == code
    assert GiftCard.objects.get(pk=card.pk).balance == (D("0.00") if setup == "unsold" else D("50.00"))
    assert not GiftCardEntry.objects.filter(kind="pay").exists()


def test_payments_above_what_is_due_or_not_positive_are_invalid_amounts():
    with pytest.raises(InvalidInput) as error:
        payments_checked((("2900000000018", D("6.00")), ("2900000000025", D("5.00"))), D("10.00"))
    assert error.value.code == "invalid_amount"
    with pytest.raises(InvalidInput):
        payments_checked((("2900000000018", D("0.00")),), D("10.00"))
    with pytest.raises(DomainError) as unknown:
        payments_checked((("2000000000015", D("1.00")),), D("10.00"))  # a discount card is no gift card
    assert unknown.value.code == "gift_card_not_found"
    merged = payments_checked(
        (("2900000000025", D("1.00")), (" 2900000000018 ", D("2.00")), ("2900000000025", D("3"))), D("9")
    )
    assert merged == (Payment("2900000000018", D("2.00")), Payment("2900000000025", D("4.00")))


def _pay(card, amount, receipt_id):
    with transaction.atomic():
        card_id, paid = gift_card_take(payment=Payment(card.number, D(amount)), at=AT)
        gift_card_payments_record(taken=[(card_id, paid)], receipt_id=receipt_id, where=Where(), at=AT)


def _refund(receipt_id, refund_id, amount):
    with transaction.atomic():
        return gift_card_refund(receipt_id=receipt_id, refund_id=refund_id, amount=D(amount), where=Where(), at=AT)


def test_refunds_go_back_to_the_card_up_to_what_it_paid_net_of_earlier_refunds():
    card = sold("50.00")
    _pay(card, "30.00", receipt_id=5)  # and 10.00 cash
    assert _refund(5, 1, "20.00") == [Payment(card.number, D("20.00"), D("40.00"))]
    assert _refund(5, 2, "20.00") == [Payment(card.number, D("10.00"), D("50.00"))]  # 10.00 is cash
    assert _refund(5, 3, "5.00") == []


def test_block_and_move_the_balance_to_a_new_card(manager):
    card = sold("50.00")
    new = GiftCard.objects.filter(batch_id=card.batch_id, status="issued").first().number
    gift_card_block(number=card.number, reason="Stolen", by=manager, at=AT, move_to=new)
    old, moved = GiftCard.objects.get(pk=card.pk), GiftCard.objects.get(number=new)
    assert (old.status, old.balance, old.moved_to_id) == ("blocked", D("0.00"), moved.pk)
    assert (moved.status, moved.balance, moved.expires_on) == ("active", D("50.00"), old.expires_on)
    assert list(GiftCardEntry.objects.filter(kind="adjust").values_list("amount", flat=True)) == [
        D("-50.00"),
        D("50.00"),
    ]
    from django.contrib.admin.models import LogEntry

    assert LogEntry.objects.filter(object_id__in=[str(old.pk), str(moved.pk)]).count() == 2


def test_expiry_takes_the_balance_once():
    card = sold("50.00", validity_years=3)
    assert gift_cards_expire(at=AT + timedelta(days=365 * 3)) == 0  # 2029-02-28: still valid
    later = AT + timedelta(days=365 * 3 + 2)
    assert gift_cards_expire(at=later) == 1
    assert gift_cards_expire(at=later) == 0
    card.refresh_from_db()
    assert (card.status, card.balance) == ("expired", D("0.00"))
    assert list(GiftCardEntry.objects.filter(kind="expire").values_list("amount", flat=True)) == [D("-50.00")]


def test_the_nightly_task_is_scheduled_and_expires_through_the_service(settings, monkeypatch):
    from giftcards import tasks

    assert settings.CELERY_BEAT_SCHEDULE["nightly-gift-card-expiry"]["task"] == "giftcards.expire"
    card = sold("20.00", validity_years=3)
    monkeypatch.setattr(tasks.timezone, "now", lambda: AT + timedelta(days=3 * 366 + 1))
    assert tasks.expire.delay().get() == 1
    assert tasks.expire.delay().get() == 0  # safe to run twice
    card.refresh_from_db()
    assert (card.status, card.balance) == ("expired", D("0.00"))
