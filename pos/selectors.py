"""Reads for the till: the card body of api.md (of the card scan, cards.selectors), receipts as stored,
the customer search of a card replacement."""

import functools
import itertools
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Prefetch, Q, Sum
from django.db.models.functions import Coalesce

from cards.models import Card
from cards.selectors import card_with_account
from core import rows
from core.errors import NotFound
from core.local_time import day_start
from core.money import money_text
from giftcards.selectors import paid_total, receipt_gift_cards
from loyalty import rules
from loyalty.models import Customer
from loyalty.selectors import card_state, programme_rules
from pos.models import Clawback, CouponShare, Receipt, ReceiptLine, Store, Terminal
from promotions.models import CouponUse

M2 = rules.CENT


def money(value) -> str:
    """Money and points go over the wire as strings with exactly two decimals (never "-0.00")."""
    return money_text(value)


def quantity_str(quantity) -> str:
    """'2' for 2.000, '0.5' for 0.500: as a person writes a quantity."""
    return format(quantity.normalize(), "f")


def card_body(card: Card, at: datetime) -> dict:
    account = card.account
    if account is None:
        return {
            "number": card.number, "status": card.status, "customer": None, "discount_percent": "0.00",
            "level": None, "points_balance": "0.00", "spend_total": "0.00", "next_level": None,
        }  # fmt: skip
    programme = programme_rules(account.programme)
    state = card_state(account, at)
    upcoming = rules.next_level(programme, state.level, state.spend)
    next_level = None
    if upcoming is not None:
        level, needed = upcoming
        next_level = {"name": level.name, "discount_percent": money(level.percent), "spend_needed": money(needed)}
    body = {
        "number": card.number,
        "status": card.status,
        "customer": {"display_name": account.customer.display_name},
        "discount_percent": money(rules.card_percent(programme, state.level)),
        "level": state.level,
        "points_balance": money(state.points_balance),
        "spend_total": money(state.spend),
        "next_level": next_level,
    }
    if card.shares_account:  # a staff card: its holder by name; level, points and spend are the company's
        holder, company = staff_card_names(card)
        body["customer"] = {"display_name": holder}
        body["company"] = {"name": company}
    return body


def staff_card_names(card: Card) -> tuple[str, str]:
    """A staff card's holder (shortened as on every till screen) and its company's name: one statement, asked
    only for staff cards, so an ordinary card's scan reads nothing more."""
    holder, company = Card.objects.filter(pk=card.pk).values_list("holder__name", "account__company_of__name").get()
    return Customer(name=holder).display_name, company


def customers_to_identify(phone: str, birthday: date | None) -> list[dict]:
    """The customer search before a card replacement: who holds a replaceable card (active or blocked)
    under this phone, as the till may see them. A name shortened as on every till screen; the birthday
    is never handed out, only whether the one the customer told (`birthday`) matches; the cards' numbers
    only for a match. One query."""
    # A staff card is found by its holder's phone: its account's customer is the company.
    own = Q(account__customer__phone=phone, shares_account=False) | Q(holder__phone=phone)
    cards = (
        Card.objects.filter(own, status__in=[Card.Status.ACTIVE, Card.Status.BLOCKED])
        .select_related("account__customer", "account__level", "holder")
        .annotate(holder_key=Coalesce("holder_id", "account__customer_id"))
        .order_by("holder_key", "number")
    )
    found = []
    for _, held in itertools.groupby(cards, key=lambda card: card.holder_key):
        held = list(held)
        customer = held[0].customer
        matches = None if birthday is None else customer.birthday == birthday
        shown = [_card_to_replace(card) for card in held] if matches else []
        found.append({"display_name": customer.display_name, "birthday_matches": matches, "cards": shown})
    return found


def _card_to_replace(card: Card) -> dict:
    account = card.account
    level = account.level.name if account.level else None
    return {
        "number": card.number,
        "status": card.status,
        "level": level,
        "points_balance": money(account.points_balance),
    }


def receipts_for_till(store_id: int):
    """The receipts a till of this store may look up and refund: its own store's, or the whole chain's when
    POS_CROSS_STORE_REFUNDS is on."""
    receipts = Receipt.objects.all()
    return receipts if settings.POS_CROSS_STORE_REFUNDS else receipts.filter(store_id=store_id)


def receipt_for_store(receipt_id: int, store_id: int) -> Receipt | None:
    return receipts_for_till(store_id).filter(pk=receipt_id).first()


RECEIPTS_PER_PAGE = 20


def receipts_found(
    store: Store, *, card: Card | None = None, day: date | None = None, amount: Decimal | None = None, page: int = 1
) -> dict:
    """The store's receipts, newest first, by the customer's card (any card of theirs, before or after a
    replacement), the day on the store's clock and the amount paid: for a customer back without the receipt."""
    receipts = Receipt.objects.filter(store=store)
    if card is not None:
        receipts = receipts.filter(Q(account_id=card.account_id) if card.account_id else Q(card=card))
    if day is not None:
        receipts = receipts.filter(
            created_at__gte=day_start(day, store.time_zone),
            created_at__lt=day_start(date.fromordinal(day.toordinal() + 1), store.time_zone),
        )
    if amount is not None:
        receipts = receipts.filter(total_due=amount)
    count = receipts.count()
    start = (page - 1) * RECEIPTS_PER_PAGE
    found = (
        receipts.order_by("-created_at", "-id")
        .select_related("card")
        .annotate(line_count=Count("lines"))[start : start + RECEIPTS_PER_PAGE]
    )
    return {
        "count": count,
        "page": page,
        "pages": max(1, -(-count // RECEIPTS_PER_PAGE)),
        "results": [
            {
                "receipt_id": r.pk,
                "created_at": r.created_at.isoformat(),
                "total_due": money(r.total_due),
                "refunded_amount": money(r.refunded_amount),
                "card_number": r.card.number if r.card else None,
                "line_count": r.line_count,
            }
            for r in found
        ],
    }


def receipt_not_here(receipt_id: int) -> NotFound:
    """The 404 for a receipt a till may not see; when another store sold it, which one (the customer goes there)."""
    other = Receipt.objects.filter(pk=receipt_id).values("store__code", "store__name").first()
    if other is None:
        return NotFound("There is no such receipt in this store.", code="receipt_not_found")
    return NotFound(
        "Receipt {receipt} was sold in {store_name} ({store}): it is refunded there.",
        params={"receipt": receipt_id, "store_name": other["store__name"], "store": other["store__code"]},
        code="receipt_not_found",
        details={"store": other["store__code"], "store_name": other["store__name"]},
    )


def receipts_with_lines(receipt_ids: list[int]) -> dict[int, Receipt]:
    """Receipts by id, each with its lines in till order (two queries)."""
    return Receipt.objects.prefetch_related("lines").in_bulk(receipt_ids)


def taken_back_so_far(account_ids: list[int]) -> dict[int, tuple[Decimal, Decimal]]:
    """receipt -> (kept, recorded): the unearned level discount refunds have taken back on it so far."""
    sums = (
        Clawback.objects.filter(receipt__account_id__in=account_ids)
        .values("receipt_id")
        .annotate(kept=Sum("kept"), recorded=Sum("recorded"))
    )
    # Quantized: SQLite adds decimals as floats.
    return {row["receipt_id"]: (row["kept"].quantize(M2), row["recorded"].quantize(M2)) for row in sums}


TOTALS = (
    "subtotal", "discount_total", "points_redeemed", "points_redeemed_amount", "total_due", "points_earned",
    "max_redeemable_points",
)  # fmt: skip
LINE_AMOUNTS = ("unit_price", "subtotal", "discount_percent", "discount_amount", "total")


def totals_body(priced) -> dict:
    """The money fields of a quote or a stored receipt (both carry them under these names)."""
    return {name: money(getattr(priced, name)) for name in TOTALS}


def line_body(line, category: str) -> dict:
    """One priced line, from a quote (QuotedLine) or a stored receipt (ReceiptLine)."""
    body = {"sku": line.sku, "name": line.name, "category": category, "quantity": quantity_str(line.quantity)}
    return body | {name: money(getattr(line, name)) for name in LINE_AMOUNTS}


def receipt_body(receipt: Receipt, at: datetime) -> dict:
    """The checkout body rebuilt from the stored rows, plus the refunds so far."""
    card = receipt.card
    shares = ("category", "discount__campaign", "discount__coupon__campaign")  # one statement with the lines
    further = Prefetch("discount__coupon_shares", CouponShare.objects.select_related("coupon__campaign"))
    lines = list(receipt.lines.select_related(*shares).prefetch_related(further).order_by("position"))
    gift_paid, gift_back = receipt_gift_cards(receipt.pk)
    body = {
        "receipt_id": receipt.pk,
        "created_at": receipt.created_at.isoformat(),
        "store": receipt.store.code,
        "terminal": receipt.terminal.name if receipt.terminal_id else None,
        **totals_body(receipt),
        "lines": [
            line_body(ln, ln.category.code)
            | {"discounts": stored_discounts(ln), "refunded_quantity": quantity_str(ln.refunded_quantity)}
            for ln in lines
        ],
        "card": card_body(card_with_account(card.number, at), at) if card else None,
        "refunds": [
            refund_summary(refund)
            for refund in receipt.refunds.order_by("id").prefetch_related("lines__line", "clawbacks")
        ],
        # Level discount on this receipt that refunds of earlier purchases showed was never earned.
        "clawbacks_taken": [
            {"receipt_id": c.receipt_id, "refund_id": c.refund_id, "refunded_receipt_id": c.refund.receipt_id}
            | clawback_summary(c)
            for c in receipt.clawbacks.select_related("refund").order_by("id")
        ],
    }
    coupons = receipt_coupons(receipt.pk)
    if coupons:  # the checkout answered `coupons`: the stored body repeats them (api.md: "as stored")
        body["coupons"] = coupons
    if gift_paid:  # paid (in part) by gift cards: what each paid, and what each refund gave back to them
        body["gift_card_payments"] = gift_paid
        body["due_after_gift_cards"] = money(receipt.total_due - paid_total(gift_paid))
        for refund in body["refunds"]:
            back = gift_back.get(refund["refund_id"], [])
            refund["gift_card_refunds"] = back
            refund["cash_refunded"] = money(Decimal(refund["amount_refunded"]) - paid_total(back))
    return body


def receipt_coupons(receipt_id: int) -> list[dict]:
    """The receipt's coupons as its checkout answered them: each code with what it gave, in the order the
    checkout wrote their uses (its own order)."""
    uses = CouponUse.objects.filter(receipt_id=receipt_id).order_by("id").values_list("coupon__code", "discount")
    return [{"code": code, "discount": money_text(discount)} for code, discount in uses]


def stored_discounts(line: ReceiptLine) -> list[dict]:
    """A line's `discounts` as the checkout answered them, from its register row: card, campaign, coupon, and
    any further coupons (pos/services.py writes each share and its percent; the card's is what the others
    leave)."""
    entry = getattr(line, "discount", None)
    if entry is None:
        return []
    further = list(entry.coupon_shares.all())  # prefetched by the caller
    card = entry.amount - entry.campaign_amount - entry.coupon_amount - sum((s.amount for s in further), Decimal(0))
    parts = []
    if card > 0:
        parts.append(("card", "Card", entry.card_percent, card))
    if entry.campaign_amount > 0:
        parts.append(("campaign", entry.campaign.name, entry.campaign_percent, entry.campaign_amount))
    if entry.coupon_amount > 0:
        parts.append(("coupon", entry.coupon.campaign.name, entry.coupon_percent, entry.coupon_amount))
    parts.extend(("coupon", s.coupon.campaign.name, s.percent, s.amount) for s in further)
    return [{"source": s, "name": n, "percent": money(p), "amount": money(a)} for s, n, p, a in parts]


def clawback_summary(clawback) -> dict:
    return {
        "created_at": clawback.created_at.isoformat(),
        "level_given": clawback.level_given or None,
        "level_earned": clawback.level_earned or None,
        "unearned": money(clawback.unearned),
        "kept": money(clawback.kept),
        "recorded": money(clawback.recorded),
    }


def refund_summary(refund) -> dict:
    return {
        "refund_id": refund.pk,
        "created_at": refund.created_at.isoformat(),
        "amount_refunded": money(refund.amount_refunded),
        "points_returned": money(refund.points_returned),
        "points_reversed": money(refund.points_reversed),
        "points_shortfall": money(refund.points_shortfall),
        "clawback_kept": money(refund.clawback_kept),
        "clawback_recorded": money(refund.clawback_recorded),
        "clawbacks": [
            {"receipt_id": c.receipt_id} | clawback_summary(c)
            for c in sorted(refund.clawbacks.all(), key=lambda c: c.pk)
        ],
        "lines": [{"sku": rl.line.sku, "quantity": quantity_str(rl.quantity)} for rl in refund.lines.all()],
        "reason": refund.reason,
        "note": refund.note,
    }


def terminal_by_token_hash(token_hash: str):
    """The unrevoked terminal with this token hash, with its store: asked on every API request, so one
    hand-written statement (core/rows.py) instead of an ORM query that costs more to build than to run."""
    found = rows.one(_terminal_sql(), [token_hash], Terminal, Store)
    if found is None:
        return None
    terminal, terminal.store = found
    return terminal


@functools.cache
def _terminal_sql() -> str:
    return (
        f"SELECT {rows.columns(Terminal, 't')}, {rows.columns(Store, 's')} FROM {rows.table(Terminal)} t "
        f"JOIN {rows.table(Store)} s ON s.id = t.{rows.column(Terminal, 'store')} "
        f"WHERE t.{rows.column(Terminal, 'token_hash')} = %s AND t.{rows.column(Terminal, 'revoked_at')} IS NULL"
    )
