"""Write paths of the loyalty core.

Two layers:
- helpers that take an Account the caller has ALREADY LOCKED (`credit`,
  `debit`, `spend_record`, `account_open`): checkout, refund and card
  replacement compose them inside their own transaction;
- top-level services (`points_adjust`, `points_redeem`, `points_earn`) that
  are their own durable transaction: lock, read, write, audit.

Points never go below zero: a debit above the balance is rejected, never
clamped, and the DB constraint on the balance is the backstop.
"""

import re
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction

from core import rows
from core.errors import InvalidInput
from loyalty import rules
from loyalty.locks import account_lock
from loyalty.models import Account, Customer, LotConsumption, PointsEntry, PointsLot, Programme, SpendEntry
from loyalty.selectors import lots_covering, lots_due, lots_due_known, programme_levels

Kind = PointsEntry.Kind
CENT = Decimal("0.01")


# --- customers -------------------------------------------------------------------------------

_PHONE_NOISE = re.compile(r"[\s\-().]")


def normalise_phone(raw: str) -> str:
    """'+49 (170) 123-45-67' -> '+491701234567'. One customer, one phone, however typed."""
    phone = _PHONE_NOISE.sub("", raw or "")
    if phone.startswith("00"):
        phone = "+" + phone[2:]
    digits = phone.removeprefix("+")
    if not (digits.isascii() and digits.isdigit() and 6 <= len(digits) <= 15):
        raise InvalidInput("Enter a phone number of 6 to 15 digits.", details={"phone": ["Not a phone number."]})
    return phone


def customer_find_or_create(*, name: str, phone: str, email: str = "", birthday=None, marketing_consent=False):
    """The customer with this phone, or a new one. Returns (customer, created)."""
    phone = normalise_phone(phone)
    name = (name or "").strip()
    if not name:
        raise InvalidInput("The customer's name is required.", details={"name": ["This field is required."]})
    return Customer.objects.get_or_create(
        phone=phone,
        defaults={"name": name, "email": email or "", "birthday": birthday, "marketing_consent": marketing_consent},
    )


# --- accounts and lots (caller holds the lock) -----------------------------------------------


def account_open(*, customer: Customer, programme: Programme, at: datetime, replaces: Account | None = None):
    account = Account.objects.create(customer=customer, programme=programme, replaces=replaces)
    if programme.welcome_bonus > 0 and replaces is None:
        credit(account, kind=Kind.WELCOME, points=programme.welcome_bonus, at=at, reason="Welcome bonus")
    return account


def lot_expiry(programme: Programme, at: datetime) -> datetime | None:
    days = programme.points_lifetime_days
    return at + timedelta(days=days) if days else None


def credit(
    account: Account, *, kind: str, points: Decimal, at: datetime, expires_at=..., save_balance=True, **cause
) -> PointsEntry:
    """Add points as one entry and one lot. `expires_at` defaults to the programme's lifetime.

    save_balance=False leaves the account row's balance to the caller's own UPDATE of it (spend_record)."""
    _check_amount(points)
    entry = _entry(account, kind=kind, points=points, at=at, **cause)
    if expires_at is ...:
        expires_at = lot_expiry(account.programme, at)
    lot = {"account": account.pk, "entry": entry.pk, "points": points, "remaining": points, "expires_at": expires_at}
    rows.insert(PointsLot, [lot])
    _move_balance(account, points, save=save_balance)
    return entry


def debit(account: Account, *, kind: str, points: Decimal, at: datetime, save_balance=True, **cause) -> PointsEntry:
    """Take points from the lots that burn soonest, as one entry. Rejects an overdraft."""
    _check_amount(points)
    # Points past their burn date are gone even if tonight's job has not run yet.
    expire_lots(account, at=at)
    if points > account.points_balance:
        raise rules.InsufficientPoints(
            f"Only {account.points_balance} points are available, not {points.quantize(CENT)}.",
            details={"balance": str(account.points_balance), "requested": str(points)},
        )
    entry = _entry(account, kind=kind, points=-points, at=at, **cause)
    _consume(account, entry, rules.consume_oldest_first(lots_covering(account, points), points))
    _move_balance(account, -points, save=save_balance)
    return entry


def _entry(account: Account, *, kind: str, points: Decimal, at: datetime, **cause) -> PointsEntry:
    """One ledger row: a plain INSERT (core/rows.py), since every checkout writes one or two."""
    causes = {name: getattr(value, "pk", value) for name, value in cause.items()}  # created_by may be a user
    [pk] = rows.insert(
        PointsEntry, [{"account": account.pk, "kind": kind, "points": points, "created_at": at, **causes}]
    )
    entry = PointsEntry(pk=pk, account=account, kind=kind, points=points, created_at=at, **cause)
    entry._state.adding, entry._state.db = False, connection.alias  # as if read back: it is stored
    return entry


def _consume(account: Account, entry: PointsEntry, taken: list[tuple[int, Decimal]]) -> None:
    LotConsumption.objects.bulk_create(LotConsumption(entry=entry, lot_id=lot, points=pts) for lot, pts in taken)
    remaining = dict(PointsLot.objects.filter(pk__in=[lot for lot, _ in taken]).values_list("id", "remaining"))
    for lot_id, pts in taken:
        # Exact Decimal arithmetic here rather than F(): SQLite would do it in
        # floats and leave 1e-16 points behind. Safe because the caller holds
        # the account's row lock, which every change of its lots goes through.
        PointsLot.objects.filter(pk=lot_id).update(remaining=remaining[lot_id] - pts)


def _move_balance(account: Account, points: Decimal, save: bool = True) -> None:
    # The account row is locked (see module docstring): the value read under
    # the lock plus the movement is exact; the DB constraint keeps it >= 0.
    account.points_balance += points
    if save:
        Account.objects.filter(pk=account.pk).update(points_balance=account.points_balance)


def _check_amount(points: Decimal) -> None:
    if points <= 0 or points != points.quantize(CENT):
        raise InvalidInput("Points must be a positive amount with at most two decimals.")


def spend_record(
    account: Account,
    *,
    kind: str,
    amount: Decimal,
    at: datetime,
    level=None,
    purchase: bool = False,
    save_balance: bool = False,
    **cause,
) -> None:
    """Move level-qualifying spend and set the level (None = base); a purchase also sets the last purchase time.

    save_balance=True also writes the points balance held in `account`, for callers that moved points with
    save_balance=False: the account row then gets one UPDATE instead of two."""
    before = account.level.name if account.level_id else ""
    after = level.name if level else ""
    entry = {"account": account.pk, "kind": kind, "amount": amount, "created_at": at, "level_before": before}
    rows.insert(SpendEntry, [{**entry, "level_after": after, **cause}])
    account.spend = max(Decimal("0.00"), account.spend + amount)
    account.level = level
    changes = {"spend": account.spend, "level": level.pk if level else None}
    if purchase:
        account.last_purchase_at = changes["last_purchase_at"] = at
    if save_balance:
        changes["points_balance"] = account.points_balance
    rows.update(Account, account.pk, changes)  # every sale: a fixed UPDATE


def level_named(account: Account, name: str | None):
    return next((lv for lv in programme_levels(account.programme) if lv.name == name), None) if name else None


def account_transfer(old: Account, new: Account, *, at: datetime, by=None, reason: str) -> None:
    """Move spend, level and every live lot (keeping its burn date) from `old` to `new`.

    Both rows are locked by the caller. Entries on both sides keep the trail.
    """
    for lot in old.lots.filter(remaining__gt=0).order_by("expires_at", "id"):
        out = _entry(old, kind=Kind.TRANSFER, points=-lot.remaining, at=at, created_by=by, reason=reason)
        _consume(old, out, [(lot.pk, lot.remaining)])
        _move_balance(old, -lot.remaining)
        credit(new, kind=Kind.TRANSFER, points=lot.remaining, at=at, expires_at=lot.expires_at, created_by=by,
               reason=reason)  # fmt: skip
    if old.spend:
        spend_record(new, kind=SpendEntry.Kind.TRANSFER, amount=old.spend, at=at, level=old.level)
        spend_record(old, kind=SpendEntry.Kind.TRANSFER, amount=-old.spend, at=at, level=None)
    elif old.level_id:
        spend_record(new, kind=SpendEntry.Kind.TRANSFER, amount=Decimal("0.00"), at=at, level=old.level)
    Account.objects.filter(pk=new.pk).update(last_purchase_at=old.last_purchase_at)


# --- top-level services ----------------------------------------------------------------------


def points_adjust(*, account_id: int, points: Decimal, reason: str, by, at: datetime) -> PointsEntry:
    """A manager's correction, signed, with a mandatory reason; audited with who and when."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("A manual adjustment needs a reason.", details={"reason": ["This field is required."]})
    if points == 0:
        raise InvalidInput("An adjustment of zero points changes nothing.")
    with transaction.atomic(durable=True):
        account = account_lock(account_id, at=at)
        if points > 0:
            return credit(account, kind=Kind.ADJUST, points=points, at=at, created_by=by, reason=reason)
        return debit(account, kind=Kind.ADJUST, points=-points, at=at, created_by=by, reason=reason)


def points_redeem(*, account_id: int, points: Decimal, at: datetime, receipt_id: int | None = None) -> PointsEntry:
    with transaction.atomic(durable=True):
        account = account_lock(account_id, at=at)
        return debit(account, kind=Kind.REDEEM, points=points, at=at, receipt_id=receipt_id)


def points_earn(*, account_id: int, points: Decimal, at: datetime, receipt_id: int | None = None) -> PointsEntry:
    with transaction.atomic(durable=True):
        account = account_lock(account_id, at=at)
        return credit(account, kind=Kind.EARN, points=points, at=at, receipt_id=receipt_id)


def points_expire(*, account_id: int, at: datetime, job_run: str = "") -> list[PointsEntry]:
    """Burn every lot of one account whose time has come: one entry per lot."""
    with transaction.atomic(durable=True):
        account = account_lock(account_id, at=at)
        return expire_lots(account, at=at, job_run=job_run)


def expire_lots(account: Account, *, at: datetime, job_run: str = "") -> list[PointsEntry]:
    entries = []
    for lot in rules.expired_lots(lots_due(account, at), at):
        entry = _entry(
            account, kind=Kind.EXPIRE, points=-lot.remaining, at=at, job_run=job_run, burned_lot_id=lot.lot_id
        )
        _consume(account, entry, [(lot.lot_id, lot.remaining)])
        _move_balance(account, -lot.remaining)
        entries.append(entry)
    lots_due_known(account, at, [])  # nothing past its date is left at `at`
    return entries
