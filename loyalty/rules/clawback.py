"""A level discount a refund shows was never earned, taken back (issue 13).

A purchase is discounted at the level held before it. When a refund takes spend away, the purchases made
after the refunded one were priced at a level that spend may no longer support. For each of them this
rule finds the level it would have been priced at had the refunded goods never been bought, and the
discount it got above that level's: the unearned discount, which the refund takes back.

The level a later receipt R would have held comes from the spend it would have had:
  the spend before R (the ledger's purchases, refunds, steps; earlier take-backs left out)
  − the refunds since R of purchases made before R (spend that should never have counted for R)
  + the unearned discount found on the purchases before R (priced right, the customer would have paid it).
A refund never raises a level, so R is never priced above the level it was sold at. Everything is
cumulative, as refunds are: each refund works out what is unearned on each receipt now, and takes only the
difference from what earlier refunds took (a receipt refunded itself owes less: the difference goes back).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from core.money import HUNDRED, ZERO, round_down
from loyalty.rules.levels import card_percent, level_after_refund
from loyalty.rules.pricing import line_percent
from loyalty.rules.terms import CategoryRule, ProgrammeRules


@dataclass(frozen=True)
class SoldLine:
    """A receipt line as sold, and how much of it has been refunded."""

    sku: str
    category: CategoryRule
    quantity: Decimal
    refunded_quantity: Decimal
    subtotal: Decimal
    discount_percent: Decimal
    discount_amount: Decimal


@dataclass(frozen=True)
class SoldReceipt:
    """A purchase from the refunded one on, with what the spend ledger says about it."""

    receipt_id: int
    at: datetime  # when it was sold: time windows are read at that moment
    level_before: str | None  # the level it was priced at
    spend_before: Decimal  # level-qualifying spend when it was sold, earlier take-backs left out
    refunded_since: Decimal  # spend refunded after it of purchases made before it (this refund's included)
    taken_back: Decimal  # unearned discount on it that earlier refunds took back (kept or recorded)
    lines: tuple[SoldLine, ...]


@dataclass(frozen=True)
class LineUnearned:
    sku: str
    quantity: Decimal  # still kept by the customer (not refunded)
    percent_given: Decimal
    percent_earned: Decimal
    amount: Decimal


@dataclass(frozen=True)
class ReceiptUnearned:
    receipt_id: int
    level_given: str | None
    level_earned: str | None
    unearned: Decimal  # on what the customer still keeps of it, in all
    due: Decimal  # unearned − taken back already: what this refund takes (negative: gives back)
    lines: tuple[LineUnearned, ...]


def line_unearned(p: ProgrammeRules, line: SoldLine, percent_earned_by_card: Decimal, at: datetime) -> LineUnearned:
    """The discount a line got above what the earned level gives it (category policy, windows and ceiling as at
    the sale), on the part not refunded. Never below zero: a line is never priced above how it was sold."""
    earned = min(line.discount_percent, line_percent(p, line.category, percent_earned_by_card, at))
    whole = line.discount_amount - round_down(line.subtotal * earned / HUNDRED)
    kept = line.quantity - line.refunded_quantity
    # Taken back rounds down, like every discount: the shop never takes a cent more than was given.
    amount = whole if kept == line.quantity else round_down(whole * kept / line.quantity)
    return LineUnearned(line.sku, kept, line.discount_percent, earned, amount)


def _earned(line: SoldLine) -> LineUnearned:
    kept = line.quantity - line.refunded_quantity
    return LineUnearned(line.sku, kept, line.discount_percent, line.discount_percent, ZERO)


def unearned_discounts(
    p: ProgrammeRules, receipts: Sequence[SoldReceipt], unearned_before: Decimal = ZERO
) -> tuple[ReceiptUnearned, ...]:
    """`receipts` in the order they were sold, from the refunded one on; `unearned_before` is what is unearned
    on the account's purchases before the refunded one (this refund changes nothing there)."""
    found = unearned_before
    out = []
    for receipt in receipts:
        spend = max(ZERO, receipt.spend_before - receipt.refunded_since + found)
        level = level_after_refund(p, receipt.level_before, spend)
        if level == receipt.level_before:
            # The level stands: nothing to take, even if the programme's percents changed since the sale.
            lines = tuple(_earned(line) for line in receipt.lines)
        else:
            percent = card_percent(p, level)
            lines = tuple(line_unearned(p, line, percent, receipt.at) for line in receipt.lines)
        unearned = sum((line.amount for line in lines), ZERO)
        found += unearned
        due = unearned - receipt.taken_back
        out.append(ReceiptUnearned(receipt.receipt_id, receipt.level_before, level, unearned, due, lines))
    return tuple(out)


@dataclass(frozen=True)
class SpendMove:
    """One row of the spend ledger, in the order written: kind is the ledger's (purchase, refund, …)."""

    kind: str
    amount: Decimal
    receipt_id: int | None


PURCHASE, REFUND, CLAWBACK = "purchase", "refund", "clawback"


def spend_around(moves: Sequence[SpendMove], receipt_id: int, spend_now: Decimal) -> tuple[Decimal, Decimal]:
    """(spend before the receipt was sold, spend refunded since of purchases sold before it), from the account's
    spend ledger (every account the card's history went through, in the order written) and `spend_now`, the
    spend once every move has been made. Counted back from `spend_now`, as the levels were reached from the
    account's spend, not from a sum of its whole history. Take-backs before the receipt are left out:
    `unearned_discounts` counts them afresh."""
    sold_before: set[int] = set()
    spend_before, refunded_since, seen = spend_now, ZERO, False
    for move in moves:
        seen = seen or (move.kind == PURCHASE and move.receipt_id == receipt_id)
        if not seen:
            if move.kind == PURCHASE:
                sold_before.add(move.receipt_id)
            elif move.kind == CLAWBACK:
                spend_before -= move.amount
            continue
        spend_before -= move.amount
        if move.kind == REFUND and move.receipt_id in sold_before:
            refunded_since -= move.amount  # refund moves are negative
    return spend_before, refunded_since


@dataclass(frozen=True)
class Taking:
    """What one refund does about one receipt's unearned discount."""

    receipt_id: int
    kept: Decimal  # kept from this refund's cash (negative: paid back with it)
    recorded: Decimal  # recorded as not taken (negative: an earlier record cleared)


def take_back(
    dues: Sequence[tuple[int, Decimal, Decimal, Decimal]], cash: Decimal, keep_from_cash: bool
) -> tuple[tuple[Taking, ...], Decimal]:
    """Settle each (receipt, due, kept so far, recorded so far) against the refund's `cash`, as the programme
    treats points already spent: kept from the cash up to what there is, the rest recorded (or all recorded).
    What a receipt no longer owes clears its record first, then is paid back. Returns (takings, cash left)."""
    takings = []
    # Paying back first: it adds to the cash the other receipts' dues are then kept from.
    for receipt_id, due, kept_so_far, recorded_so_far in sorted(dues, key=lambda d: d[1] >= 0):
        if due < 0:
            cleared = min(-due, recorded_so_far)
            paid_back = min(-due - cleared, kept_so_far)
            kept, recorded = ZERO - paid_back, ZERO - cleared  # never -0.00 on a slip
        else:
            kept = min(due, cash) if keep_from_cash else ZERO
            recorded = due - kept
        cash -= kept
        if kept or recorded:
            takings.append(Taking(receipt_id, kept, recorded))
    return tuple(takings), cash
