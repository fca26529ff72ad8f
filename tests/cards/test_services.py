import threading

import pytest
from django.db import connection

from cards.models import Card, CardBatch, CardSeries
from cards.numbers import normalise
from cards.services import batch_issue
from core.errors import InvalidInput

pytestmark = pytest.mark.django_db


def test_issue_creates_issued_cards_with_consecutive_valid_numbers():
    batch = batch_issue(count=3, name="Flyers")
    numbers = list(batch.cards.values_list("number", flat=True))
    assert numbers == ["2000000000015", "2000000000022", "2000000000039"]
    assert [normalise(n) for n in numbers] == numbers
    assert set(batch.cards.values_list("status", flat=True)) == {Card.Status.ISSUED}
    assert (batch.count, batch.first_number, batch.last_number, batch.name) == (
        3,
        "2000000000015",
        "2000000000039",
        "Flyers",
    )


def test_next_batch_continues_the_series_and_prefixes_are_separate():
    batch_issue(count=2)
    second = batch_issue(count=2)
    other = batch_issue(count=1, prefix="042")
    assert list(second.cards.values_list("number", flat=True)) == ["2000000000039", "2000000000046"]
    assert other.first_number == "2042000000015"
    assert dict(CardSeries.objects.values_list("prefix", "next_serial")) == {"000": 5, "042": 2}


def test_progress_is_reported_per_chunk(monkeypatch):
    monkeypatch.setattr("cards.services.INSERT_CHUNK", 4)
    seen = []
    batch_issue(count=10, on_progress=seen.append)
    assert seen == [4, 4, 2]


@pytest.mark.parametrize(
    ("count", "prefix", "message"),
    [
        (0, "000", "The card count must be between 1 and 1,000,000, not 0."),
        (-5, "000", "The card count must be between 1 and 1,000,000, not -5."),
        (1_000_001, "000", "The card count must be between 1 and 1,000,000, not 1,000,001."),
        ("ten", "000", "The card count must be a whole number, not 'ten'."),
        (5, "12", "The prefix must be exactly three digits, not '12'."),
        (5, "ab1", "The prefix must be exactly three digits, not 'ab1'."),
    ],
)
def test_bad_request_is_rejected_and_writes_nothing(count, prefix, message):
    with pytest.raises(InvalidInput) as error:
        batch_issue(count=count, prefix=prefix)
    assert error.value.message == message
    assert (CardBatch.objects.count(), Card.objects.count(), CardSeries.objects.count()) == (0, 0, 0)


def test_exhausted_prefix_is_rejected_and_writes_nothing():
    CardSeries.objects.create(prefix="777", next_serial=99_999_999)
    with pytest.raises(InvalidInput) as error:
        batch_issue(count=2, prefix="777")
    assert error.value.message == "Prefix 777 has only 1 numbers left; choose another prefix."
    assert CardSeries.objects.get(prefix="777").next_serial == 99_999_999
    assert Card.objects.count() == 0


def test_card_number_constraint_rejects_non_store_numbers():
    from django.db import IntegrityError, transaction

    batch = batch_issue(count=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Card.objects.create(number="4006381333931", batch=batch)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_batches_issued_at_the_same_moment_get_disjoint_numbers():
    start = threading.Barrier(6)
    errors = []

    def issue():
        try:
            start.wait()
            batch_issue(count=500)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = list(Card.objects.values_list("number", flat=True))
    assert len(numbers) == 3000
    assert len(set(numbers)) == 3000
    ranges = sorted(CardBatch.objects.values_list("first_serial", "count"))
    assert ranges == [(1 + 500 * i, 500) for i in range(6)]
    assert CardSeries.objects.get(prefix="000").next_serial == 3001
