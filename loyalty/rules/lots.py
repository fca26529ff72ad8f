"""Point lots: every credit is a lot that knows when it burns; debits take the soonest-burning first."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from loyalty.rules.errors import InsufficientPoints, InvalidInput


@dataclass(frozen=True)
class Lot:
    lot_id: int
    remaining: Decimal
    expires_at: datetime | None


def _sort_key(lot: Lot) -> tuple[int, datetime, int]:
    # Lots that never expire go last; a placeholder date keeps the tuple comparable.
    if lot.expires_at is None:
        return (1, datetime.min, lot.lot_id)
    return (0, lot.expires_at, lot.lot_id)


def consume_oldest_first(lots: Sequence[Lot], amount: Decimal) -> list[tuple[int, Decimal]]:
    """Take `amount` points from the lots that burn soonest; (lot_id, taken) pairs, no zero pairs."""
    if amount < 0:
        raise InvalidInput("cannot consume a negative amount of points")
    live = sorted((lot for lot in lots if lot.remaining > 0), key=_sort_key)
    if sum((lot.remaining for lot in live), Decimal(0)) < amount:
        raise InsufficientPoints("the lots hold less than {amount} points", params={"amount": amount})
    taken: list[tuple[int, Decimal]] = []
    left = amount
    for lot in live:
        if left <= 0:
            break
        take = min(lot.remaining, left)
        taken.append((lot.lot_id, take))
        left -= take
    return taken


def expired_lots(lots: Sequence[Lot], at: datetime) -> list[Lot]:
    """Lots with points left whose expiry has come (expiry moment inclusive)."""
    return [lot for lot in lots if lot.remaining > 0 and lot.expires_at is not None and lot.expires_at <= at]


def burning_within(lots: Sequence[Lot], at: datetime, days: int) -> list[tuple[datetime, Decimal]]:
    """What burns in (at, at + days], one row per calendar day: its first expiry moment and the sum.

    Lots earned on the same day burn at different minutes; the customer wants "12.00 on 3 March".
    """
    horizon = at + timedelta(days=days)
    by_day: dict[date, tuple[datetime, Decimal]] = {}
    for lot in lots:
        if lot.remaining <= 0 or lot.expires_at is None or not (at < lot.expires_at <= horizon):
            continue
        day = lot.expires_at.date()
        first, total = by_day.get(day, (lot.expires_at, Decimal(0)))
        by_day[day] = (min(first, lot.expires_at), total + lot.remaining)
    return [by_day[day] for day in sorted(by_day)]
