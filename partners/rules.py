"""Pure rules of a period settlement: conditions met or not, volume tiers, per-unit amounts, caps.

Plain values in, plain values out: no database, no clock, no settings. `services.py` gathers a period's
figures (with set-based SQL in `selectors.py`) and asks here what they earn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from core.money import CENT, HUNDRED, ZERO, round_money

RETROACTIVE = "retroactive"  # the tier reached applies to the whole period's volume
MARGINAL = "marginal"  # each slice of volume earns its own tier's percent, like income tax

PLAN = "plan"  # the period's volume reached the plan
ON_TIME = "on_time"  # every receipt paid on account was paid by its due date
PRODUCT_LINE = "product_line"  # the chosen line was bought, for at least the minimum amount
GROWTH = "growth"  # volume grew by at least N % against the same period a year before


@dataclass(frozen=True)
class Tier:
    threshold: Decimal  # from this period volume on
    percent: Decimal


@dataclass(frozen=True)
class Condition:
    kind: str
    percent: Decimal
    plan: Decimal = ZERO  # PLAN: the volume to reach
    minimum: Decimal = ZERO  # PRODUCT_LINE: bought for at least this (0: any purchase of the line)
    growth_percent: Decimal = ZERO  # GROWTH: at least this much more than last year


@dataclass(frozen=True)
class UnitRate:
    sku: str
    amount: Decimal  # paid per unit sold (net of refunds)


@dataclass(frozen=True)
class Terms:
    conditions: tuple[Condition, ...] = ()
    tiers: tuple[Tier, ...] = ()
    tier_mode: str = RETROACTIVE
    unit_rates: tuple[UnitRate, ...] = ()
    cap: Decimal | None = None  # the bonus of one period never exceeds this


@dataclass(frozen=True)
class Figures:
    """What happened in the period, already net of the refunds made in it."""

    volume: Decimal
    late_receipts: int = 0
    line_volume: Decimal = ZERO
    last_year_volume: Decimal = ZERO
    unit_quantities: dict[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class Line:
    """One row of a statement: what was judged, its figure, met or not, what it adds. `label` and `figure`
    are the English text; `figure_code` and `args` let a page say them in its own language (partners/texts.py)."""

    kind: str
    label: str
    figure: str
    met: bool
    percent: Decimal
    amount: Decimal
    figure_code: str = ""
    args: dict = field(default_factory=dict)


# The English of every figure and of the labels that carry a value; partners/texts.py holds the same msgids
# for gettext (a test keeps the two alike). Arguments are plain text: amounts as "12000.00", counts as ints.
FIGURES = {
    "plan": "%(volume)s of %(plan)s",
    "all_on_time": "all paid on time",
    "paid_late": "%(late)s paid late",
    "line_bought": "%(bought)s bought",
    "no_last_year": "no purchases in the same period last year",
    "growth": "%(grown)s %% against %(last_year)s",
    "tier_reached": "%(volume)s reaches %(percent)s %%",
    "below_first_tier": "%(volume)s: below the first tier",
    "units": "%(quantity)s × %(rate)s",
    "capped": "%(bonus)s capped at %(cap)s",
    "own_rate": "%(volume)s at its own rate",
    "reversal_kept": "statement %(statement)s reversed: %(kept)s of its payout already spent",
    "late_refund": "receipt %(receipt)s: %(goods)s refunded after its period closed",
    "bypassed": "%(receipts)s receipts, %(volume)s, in the volume above: %(earned)s of the commission",
}
# Figures that count something say one in the singular (FIGURES has the plural): code -> (the counted
# argument, the English for one). partners/texts.py says them with ngettext, by the stored count.
FIGURES_ONE = {
    "bypassed": ("receipts", "%(receipts)s receipt, %(volume)s, in the volume above: %(earned)s of the commission"),
}
PENDING = "%(figure)s; %(pending)s not due yet"


def figure_text(code: str, args: dict) -> str:
    if code in FIGURES_ONE and args.get(FIGURES_ONE[code][0]) == 1:
        return FIGURES_ONE[code][1] % args
    return FIGURES[code] % args


def line(kind: str, label: str, code: str, args: dict, met: bool, percent: Decimal, amount: Decimal) -> Line:
    """A line whose figure is said by its code: the English kept with it, for old readers and the files."""
    plain = {k: v if isinstance(v, int) else str(v) for k, v in args.items()}
    return Line(kind, label, figure_text(code, plain), met, percent, amount, code, plain)


@dataclass(frozen=True)
class Result:
    lines: tuple[Line, ...]
    bonus: Decimal

    @property
    def percent_earned(self) -> Decimal:
        return sum((ln.percent for ln in self.lines if ln.met), ZERO)


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    return round_money(amount * percent / HUNDRED)


def growth_percent(volume: Decimal, last_year: Decimal) -> Decimal | None:
    """None when there was nothing last year: growth from nothing is not a percentage."""
    if last_year <= ZERO:
        return None
    return ((volume - last_year) * HUNDRED / last_year).quantize(CENT, rounding=ROUND_DOWN)


def condition_met(condition: Condition, figures: Figures) -> tuple[bool, str]:
    """Met or not, and the figure that decided it, as a person reads it on the statement."""
    met, code, args = judge(condition, figures)
    return met, figure_text(code, {k: v if isinstance(v, int) else str(v) for k, v in args.items()})


def judge(condition: Condition, figures: Figures) -> tuple[bool, str, dict]:
    """Met or not, and the figure that decided it: its code and values."""
    if condition.kind == PLAN:
        return figures.volume >= condition.plan, "plan", {"volume": figures.volume, "plan": condition.plan}
    if condition.kind == ON_TIME:
        late = figures.late_receipts
        return (True, "all_on_time", {}) if late == 0 else (False, "paid_late", {"late": late})
    if condition.kind == PRODUCT_LINE:
        bought = figures.line_volume
        return bought > ZERO and bought >= condition.minimum, "line_bought", {"bought": bought}
    if condition.kind == GROWTH:
        grown = growth_percent(figures.volume, figures.last_year_volume)
        if grown is None:
            return False, "no_last_year", {}
        return grown >= condition.growth_percent, "growth", {"grown": grown, "last_year": figures.last_year_volume}
    raise ValueError(f"unknown condition {condition.kind!r}")


LABELS = {PLAN: "Plan volume met", ON_TIME: "Paid on time", PRODUCT_LINE: "Chosen line bought", GROWTH: "Growth"}


def shares(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """`total` split by `weights` in cents that add up to it exactly (largest remainder takes the odd cent)."""
    whole = sum(weights, ZERO)
    if whole == ZERO:
        return [ZERO for _ in weights]
    raw = [total * w / whole for w in weights]
    parts = [r.quantize(CENT, rounding=ROUND_DOWN) for r in raw]
    left = int((total - sum(parts, ZERO)) / CENT)
    by_remainder = sorted(range(len(raw)), key=lambda i: (parts[i] - raw[i], i))
    for i in by_remainder[:left]:
        parts[i] += CENT
    return parts


def condition_lines(conditions: tuple[Condition, ...], figures: Figures) -> list[Line]:
    """Each condition with its share of the bonus: the met percents add up, applied to the volume once."""
    judged = [(c, *judge(c, figures)) for c in conditions]
    met_percents = [c.percent for c, met, _, _ in judged if met]
    total = percent_of(figures.volume, sum(met_percents, ZERO))
    amounts = iter(shares(total, met_percents))
    return [
        line(c.kind, LABELS[c.kind], code, args, met, c.percent, next(amounts) if met else ZERO)
        for c, met, code, args in judged
    ]


def tier_reached(tiers: tuple[Tier, ...], volume: Decimal) -> Tier | None:
    reached = [t for t in sorted(tiers, key=lambda t: t.threshold) if volume >= t.threshold]
    return reached[-1] if reached else None


def next_tier(tiers: tuple[Tier, ...], volume: Decimal) -> tuple[Tier, Decimal] | None:
    """The next tier up and the volume still missing to reach it; None at the top."""
    above = [t for t in sorted(tiers, key=lambda t: t.threshold) if t.threshold > volume]
    return (above[0], above[0].threshold - volume) if above else None


def tiered_amount(tiers: tuple[Tier, ...], volume: Decimal, mode: str) -> Decimal:
    """Retroactive: the whole volume at the tier reached. Marginal: each slice at its own tier's percent."""
    ordered = sorted(tiers, key=lambda t: t.threshold)
    if mode == RETROACTIVE:
        reached = tier_reached(tiers, volume)
        return percent_of(volume, reached.percent) if reached else ZERO
    if mode != MARGINAL:
        raise ValueError(f"unknown tier mode {mode!r}")
    exact = ZERO
    for tier, above in zip(ordered, [*ordered[1:], None], strict=True):
        top = volume if above is None else min(volume, above.threshold)
        if top > tier.threshold:
            exact += (top - tier.threshold) * tier.percent / HUNDRED
    return round_money(exact)


def tier_line(terms: Terms, figures: Figures) -> Line | None:
    if not terms.tiers:
        return None
    reached = tier_reached(terms.tiers, figures.volume)
    amount = tiered_amount(terms.tiers, figures.volume, terms.tier_mode)
    label = f"Volume tier ({terms.tier_mode})"
    if reached:
        code, args = "tier_reached", {"volume": figures.volume, "percent": reached.percent, "mode": terms.tier_mode}
    else:
        code, args = "below_first_tier", {"volume": figures.volume, "mode": terms.tier_mode}
    return line("tier", label, code, args, reached is not None, reached.percent if reached else ZERO, amount)


def unit_lines(terms: Terms, figures: Figures) -> list[Line]:
    lines = []
    for rate in terms.unit_rates:
        quantity = figures.unit_quantities.get(rate.sku, ZERO)
        amount = round_money(quantity * rate.amount)
        args = {"quantity": quantity, "rate": rate.amount, "sku": rate.sku}
        lines.append(line("unit", f"{rate.sku} per unit", "units", args, quantity > 0, ZERO, amount))
    return lines


BYPASSED = "bypassed"  # direct sales in the partner's region, counted as its own (channel protection)


def bypassed_line(receipts: int, volume: Decimal, *, bonus: Decimal, total_volume: Decimal) -> Line:
    """What the bypassed sales in the partner's region brought: they are in the volume the commission is paid
    on, so the line shows its share of that commission (adds nothing again; the amounts above hold it)."""
    earned = round_money(bonus * volume / total_volume) if total_volume > ZERO else ZERO
    args = {"receipts": receipts, "volume": volume, "earned": earned}
    return line(BYPASSED, "Bypassed sales in your region", BYPASSED, args, True, ZERO, ZERO)


def settle(terms: Terms, figures: Figures) -> Result:
    """A period's bonus: conditions, tier, per-unit amounts, then the cap over their sum."""
    lines = condition_lines(terms.conditions, figures)
    if tier := tier_line(terms, figures):
        lines.append(tier)
    lines += unit_lines(terms, figures)
    bonus = sum((ln.amount for ln in lines), ZERO)
    if terms.cap is not None and bonus > terms.cap:
        lines.append(line("cap", "Cap", "capped", {"bonus": bonus, "cap": terms.cap}, True, ZERO, terms.cap - bonus))
        bonus = terms.cap
    return Result(tuple(lines), bonus)
