"""The programmes, cards and lines the rule tests share: the demo programme of api.md and its categories."""

from dataclasses import replace
from datetime import datetime, time
from decimal import Decimal

from loyalty.rules import (
    CardState,
    CategoryRule,
    Kind,
    LevelRule,
    Line,
    Policy,
    ProgrammeRules,
    Quote,
    TimeWindowRule,
)

D = Decimal

# The demo programme of api.md: levels deliberately listed out of order (the rules sort them).
LEVELS = (
    LevelRule("Gold", D("700"), D("5")),
    LevelRule("Silver", D("300"), D("2")),
    LevelRule("Platinum", D("1500"), D("7")),
)
DEMO = ProgrammeRules(
    kind=Kind.CUMULATIVE,
    base_percent=D("0"),
    levels=LEVELS,
    ceiling_percent=D("20"),
    earn_percent=D("5"),
    point_value=D("1.00"),
    redeem_cap_percent=D("20"),
)
# Seniors' morning: Monday 09:00-12:00, 5 % more and double points.
MORNING = TimeWindowRule(
    weekdays=frozenset({0}), start=time(9), end=time(12), extra_percent=D("5"), points_multiplier=D("2")
)
WINDOWED = replace(DEMO, windows=(MORNING,))

CATEGORIES = {
    "dairy": CategoryRule("dairy"),
    "tobacco": CategoryRule("tobacco", policy=Policy.EXCLUDED),  # no discount, still earns
    "promo": CategoryRule("promo", policy=Policy.EXCLUDED, earns_points=False),
    "baby": CategoryRule("baby", policy=Policy.CAPPED, max_percent=D("3")),
    "wine": CategoryRule("wine", policy=Policy.CAPPED, max_percent=D("10")),
}

MONDAY = datetime(2025, 3, 3, 10, 0)  # a Monday, inside the morning window
TUESDAY = datetime(2025, 3, 4, 10, 0)
AT = datetime(2025, 3, 5, 15, 30)  # a Wednesday afternoon: no window


def card(level=None, spend="0.00", balance="0.00"):
    return CardState(level=level, spend=D(spend), points_balance=D(balance))


def line(category="dairy", quantity="1", price="100.00", sku="SKU"):
    return Line(sku=sku, category=category, quantity=D(quantity), unit_price=D(price))


def is_cents(x: Decimal) -> bool:
    return x.as_tuple().exponent == -2


def assert_invariants(q: Quote) -> None:
    assert q.total_due == q.subtotal - q.discount_total - q.points_redeemed_amount
    assert q.discount_total == sum((ln.discount_amount for ln in q.lines), D("0"))
    assert q.subtotal == sum((ln.subtotal for ln in q.lines), D("0"))
    amounts = [q.subtotal, q.discount_total, q.points_redeemed, q.points_redeemed_amount, q.total_due]
    amounts += [q.points_earned, q.max_redeemable_points, q.spend_after]
    amounts += [x for ln in q.lines for x in (ln.subtotal, ln.discount_amount, ln.total)]
    assert all(is_cents(x) for x in amounts), amounts
