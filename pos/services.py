"""First use, quote and checkout: the till's write path. Rules come from loyalty.rules;
this module loads state, locks, and writes receipt, register, ledger, spend."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction

from cards.lifecycle import activate, card_lock, card_lock_with_account, card_number_checked, refuse_unusable
from cards.models import Card
from core import rows
from core.errors import DomainError, InvalidInput, NotFound
from loyalty import rules
from loyalty.models import Account, PointsEntry, SpendEntry
from loyalty.selectors import card_state, category_table, programme_rules, programme_terms
from loyalty.services import credit, debit, expire_lots, level_named, spend_record
from pos.actors import PosActor
from pos.idempotency import run_once
from pos.models import CardActivation, DiscountEntry, Receipt, ReceiptLine
from pos.selectors import card_body, card_with_account, line_body, totals_body


@dataclass(frozen=True)
class Basket:
    """What the till sends: lines, an optional card, points to redeem."""

    lines: tuple[rules.Line, ...]
    card_number: str | None = None
    redeem_points: Decimal = Decimal("0.00")


def refuse_new_card(card: Card) -> None:
    refuse_unusable(card)
    if card.status == Card.Status.ISSUED:
        raise DomainError(
            "This card is new: register the customer first (activate), then continue.", code="card_not_active"
        )


def card_activate_at_till(*, actor: PosActor, number: str, at: datetime, **customer) -> Card:
    """First use at the till: link the card to its customer and record who did it, in one transaction."""
    with transaction.atomic(durable=True):
        card = activate(card_lock(number), at=at, **customer)
        CardActivation.objects.create(
            card=card, store=actor.store, terminal=actor.terminal, cashier=actor.cashier, created_at=at
        )
        return card


def refuse_unknown_categories(basket: Basket, categories) -> None:
    """The same 400 the basket's validation gives for a bad field, naming the codes the chain does not have."""
    unknown = sorted({ln.category for ln in basket.lines} - categories.keys())
    if unknown:
        raise InvalidInput("The request is not valid.", details={"lines": [f"Unknown category: {', '.join(unknown)}."]})


def sale_categories(card: Card | None) -> dict[str, tuple[int, rules.CategoryRule]]:
    """The category table a sale is priced with: kept per process for a card's programme; read for a walk-in."""
    return programme_terms(card.account.programme).categories if card else category_table()


def _price(card: Card | None, basket: Basket, at: datetime, table: dict) -> rules.Quote:
    if card is None:
        programme, state = rules.ProgrammeRules(kind=rules.Kind.FIXED), None
    else:
        programme, state = programme_rules(card.account.programme), card_state(card.account, at)
    refuse_unknown_categories(basket, table)
    categories = {code: rule for code, (_, rule) in table.items()}
    return rules.quote(programme, state, basket.lines, categories, at, basket.redeem_points)


def checkout_quote(*, basket: Basket, at: datetime) -> dict:
    """Price a basket; writes nothing."""
    card = None
    if basket.card_number:
        card = card_with_account(card_number_checked(basket.card_number), at)
        if card is None:
            raise NotFound("This card is not known here.", code="card_not_found")
        refuse_new_card(card)
    return quote_body(_price(card, basket, at, sale_categories(card)), card, at)


def quote_body(quote: rules.Quote, card: Card | None, at: datetime) -> dict:
    return {
        **totals_body(quote),
        "lines": [line_body(ln, ln.category) for ln in quote.lines],
        "card": card_body(card, at) if card else None,
    }


def checkout(*, actor: PosActor, key: str, basket: Basket, payload, at: datetime) -> tuple[int, dict, bool]:
    """Commit a basket once per idempotency key. Returns (status, body, replayed)."""
    return run_once(
        actor=actor, key=key, endpoint="checkout", payload=payload, work=lambda: (201, _commit(actor, basket, at))
    )


def _commit(actor: PosActor, basket: Basket, at: datetime) -> dict:
    card = account = None
    if basket.card_number:
        # Lock order everywhere: card, then its account (here both in one statement).
        card = card_lock_with_account(basket.card_number)
        refuse_new_card(card)
        account = card.account
        expire_lots(account, at=at)  # points past their date cannot pay for this
    table = sale_categories(card)
    quote = _price(card, basket, at, table)
    receipt_id = _write_receipt(actor, card, account, quote, at, {code: pk for code, (pk, _) in table.items()})
    if account is not None:
        _move_points_and_spend(account, receipt_id, quote, at)
    body = quote_body(quote, card, at)
    body.update(
        receipt_id=receipt_id,
        created_at=at.isoformat(),
        store=actor.store.code,
        terminal=actor.terminal.name if actor.terminal else None,
    )
    return body


RECEIPT = (
    "store", "terminal", "cashier", "card", "account", "created_at", "subtotal", "discount_total", "points_redeemed",
    "points_redeemed_amount", "total_due", "points_earned", "card_percent", "max_redeemable_points", "level_before",
    "level_after",
)  # fmt: skip
LINE = (
    "receipt", "position", "sku", "name", "category", "quantity", "unit_price", "subtotal", "discount_percent",
    "discount_amount", "total", "earns_points",
)  # fmt: skip
REGISTER = (
    "receipt", "line", "card", "store", "terminal", "cashier", "category", "level", "percent", "amount", "created_at",
)  # fmt: skip


def _write_receipt(actor, card, account, quote: rules.Quote, at: datetime, categories: dict[str, int]) -> int:
    """Receipt, lines and a discount-register row per discounted line: three statements (core/rows.py)."""
    store_id = actor.store.pk
    terminal_id = actor.terminal.pk if actor.terminal else None
    cashier_id = actor.cashier.pk if actor.cashier else None
    level = quote.level_before or ""
    [receipt_id] = rows.insert(Receipt, RECEIPT, [(
        store_id, terminal_id, cashier_id, card and card.pk, account and account.pk, at, quote.subtotal,
        quote.discount_total, quote.points_redeemed, quote.points_redeemed_amount, quote.total_due,
        quote.points_earned, quote.card_percent, quote.max_redeemable_points, level, quote.level_after or "",
    )])  # fmt: skip
    line_ids = rows.insert(ReceiptLine, LINE, [
        (receipt_id, position, ln.sku, ln.name, categories[ln.category], ln.quantity, ln.unit_price, ln.subtotal,
         ln.discount_percent, ln.discount_amount, ln.total, ln.earns_points)
        for position, ln in enumerate(quote.lines, start=1)
    ])  # fmt: skip
    register = [
        (receipt_id, line_id, card.pk, store_id, terminal_id, cashier_id, categories[ln.category], level,
         ln.discount_percent, ln.discount_amount, at)
        for line_id, ln in zip(line_ids, quote.lines, strict=True)
        if ln.discount_amount > 0
    ]  # fmt: skip
    if register:
        rows.insert(DiscountEntry, REGISTER, register)
    return receipt_id


def _move_points_and_spend(account: Account, receipt_id: int, quote: rules.Quote, at: datetime) -> None:
    if quote.points_redeemed > 0:
        debit(
            account, kind=PointsEntry.Kind.REDEEM, points=quote.points_redeemed, at=at, receipt_id=receipt_id,
            save_balance=False,
        )  # fmt: skip
    if quote.points_earned > 0:
        credit(
            account, kind=PointsEntry.Kind.EARN, points=quote.points_earned, at=at, receipt_id=receipt_id,
            save_balance=False,
        )  # fmt: skip
    # Balance, spend, level and last purchase in one UPDATE of the locked account row.
    spend_record(
        account, kind=SpendEntry.Kind.PURCHASE, amount=quote.total_due, at=at,
        level=level_named(account, quote.level_after), receipt_id=receipt_id, purchase=True, save_balance=True,
    )  # fmt: skip
