"""Pricing a receipt: the percent of each line, the points that may pay it, the points it earns.

`quote` is the steps in order: read the lines, price each line at the card's percent (time windows,
category policy, ceiling), check the points asked for against the balance and the cap, then what is
due, what it earns and the level after. Discounted at the level stored BEFORE the receipt."""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, Decimal

from core.money import CENT, HUNDRED, ZERO, round_down, round_money
from loyalty.rules.errors import InsufficientPoints, InvalidInput, NegativeRedeem, RedeemLimitExceeded, UnknownCategory
from loyalty.rules.levels import card_percent, level_after_purchase
from loyalty.rules.terms import CardState, CategoryRule, Policy, ProgrammeRules, TimeWindowRule


@dataclass(frozen=True)
class Line:
    sku: str
    category: str
    quantity: Decimal
    unit_price: Decimal
    name: str = ""


@dataclass(frozen=True)
class QuotedLine:
    sku: str
    name: str
    category: str
    quantity: Decimal
    unit_price: Decimal
    subtotal: Decimal
    discount_percent: Decimal
    discount_amount: Decimal
    total: Decimal
    earns_points: bool


@dataclass(frozen=True)
class Quote:
    subtotal: Decimal
    discount_total: Decimal
    points_redeemed: Decimal  # in points
    points_redeemed_amount: Decimal  # in money
    total_due: Decimal
    points_earned: Decimal
    max_redeemable_points: Decimal
    lines: tuple[QuotedLine, ...]
    card_percent: Decimal  # the card's own percent, before category / ceiling rules
    level_before: str | None
    level_after: str | None
    spend_after: Decimal


def _active_windows(p: ProgrammeRules, at: datetime) -> list[TimeWindowRule]:
    return [w for w in p.windows if w.is_active(at)]


def line_percent(p: ProgrammeRules, category: CategoryRule, base: Decimal, at: datetime) -> Decimal:
    """Percent for one line: card percent plus active windows, then category policy, then the ceiling."""
    pct = base + sum((w.extra_percent for w in _active_windows(p, at)), Decimal(0))
    if category.policy == Policy.EXCLUDED:
        return Decimal(0)
    if category.policy == Policy.CAPPED and category.max_percent is not None:
        pct = min(pct, category.max_percent)
    # The ceiling is a tax matter (domain.md): it binds every line whatever the other rules say.
    return max(Decimal(0), min(pct, p.ceiling_percent))


def points_multiplier(p: ProgrammeRules, at: datetime) -> Decimal:
    return math.prod((w.points_multiplier for w in _active_windows(p, at)), start=Decimal(1))


def _check_line(line: Line) -> None:
    if not (line.quantity.is_finite() and line.unit_price.is_finite()):
        raise InvalidInput("line {sku}: quantity and price must be numbers", params={"sku": line.sku})
    if line.quantity <= 0:
        raise InvalidInput("line {sku}: quantity must be greater than 0", params={"sku": line.sku})
    if line.unit_price < 0:
        raise InvalidInput("line {sku}: unit price must not be negative", params={"sku": line.sku})


def _quote_line(line: Line, category: CategoryRule, pct: Decimal) -> QuotedLine:
    subtotal = round_money(line.quantity * line.unit_price)
    discount = round_down(subtotal * pct / HUNDRED)
    return QuotedLine(
        sku=line.sku,
        name=line.name,
        category=line.category,
        quantity=line.quantity,
        unit_price=line.unit_price,
        subtotal=subtotal,
        discount_percent=pct,
        discount_amount=discount,
        total=subtotal - discount,
        earns_points=category.earns_points,
    )


def _category(categories: Mapping[str, CategoryRule], code: str) -> CategoryRule:
    try:
        return categories[code]
    except KeyError:
        raise UnknownCategory("unknown category {code}", params={"code": repr(code)}) from None


def max_redeemable(p: ProgrammeRules, balance: Decimal, amount_after_discount: Decimal) -> Decimal:
    """Points that may pay this receipt: the cap share of it, never more than the balance."""
    if p.point_value <= 0:
        return ZERO  # points worth nothing cannot pay anything
    # Clamped to 0..100 % so points can never pay more than the receipt (total_due stays >= 0).
    cap = min(max(p.redeem_cap_percent, Decimal(0)), HUNDRED)
    by_cap = round_down(amount_after_discount * cap / HUNDRED / p.point_value)
    return max(ZERO, min(round_down(balance), by_cap))


def _check_redeem(redeem: Decimal, balance: Decimal, limit: Decimal) -> None:
    # Order matters (spec): input first, then the balance, then the cap.
    if not redeem.is_finite() or redeem < 0:
        raise NegativeRedeem("redeem_points must be a number >= 0")
    if redeem != redeem.quantize(CENT, rounding=ROUND_DOWN):
        raise InvalidInput("redeem_points must have at most two decimals")
    if redeem > balance:
        raise InsufficientPoints("only {balance} points on the card", params={"balance": balance})
    if redeem > limit:
        raise RedeemLimitExceeded("at most {limit} points can pay this receipt", params={"limit": limit})


def _points_earned(
    p: ProgrammeRules, lines: Sequence[QuotedLine], total_due: Decimal, after_discount: Decimal, at: datetime
) -> Decimal:
    """Points on what is actually paid in money, on earning lines only; rounded once, down."""
    if after_discount <= 0:
        return ZERO
    earnable = sum((ln.total for ln in lines if ln.earns_points), Decimal(0))
    # earnable * (total_due / after_discount): the part paid by points earns nothing (domain.md).
    numerator = earnable * total_due * p.earn_percent * points_multiplier(p, at)
    return max(ZERO, round_down(numerator / (after_discount * HUNDRED)))


def price_lines(
    p: ProgrammeRules,
    card: CardState | None,
    lines: Sequence[Line],
    categories: Mapping[str, CategoryRule],
    at: datetime,
) -> tuple[Decimal, tuple[QuotedLine, ...]]:
    """Step 1: each line at the card's percent (windows, category policy, ceiling); (card percent, lines)."""
    for line in lines:
        _check_line(line)
    base = card_percent(p, card.level) if card else ZERO
    with_category = [(ln, _category(categories, ln.category)) for ln in lines]
    # No card, no discount: not even a time window's extra percent.
    return base, tuple(
        _quote_line(ln, cat, line_percent(p, cat, base, at) if card else ZERO) for ln, cat in with_category
    )


@dataclass(frozen=True)
class Redemption:
    limit: Decimal  # points this receipt could take (the cap, never above the balance)
    points: Decimal
    amount: Decimal  # what the points pay, in money


def redeem(p: ProgrammeRules, card: CardState | None, after_discount: Decimal, points: Decimal) -> Redemption:
    """Step 2: the points asked for, checked against the balance and the cap (rejected, never clamped)."""
    balance = card.points_balance if card else ZERO
    limit = max_redeemable(p, balance, after_discount) if card else ZERO
    _check_redeem(points, balance, limit)
    return Redemption(limit=limit, points=points.quantize(CENT), amount=round_down(points * p.point_value))


def quote(
    p: ProgrammeRules,
    card: CardState | None,
    lines: Sequence[Line],
    categories: Mapping[str, CategoryRule],
    at: datetime,
    redeem_points: Decimal = Decimal("0"),
) -> Quote:
    """Price a receipt: lines, points paying, then what is due, earned and reached. Discounted at the level
    stored BEFORE it; what it adds counts from the next one."""
    base, quoted = price_lines(p, card, lines, categories, at)
    return quote_priced(p, card, base, quoted, at, redeem_points)


def quote_priced(
    p: ProgrammeRules,
    card: CardState | None,
    base: Decimal,
    quoted: Sequence[QuotedLine],
    at: datetime,
    redeem_points: Decimal = Decimal("0"),
) -> Quote:
    """Steps 2 and 3 on lines already priced: by `price_lines`, or by it and then a campaign
    (promotions.rules.promote), so points, spend and levels count what the customer really pays."""
    quoted = tuple(quoted)
    subtotal = sum((ln.subtotal for ln in quoted), ZERO)
    discount_total = sum((ln.discount_amount for ln in quoted), ZERO)
    after_discount = subtotal - discount_total
    paid_by_points = redeem(p, card, after_discount, redeem_points)
    total_due = max(ZERO, after_discount - paid_by_points.amount)
    # Step 3: money paid earns points and counts toward levels; points paying do neither.
    earned = _points_earned(p, quoted, total_due, after_discount, at) if card else ZERO
    spend_after = card.spend + total_due if card else ZERO
    return Quote(
        subtotal=subtotal,
        discount_total=discount_total,
        points_redeemed=paid_by_points.points,
        points_redeemed_amount=paid_by_points.amount,
        total_due=total_due,
        points_earned=earned,
        max_redeemable_points=paid_by_points.limit,
        lines=quoted,
        card_percent=base,
        level_before=card.level if card else None,
        level_after=level_after_purchase(p, card.level, spend_after) if card else None,
        spend_after=spend_after,
    )


@dataclass(frozen=True)
class ContractTerms:
    """A business customer's contract prices in force today: percent by SKU, then by category."""

    by_sku: Mapping[str, Decimal]
    by_category: Mapping[str, Decimal]
    justified: frozenset[str] = frozenset()  # SKUs or category codes whose percent may pass the ceiling


def apply_contract(
    lines: Sequence[QuotedLine], contract: ContractTerms, categories: Mapping[str, CategoryRule], ceiling: Decimal
) -> tuple[QuotedLine, ...]:
    """A line the contract names gets the contract's percent when it beats the card's: an SKU's before its
    category's. The ceiling binds unless that contract line is justified in writing. A named category or SKU is
    an explicit agreement, so it applies even where the card discount is excluded."""
    priced = []
    for ln in lines:
        key = ln.sku if ln.sku in contract.by_sku else ln.category
        pct = contract.by_sku.get(ln.sku, contract.by_category.get(ln.category))
        if pct is not None and key not in contract.justified:
            pct = min(pct, ceiling)
        if pct is None or pct <= ln.discount_percent:
            priced.append(ln)
            continue
        line = Line(sku=ln.sku, name=ln.name, category=ln.category, quantity=ln.quantity, unit_price=ln.unit_price)
        priced.append(_quote_line(line, categories[ln.category], pct))
    return tuple(priced)
