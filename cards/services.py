"""Write paths for card batches. Each top-level service is one transaction."""

from collections.abc import Callable, Iterator

from django.conf import settings
from django.db import IntegrityError, transaction

from core.errors import InvalidInput
from core.text import plain_text

from .models import Card, CardBatch, CardSeries
from .numbers import DEFAULT_PREFIX, MAX_SERIAL, card_number, is_valid_prefix

INSERT_CHUNK = 5_000


def validate_batch_request(*, count, prefix: str, max_count: int | None = None) -> tuple[int, str]:
    """Check a batch request before anything is written; return (count, prefix)."""
    max_count = max_count or settings.CARDS_MAX_BATCH
    try:
        count = int(str(count).strip())
    except (TypeError, ValueError):
        raise InvalidInput(f"The card count must be a whole number, not {count!r}.") from None
    if count < 1 or count > max_count:
        raise InvalidInput(f"The card count must be between 1 and {max_count:,}, not {count:,}.")
    prefix = (prefix or DEFAULT_PREFIX).strip()
    if not is_valid_prefix(prefix):
        raise InvalidInput(f"The prefix must be exactly three digits, not {prefix!r}.")
    if prefix.startswith("9"):  # numbers 29… are gift cards (giftcards/numbers.py)
        raise InvalidInput(f"Prefixes 900–999 are reserved for gift cards, not {prefix!r}.")
    return count, prefix


def batch_issue(
    *,
    count,
    prefix: str = DEFAULT_PREFIX,
    name: str = "",
    created_by=None,
    programme=None,
    max_count: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> CardBatch:
    """Create a batch of `count` issued cards with fresh, unique numbers."""
    count, prefix = validate_batch_request(count=count, prefix=prefix, max_count=max_count)
    name = plain_text(name, field="name", max_length=CardBatch._meta.get_field("name").max_length)
    with transaction.atomic(durable=True):
        first_serial = _allocate_serials(prefix, count)
        batch = CardBatch.objects.create(
            name=name,
            prefix=prefix,
            first_serial=first_serial,
            count=count,
            first_number=card_number(prefix, first_serial),
            last_number=card_number(prefix, first_serial + count - 1),
            created_by=created_by,
            programme=programme,
        )
        for chunk in _card_chunks(batch):
            Card.objects.bulk_create(chunk)
            if on_progress:
                on_progress(len(chunk))
    return batch


def _allocate_serials(prefix: str, count: int) -> int:
    """Reserve `count` consecutive serials of `prefix`; return the first.

    The series row is locked until the caller's transaction ends, so
    concurrent batches of one prefix queue here and get disjoint ranges.
    """
    try:
        with transaction.atomic():
            CardSeries.objects.get_or_create(prefix=prefix)
    except IntegrityError:
        pass  # another batch created the series a moment ago; lock it below
    series = CardSeries.objects.select_for_update().get(prefix=prefix)
    first = series.next_serial
    if first + count - 1 > MAX_SERIAL:
        left = MAX_SERIAL - first + 1
        raise InvalidInput(f"Prefix {prefix} has only {left:,} numbers left; choose another prefix.")
    series.next_serial = first + count
    series.save(update_fields=["next_serial"])
    return first


def _card_chunks(batch: CardBatch) -> Iterator[list[Card]]:
    end = batch.first_serial + batch.count
    for start in range(batch.first_serial, end, INSERT_CHUNK):
        yield [
            Card(number=card_number(batch.prefix, serial), batch=batch)
            for serial in range(start, min(start + INSERT_CHUNK, end))
        ]
