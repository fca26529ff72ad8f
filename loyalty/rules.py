"""The loyalty rules as pure functions: discounts, points, levels, point lots, discount scales.

Pure on purpose: only the standard library (and `core.errors`, plain Python), no Django, no clock,
no settings. The moment of a
purchase (`at`) is always a parameter, so every rule can be tested with plain values and the
services around it (checkout, refund, the nightly job) stay thin.

Money and points are `Decimal`, never float. Rounding follows one principle: amounts the customer
pays are rounded half-up (`round_money`), anything the shop gives away — discounts, points earned,
redeem caps — is rounded toward zero (`round_down`), so the shop never over-gives by a cent.

`at` is read as given: `at.weekday()` and `at.time()` decide time windows, so the caller passes the
store's local time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_UP, Decimal

from core import errors as core_errors
from core.errors import DomainError

CENT = Decimal("0.01")
TENTH = Decimal("0.1")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


# --- rounding ---------------------------------------------------------------------------------


def round_money(x: Decimal) -> Decimal:
    """Half-up to the cent: for amounts the customer pays (a line's subtotal)."""
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def round_down(x: Decimal) -> Decimal:
    """Toward zero to the cent: for what the shop gives (discounts, points), so it never over-gives."""
    return x.quantize(CENT, rounding=ROUND_DOWN)


# --- errors -----------------------------------------------------------------------------------


class RuleError(DomainError):
    """A request the rules refuse: one of the family of `core.errors`, with the stable code of api.md."""

    code = "rule_error"


class InvalidInput(RuleError, core_errors.InvalidInput):
    code = "invalid_input"


class NegativeRedeem(InvalidInput):
    code = "invalid_input"


class InsufficientPoints(RuleError):
    code = "insufficient_points"


class RedeemLimitExceeded(RuleError):
    code = "redeem_limit_exceeded"


class UnknownCategory(InvalidInput):
    code = "unknown_category"


class DiscountExceedsMargin(RuleError):
    code = "discount_exceeds_margin"


# --- programme configuration ------------------------------------------------------------------


class Kind:
    FIXED = "fixed"
    CUMULATIVE = "cumulative"
    MIXED = "mixed"


class Policy:
    NORMAL = "normal"
    EXCLUDED = "excluded"
    CAPPED = "capped"


@dataclass(frozen=True)
class LevelRule:
    name: str
    threshold: Decimal
    percent: Decimal


@dataclass(frozen=True)
class TimeWindowRule:
    """Active on `weekdays` (0=Monday..6=Sunday) from `start` (inclusive) to `end` (exclusive), same day."""

    weekdays: frozenset[int]
    start: time
    end: time
    extra_percent: Decimal = Decimal(0)
    points_multiplier: Decimal = Decimal(1)

    def is_active(self, at: datetime) -> bool:
        return at.weekday() in self.weekdays and self.start <= at.time() < self.end


@dataclass(frozen=True)
class CategoryRule:
    """`max_percent` only matters for CAPPED; a CAPPED category without it is capped by the ceiling alone."""

    code: str
    policy: str = Policy.NORMAL
    max_percent: Decimal | None = None
    earns_points: bool = True


@dataclass(frozen=True)
class ProgrammeRules:
    kind: str
    base_percent: Decimal = Decimal(0)
    levels: tuple[LevelRule, ...] = ()  # any order: the functions sort by threshold
    ceiling_percent: Decimal = Decimal(20)
    earn_percent: Decimal = Decimal(0)
    point_value: Decimal = Decimal(1)  # money value of one point
    redeem_cap_percent: Decimal = Decimal(20)
    points_lifetime_days: int | None = 365
    inactivity_action: str = "step_down"  # "step_down" | "reset"
    windows: tuple[TimeWindowRule, ...] = ()


@dataclass(frozen=True)
class CardState:
    level: str | None  # stored current level; None = base
    spend: Decimal  # level-qualifying spend
    points_balance: Decimal


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


# --- levels -----------------------------------------------------------------------------------


def _sorted_levels(p: ProgrammeRules) -> list[LevelRule]:
    return sorted(p.levels, key=lambda lv: lv.threshold)


def _has_levels(p: ProgrammeRules) -> bool:
    # A fixed programme ignores any levels configured on it.
    return p.kind != Kind.FIXED and bool(p.levels)


def level_for_spend(p: ProgrammeRules, spend: Decimal) -> LevelRule | None:
    """Highest level whose threshold is reached; thresholds are inclusive (300.00 reaches 300)."""
    reached = [lv for lv in _sorted_levels(p) if lv.threshold <= spend]
    return reached[-1] if reached else None


def level_by_name(p: ProgrammeRules, name: str | None) -> LevelRule | None:
    return next((lv for lv in p.levels if lv.name == name), None) if name is not None else None


def _rank(p: ProgrammeRules, name: str | None) -> int:
    """Position of a level by threshold; base (and a name the programme no longer knows) is -1."""
    level = level_by_name(p, name)
    return _sorted_levels(p).index(level) if level else -1


def _higher(p: ProgrammeRules, a: str | None, b: str | None) -> str | None:
    return a if _rank(p, a) >= _rank(p, b) else b  # ties keep `a`, the stored level


def _lower(p: ProgrammeRules, a: str | None, b: str | None) -> str | None:
    return a if _rank(p, a) <= _rank(p, b) else b


def card_percent(p: ProgrammeRules, level_name: str | None) -> Decimal:
    """The card's own percent: fixed -> base; cumulative -> level (or base); mixed -> the larger."""
    level = level_by_name(p, level_name) if _has_levels(p) else None
    if p.kind == Kind.FIXED or level is None:
        return p.base_percent
    if p.kind == Kind.MIXED:
        return max(p.base_percent, level.percent)
    return level.percent


def next_level(p: ProgrammeRules, level_name: str | None, spend: Decimal) -> tuple[LevelRule, Decimal] | None:
    """The level above the stored one and the spend still needed to reach it (never negative)."""
    if not _has_levels(p):
        return None
    above = _sorted_levels(p)[_rank(p, level_name) + 1 :]
    if not above:
        return None
    target = above[0]
    return target, max(ZERO, round_money(target.threshold - spend))


def level_after_purchase(p: ProgrammeRules, level_name: str | None, spend_after: Decimal) -> str | None:
    """A purchase can only raise the level (domain: a level is never lowered by buying)."""
    if not _has_levels(p):
        return level_name
    reached = level_for_spend(p, spend_after)
    return _higher(p, level_name, reached.name if reached else None)


def level_after_refund(p: ProgrammeRules, level_name: str | None, spend_after: Decimal) -> str | None:
    """A refund can only lower the level: the lower of the stored one and what the spend still reaches."""
    if not _has_levels(p):
        return level_name
    reached = level_for_spend(p, spend_after)
    return _lower(p, level_name, reached.name if reached else None)


def inactivity_step(p: ProgrammeRules, level_name: str | None) -> tuple[str | None, Decimal]:
    """The published inactivity rule: new level and new qualifying spend.

    step_down: one level lower, spend set to that level's threshold, so the next purchase climbs
    from there; reset: back to base with no spend. Base stays base.
    """
    rank = _rank(p, level_name) if _has_levels(p) else -1
    if p.inactivity_action == "reset" or rank <= 0:
        return None, ZERO
    lower = _sorted_levels(p)[rank - 1]
    return lower.name, round_money(lower.threshold)


# --- percentages ------------------------------------------------------------------------------


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


# --- the quote --------------------------------------------------------------------------------


def _check_line(line: Line) -> None:
    if not (line.quantity.is_finite() and line.unit_price.is_finite()):
        raise InvalidInput(f"line {line.sku}: quantity and price must be numbers")
    if line.quantity <= 0:
        raise InvalidInput(f"line {line.sku}: quantity must be greater than 0")
    if line.unit_price < 0:
        raise InvalidInput(f"line {line.sku}: unit price must not be negative")


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
        raise UnknownCategory(f"unknown category {code!r}") from None


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
        raise InsufficientPoints(f"only {balance} points on the card")
    if redeem > limit:
        raise RedeemLimitExceeded(f"at most {limit} points can pay this receipt")


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


def quote(
    p: ProgrammeRules,
    card: CardState | None,
    lines: Sequence[Line],
    categories: Mapping[str, CategoryRule],
    at: datetime,
    redeem_points: Decimal = Decimal("0"),
) -> Quote:
    """Price a receipt. Discounted at the level stored BEFORE it; what it adds counts from the next one."""
    for line in lines:
        _check_line(line)
    base = card_percent(p, card.level) if card else Decimal(0)
    with_category = [(ln, _category(categories, ln.category)) for ln in lines]
    # No card, no discount: not even a time window's extra percent.
    quoted = tuple(_quote_line(ln, cat, line_percent(p, cat, base, at) if card else ZERO) for ln, cat in with_category)
    subtotal = sum((ln.subtotal for ln in quoted), ZERO)
    discount_total = sum((ln.discount_amount for ln in quoted), ZERO)
    after_discount = subtotal - discount_total

    balance = card.points_balance if card else ZERO
    limit = max_redeemable(p, balance, after_discount) if card else ZERO
    _check_redeem(redeem_points, balance, limit)
    redeemed_amount = round_down(redeem_points * p.point_value)
    total_due = max(ZERO, after_discount - redeemed_amount)

    earned = _points_earned(p, quoted, total_due, after_discount, at) if card else ZERO
    spend_after = card.spend + total_due if card else ZERO  # money paid counts toward levels, points do not
    return Quote(
        subtotal=subtotal,
        discount_total=discount_total,
        points_redeemed=redeem_points.quantize(CENT),
        points_redeemed_amount=redeemed_amount,
        total_due=total_due,
        points_earned=earned,
        max_redeemable_points=limit,
        lines=quoted,
        card_percent=base,
        level_before=card.level if card else None,
        level_after=level_after_purchase(p, card.level, spend_after) if card else None,
        spend_after=spend_after,
    )


# --- point lots (burning oldest first) --------------------------------------------------------


@dataclass(frozen=True)
class Lot:
    lot_id: int
    remaining: Decimal
    expires_at: datetime | None


def _sort_key(lot: Lot) -> tuple[int, datetime, int]:
    # Lots that never expire go last; a placeholder date keeps the tuple comparable.
    if lot.expires_at is None:
        return (1, datetime.min, lot.lot_id)
    return (0, lot.expires_at, lot.lot_id)


def consume_oldest_first(lots: Sequence[Lot], amount: Decimal) -> list[tuple[int, Decimal]]:
    """Take `amount` points from the lots that burn soonest; (lot_id, taken) pairs, no zero pairs."""
    if amount < 0:
        raise InvalidInput("cannot consume a negative amount of points")
    live = sorted((lot for lot in lots if lot.remaining > 0), key=_sort_key)
    if sum((lot.remaining for lot in live), Decimal(0)) < amount:
        raise InsufficientPoints(f"the lots hold less than {amount} points")
    taken: list[tuple[int, Decimal]] = []
    left = amount
    for lot in live:
        if left <= 0:
            break
        take = min(lot.remaining, left)
        taken.append((lot.lot_id, take))
        left -= take
    return taken


def expired_lots(lots: Sequence[Lot], at: datetime) -> list[Lot]:
    """Lots with points left whose expiry has come (expiry moment inclusive)."""
    return [lot for lot in lots if lot.remaining > 0 and lot.expires_at is not None and lot.expires_at <= at]


def burning_within(lots: Sequence[Lot], at: datetime, days: int) -> list[tuple[datetime, Decimal]]:
    """What burns in (at, at + days], one row per calendar day: its first expiry moment and the sum.

    Lots earned on the same day burn at different minutes; the customer wants "12.00 on 3 March".
    """
    horizon = at + timedelta(days=days)
    by_day: dict[date, tuple[datetime, Decimal]] = {}
    for lot in lots:
        if lot.remaining <= 0 or lot.expires_at is None or not (at < lot.expires_at <= horizon):
            continue
        day = lot.expires_at.date()
        first, total = by_day.get(day, (lot.expires_at, Decimal(0)))
        by_day[day] = (min(first, lot.expires_at), total + lot.remaining)
    return [by_day[day] for day in sorted(by_day)]


# --- designing a discount scale ---------------------------------------------------------------


@dataclass(frozen=True)
class ScaleStep:
    discount_percent: Decimal
    wanted_margin_increase: Decimal
    list_volume_required: Decimal  # at list prices, to the cent
    revenue_required: Decimal  # what the customer pays: list volume less the discount
    growth_percent: Decimal  # list volume growth over the current volume, 0.1
    published_volume: Decimal  # list volume rounded up to a round number, for the published scale
    revenue_growth_percent: Decimal  # revenue growth over the current volume, 0.1 (domain.md's "28.6 % more")


def cost_share(markup: Decimal) -> Decimal:
    """Cost as a share of the list price: c = 1 / (1 + m)."""
    if markup <= -1:
        raise InvalidInput("markup must be greater than -100 %")
    return Decimal(1) / (1 + markup)


def round_up_to_round_number(x: Decimal) -> Decimal:
    """Up to the next multiple of 10**(digits - 2): 14286 -> 15000, 1234 -> 1300, 87 -> 87."""
    if x <= 0:
        return Decimal(0)
    digits = len(str(int(x)))
    step = Decimal(10) ** max(digits - 2, 0)
    return (x / step).to_integral_value(rounding=ROUND_CEILING) * step


def _percent_growth(new: Decimal, old: Decimal) -> Decimal:
    return ((new / old - 1) * HUNDRED).quantize(TENTH, rounding=ROUND_HALF_UP)


def required_volume(
    markup: Decimal,
    current_volume: Decimal,
    discount_percent: Decimal,
    wanted_margin_increase: Decimal = Decimal(0),
    current_discount_percent: Decimal = Decimal(0),
) -> ScaleStep:
    """List volume at which `discount_percent` keeps today's margin plus the wanted increase.

    M0 = V * (1 - d0 - c); L = (M0 + dM) / (1 - d - c). Everything is computed at full precision
    and rounded only in the result. A margin target of zero or less needs no volume (L = 0).
    """
    if current_volume <= 0:
        raise InvalidInput("the current volume must be greater than 0")
    c = cost_share(markup)
    d, d0 = discount_percent / HUNDRED, current_discount_percent / HUNDRED
    unit_margin = 1 - d - c
    if unit_margin <= 0:
        raise DiscountExceedsMargin(f"a {discount_percent} % discount leaves no margin at markup {markup}")
    margin_now = current_volume * (1 - d0 - c)
    volume = max(Decimal(0), (margin_now + wanted_margin_increase) / unit_margin)
    revenue = volume * (1 - d)
    return ScaleStep(
        discount_percent=discount_percent,
        wanted_margin_increase=wanted_margin_increase,
        list_volume_required=round_money(volume),
        revenue_required=round_money(revenue),
        growth_percent=_percent_growth(volume, current_volume),
        published_volume=round_up_to_round_number(volume),
        revenue_growth_percent=_percent_growth(revenue, current_volume),
    )


def design_scale(markup: Decimal, start_volume: Decimal, steps: Sequence[tuple[Decimal, Decimal]]) -> list[ScaleStep]:
    """One step per (discount %, wanted margin increase), each against the start volume at 0 % discount."""
    return [required_volume(markup, start_volume, d, wanted) for d, wanted in steps]
