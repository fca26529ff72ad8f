"""First use, quote and checkout: the till's write path. Rules come from loyalty.rules, the ledger
from loyalty.services; this module locks the card, prices the basket, and writes receipt and register."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction

from cards.lifecycle import activate, card_number_checked, refuse_unusable, replace
from cards.locks import card_lock, card_lock_with_account
from cards.models import Card
from core import rows
from core.errors import DomainError, InvalidInput, NotFound
from loyalty import rules
from loyalty.selectors import card_state, category_table, programme_rules, programme_terms
from loyalty.services import account_purchase_record
from pos.actors import PosActor
from pos.idempotency import run_once
from pos.models import CardActivation, CardReplacement, DiscountEntry, Receipt, ReceiptLine, Store
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
        card = activate(card_lock(card_number_checked(number)), at=at, **customer)
        CardActivation.objects.create(
            card=card, store=actor.store, terminal=actor.terminal, cashier=actor.cashier, created_at=at
        )
        return card


def card_replace_at_till(
    *, actor: PosActor, key: str, number: str, new_number: str, reason: str, payload, at: datetime
) -> tuple[int, dict, bool]:
    """A lost, worn or stolen card's customer, level, spend and points move to an issued card, once per
    idempotency key, with who did it and where. Returns (status, body of the new card, replayed)."""
    if reason not in CardReplacement.Reason.values:
        raise InvalidInput(
            f"Say why the card is replaced: one of {', '.join(CardReplacement.Reason.values)}.",
            details={"reason": ["Not a valid choice."]},
        )

    def work():
        by = actor.cashier  # the ledger's transfer rows name the cashier; a terminal is named below
        old, new = replace(number, new_number, by=by, at=at, reason=reason)
        CardReplacement.objects.create(
            old_card=old, new_card=new, reason=reason, store=actor.store, terminal=actor.terminal,
            cashier=actor.cashier, created_at=at,
        )  # fmt: skip
        return 201, card_body(card_with_account(new.number, at), at)

    return run_once(actor=actor, key=key, endpoint="card-replace", payload=[number, payload], work=work)


def refuse_unknown_categories(basket: Basket, categories) -> None:
    """The same 400 the basket's validation gives for a bad field, naming the codes the chain does not have."""
    unknown = sorted({ln.category for ln in basket.lines} - categories.keys())
    if unknown:
        raise InvalidInput("The request is not valid.", details={"lines": [f"Unknown category: {', '.join(unknown)}."]})


def sale_categories(card: Card | None) -> dict[str, tuple[int, rules.CategoryRule]]:
    """The category table a sale is priced with: kept per process for a card's programme; read for a walk-in."""
    return programme_terms(card.account.programme).categories if card else category_table()


def _price(card: Card | None, basket: Basket, at: datetime, table: dict, store: Store) -> rules.Quote:
    """The rules decide time windows by the wall clock, so they get the moment as the store's clock shows it;
    what is stored and compared (burn dates, the ledger) stays the instant `at`."""
    if card is None:
        programme, state = rules.ProgrammeRules(kind=rules.Kind.FIXED), None
    else:
        programme, state = programme_rules(card.account.programme), card_state(card.account, at)
    refuse_unknown_categories(basket, table)
    categories = {code: rule for code, (_, rule) in table.items()}
    return rules.quote(programme, state, basket.lines, categories, store.local(at), basket.redeem_points)


def checkout_quote(*, basket: Basket, at: datetime, store: Store) -> dict:
    """Price a basket at `store` (its time windows run on its clock); writes nothing."""
    card = None
    if basket.card_number:
        card = card_with_account(card_number_checked(basket.card_number), at)
        if card is None:
            raise NotFound("This card is not known here.", code="card_not_found")
        refuse_new_card(card)
    return quote_body(_price(card, basket, at, sale_categories(card), store), card, at)


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
        # The card, then its account, locked; what hangs off them read after the lock (cards/locks.py).
        card = card_lock_with_account(card_number_checked(basket.card_number), at=at)
        refuse_new_card(card)
        account = card.account
    table = sale_categories(card)
    quote = _price(card, basket, at, table, actor.store)
    receipt_id = _write_receipt(actor, card, account, quote, at, {code: pk for code, (pk, _) in table.items()})
    if account is not None:
        account_purchase_record(account=account, receipt_id=receipt_id, quote=quote, at=at)
    body = quote_body(quote, card, at)
    body.update(
        receipt_id=receipt_id,
        created_at=at.isoformat(),
        store=actor.store.code,
        terminal=actor.terminal.name if actor.terminal else None,
    )
    return body


def _write_receipt(actor, card, account, quote: rules.Quote, at: datetime, categories: dict[str, int]) -> int:
    """Receipt, lines and a discount-register row per discounted line: three statements (core/rows.py)."""
    who = {
        "store": actor.store.pk,
        "terminal": actor.terminal.pk if actor.terminal else None,
        "cashier": actor.cashier.pk if actor.cashier else None,
    }
    [receipt_id] = rows.insert(Receipt, [who | _receipt_row(quote, card, account, at)])
    line_ids = rows.insert(
        ReceiptLine,
        [_line_row(receipt_id, position, ln, categories) for position, ln in enumerate(quote.lines, start=1)],
    )
    # Receipt (and line) first, as in every row here: bench/capture_sql.py finds a row by how it starts.
    register = [
        {"receipt": receipt_id, "line": line_id, "card": card.pk} | who | {
            "category": categories[ln.category], "level": quote.level_before or "", "percent": ln.discount_percent,
            "amount": ln.discount_amount, "created_at": at,
        }
        for line_id, ln in zip(line_ids, quote.lines, strict=True)
        if ln.discount_amount > 0
    ]  # fmt: skip
    rows.insert(DiscountEntry, register)
    return receipt_id


def _receipt_row(quote: rules.Quote, card, account, at: datetime) -> dict:
    return {
        "card": card and card.pk, "account": account and account.pk, "created_at": at, "subtotal": quote.subtotal,
        "discount_total": quote.discount_total, "points_redeemed": quote.points_redeemed,
        "points_redeemed_amount": quote.points_redeemed_amount, "total_due": quote.total_due,
        "points_earned": quote.points_earned, "card_percent": quote.card_percent,
        "max_redeemable_points": quote.max_redeemable_points, "level_before": quote.level_before or "",
        "level_after": quote.level_after or "",
    }  # fmt: skip


def _line_row(receipt_id: int, position: int, ln: rules.QuotedLine, categories: dict[str, int]) -> dict:
    return {
        "receipt": receipt_id, "position": position, "sku": ln.sku, "name": ln.name,
        "category": categories[ln.category], "quantity": ln.quantity, "unit_price": ln.unit_price,
        "subtotal": ln.subtotal, "discount_percent": ln.discount_percent, "discount_amount": ln.discount_amount,
        "total": ln.total, "earns_points": ln.earns_points,
    }  # fmt: skip
