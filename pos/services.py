"""First use, quote and checkout: the till's write path. Rules come from loyalty.rules, the ledger
from loyalty.services; this module locks the card, prices the basket, and writes receipt and register."""

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import transaction

from cards.lifecycle import activate, card_number_checked, refuse_unusable, replace
from cards.locks import card_lock, card_lock_with_account
from cards.models import Card
from core import rows
from core.errors import DomainError, InvalidInput, NotFound
from giftcards.services import Where, gift_card_payments_quote, gift_card_payments_record, gift_card_take
from giftcards.services import payments_checked as gift_card_payments_checked
from loyalty import rules
from loyalty.selectors import (
    card_state,
    category_table,
    company_contract,
    company_earns_points,
    programme_rules,
    programme_terms,
)  # fmt: skip
from loyalty.services import account_purchase_record, customer_partner_assign, partner_for_code
from pos.actors import PosActor
from pos.idempotency import run_once
from pos.models import CardActivation, CardReplacement, CouponShare, DiscountEntry, Receipt, ReceiptLine, Store
from pos.selectors import card_body, card_with_account, line_body, money, totals_body
from promotions import rules as promotions
from promotions.errors import CouponInvalid
from promotions.selectors import campaigns_in_force
from promotions.services import SaleCoupon, coupon_use_rows, coupons_for_sale


@dataclass(frozen=True)
class Basket:
    """What the till sends: lines, an optional card, points to redeem."""

    lines: tuple[rules.Line, ...]
    card_number: str | None = None
    redeem_points: Decimal = Decimal("0.00")
    coupons: tuple[str, ...] = ()
    gift_card_payments: tuple[tuple[str, Decimal], ...] = ()  # (number as sent, amount)


def refuse_new_card(card: Card) -> None:
    refuse_unusable(card)
    if card.status == Card.Status.ISSUED:
        raise DomainError(
            "This card is new: register the customer first (activate), then continue.", code="card_not_active"
        )


def card_activate_at_till(*, actor: PosActor, number: str, at: datetime, **customer) -> Card:
    """First use at the till: link the card to its customer and record who did it, in one transaction."""
    code = customer.pop("partner_code", "") or ""
    partner = partner_for_code(code) if code.strip() else None  # checked before anything is written
    with transaction.atomic(durable=True):
        card = activate(card_lock(card_number_checked(number)), at=at, **customer)
        CardActivation.objects.create(
            card=card, store=actor.store, terminal=actor.terminal, cashier=actor.cashier, created_at=at
        )
        if partner:
            customer_partner_assign(
                customer=card.account.customer, partner=partner, source="activation", by=actor.cashier, at=at
            )
        return card


def card_replace_at_till(
    *, actor: PosActor, key: str, number: str, new_number: str, reason: str, payload, at: datetime
) -> tuple[int, dict, bool]:
    """A lost, worn or stolen card's customer, level, spend and points move to an issued card, once per
    idempotency key, with who did it and where. Returns (status, body of the new card, replayed)."""
    if reason not in CardReplacement.Reason.values:
        raise InvalidInput(
            "Say why the card is replaced: one of {reasons}.",
            params={"reasons": ", ".join(CardReplacement.Reason.values)},
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


@dataclass(frozen=True)
class Priced:
    """A sale priced: the quote, where each line's discount came from, and the coupons it uses."""

    quote: rules.Quote
    parts: tuple[tuple[promotions.Part, ...], ...]
    coupons: tuple[SaleCoupon, ...] = ()
    coupon_discounts: dict = field(default_factory=dict)


def _price(
    card: Card | None, basket: Basket, at: datetime, table: dict, store: Store, *, lock_coupons: bool = False
) -> Priced:
    """The rules decide time windows and campaign dates by the wall clock, so they get the moment as the
    store's clock shows it; what is stored and compared (burn dates, the ledger) stays the instant `at`."""
    if card is None:
        programme, state, stamp = rules.ProgrammeRules(kind=rules.Kind.FIXED), None, None
    else:
        programme, state = programme_rules(card.account.programme), card_state(card.account, at)
        if card.account.company_id is not None and not company_earns_points(card.account.company_id):
            # A business customer on contract terms instead of points: its staff cards earn none.
            programme = dataclasses.replace(programme, earn_percent=rules.ZERO)
        stamp = card.account.programme.terms_stamp
    refuse_unknown_categories(basket, table)
    categories = {code: rule for code, (_, rule) in table.items()}
    local = store.local(at)
    base, lines = rules.price_lines(programme, state, basket.lines, categories, local)
    company = card.account.company_id if card is not None else None
    if company is not None and (contract := company_contract(company, local.date())):  # its contract prices
        lines = rules.apply_contract(lines, contract, categories, programme.ceiling_percent)
    campaigns = campaigns_in_force(stamp, local.date())
    coupons = coupons_for_sale(
        basket.coupons, card_id=card and card.pk, customer_id=card and card.account.customer_id, kept=campaigns,
        lock=lock_coupons,
    ) if basket.coupons else []  # fmt: skip
    if not campaigns and not coupons:  # the plain sale: no promotion to weigh
        quote = rules.quote_priced(programme, state, base, lines, local, basket.redeem_points)
        return Priced(quote, tuple(_card_parts(ln) for ln in quote.lines))
    promoted = promotions.promote(
        lines, categories, card_percent=base, ceiling=programme.ceiling_percent, campaigns=campaigns,
        coupons=[c.offer for c in coupons], who=_shopper(card, state), store=store.code, local=local,
    )  # fmt: skip
    for c in coupons:  # a coupon that cannot apply says why before anything is paid
        if c.code in promoted.refusals:
            closed = promoted.refusals[c.code]
            raise CouponInvalid(c.code, closed.reason, closed.template, **closed.params)
    quote = rules.quote_priced(programme, state, base, promoted.lines, local, basket.redeem_points)
    return Priced(quote, promoted.parts, tuple(coupons), promoted.coupon_discounts)


def _card_parts(ln: rules.QuotedLine) -> tuple[promotions.Part, ...]:
    if ln.discount_amount <= 0:
        return ()
    return (promotions.Part("card", "Card", ln.discount_amount, ln.discount_percent),)


def _shopper(card: Card | None, state: rules.CardState | None) -> promotions.Shopper:
    if card is None:
        return promotions.Shopper()
    return promotions.Shopper(has_card=True, level=state.level, birthday=card.account.customer.birthday)


def checkout_quote(*, basket: Basket, at: datetime, store: Store) -> dict:
    """Price a basket at `store` (its time windows run on its clock); writes nothing."""
    card = None
    if basket.card_number:
        card = card_with_account(card_number_checked(basket.card_number), at)
        if card is None:
            raise NotFound("This card is not known here.", code="card_not_found")
        refuse_new_card(card)
    body = quote_body(_price(card, basket, at, sale_categories(card), store), card, at)
    if basket.gift_card_payments:
        payments = gift_card_payments_checked(basket.gift_card_payments, Decimal(body["total_due"]))
        _gift_cards_body(body, gift_card_payments_quote(payments=payments, at=at))
    return body


def _gift_cards_body(body: dict, payments) -> None:
    body["gift_card_payments"] = [
        {"number": p.number, "amount": money(p.amount), "balance_after": money(p.balance_after)} for p in payments
    ]
    body["due_after_gift_cards"] = money(Decimal(body["total_due"]) - sum((p.amount for p in payments), rules.ZERO))


def where(actor: PosActor) -> Where:
    """Where a gift card's money moved: the till's store, terminal or cashier."""
    return Where(
        store_id=actor.store.pk,
        terminal_id=actor.terminal.pk if actor.terminal else None,
        cashier_id=actor.cashier.pk if actor.cashier else None,
    )


def quote_body(priced: Priced, card: Card | None, at: datetime) -> dict:
    quote = priced.quote
    body = {
        **totals_body(quote),
        "lines": [
            line_body(ln, ln.category) | {"discounts": [_part_body(p) for p in parts]}
            for ln, parts in zip(quote.lines, priced.parts, strict=True)
        ],
        "card": card_body(card, at) if card else None,
    }
    if priced.coupons:
        body["coupons"] = [
            {"code": c.code, "discount": money(priced.coupon_discounts.get(c.code, rules.ZERO))} for c in priced.coupons
        ]
    return body


def _part_body(part: promotions.Part) -> dict:
    return {"source": part.source, "name": part.name, "percent": money(part.percent), "amount": money(part.amount)}


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
    # The coupons are locked after the card (one order for every checkout), and counted below.
    priced = _price(card, basket, at, table, actor.store, lock_coupons=True)
    quote = priced.quote
    # The gift cards last (after card and coupons, in number order): one conditional UPDATE each, which locks.
    gift_cards = [
        gift_card_take(payment=p, at=at)
        for p in gift_card_payments_checked(basket.gift_card_payments, quote.total_due)
    ] if basket.gift_card_payments else []  # fmt: skip
    receipt_id = _write_receipt(actor, card, account, priced, at, {code: pk for code, (pk, _) in table.items()})
    if gift_cards:
        gift_card_payments_record(taken=gift_cards, receipt_id=receipt_id, where=where(actor), at=at)
    if account is not None:
        account_purchase_record(account=account, receipt_id=receipt_id, quote=quote, at=at)
    body = quote_body(priced, card, at)
    if gift_cards:
        _gift_cards_body(body, [p for _, p in gift_cards])
    body.update(
        receipt_id=receipt_id,
        created_at=at.isoformat(),
        store=actor.store.code,
        terminal=actor.terminal.name if actor.terminal else None,
    )
    return body


def _write_receipt(actor, card, account, priced: Priced, at: datetime, categories: dict[str, int]) -> int:
    """Receipt, lines and a discount-register row per discounted line, with the coupons' use rows: three
    statements (core/rows.py)."""
    quote = priced.quote
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
        {"receipt": receipt_id, "line": line_id, "card": card and card.pk} | who | {
            "category": categories[ln.category], "level": quote.level_before or "", "percent": ln.discount_percent,
            "amount": ln.discount_amount, "created_at": at,
        } | _promotion_columns(parts, {c.code: c.coupon.pk for c in priced.coupons})
        for line_id, ln, parts in zip(line_ids, quote.lines, priced.parts, strict=True)
        if ln.discount_amount > 0
    ]  # fmt: skip
    # A coupon's use row goes with the register (one statement on PostgreSQL): an accepted coupon always
    # discounts some line, so there is a register row to carry it.
    uses = coupon_use_rows(
        used=priced.coupons, given=priced.coupon_discounts, card_id=card and card.pk, receipt_id=receipt_id, at=at
    )
    entry_ids = rows.insert(DiscountEntry, register, along=uses if priced.coupons else None)
    if len(priced.coupons) > 1:  # only a sale with two or more coupons can have a line that took several
        _write_further_coupon_shares(entry_ids, priced, {c.code: c.coupon.pk for c in priced.coupons})
    return receipt_id


def _promotion_columns(parts: tuple[promotions.Part, ...], coupon_ids: dict[str, int]) -> dict:
    """Which campaign and which (first) coupon gave how much of a line's discount, each with the percent the
    checkout answered; a further coupon's share goes in `CouponShare`; the rest is the card's."""
    card = next((p for p in parts if p.source == "card"), None)
    campaign = next((p for p in parts if p.source == "campaign"), None)
    coupon = next((p for p in parts if p.source == "coupon"), None)
    return {
        "card_percent": card.percent if card else rules.ZERO,
        "campaign": campaign and campaign.campaign_id, "campaign_amount": campaign.amount if campaign else rules.ZERO,
        "campaign_percent": campaign.percent if campaign else rules.ZERO,
        "coupon": coupon and coupon_ids[coupon.coupon], "coupon_amount": coupon.amount if coupon else rules.ZERO,
        "coupon_percent": coupon.percent if coupon else rules.ZERO,
    }  # fmt: skip


def _write_further_coupon_shares(entry_ids: list[int], priced: Priced, coupon_ids: dict[str, int]) -> None:
    """The second and later coupons' shares of each line that took several (one statement, none when no
    line did): the register rows came back in the order of the discounted lines."""
    discounted = [parts for ln, parts in zip(priced.quote.lines, priced.parts, strict=True) if ln.discount_amount > 0]
    shares = [
        {"entry": entry_id, "coupon": coupon_ids[p.coupon], "amount": p.amount, "percent": p.percent}
        for entry_id, parts in zip(entry_ids, discounted, strict=True)
        for p in [p for p in parts if p.source == "coupon"][1:]
    ]
    if shares:
        rows.insert(CouponShare, shares)


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
