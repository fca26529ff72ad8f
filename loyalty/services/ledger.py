"""Write paths of the points and spend ledger: one call per event, on an account the caller has locked
(loyalty/locks.py) inside its own transaction, except points_adjust, which is its own.

- account_open: a card's first use opens its account (and credits the welcome bonus);
- account_purchase_record: a checkout's points redeemed and earned, spend, level, last purchase;
- account_refund_settle: a refund's points returned and taken back, spend and level;
- account_replace: a replaced card's account hands spend, level and live lots to a new one;
- company_account_open, account_join: a business customer's one account, and a card's own account handing its
  spend and live lots to it when the card joins the company;
- points_adjust: a manager's signed correction, audited;
- account_bonus_credit: a business customer's statement paid out as points (partners), audited.

Each writes its ledger and spend rows, then the account row with ONE UPDATE of what it moved (the helpers
below move balance, spend and level in memory only). Points past their burn date burn before any debit,
even if tonight's job has not run yet. Points never go below zero: a debit above the balance is rejected,
never clamped, and the DB constraint on the balance is the backstop.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction

from core import rows
from core.errors import InvalidInput
from core.money import AMOUNT_MAX, CENT, MAX_SALE, ZERO, refuse_above_total
from core.phones import normalise_phone
from loyalty import events, rules
from loyalty.locks import account_lock
from loyalty.models import (
    Account,
    Company,
    Customer,
    Level,
    LotConsumption,
    PointsEntry,
    PointsLot,
    Programme,
    SpendEntry,
)
from loyalty.selectors import lots_covering, lots_due, lots_due_known, programme_levels, programme_rules

Kind = PointsEntry.Kind


# --- customers -------------------------------------------------------------------------------


def customer_create(*, name: str, phone: str, email: str = "", birthday=None, marketing_consent=False) -> Customer:
    """A new customer, always: a phone already on file links nobody and reveals nothing (api.md, activate).
    Two records of one person are merged by a manager (loyalty.services.customers.customer_merge)."""
    phone = normalise_phone(phone)
    name = (name or "").strip()
    if not name:
        raise InvalidInput("The customer's name is required.", details={"name": ["This field is required."]})
    return Customer.objects.create(
        name=name, phone=phone, email=email or "", birthday=birthday, marketing_consent=marketing_consent
    )


# --- one call per event, on a locked account --------------------------------------------------


def account_open(*, customer: Customer, programme: Programme, at: datetime) -> Account:
    """A new account for a card's first use, with the programme's welcome bonus."""
    account = Account.objects.create(customer=customer, programme=programme)
    if programme.welcome_bonus > 0:
        _credit(account, kind=Kind.WELCOME, points=programme.welcome_bonus, at=at, reason="Welcome bonus")
        _save(account, "points_balance")
    return account


def account_purchase_record(*, account: Account, receipt_id: int, quote: rules.Quote, at: datetime) -> None:
    """A checkout's sale on its locked account: the points past their date burn (the quote already left
    them out), then the points redeemed and earned, the spend paid in money, the level after and the
    time of the last purchase."""
    # Before any row is written: a sale the account's totals could not hold is refused as a whole (400).
    what = "this card's lifetime"
    refuse_above_total(account.spend + quote.total_due, field="lines", what=f"{what} spend")
    refuse_above_total(account.points_balance + quote.points_earned, field="lines", what=f"{what} points balance")
    _burn_overdue(account, at)
    if quote.points_redeemed > 0:
        _debit(account, kind=Kind.REDEEM, points=quote.points_redeemed, at=at, receipt_id=receipt_id)
    if quote.points_earned > 0:
        _credit(account, kind=Kind.EARN, points=quote.points_earned, at=at, receipt_id=receipt_id)
    level, before = _level_named(account, quote.level_after), account.level if account.level_id else None
    _spend(account, kind=SpendEntry.Kind.PURCHASE, amount=quote.total_due, at=at, level=level, receipt_id=receipt_id)
    account.last_purchase_at = at
    _save(account, "points_balance", "spend", "level_id", "last_purchase_at")
    if level is not None and (before is None or level.threshold > before.threshold):
        reached = {"account_id": account.pk, "level": level.name, "receipt_id": receipt_id, "at": at}
        transaction.on_commit(lambda: events.level_reached.send(sender=Account, **reached))


@dataclass(frozen=True)
class Settlement:
    """What a refund did on the account, for its slip."""

    amount_refunded: Decimal  # the cash back, less what the programme keeps for points spent and discount unearned
    points_returned: Decimal  # the points that paid for the refunded part, given back
    points_reversed: Decimal  # the points it earned, taken back
    points_shortfall: Decimal  # earned points the customer had already spent: not taken back
    takings: tuple[rules.Taking, ...] = ()  # unearned level discount on later purchases, kept or recorded


def account_refund_settle(
    *, account: Account, receipt_id: int, refund_id: int, cash: Decimal, to_return: Decimal, to_reverse: Decimal,
    at: datetime, unearned: Sequence[tuple[int, Decimal, Decimal, Decimal]] = (),
) -> Settlement:  # fmt: skip
    """A refund's share of a purchase undone on the locked account that holds the receipt's points now:
    `to_return` points given back, up to `to_reverse` taken back, `cash` out of the spend (the level may fall).
    `unearned`: (receipt, due, kept so far, recorded so far) of the level discount this refund shows was
    never earned (loyalty/rules/clawback.py), taken back as the programme treats points already spent."""
    _burn_overdue(account, at)
    cause = {"receipt_id": receipt_id, "refund_id": refund_id}
    if to_return > 0:
        _credit(account, kind=Kind.REFUND, points=to_return, at=at, **cause)
    taken = min(to_reverse, account.points_balance)
    if taken > 0:
        _debit(account, kind=Kind.REFUND, points=taken, at=at, **cause)
    shortfall = to_reverse - taken
    programme = account.programme
    keep_from_cash = programme.refund_shortfall == Programme.RefundShortfall.REDUCE_CASH
    paid_back = cash
    if shortfall > 0 and keep_from_cash:
        # The customer already spent points this purchase earned: keep their value from the cash.
        paid_back = max(ZERO, paid_back - rules.round_money(shortfall * programme.point_value))
    takings, paid_back = rules.take_back(unearned, paid_back, keep_from_cash)
    _refund_spend(account, receipt_id=receipt_id, goods=cash, takings=takings, at=at)
    _save(account, "points_balance", "spend", "level_id")
    return Settlement(
        amount_refunded=paid_back, points_returned=to_return, points_reversed=taken, points_shortfall=shortfall,
        takings=takings,
    )  # fmt: skip


def _refund_spend(account: Account, *, receipt_id: int, goods: Decimal, takings, at: datetime) -> None:
    """The refunded goods out of the spend; the unearned discount kept from the cash back in (it is money paid
    for goods the customer keeps, as at the till), one entry per receipt it was kept for. The level falls to
    what the spend left supports, never rises."""
    kept = sum((t.kept for t in takings), ZERO)
    spend_after = max(ZERO, account.spend - goods + kept)
    after = _level_named(account, rules.level_after_refund(programme_rules(account.programme), _level_name(account),
                                                           spend_after))  # fmt: skip
    _spend(account, kind=SpendEntry.Kind.REFUND, amount=-goods, at=at, level=after, receipt_id=receipt_id)
    for taking in takings:
        if taking.kept:
            _spend(account, kind=SpendEntry.Kind.CLAWBACK, amount=taking.kept, at=at, level=after,
                   receipt_id=taking.receipt_id)  # fmt: skip
    account.spend = spend_after  # the entries' sum, without clamping midway


def account_replace(*, account: Account, at: datetime, by=None, reason: str) -> Account:
    """A new account takes over the locked `account` of a replaced card: its spend, level and every live lot
    (each keeping its burn date) move by ledger rows on both sides, so both keep the trail."""
    new = Account.objects.create(customer_id=account.customer_id, programme=account.programme, replaces=account)
    cause = {"created_by": by, "reason": reason}
    for lot in account.lots.filter(remaining__gt=0).order_by("expires_at", "id"):
        out = _entry(account, kind=Kind.TRANSFER, points=-lot.remaining, at=at, **cause)
        _consume(account, out, [(lot.pk, lot.remaining)])
        account.points_balance -= lot.remaining
        _credit(new, kind=Kind.TRANSFER, points=lot.remaining, at=at, expires_at=lot.expires_at, **cause)
    if account.spend:
        _spend(new, kind=SpendEntry.Kind.TRANSFER, amount=account.spend, at=at, level=account.level)
        _spend(account, kind=SpendEntry.Kind.TRANSFER, amount=-account.spend, at=at, level=None)
    elif account.level_id:
        _spend(new, kind=SpendEntry.Kind.TRANSFER, amount=ZERO, at=at, level=account.level)
    new.last_purchase_at = account.last_purchase_at
    _save(account, "points_balance", "spend", "level_id")
    _save(new, "points_balance", "spend", "level_id", "last_purchase_at")
    return new


def company_account_open(*, company: Company, programme: Programme) -> Account:
    """The account a business customer's staff cards share, for the locked `company` that has none yet. Its
    customer is a record in the company's name (no phone: nobody finds it at the till by phone)."""
    customer = Customer.objects.create(name=company.name, phone="")
    account = Account.objects.create(customer=customer, programme=programme, company=company)
    company.account = account
    company.save(update_fields=["account"])
    return account


@dataclass(frozen=True)
class Joined:
    points_moved: Decimal
    points_kept: Decimal
    spend_moved: Decimal


def account_join(*, account: Account, into: Account, at: datetime, by=None, reason: str, points: bool) -> Joined:
    """A card's locked own `account` hands its spend and (with `points`) every live lot, each keeping its burn
    date, to the locked company account `into`, by ledger rows on both sides as a replacement does. The company
    keeps its level or reaches a higher one with the spend added; the card's own level stays with the own
    account's history. Without `points` (a company on contract terms) the points stay where they are."""
    _burn_overdue(account, at)
    moved = ZERO
    cause = {"created_by": by, "reason": reason}
    for lot in account.lots.filter(remaining__gt=0).order_by("expires_at", "id") if points else ():
        out = _entry(account, kind=Kind.TRANSFER, points=-lot.remaining, at=at, **cause)
        _consume(account, out, [(lot.pk, lot.remaining)])
        account.points_balance -= lot.remaining
        _credit(into, kind=Kind.TRANSFER, points=lot.remaining, at=at, expires_at=lot.expires_at, **cause)
        moved += lot.remaining
    spend = account.spend
    if spend:
        reached = rules.level_after_purchase(programme_rules(into.programme), _level_name(into), into.spend + spend)
        _spend(into, kind=SpendEntry.Kind.TRANSFER, amount=spend, at=at, level=_level_named(into, reached))
        _spend(account, kind=SpendEntry.Kind.TRANSFER, amount=-spend, at=at, level=None)
    if account.last_purchase_at and (into.last_purchase_at is None or into.last_purchase_at < account.last_purchase_at):
        into.last_purchase_at = account.last_purchase_at
    _save(account, "points_balance", "spend", "level_id")
    _save(into, "points_balance", "spend", "level_id", "last_purchase_at")
    return Joined(points_moved=moved, points_kept=account.points_balance, spend_moved=spend)


# --- a top-level service: its own transaction ------------------------------------------------------


def points_adjust(*, account_id: int, points: Decimal, reason: str, by, at: datetime) -> PointsEntry:
    """A manager's correction, signed, with a mandatory reason; audited with who and when."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("A manual adjustment needs a reason.", details={"reason": ["This field is required."]})
    if points == 0:
        raise InvalidInput("An adjustment of zero points changes nothing.")
    if abs(points) > MAX_SALE:
        message = "Adjust by at most {most:,} points at a time."
        raise InvalidInput(message, details={"points": [message.format(most=MAX_SALE)]}, params={"most": MAX_SALE})
    with transaction.atomic(durable=True):
        account = account_lock(account_id, at=at)
        if points > 0:
            refuse_above_total(account.points_balance + points, field="points", what="the points balance")
            entry = _credit(account, kind=Kind.ADJUST, points=points, at=at, created_by=by, reason=reason)
        else:
            _burn_overdue(account, at)
            entry = _debit(account, kind=Kind.ADJUST, points=-points, at=at, created_by=by, reason=reason)
        _save(account, "points_balance")
        return entry


def account_bonus_credit(*, account: Account, points: Decimal, reason: str, by, at: datetime) -> PointsEntry:
    """Points credited for a reason outside a sale (a partners statement paid out), on an account the caller
    has locked, inside its transaction: an adjustment row naming the reason and who, usable like any points."""
    if not reason.strip():
        raise InvalidInput("A credit needs a reason.")
    entry = _credit(account, kind=Kind.ADJUST, points=points, at=at, created_by=by, reason=reason[:200])
    _save(account, "points_balance")
    return entry


def account_bonus_take_back(*, account: Account, points: Decimal, reason: str, by, at: datetime) -> PointsEntry | None:
    """Points credited outside a sale taken back (the statement that paid them was reversed), on an account the
    caller has locked, inside its transaction: as many as are left after the overdue ones burn, never an
    overdraft. None when nothing is left; the entry's points say how many came back."""
    if not reason.strip():
        raise InvalidInput("A take-back needs a reason.")
    _burn_overdue(account, at)
    taken = min(points, account.points_balance)
    if taken <= 0:
        _save(account, "points_balance")
        return None
    entry = _debit(account, kind=Kind.ADJUST, points=taken, at=at, created_by=by, reason=reason[:200])
    _save(account, "points_balance")
    return entry


# --- the ledger's rows; balance, spend and level move in memory, the caller saves the account once -----


def lot_expiry(programme: Programme, at: datetime) -> datetime | None:
    days = programme.points_lifetime_days
    return at + timedelta(days=days) if days else None


def _credit(account: Account, *, kind: str, points: Decimal, at: datetime, expires_at=..., **cause) -> PointsEntry:
    """Add points as one entry and one lot. `expires_at` defaults to the programme's lifetime."""
    _check_amount(points)
    refuse_above_total(account.points_balance + points, field="points", what="the points balance")  # backstop
    entry = _entry(account, kind=kind, points=points, at=at, **cause)
    if expires_at is ...:
        expires_at = lot_expiry(account.programme, at)
    lot = {"account": account.pk, "entry": entry.pk, "points": points, "remaining": points, "expires_at": expires_at}
    rows.insert(PointsLot, [lot])
    account.points_balance += points
    return entry


def _debit(account: Account, *, kind: str, points: Decimal, at: datetime, **cause) -> PointsEntry:
    """Take points from the lots that burn soonest, as one entry; the overdue ones are burned already.
    Rejects an overdraft."""
    _check_amount(points)
    if points > account.points_balance:
        raise rules.InsufficientPoints(
            "Only {balance} points are available, not {requested}.",
            details={"balance": str(account.points_balance), "requested": str(points)},
            params={"balance": account.points_balance, "requested": points.quantize(CENT)},
        )
    entry = _entry(account, kind=kind, points=-points, at=at, **cause)
    _consume(account, entry, rules.consume_oldest_first(lots_covering(account, points), points))
    account.points_balance -= points
    return entry


def _burn_overdue(account: Account, at: datetime) -> None:
    """Burn the lots whose date has come (read under the lock when it was taken): one expire entry per lot."""
    for lot in rules.expired_lots(lots_due(account, at), at):
        entry = _entry(account, kind=Kind.EXPIRE, points=-lot.remaining, at=at, burned_lot_id=lot.lot_id)
        _consume(account, entry, [(lot.lot_id, lot.remaining)])
        account.points_balance -= lot.remaining
    lots_due_known(account, at, [])  # nothing past its date is left at `at`


def _entry(account: Account, *, kind: str, points: Decimal, at: datetime, **cause) -> PointsEntry:
    """One ledger row: a plain INSERT (core/rows.py), since every checkout writes one or two."""
    causes = {name: getattr(value, "pk", value) for name, value in cause.items()}  # created_by may be a user
    row = {"account": account.pk, "kind": kind, "points": points, "created_at": at, **causes}
    [pk] = rows.insert(PointsEntry, [row])
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


def _check_amount(points: Decimal) -> None:
    if points <= 0 or points != points.quantize(CENT):
        raise InvalidInput("Points must be a positive amount with at most two decimals.")
    if points > AMOUNT_MAX:  # one ledger row's column (core/money.py); the callers' limits are far below
        raise InvalidInput("One entry can move at most {most:,} points.", params={"most": AMOUNT_MAX})


def _spend(account: Account, *, kind: str, amount: Decimal, at: datetime, level: Level | None, **cause) -> None:
    """A spend entry moving level-qualifying spend, and the level it leaves (None = base)."""
    refuse_above_total(account.spend + amount, field="spend", what="the spend")  # backstop
    entry = {"account": account.pk, "kind": kind, "amount": amount, "created_at": at}
    levels = {"level_before": _level_name(account) or "", "level_after": level.name if level else ""}
    rows.insert(SpendEntry, [entry | levels | cause])
    account.spend = max(ZERO, account.spend + amount)
    account.level = level


def _save(account: Account, *fields: str) -> None:
    """The one UPDATE of the locked account row a service makes: `fields` (attribute names) as they are now.
    A fixed statement (core/rows.py): every sale makes one."""
    rows.update(Account, account.pk, {name: getattr(account, name) for name in fields})


def _level_name(account: Account) -> str | None:
    return account.level.name if account.level_id else None


def _level_named(account: Account, name: str | None) -> Level | None:
    return next((lv for lv in programme_levels(account.programme) if lv.name == name), None) if name else None
