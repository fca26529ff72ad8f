"""Campaign and coupon discounts on priced lines, within the programme's ceiling.

The card's discount comes first (loyalty.rules.price_lines); then, line by line:
1. each open campaign that covers the line gives its benefit (a receipt amount is shared over the covered
   lines in proportion to their subtotals, rounded down, the cents left over going to the first lines);
2. of the automatic campaigns (no coupon) the one giving most is kept, then the coupon's;
3. each is combined with what the line has so far: STACK adds to it, BEST replaces it when it gives more
   and is dropped otherwise;
4. the ceiling (the programme's, or a capped category's lower cap) trims the parts from the last one back,
   so the card's own discount is the last to shrink; a campaign with a written justification is not
   trimmed by it, only by the line's own price.
Excluded categories get nothing. Every amount rounds down to the cent: the shop never over-gives, and a
line's parts add up to its discount, the lines' discounts to the receipt's.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from core.money import CENT, HUNDRED, ZERO, round_down, round_money
from loyalty.rules import CategoryRule, Policy, QuotedLine
from promotions.rules.campaigns import Benefit, CampaignRule, Closed, Combine, Shopper, closed_at, covers, in_audience


@dataclass(frozen=True)
class Part:
    """One source of a line's discount: the card, a campaign, or a campaign unlocked by a coupon."""

    source: str  # "card" | "campaign" | "coupon"
    name: str
    amount: Decimal
    percent: Decimal  # of the line's subtotal, rounded down
    campaign_id: int | None = None
    coupon: str | None = None


@dataclass(frozen=True)
class CouponOffer:
    """A coupon the till sent, already found and checked against its own limits: its campaign decides."""

    code: str
    campaign: CampaignRule


@dataclass(frozen=True)
class Promoted:
    lines: tuple[QuotedLine, ...]
    parts: tuple[tuple[Part, ...], ...]  # per line, in order
    coupon_discounts: dict[str, Decimal]  # code -> what it gave on this receipt
    refusals: dict[str, Closed]  # code -> why it cannot apply


def _percent_of(amount: Decimal, subtotal: Decimal) -> Decimal:
    return round_down(amount * HUNDRED / subtotal) if subtotal > 0 else ZERO


def _line_limit(line: QuotedLine, category: CategoryRule, ceiling: Decimal) -> Decimal:
    pct = ceiling
    if category.policy == Policy.CAPPED and category.max_percent is not None:
        pct = min(pct, category.max_percent)
    return round_down(line.subtotal * max(ZERO, pct) / HUNDRED)


def _shared(total: Decimal, subtotals: Sequence[Decimal]) -> list[Decimal]:
    """`total` shared in proportion to `subtotals`, rounded down; the leftover cents to the first lines."""
    whole = sum(subtotals, ZERO)
    total = min(total, whole)
    if whole <= 0:
        return [ZERO for _ in subtotals]
    shares = [round_down(total * s / whole) for s in subtotals]
    left = total - sum(shares, ZERO)
    for i, s in enumerate(subtotals):
        if left <= 0:
            break
        if shares[i] + CENT <= s:
            shares[i] += CENT
            left -= CENT
    return shares


def _benefits(c: CampaignRule, lines: Sequence[QuotedLine], covered: Sequence[bool]) -> list[Decimal]:
    """What campaign `c` alone would give each line (zero where it does not cover)."""
    if c.benefit == Benefit.AMOUNT_PER_RECEIPT:
        shares = iter(_shared(c.value, [ln.subtotal for ln, cov in zip(lines, covered, strict=True) if cov]))
        return [next(shares) if cov else ZERO for cov in covered]
    out = []
    for ln, cov in zip(lines, covered, strict=True):
        if not cov:
            out.append(ZERO)
        elif c.benefit == Benefit.PERCENT:
            out.append(round_down(ln.subtotal * min(c.value, HUNDRED) / HUNDRED))
        elif c.benefit == Benefit.AMOUNT_PER_LINE:
            out.append(min(round_down(c.value), ln.subtotal))
        else:  # FIXED_PRICE: the covered units at the campaign's price, never a rise
            out.append(max(ZERO, ln.subtotal - round_money(ln.quantity * c.value)))
    return out


def _combine(parts: list[tuple[Part, bool]], new: Part, how: str, justified: bool) -> list[tuple[Part, bool]]:
    if new.amount <= 0:
        return parts
    if how == Combine.BEST:
        return [(new, justified)] if new.amount > sum((p.amount for p, _ in parts), ZERO) else parts
    return [*parts, (new, justified)]


def _trim(parts: list[tuple[Part, bool]], limit: Decimal, subtotal: Decimal) -> tuple[Part, ...]:
    """Cut the parts from the last back: first to the ceiling for unjustified parts, then to the price."""
    kept, room_ceiling, room_price = [], limit, subtotal
    for part, justified in parts:
        if part.source == "card":
            # Priced by the loyalty rules already: within the ceiling, or a company's contract price justified in
            # writing beyond it (loyalty.rules.apply_contract). Kept whole; it still uses up the ceiling's room.
            allowed = min(part.amount, room_price)
            room_price, room_ceiling = room_price - allowed, room_ceiling - allowed
            kept.append((part, allowed))
            continue
        allowed = min(part.amount, room_price if justified else min(room_ceiling, room_price))
        allowed = max(ZERO, allowed)
        room_price -= allowed
        if not justified:
            room_ceiling -= allowed
        kept.append((part, allowed))
    # The order above gives earlier parts priority: the card keeps its discount, later parts shrink.
    return tuple(
        replace(p, amount=a, percent=p.percent if a == p.amount else _percent_of(a, subtotal)) for p, a in kept if a > 0
    )


def _open(
    c: CampaignRule, who: Shopper, store: str, local: datetime, subtotal: Decimal, lines, categories
) -> tuple[Closed | None, list[bool]]:
    closed = closed_at(c, store, local)
    if closed:
        return closed, []
    if not in_audience(c, who, local.date()):
        return Closed("not_applicable", "{name} is not for this customer.", {"name": c.name}), []
    if subtotal < c.min_basket:
        return Closed(
            "minimum_not_met", "{name} needs a basket of at least {least}.", {"name": c.name, "least": c.min_basket}
        ), []
    covered = [covers(c, ln.sku, ln.category) and categories[ln.category].policy != Policy.EXCLUDED for ln in lines]
    if not any(covered):
        return Closed("not_applicable", "{name} covers nothing in this basket.", {"name": c.name}), []
    return None, covered


def promote(
    lines: Sequence[QuotedLine],
    categories: Mapping[str, CategoryRule],
    *,
    card_percent: Decimal,
    ceiling: Decimal,
    campaigns: Sequence[CampaignRule],
    coupons: Sequence[CouponOffer] = (),
    who: Shopper,
    store: str,
    local: datetime,
) -> Promoted:
    """Lines priced at the card's percent → lines with campaigns and coupons, and where each cent came from.

    `local` is the store's wall clock. Campaigns that need a coupon apply only through `coupons`; a coupon
    whose campaign is closed or gives nothing here is refused with the reason, and gives nothing."""
    subtotal = sum((ln.subtotal for ln in lines), ZERO)
    automatic: list[list[Decimal]] = []
    auto_of: list[CampaignRule] = []
    for c in campaigns:
        if c.needs_coupon:
            continue
        closed, covered = _open(c, who, store, local, subtotal, lines, categories)
        if not closed:
            automatic.append(_benefits(c, lines, covered))
            auto_of.append(c)
    refusals: dict[str, Closed] = {}
    offered: list[tuple[CouponOffer, list[Decimal]]] = []
    for offer in coupons:
        closed, covered = _open(offer.campaign, who, store, local, subtotal, lines, categories)
        if closed:
            refusals[offer.code] = closed
        else:
            offered.append((offer, _benefits(offer.campaign, lines, covered)))
    new_lines, all_parts = [], []
    given: dict[str, Decimal] = {offer.code: ZERO for offer, _ in offered}
    for i, ln in enumerate(lines):
        parts = (
            [] if ln.discount_amount <= 0 else [(Part("card", "Card", ln.discount_amount, ln.discount_percent), False)]
        )
        if auto_of:
            best = max(range(len(auto_of)), key=lambda k: (automatic[k][i], -k))
            c = auto_of[best]
            part = _part("campaign", c, automatic[best][i], ln.subtotal)
            parts = _combine(parts, part, c.combine, c.beyond_ceiling)
        for offer, amounts in offered:
            c = offer.campaign
            part = _part("coupon", c, amounts[i], ln.subtotal, coupon=offer.code)
            parts = _combine(parts, part, c.combine, c.beyond_ceiling)
        kept = _trim(parts, _line_limit(ln, categories[ln.category], ceiling), ln.subtotal)
        for p in kept:
            if p.coupon:
                given[p.coupon] += p.amount
        all_parts.append(kept)
        new_lines.append(_repriced(ln, kept))
    for code, amount in given.items():
        if amount <= 0:
            refusals[code] = Closed("not_applicable", "The coupon gives nothing more on this basket.")
    return Promoted(tuple(new_lines), tuple(all_parts), {c: a for c, a in given.items() if a > 0}, refusals)


def _part(source: str, c: CampaignRule, amount: Decimal, subtotal: Decimal, coupon: str | None = None) -> Part:
    percent = c.value if c.benefit == Benefit.PERCENT else _percent_of(amount, subtotal)
    return Part(source, c.name, amount, percent, campaign_id=c.id, coupon=coupon)


def _repriced(ln: QuotedLine, parts: tuple[Part, ...]) -> QuotedLine:
    discount = sum((p.amount for p in parts), ZERO)
    if discount == ln.discount_amount:
        return ln
    only_card = all(p.source == "card" for p in parts)
    percent = ln.discount_percent if only_card else _percent_of(discount, ln.subtotal)
    return replace(ln, discount_amount=discount, discount_percent=percent, total=ln.subtotal - discount)
