"""The unearned level discount at a refund (issue 13): buy enough to reach a level, buy more at that level,
refund the first purchase, and the second kept a discount the customer never earned. The refund finds it
(loyalty/rules/clawback.py does the sums), the ledger takes it back as the programme treats points already
spent (loyalty.services.account_refund_settle), and this module writes what was taken, one row per receipt,
for the refund's slip and the manager.

Read under the account's lock (the refund's caller holds it): the purchases sold after the refunded one, the
spend ledger and what earlier refunds took back are then final until this transaction commits.
"""

from datetime import datetime
from decimal import Decimal

from loyalty import rules
from loyalty.models import Account
from loyalty.selectors import account_lineage, programme_rules, programme_terms, spend_moves
from pos.models import Clawback, Receipt, Refund
from pos.selectors import money, quantity_str, receipts_with_lines, taken_back_so_far

ZERO = Decimal("0.00")
Due = tuple[int, Decimal, Decimal, Decimal]  # receipt, due now, kept so far, recorded so far


def unearned_at_refund(
    account: Account, receipt: Receipt, cash: Decimal
) -> tuple[tuple[rules.ReceiptUnearned, ...], list[Due]]:
    """The unearned discount on the refunded receipt and on every purchase sold after it, once `cash` more of
    the refunded receipt's spend is refunded; and what this refund takes (or gives back) on each."""
    lineage = account_lineage(account)
    moves = [*spend_moves(lineage), rules.SpendMove(rules.REFUND, -cash, receipt.pk)]  # this refund, to be written
    spend_now = account.spend - cash
    sold = [m.receipt_id for m in moves if m.kind == rules.PURCHASE]
    if receipt.pk not in sold:
        return (), []  # sold before the spend ledger knew receipts: nothing to reprice against
    from_refunded = sold[sold.index(receipt.pk) :]
    taken = taken_back_so_far(lineage)

    def taken_on(rid: int) -> Decimal:
        return sum(taken.get(rid, (ZERO, ZERO)), ZERO)

    before = sum((taken_on(rid) for rid in sold[: sold.index(receipt.pk)]), ZERO)
    programme = account.programme
    categories = dict(programme_terms(programme).categories.values())  # category id -> rule
    receipts = receipts_with_lines(from_refunded)
    found = rules.unearned_discounts(
        programme_rules(programme),
        [_sold(receipts[rid], moves, spend_now, categories, taken_on(rid)) for rid in from_refunded],
        before,
    )
    dues = [(f.receipt_id, f.due, *taken.get(f.receipt_id, (ZERO, ZERO))) for f in found if f.due]
    return found, dues


def _sold(receipt: Receipt, moves, spend_now: Decimal, categories, taken_back: Decimal) -> rules.SoldReceipt:
    spend_before, refunded_since = rules.spend_around(moves, receipt.pk, spend_now)
    return rules.SoldReceipt(
        receipt_id=receipt.pk, at=receipt.created_at, level_before=receipt.level_before or None,
        spend_before=spend_before, refunded_since=refunded_since, taken_back=taken_back,
        lines=tuple(
            rules.SoldLine(
                sku=ln.sku, category=categories.get(ln.category_id, rules.CategoryRule(str(ln.category_id))),
                quantity=ln.quantity, refunded_quantity=ln.refunded_quantity, subtotal=ln.subtotal,
                discount_percent=ln.discount_percent, discount_amount=ln.discount_amount,
            )
            for ln in receipt.lines.all()
        ),
    )  # fmt: skip


def clawbacks_record(
    *, refund: Refund, found: tuple[rules.ReceiptUnearned, ...], takings: tuple[rules.Taking, ...], at: datetime
) -> list[dict]:
    """One row per receipt this refund took from (or gave back to); returns the slip's breakdown."""
    by_receipt = {f.receipt_id: f for f in found}
    rows, body = [], []
    for taking in takings:
        f = by_receipt[taking.receipt_id]
        rows.append(
            Clawback(
                refund=refund, receipt_id=f.receipt_id, created_at=at, level_given=f.level_given or "",
                level_earned=f.level_earned or "", unearned=f.unearned, kept=taking.kept, recorded=taking.recorded,
            )
        )  # fmt: skip
        body.append(_taking_body(f, taking))
    Clawback.objects.bulk_create(rows)
    refund.clawback_kept = sum((t.kept for t in takings), ZERO)
    refund.clawback_recorded = sum((t.recorded for t in takings), ZERO)
    return body


def _taking_body(f: rules.ReceiptUnearned, taking: rules.Taking) -> dict:
    return {
        "receipt_id": f.receipt_id,
        "level_given": f.level_given,
        "level_earned": f.level_earned,
        "unearned": money(f.unearned),
        "kept": money(taking.kept),
        "recorded": money(taking.recorded),
        "lines": [
            {
                "sku": ln.sku, "quantity": quantity_str(ln.quantity), "percent_given": money(ln.percent_given),
                "percent_earned": money(ln.percent_earned), "unearned": money(ln.amount),
            }
            for ln in f.lines
            if ln.amount
        ],
    }  # fmt: skip
