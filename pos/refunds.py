"""Refunds: whole receipts or some lines, several partial refunds up to what was bought.

A refund undoes exactly its share of the purchase: cash back for what was paid
in money, the points that paid for it returned, the points it earned taken back,
and the refunded amount out of the level-qualifying spend (the level may fall).
Every running total is cumulative ("refunded so far"), rounded once, so that
refunding a receipt in any number of parts gives back exactly what refunding it
whole would: buy → earn → refund → repeat gains nothing. Nor does buying to reach a level, buying more at
it, then refunding the first: the discount the level gave the later purchases is taken back
(pos/clawbacks.py).
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_CEILING, Decimal

from core.errors import DomainError
from giftcards.services import gift_card_refund
from loyalty import rules
from loyalty.locks import account_lock_current
from loyalty.models import Account
from loyalty.services import account_refund_settle
from pos.actors import PosActor
from pos.clawbacks import clawbacks_record, unearned_at_refund
from pos.idempotency import run_once
from pos.models import Receipt, ReceiptLine, Refund, RefundLine
from pos.selectors import card_body, card_with_account, money, quantity_str, receipt_not_here, receipts_for_till
from pos.services import where

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class RefundRequest:
    lines: tuple[tuple[str, Decimal], ...]  # (sku, quantity); empty = everything still refundable
    reason: str = ""  # Refund.Reason, or empty (an external till that does not ask)
    note: str = ""


def receipt_refund(*, actor: PosActor, receipt_id: int, key: str, request: RefundRequest, payload, at: datetime):
    return run_once(
        actor=actor, key=key, endpoint=f"refund:{receipt_id}", payload=payload,
        work=lambda: (201, _refund(actor, receipt_id, request, at)),
    )  # fmt: skip


def _refund(actor: PosActor, receipt_id: int, request: RefundRequest, at: datetime) -> dict:
    # Whose receipt it is never changes: read unlocked, so that the locks go account, then receipt.
    owner = receipts_for_till(actor.store.pk).filter(pk=receipt_id).values("account_id").first()
    if owner is None:
        raise receipt_not_here(receipt_id)
    # The account first (after a card replacement, the one holding the receipt's points now): a refund may take
    # back discount on the customer's later receipts, and inserting those rows waits on any later receipt's
    # row lock; with the account lock taken first, that receipt's own refund waits here instead of deadlocking.
    account = account_lock_current(owner["account_id"], at=at) if owner["account_id"] else None
    # Then the receipt row: it serialises refunds of one receipt (a walk-in receipt's only lock): two tills
    # refunding the same line at once get one success and one 409.
    receipt = Receipt.objects.select_for_update().get(pk=receipt_id)
    lines = list(receipt.lines.order_by("position"))
    plan = _plan(lines, request)
    refund = Refund.objects.create(
        receipt=receipt, created_at=at, terminal=actor.terminal, cashier=actor.cashier, goods_amount=ZERO,
        amount_refunded=ZERO, points_returned=ZERO, points_reversed=ZERO, reason=request.reason, note=request.note,
    )  # fmt: skip
    refund.goods_amount = _refund_lines(refund, plan)
    clawbacks = _settle(receipt, lines, refund, account, at)
    refund.save()
    # The money goes back to the gift cards that paid first, the rest as cash (under the receipt's lock).
    gift_back = gift_card_refund(
        receipt_id=receipt.pk, refund_id=refund.pk, amount=refund.amount_refunded, where=where(actor), at=at
    )
    card = current_card(receipt)
    body = {
        "refund_id": refund.pk,
        "receipt_id": receipt.pk,
        "amount_refunded": money(refund.amount_refunded),
        "points_returned": money(refund.points_returned),
        "points_reversed": money(refund.points_reversed),
        "points_shortfall": money(refund.points_shortfall),
        "clawback_kept": money(refund.clawback_kept),
        "clawback_recorded": money(refund.clawback_recorded),
        "clawbacks": clawbacks,
        "lines": [{"sku": line.sku, "quantity": quantity_str(qty)} for line, qty in plan],
        "reason": refund.reason,
        "note": refund.note,
        "card": card_body(card, at) if card and card.account_id else None,
    }
    if gift_back is not None:  # the receipt was paid (in part) by gift cards
        body["gift_card_refunds"] = [{"number": p.number, "amount": money(p.amount)} for p in gift_back]
        body["cash_refunded"] = money(refund.amount_refunded - sum((p.amount for p in gift_back), ZERO))
    return body


def _plan(lines: list[ReceiptLine], request: RefundRequest) -> list[tuple[ReceiptLine, Decimal]]:
    """Which quantity of which receipt line each requested (sku, quantity) takes back."""
    left = {line.pk: line.quantity - line.refunded_quantity for line in lines}
    if not request.lines:
        plan = [(line, left[line.pk]) for line in lines if left[line.pk] > 0]
        if not plan:
            raise DomainError("This receipt is already refunded in full.", code="refund_exceeds_receipt")
        return plan
    plan = []
    for sku, quantity in request.lines:
        want = quantity
        for line in (ln for ln in lines if ln.sku == sku):
            take = min(want, left[line.pk])
            if take > 0:
                plan.append((line, take))
                left[line.pk] -= take
                want -= take
        if want > 0:
            raise DomainError(
                "Cannot refund {quantity} of {sku}: more than was bought on this receipt (minus earlier refunds).",
                code="refund_exceeds_receipt",
                details={"sku": sku},
                params={"quantity": quantity_str(quantity), "sku": sku},
            )
    return plan


def _refund_lines(refund: Refund, plan: list[tuple[ReceiptLine, Decimal]]) -> Decimal:
    goods = ZERO
    rows = []
    for line, qty in plan:
        refunded_qty = line.refunded_quantity + qty
        # Cumulative: the last part of a line refunds exactly what is left of its total.
        cumulative = (
            line.total
            if refunded_qty == line.quantity
            else rules.round_money(line.total * refunded_qty / line.quantity)
        )
        amount = cumulative - line.refunded_amount
        line.refunded_quantity, line.refunded_amount = refunded_qty, cumulative
        line.save(update_fields=["refunded_quantity", "refunded_amount"])
        rows.append(RefundLine(refund=refund, line=line, quantity=qty, amount=amount))
        goods += amount
    RefundLine.objects.bulk_create(rows)
    return goods


def current_card(receipt: Receipt):
    """The card the receipt's customer holds now (after replacements), freshly read."""
    card = receipt.card
    while card is not None and card.replaced_by_id:
        card = card.replaced_by
    return card_with_account(card.number) if card else None


def _settle(
    receipt: Receipt, lines: list[ReceiptLine], refund: Refund, account: Account | None, at: datetime
) -> list[dict]:
    """Cash, points and spend for what this refund adds to the receipt's refunded share, and the level discount
    it shows later purchases never earned. Returns the slip's breakdown of that discount."""
    cash, to_return, to_reverse = _share_added(receipt, lines)
    refund.amount_refunded = cash
    if account is None:
        return []
    # Read under the account's lock: no purchase of the customer's is sold or refunded meanwhile.
    found, dues = unearned_at_refund(account, receipt, cash)
    settled = account_refund_settle(
        account=account, receipt_id=receipt.pk, refund_id=refund.pk, cash=cash, to_return=to_return,
        to_reverse=to_reverse, at=at, unearned=dues,
    )  # fmt: skip
    refund.amount_refunded, refund.points_returned = settled.amount_refunded, settled.points_returned
    refund.points_reversed, refund.points_shortfall = settled.points_reversed, settled.points_shortfall
    return clawbacks_record(refund=refund, found=found, takings=settled.takings, at=at)


def _share_added(receipt: Receipt, lines: list[ReceiptLine]) -> tuple[Decimal, Decimal, Decimal]:
    """(cash, points to return, points to take back): the receipt's refunded share so far, minus what earlier
    refunds did. The receipt's running totals move to the share so far."""
    goods_so_far = sum((line.refunded_amount for line in lines), ZERO)
    whole = all(line.refunded_quantity == line.quantity for line in lines)
    after_discount = receipt.subtotal - receipt.discount_total
    share = Decimal(1) if whole or after_discount == 0 else goods_so_far / after_discount

    cash_so_far = receipt.total_due if whole else rules.round_money(receipt.total_due * share)
    returned_so_far = receipt.points_redeemed if whole else rules.round_down(receipt.points_redeemed * share)
    # Taking back earned points rounds up: a partial refund never leaves a cent of points behind.
    reversed_so_far = (
        receipt.points_earned
        if whole
        else min(receipt.points_earned, (receipt.points_earned * share).quantize(rules.CENT, rounding=ROUND_CEILING))
    )
    added = (
        cash_so_far - receipt.refunded_amount,
        returned_so_far - receipt.points_returned,
        reversed_so_far - receipt.points_reversed,
    )
    receipt.refunded_amount, receipt.points_returned, receipt.points_reversed = (
        cash_so_far, returned_so_far, reversed_so_far,
    )  # fmt: skip
    receipt.save(update_fields=["refunded_amount", "points_returned", "points_reversed"])
    return added
