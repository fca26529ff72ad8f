"""Discount-scale maths (domain.md): the volume at which a bigger discount keeps the shop's margin."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from core.money import HUNDRED, TENTH, round_money
from loyalty.rules.errors import DiscountExceedsMargin, InvalidInput


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
