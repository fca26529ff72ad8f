"""Gift card write paths: a batch issued, a card sold or topped up, a payment, a refund back onto the cards,
a card blocked and its balance moved, balances past their date expired.

Every movement is a ledger row (`GiftCardEntry`) written in the same transaction as the card's cached
balance, under that card's row lock: `select_for_update` where the card is read before it changes, and at
the till's checkout one conditional UPDATE that both locks and takes (`core.rows.subtract`).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.db import IntegrityError, transaction

from cards.lifecycle import card_number_checked
from cards.models import CardSeries
from core import rows
from core.errors import InvalidInput
from core.local_time import local_date
from core.money import AMOUNT_MAX, CENT, ZERO
from core.text import plain_text

from . import errors
from .models import GiftCard, GiftCardBatch, GiftCardEntry
from .numbers import GIFT_PREFIX, MAX_SERIAL, gift_card_number, is_gift_card_number

Status, Kind = GiftCard.Status, GiftCardEntry.Kind
INSERT_CHUNK = 5_000


@dataclass(frozen=True)
class Where:
    """Where a movement happened: the till's store, terminal or cashier (pos ids), or a manager."""

    store_id: int | None = None
    terminal_id: int | None = None
    cashier_id: int | None = None
    by_id: int | None = None

    def columns(self) -> dict:
        return {
            "store_id": self.store_id, "terminal_id": self.terminal_id, "cashier_id": self.cashier_id,
            "by": self.by_id,
        }  # fmt: skip


def gift_card_checked(raw: str) -> str:
    """The number as typed or scanned: a typo is a 400, a discount card's number is no gift card (404)."""
    number = card_number_checked(raw)
    if not is_gift_card_number(number):
        raise errors.not_found()
    return number


# --- a batch ----------------------------------------------------------------------------------------


def batch_rules_checked(*, count, min_load, max_balance, validity_years, max_count=None) -> tuple:
    max_count = max_count or settings.CARDS_MAX_BATCH
    try:
        count = int(str(count).strip())
    except (TypeError, ValueError):
        raise InvalidInput(
            "The gift card count must be a whole number, not {count}.", params={"count": repr(count)}
        ) from None
    if not 1 <= count <= max_count:
        raise InvalidInput(
            "The gift card count must be between 1 and {most:,}, not {count:,}.",
            params={"most": max_count, "count": count},
        )
    try:
        min_load, max_balance = Decimal(str(min_load)), Decimal(str(max_balance))
        in_cents = all(x.is_finite() and x == x.quantize(CENT) for x in (min_load, max_balance))
    except ArithmeticError:
        in_cents = False
    if not in_cents or not (ZERO < min_load <= max_balance <= AMOUNT_MAX):
        raise InvalidInput("Loads need 0 < minimum load ≤ maximum balance, in cents.")
    least = settings.GIFT_CARD_MIN_VALIDITY_YEARS
    if validity_years is not None and not least <= int(validity_years) <= 30:
        raise InvalidInput(
            "Validity is {least} to 30 years from the sale (the law's minimum), or none.", params={"least": least}
        )
    return count, min_load, max_balance, validity_years


def gift_cards_issue(
    *, count, min_load="5.00", max_balance="500.00", top_ups_allowed: bool = True, validity_years: int | None = 3,
    name: str = "", created_by=None, max_count: int | None = None, on_progress: Callable[[int], None] | None = None,
) -> GiftCardBatch:  # fmt: skip
    """A batch of `count` issued (unsold) gift cards with fresh numbers, under the chain's rules given."""
    count, min_load, max_balance, validity_years = batch_rules_checked(
        count=count, min_load=min_load, max_balance=max_balance, validity_years=validity_years, max_count=max_count
    )
    name = plain_text(name, field="name", max_length=GiftCardBatch._meta.get_field("name").max_length)
    with transaction.atomic(durable=True):
        first = _allocate_serials(count)
        batch = GiftCardBatch.objects.create(
            name=name, first_serial=first, count=count, first_number=gift_card_number(first),
            last_number=gift_card_number(first + count - 1), min_load=min_load, max_balance=max_balance,
            top_ups_allowed=top_ups_allowed, validity_years=validity_years, created_by=created_by,
        )  # fmt: skip
        end = first + count
        for start in range(first, end, INSERT_CHUNK):
            chunk = [
                GiftCard(number=gift_card_number(s), batch=batch) for s in range(start, min(start + INSERT_CHUNK, end))
            ]
            GiftCard.objects.bulk_create(chunk)
            if on_progress:
                on_progress(len(chunk))
    return batch


def _allocate_serials(count: int) -> int:
    """The gift range's series row (prefix "29", which no discount batch can take: their prefixes are three
    digits), locked so that concurrent batches get disjoint ranges."""
    try:
        with transaction.atomic():
            CardSeries.objects.get_or_create(prefix=GIFT_PREFIX)
    except IntegrityError:
        pass
    series = CardSeries.objects.select_for_update().get(prefix=GIFT_PREFIX)
    first = series.next_serial
    if first + count - 1 > MAX_SERIAL:
        raise InvalidInput("Only {left:,} gift card numbers are left.", params={"left": MAX_SERIAL - first + 1})
    series.next_serial = first + count
    series.save(update_fields=["next_serial"])
    return first


# --- selling and loading ----------------------------------------------------------------------------


def is_expired(card: GiftCard, today: date) -> bool:
    return card.status == Status.EXPIRED or (card.expires_on is not None and today > card.expires_on)


def refuse_unusable(card: GiftCard, today: date) -> None:
    if card.status == Status.BLOCKED:
        raise errors.blocked()
    if is_expired(card, today):
        raise errors.expired()


def gift_card_load(*, number: str, amount: Decimal, where: Where, at: datetime) -> GiftCard:
    """Sell an issued card with `amount` on it, or top up an active one. Inside the caller's transaction
    (the till's idempotency record is written in the same one)."""
    card = GiftCard.objects.select_for_update().filter(number=gift_card_checked(number)).first()
    if card is None:
        raise errors.not_found()
    batch = GiftCardBatch.objects.get(pk=card.batch_id)  # read after the lock: the rules it is sold under
    today = local_date(at)
    refuse_unusable(card, today)
    if card.status == Status.ACTIVE and not batch.top_ups_allowed:
        raise errors.DomainError("This gift card cannot be topped up.", code="gift_card_top_up_not_allowed")
    if amount <= 0 or amount < batch.min_load or card.balance + amount > batch.max_balance:
        raise errors.invalid_amount(
            "Load at least {least}; a card holds at most {most} (this one holds {balance}).",
            least=batch.min_load,
            most=batch.max_balance,
            balance=card.balance,
        )
    if card.status == Status.ISSUED:
        card.status, card.sold_at = Status.ACTIVE, at
        card.expires_on = _years_after(today, batch.validity_years) if batch.validity_years else None
    card.balance += amount
    card.save(update_fields=["status", "sold_at", "expires_on", "balance"])
    _entry(card, Kind.LOAD, amount, at, where)
    return card


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _entry(card: GiftCard, kind: str, amount: Decimal, at: datetime, where: Where, **more) -> None:
    GiftCardEntry.objects.create(
        gift_card=card, kind=kind, amount=amount, balance_after=card.balance, created_at=at,
        store_id=where.store_id, terminal_id=where.terminal_id, cashier_id=where.cashier_id, by_id=where.by_id,
        **more,
    )  # fmt: skip


# --- paying -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Payment:
    number: str
    amount: Decimal
    balance_after: Decimal = ZERO


def payments_checked(payments: tuple[tuple[str, Decimal], ...], due: Decimal) -> tuple[Payment, ...]:
    """The till's gift card payments read: numbers checked, one per card (the same card twice adds up),
    every amount above zero, together at most what is due. In number order: the order cards are locked in."""
    merged: dict[str, Decimal] = {}
    for raw, amount in payments:
        if amount <= 0:
            raise errors.invalid_amount("A gift card pays an amount above 0.00.")
        number = gift_card_checked(raw)
        merged[number] = merged.get(number, ZERO) + amount
    if sum(merged.values(), ZERO) > due:
        raise errors.invalid_amount("Gift cards pay at most what is due ({due}).", due=due)
    return tuple(Payment(n, merged[n]) for n in sorted(merged))


def gift_card_payments_quote(*, payments: tuple[Payment, ...], at: datetime) -> tuple[Payment, ...]:
    """What each card would hold after paying, refusing as the checkout would; writes and locks nothing."""
    cards = {c.number: c for c in GiftCard.objects.filter(number__in=[p.number for p in payments])}
    today = local_date(at)
    out = []
    for p in payments:
        card = cards.get(p.number)
        _refuse_payment(card, p, today)
        out.append(Payment(p.number, p.amount, card.balance - p.amount))
    return tuple(out)


def _refuse_payment(card: GiftCard | None, p: Payment, today: date) -> None:
    if card is None:
        raise errors.not_found()
    refuse_unusable(card, today)
    if card.status == Status.ISSUED:
        raise errors.not_active()
    if card.balance < p.amount:
        raise errors.insufficient(card.number, card.balance)


def gift_card_take(*, payment: Payment, at: datetime) -> tuple[int, Payment]:
    """Take `payment.amount` off its card inside the checkout's transaction, by one conditional UPDATE: it
    locks the row and takes only from an active card that holds enough; a concurrent payment waits and
    re-checks. When it refuses, the card is read to say why. An expired card whose balance the nightly job
    has not taken yet is refused after the UPDATE: the error rolls the transaction back. Returns the card's
    id and the payment with the balance left; `gift_card_payments_record` writes the ledger rows."""
    where = {"number": payment.number, "status": Status.ACTIVE}
    card = rows.subtract(GiftCard, "balance", payment.amount, where=where)
    today = local_date(at)
    if card is None:
        _refuse_payment(GiftCard.objects.filter(number=payment.number).first(), payment, today)
        raise errors.insufficient(payment.number, ZERO)  # changed between the two reads: never pay
    if is_expired(card, today):
        raise errors.expired()
    return card.pk, Payment(payment.number, payment.amount, card.balance)


def gift_card_payments_record(*, taken: list[tuple[int, Payment]], receipt_id: int, where: Where, at: datetime):
    """The ledger rows of a receipt's gift card payments: one INSERT for all of them."""
    rows.insert(
        GiftCardEntry,
        [
            {"gift_card": card_id, "kind": Kind.PAY, "amount": -p.amount, "balance_after": p.balance_after,
             "created_at": at, "receipt_id": receipt_id} | where.columns()
            for card_id, p in taken
        ],
    )  # fmt: skip


# --- refunds ----------------------------------------------------------------------------------------


def gift_card_refund(
    *, receipt_id: int, refund_id: int, amount: Decimal, where: Where, at: datetime
) -> list[Payment] | None:
    """Give `amount` of a refund back to the gift cards that paid receipt `receipt_id`, first paid first, each
    up to what it paid net of earlier refunds; the caller pays the rest as cash. Inside the refund's
    transaction, which already holds the receipt's row lock (one refund of a receipt at a time); the cards
    are locked in id order. A card since blocked or expired takes nothing back: that share is cash (a stolen
    card's balance was moved to a new card by a manager; the refund goes to the person at the till).
    Returns what went back to which card; None when no gift card paid the receipt."""
    paid: dict[int, Decimal] = {}
    for card_id, moved in (
        GiftCardEntry.objects.filter(receipt_id=receipt_id, kind__in=[Kind.PAY, Kind.REFUND])
        .order_by("id")
        .values_list("gift_card_id", "amount")
    ):
        paid[card_id] = paid.get(card_id, ZERO) - moved
    if not paid:
        return None
    owed = {card_id: left for card_id, left in paid.items() if left > 0}
    if not owed or amount <= 0:
        return []
    cards = {c.pk: c for c in GiftCard.objects.select_for_update().filter(pk__in=owed).order_by("pk")}
    today, back = local_date(at), []
    for card_id, left in owed.items():  # first paid first (dicts keep the ledger's order)
        card, take = cards[card_id], min(left, amount)
        if take <= 0 or card.status != Status.ACTIVE or is_expired(card, today):
            continue
        card.balance += take
        card.save(update_fields=["balance"])
        _entry(card, Kind.REFUND, take, at, where, receipt_id=receipt_id, refund_id=refund_id)
        back.append(Payment(card.number, take, card.balance))
        amount -= take
    return back


# --- the manager: block, move, adjust ---------------------------------------------------------------


def _log(card: GiftCard, by, message: str) -> None:
    if by is None:
        return
    LogEntry.objects.log_actions(
        user_id=by.pk, queryset=[card], action_flag=CHANGE, change_message=message, single_object=True
    )


def gift_card_block(*, number: str, reason: str, by, at: datetime, move_to: str = "") -> GiftCard:
    """Block a lost or stolen card; with `move_to` (an issued card), its balance and expiry move there by two
    ledger rows (−balance on the old card, +balance on the new), the new card active. Audited in the admin's
    history of both cards."""
    reason = plain_text(reason, field="reason", max_length=200).strip()
    if not reason:
        raise InvalidInput("Say why the gift card is blocked.", details={"reason": ["Required."]})
    numbers = [gift_card_checked(number)] + ([gift_card_checked(move_to)] if move_to else [])
    if len(set(numbers)) != len(numbers):
        raise InvalidInput("The balance moves to another card.", code="same_card")
    with transaction.atomic(durable=True):
        locked = {c.number: c for c in GiftCard.objects.select_for_update().filter(number__in=numbers).order_by("pk")}
        if any(n not in locked for n in numbers):
            raise errors.not_found()
        old = locked[numbers[0]]
        if old.status == Status.BLOCKED:
            raise errors.blocked()
        old.status, old.blocked_at, old.blocked_reason = Status.BLOCKED, at, reason
        where = Where(by_id=by.pk if by else None)
        if move_to:
            new = locked[numbers[1]]
            if new.status != Status.ISSUED:
                raise errors.DomainError("Move the balance to a new (unsold) gift card.", code="gift_card_not_issued")
            moved = old.balance
            new.status, new.sold_at, new.expires_on, new.balance = Status.ACTIVE, at, old.expires_on, moved
            old.balance, old.moved_to = ZERO, new
            new.save()
            if moved:
                _entry(old, Kind.ADJUST, -moved, at, where, reason=f"Moved to {new.number}: {reason}"[:200])
                _entry(new, Kind.ADJUST, moved, at, where, reason=f"Moved from {old.number}: {reason}"[:200])
            _log(new, by, f"Balance {moved} moved from blocked gift card {old.number}: {reason}")
        old.save()
        _log(old, by, f"Blocked ({reason})" + (f"; balance moved to {move_to}" if move_to else ""))
        return old


# --- the nightly job --------------------------------------------------------------------------------


def gift_cards_expire(*, at: datetime) -> int:
    """Balances past their date go: each card expired by one ledger row (−balance) and its status, under the
    card's lock, one short transaction per card. A card already expired is not picked again: safe to run
    twice. Returns how many cards expired."""
    today = local_date(at)
    due = GiftCard.objects.filter(status=Status.ACTIVE, expires_on__lt=today).values_list("pk", flat=True)
    expired = 0
    for card_id in list(due):
        with transaction.atomic(durable=True):
            card = GiftCard.objects.select_for_update().get(pk=card_id)
            if card.status != Status.ACTIVE or not is_expired(card, today):
                continue  # topped up, blocked or expired meanwhile
            left, card.status, card.balance = card.balance, Status.EXPIRED, ZERO
            card.save(update_fields=["status", "balance"])
            if left:
                _entry(card, Kind.EXPIRE, -left, at, Where(), reason=f"Expired after {card.expires_on}")
            expired += 1
    return expired
