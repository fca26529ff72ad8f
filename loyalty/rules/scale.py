"""Discount-scale maths (domain.md): the volume at which a bigger discount keeps the shop's margin.

Every figure starts from what the customer *pays* today (after their discount), because that is what the
till records, what a level's spend counts and what a customer can tell you; the list-price volume is
derived from it: L0 = pays / (1 - d0).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from core.money import HUNDRED, TENTH, round_money
from loyalty.rules.errors import DiscountExceedsMargin, InvalidInput


@dataclass(frozen=True)
class Volume:
    """One customer's buying at one discount: the rows of domain.md's worked example."""

    discount_percent: Decimal
    list_volume: Decimal  # at list prices, to the cent
    customer_pays: Decimal  # list volume less the discount: what the till records and a level's spend counts
    purchase_cost: Decimal  # what the goods cost the shop: list volume x c
    margin: Decimal  # customer_pays - purchase_cost


@dataclass(frozen=True)
class ScaleStep:
    discount_percent: Decimal
    wanted_margin_increase: Decimal
    list_volume_required: Decimal  # at list prices, to the cent
    revenue_required: Decimal  # what the customer pays: list volume less the discount
    purchase_cost: Decimal
    margin: Decimal  # today's margin plus the wanted increase (to the cent)
    growth_percent: Decimal  # growth of what the customer pays over what they pay today, 0.1 (domain.md's 28.6 %)
    list_growth_percent: Decimal  # growth of the list-price volume, 0.1
    published_volume: Decimal  # what they pay, rounded up to a round number: a level's spend threshold


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


def _check(markup: Decimal, pays_now: Decimal, current_discount_percent: Decimal) -> Decimal:
    if not pays_now > 0:
        raise InvalidInput("what the customer pays now must be greater than 0")
    if not 0 <= current_discount_percent < 100:
        raise InvalidInput("the discount now must be from 0 to below 100 %")
    return cost_share(markup)


def today(markup: Decimal, pays_now: Decimal, current_discount_percent: Decimal = Decimal(0)) -> Volume:
    """Today's row: the list volume behind what the customer pays, its purchase cost and the margin."""
    c = _check(markup, pays_now, current_discount_percent)
    volume = pays_now / (1 - current_discount_percent / HUNDRED)
    return Volume(
        current_discount_percent,
        round_money(volume),
        round_money(pays_now),
        round_money(volume * c),
        round_money(pays_now - volume * c),
    )


def required_volume(
    markup: Decimal,
    pays_now: Decimal,
    discount_percent: Decimal,
    wanted_margin_increase: Decimal = Decimal(0),
    current_discount_percent: Decimal = Decimal(0),
) -> ScaleStep:
    """The list volume at which `discount_percent` keeps today's margin plus the wanted increase.

    L0 = P / (1 - d0); M0 = L0 * (1 - d0 - c); L = (M0 + dM) / (1 - d - c). Everything is computed at
    full precision and rounded only in the result. A margin target of zero or less needs no volume (L = 0).
    """
    c = _check(markup, pays_now, current_discount_percent)
    d, d0 = discount_percent / HUNDRED, current_discount_percent / HUNDRED
    unit_margin = 1 - d - c
    if unit_margin <= 0:
        raise DiscountExceedsMargin(
            "a {discount} % discount leaves no margin at markup {markup} %",
            params={"discount": discount_percent, "markup": markup * 100},
        )
    volume_now = pays_now / (1 - d0)
    margin_now = volume_now * (1 - d0 - c)
    volume = max(Decimal(0), (margin_now + wanted_margin_increase) / unit_margin)
    revenue = volume * (1 - d)
    return ScaleStep(
        discount_percent=discount_percent,
        wanted_margin_increase=wanted_margin_increase,
        list_volume_required=round_money(volume),
        revenue_required=round_money(revenue),
        purchase_cost=round_money(volume * c),
        margin=round_money(volume * unit_margin),
        growth_percent=_percent_growth(revenue, pays_now),
        list_growth_percent=_percent_growth(volume, volume_now),
        published_volume=round_up_to_round_number(revenue),
    )


def design_scale(
    markup: Decimal,
    pays_now: Decimal,
    steps: Sequence[tuple[Decimal, Decimal]],
    current_discount_percent: Decimal = Decimal(0),
) -> list[ScaleStep]:
    """One step per (discount %, wanted margin increase), each against what the customer pays today."""
    return [required_volume(markup, pays_now, d, wanted, current_discount_percent) for d, wanted in steps]
