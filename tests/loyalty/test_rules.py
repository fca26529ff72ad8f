"""The pure loyalty rules: exact Decimal values, no database."""

from dataclasses import replace
from datetime import datetime, time
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty.rules import (
    CENT,
    CardState,
    CategoryRule,
    InsufficientPoints,
    InvalidInput,
    Kind,
    LevelRule,
    Line,
    Lot,
    NegativeRedeem,
    Policy,
    ProgrammeRules,
    Quote,
    RedeemLimitExceeded,
    RuleError,
    TimeWindowRule,
    UnknownCategory,
    burning_within,
    card_percent,
    consume_oldest_first,
    cost_share,
    design_scale,
    expired_lots,
    inactivity_step,
    level_after_refund,
    level_by_name,
    level_for_spend,
    line_percent,
    next_level,
    points_multiplier,
    quote,
    required_volume,
    round_down,
    round_money,
    round_up_to_round_number,
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


# --- rounding ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "money", "down"),
    [
        ("0.005", "0.01", "0.00"),
        ("0.00149", "0.00", "0.00"),
        ("2.985", "2.99", "2.98"),
        ("0.149", "0.15", "0.14"),
        ("0.4995", "0.50", "0.49"),
        ("12", "12.00", "12.00"),
    ],
)
def test_rounding(x, money, down):
    assert round_money(D(x)) == D(money) and is_cents(round_money(D(x)))
    assert round_down(D(x)) == D(down) and is_cents(round_down(D(x)))


# --- levels -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spend", "level", "percent"),
    [
        ("0", None, "0"),
        ("299.99", None, "0"),
        ("300.00", "Silver", "2"),
        ("699.99", "Silver", "2"),
        ("700", "Gold", "5"),
        ("1499.99", "Gold", "5"),
        ("1500", "Platinum", "7"),
        ("99999", "Platinum", "7"),
    ],
)
def test_level_for_spend_and_percent(spend, level, percent):
    reached = level_for_spend(DEMO, D(spend))
    assert (reached.name if reached else None) == level
    assert card_percent(DEMO, level) == D(percent)


@pytest.mark.parametrize(
    ("level", "spend", "expected"),
    [
        (None, "0.00", ("Silver", "300.00")),
        (None, "299.99", ("Silver", "0.01")),
        ("Silver", "300.00", ("Gold", "400.00")),
        ("Gold", "812.00", ("Platinum", "688.00")),
        ("Gold", "1600.00", ("Platinum", "0.00")),  # never negative
        ("Platinum", "2000.00", None),
    ],
)
def test_next_level(level, spend, expected):
    result = next_level(DEMO, level, D(spend))
    assert (None if result is None else (result[0].name, result[1])) == (
        None if expected is None else (expected[0], D(expected[1]))
    )
    if result is not None:
        assert is_cents(result[1])


@pytest.mark.parametrize(
    ("kind", "base", "level", "percent"),
    [
        (Kind.FIXED, "5", None, "5"),
        (Kind.FIXED, "5", "Platinum", "5"),  # a fixed programme ignores levels
        (Kind.CUMULATIVE, "1", None, "1"),
        (Kind.CUMULATIVE, "1", "Gold", "5"),
        (Kind.MIXED, "3", None, "3"),
        (Kind.MIXED, "3", "Silver", "3"),  # the fixed base is a floor
        (Kind.MIXED, "3", "Gold", "5"),
        (Kind.CUMULATIVE, "0", "Renamed", "0"),  # a level the programme no longer knows: base
    ],
)
def test_card_percent_by_kind(kind, base, level, percent):
    p = ProgrammeRules(kind=kind, base_percent=D(base), levels=LEVELS)
    assert card_percent(p, level) == D(percent)


def test_level_by_name_and_fixed_programme_has_no_next_level():
    assert level_by_name(DEMO, "Gold") == LevelRule("Gold", D("700"), D("5"))
    assert level_by_name(DEMO, None) is None
    assert level_by_name(DEMO, "Bronze") is None
    assert next_level(ProgrammeRules(kind=Kind.FIXED, base_percent=D("5"), levels=LEVELS), None, D("0")) is None


# --- line percent and windows -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "base", "at", "percent"),
    [
        ("dairy", "5", AT, "5"),
        ("dairy", "5", MONDAY, "10"),
        ("tobacco", "5", MONDAY, "0"),
        ("baby", "7", AT, "3"),
        ("baby", "2", AT, "2"),  # the cap only lowers
        ("wine", "7", MONDAY, "10"),
        ("dairy", "18", MONDAY, "20"),  # the ceiling binds windows too
    ],
)
def test_line_percent(category, base, at, percent):
    assert line_percent(WINDOWED, CATEGORIES[category], D(base), at) == D(percent)


def test_line_percent_never_negative():
    sour = ProgrammeRules(kind=Kind.FIXED, windows=(TimeWindowRule(frozenset({0}), time(0), time(23), D("-5")),))
    assert line_percent(sour, CATEGORIES["dairy"], D("2"), MONDAY) == D("0")


@pytest.mark.parametrize(
    ("at", "multiplier"),
    [(MONDAY, "2"), (TUESDAY, "1"), (datetime(2025, 3, 3, 12, 0), "1")],
)
def test_points_multiplier(at, multiplier):
    assert points_multiplier(WINDOWED, at) == D(multiplier)


def test_points_multipliers_of_overlapping_windows_multiply():
    both = replace(WINDOWED, windows=(MORNING, MORNING))
    assert points_multiplier(both, MONDAY) == D("4")


# --- quote ------------------------------------------------------------------------------------


def test_quote_api_example():
    assert MONDAY.weekday() == 0
    q = quote(DEMO, card("Gold", "812.00", "120.00"), [line("dairy", "2", "1.49", "MILK-1L")], CATEGORIES, AT)
    assert_invariants(q)
    assert (q.subtotal, q.discount_total, q.points_redeemed, q.total_due) == (D("2.98"), D("0.14"), D("0"), D("2.84"))
    assert (q.points_earned, q.max_redeemable_points) == (D("0.14"), D("0.56"))
    (ql,) = q.lines
    assert (ql.sku, ql.quantity, ql.unit_price, ql.subtotal) == ("MILK-1L", D("2"), D("1.49"), D("2.98"))
    assert (ql.discount_percent, ql.discount_amount, ql.total) == (D("5"), D("0.14"), D("2.84"))
    assert (q.card_percent, q.level_before, q.level_after, q.spend_after) == (D("5"), "Gold", "Gold", D("814.84"))


@pytest.mark.parametrize(
    ("level", "lines", "discount", "due", "earned"),
    [
        # excluded: no discount, but still earns when the category earns
        ("Gold", [line("tobacco", "1", "10.00")], "0.00", "10.00", "0.50"),
        ("Gold", [line("promo", "1", "10.00")], "0.00", "10.00", "0.00"),
        # only the earning line earns: 9.50 * 5 % = 0.475 -> 0.47
        ("Gold", [line("dairy", "1", "10.00"), line("promo", "1", "10.00")], "0.50", "19.50", "0.47"),
        # capped at 3 % with a 7 % card; a cap above the card percent changes nothing
        ("Platinum", [line("baby", "1", "100.00")], "3.00", "97.00", "4.85"),
        ("Platinum", [line("wine", "1", "100.00")], "7.00", "93.00", "4.65"),
        # one cent at 7 %: 0.0007 rounds down to nothing, and so do the points
        ("Platinum", [line("dairy", "1", "0.01")], "0.00", "0.01", "0.00"),
        # weighed goods: 0.00149 is no money; 0.005 rounds half-up to a cent; 0.4995 -> 0.50
        ("Platinum", [line("dairy", "0.001", "1.49")], "0.00", "0.00", "0.00"),
        ("Silver", [line("dairy", "0.005", "1.00")], "0.00", "0.01", "0.00"),
        ("Silver", [line("dairy", "0.333", "1.50")], "0.01", "0.49", "0.02"),
        # only excluded lines: nothing off, the customer pays the subtotal
        ("Platinum", [line("tobacco", "2", "7.35"), line("promo", "1", "3.10")], "0.00", "17.80", "0.73"),
        # per line rounding: 3 x 0.33 at 5 % each -> 0.01 + 0.01 + 0.01, not round_down(0.99 * 5 %) = 0.04
        ("Gold", [line("dairy", "1", "0.33")] * 3, "0.03", "0.96", "0.04"),
    ],
)
def test_quote_lines(level, lines, discount, due, earned):
    q = quote(DEMO, card(level, "2000.00", "50.00"), lines, CATEGORIES, AT)
    assert_invariants(q)
    assert (q.discount_total, q.total_due, q.points_earned) == (D(discount), D(due), D(earned))


def test_quote_only_excluded_lines_total_due_is_subtotal():
    q = quote(DEMO, card("Platinum", "2000.00"), [line("tobacco", "2", "7.35")], CATEGORIES, AT)
    assert (q.subtotal, q.discount_total, q.total_due) == (D("14.70"), D("0.00"), D("14.70"))


def test_quote_ceiling_binds_a_fixed_programme():
    generous = ProgrammeRules(kind=Kind.FIXED, base_percent=D("25"), ceiling_percent=D("20"))
    q = quote(generous, card(), [line("dairy", "1", "100.00")], CATEGORIES, AT)
    assert (q.card_percent, q.lines[0].discount_percent, q.discount_total) == (D("25"), D("20"), D("20.00"))
    justified = ProgrammeRules(kind=Kind.FIXED, base_percent=D("25"), ceiling_percent=D("30"))
    assert quote(justified, card(), [line("dairy", "1", "100.00")], CATEGORIES, AT).discount_total == D("25.00")


@pytest.mark.parametrize(
    ("at", "percent", "discount", "earned"),
    [
        (datetime(2025, 3, 3, 9, 0), "10", "10.00", "9.00"),  # start inclusive, double points on 90.00
        (datetime(2025, 3, 3, 11, 59, 59), "10", "10.00", "9.00"),
        (datetime(2025, 3, 3, 12, 0), "5", "5.00", "4.75"),  # end exclusive
        (datetime(2025, 3, 3, 8, 59), "5", "5.00", "4.75"),
        (TUESDAY, "5", "5.00", "4.75"),
    ],
)
def test_quote_time_window(at, percent, discount, earned):
    q = quote(WINDOWED, card("Gold", "800.00"), [line("dairy", "1", "100.00")], CATEGORIES, at)
    assert_invariants(q)
    assert (q.lines[0].discount_percent, q.discount_total, q.points_earned) == (D(percent), D(discount), D(earned))
    assert q.card_percent == D("5")  # the card's own percent does not include the window


@pytest.mark.parametrize(
    ("balance", "redeem", "redeemed_amount", "due", "earned"),
    [
        ("120.00", "0", "0.00", "95.00", "4.75"),
        ("120.00", "19.00", "19.00", "76.00", "3.80"),  # exactly the cap; 76.00 paid earns, 19.00 in points not
        ("120.00", "10.50", "10.50", "84.50", "4.22"),
        ("19.00", "19.00", "19.00", "76.00", "3.80"),  # exactly the balance
    ],
)
def test_quote_redeem(balance, redeem, redeemed_amount, due, earned):
    # 100.00 at Gold: 95.00 after discount, at most 20 % of it = 19.00 points
    q = quote(DEMO, card("Gold", "812.00", balance), [line()], CATEGORIES, AT, D(redeem))
    assert_invariants(q)
    assert q.max_redeemable_points == D("19.00")
    assert (q.points_redeemed, q.points_redeemed_amount) == (D(redeem), D(redeemed_amount))
    assert (q.total_due, q.points_earned) == (D(due), D(earned))
    assert q.spend_after == D("812.00") + D(due)  # points paid do not count as spend


@pytest.mark.parametrize(
    ("balance", "redeem", "error", "code"),
    [
        ("120.00", "19.01", RedeemLimitExceeded, "redeem_limit_exceeded"),
        ("10.00", "10.01", InsufficientPoints, "insufficient_points"),
        ("30.00", "40.00", InsufficientPoints, "insufficient_points"),  # above both: the balance is checked first
        ("30.00", "25.00", RedeemLimitExceeded, "redeem_limit_exceeded"),
        ("30.00", "-0.01", NegativeRedeem, "invalid_input"),
        ("30.00", "0.005", InvalidInput, "invalid_input"),
    ],
)
def test_quote_redeem_refused(balance, redeem, error, code):
    with pytest.raises(error) as exc:
        quote(DEMO, card("Gold", "812.00", balance), [line()], CATEGORIES, AT, D(redeem))
    assert isinstance(exc.value, RuleError) and exc.value.code == code


def test_quote_max_redeemable_is_the_balance_when_smaller():
    q = quote(DEMO, card("Gold", "812.00", "7.25"), [line()], CATEGORIES, AT)
    assert q.max_redeemable_points == D("7.25")


def test_quote_points_paid_earn_nothing_even_with_non_earning_lines():
    # 95.00 earning + 20.00 promo = 115.00; 23.00 in points pays 20 % of it, so 80 % of the 95.00 earns
    lines = [line("dairy", "1", "100.00"), line("promo", "1", "20.00")]
    q = quote(DEMO, card("Gold", "812.00", "100.00"), lines, CATEGORIES, AT, D("23.00"))
    assert_invariants(q)
    assert (q.max_redeemable_points, q.total_due, q.points_earned) == (D("23.00"), D("92.00"), D("3.80"))


def test_quote_point_worth_half_a_unit():
    half = replace(DEMO, point_value=D("0.50"))
    q = quote(half, card("Gold", "812.00", "100.00"), [line()], CATEGORIES, AT, D("37.99"))
    assert_invariants(q)
    # cap 19.00 of money = 38.00 points; 37.99 points = 18.995 -> 18.99 (the shop never over-gives)
    assert (q.max_redeemable_points, q.points_redeemed_amount, q.total_due) == (D("38.00"), D("18.99"), D("76.01"))


def test_quote_without_card():
    q = quote(WINDOWED, None, [line("dairy", "2", "1.49")], CATEGORIES, MONDAY)
    assert_invariants(q)
    assert (q.subtotal, q.discount_total, q.total_due) == (D("2.98"), D("0.00"), D("2.98"))
    assert (q.points_earned, q.max_redeemable_points, q.card_percent) == (D("0.00"), D("0.00"), D("0"))
    assert (q.level_before, q.level_after, q.spend_after) == (None, None, D("0.00"))
    assert q.lines[0].discount_percent == D("0")  # not even the time window
    with pytest.raises(InsufficientPoints):
        quote(WINDOWED, None, [line()], CATEGORIES, MONDAY, D("0.01"))


@pytest.mark.parametrize(
    ("level", "spend", "price", "percent", "spend_after", "level_after"),
    [
        (None, "250.00", "500.00", "0", "750.00", "Gold"),  # crosses 300 and 700 in one purchase
        (None, "250.00", "50.00", "0", "300.00", "Silver"),  # threshold inclusive
        ("Silver", "690.00", "100.00", "2", "788.00", "Gold"),  # discounted at Silver, the level before
        ("Silver", "1400.00", "1000.00", "2", "2380.00", "Platinum"),
        ("Gold", "100.00", "10.00", "5", "109.50", "Gold"),  # a purchase never lowers the stored level
    ],
)
def test_quote_level_after(level, spend, price, percent, spend_after, level_after):
    q = quote(DEMO, card(level, spend), [line("dairy", "1", price)], CATEGORIES, AT)
    assert_invariants(q)
    assert (q.card_percent, q.lines[0].discount_percent) == (D(percent), D(percent))
    assert (q.level_before, q.level_after, q.spend_after) == (level, level_after, D(spend_after))


def test_quote_fixed_programme_keeps_the_stored_level():
    fixed = ProgrammeRules(kind=Kind.FIXED, base_percent=D("5"), levels=LEVELS)
    q = quote(fixed, card(None, "0.00"), [line("dairy", "1", "5000.00")], CATEGORIES, AT)
    assert (q.level_after, q.spend_after, q.discount_total) == (None, D("4750.00"), D("250.00"))


@pytest.mark.parametrize(
    ("lines", "error", "code"),
    [
        ([line("bakery")], UnknownCategory, "unknown_category"),
        ([line(quantity="0")], InvalidInput, "invalid_input"),
        ([line(quantity="-1")], InvalidInput, "invalid_input"),
        ([line(price="-0.01")], InvalidInput, "invalid_input"),
        ([line(price="NaN")], InvalidInput, "invalid_input"),
    ],
)
def test_quote_bad_lines(lines, error, code):
    with pytest.raises(error) as exc:
        quote(DEMO, card("Gold"), lines, CATEGORIES, AT)
    assert exc.value.code == code


# --- quote properties -------------------------------------------------------------------------

percents = st.integers(min_value=0, max_value=3000).map(lambda n: D(n) / 100)
money = st.integers(min_value=1, max_value=99999).map(lambda n: (D(n) / 100).quantize(CENT))
quantities = st.integers(min_value=1, max_value=100000).map(lambda n: D(n) / 1000)
codes = ("a", "b", "c", "d")
category_rules = st.fixed_dictionaries(
    {
        code: st.builds(
            CategoryRule,
            code=st.just(code),
            policy=st.sampled_from([Policy.NORMAL, Policy.EXCLUDED, Policy.CAPPED]),
            max_percent=st.none() | percents,
            earns_points=st.booleans(),
        )
        for code in codes
    }
)
windows = st.builds(
    TimeWindowRule,
    weekdays=st.frozensets(st.integers(0, 6)),
    start=st.times(),
    end=st.times(),
    extra_percent=st.integers(0, 1000).map(lambda n: D(n) / 100),
    points_multiplier=st.sampled_from([D("1"), D("1.5"), D("2"), D("3")]),
)
programmes = st.builds(
    ProgrammeRules,
    kind=st.sampled_from([Kind.FIXED, Kind.CUMULATIVE, Kind.MIXED]),
    base_percent=percents,
    levels=st.just(LEVELS),
    ceiling_percent=percents,
    earn_percent=st.integers(0, 1000).map(lambda n: D(n) / 100),
    point_value=st.sampled_from([D("0.10"), D("0.50"), D("1.00"), D("2.00")]),
    redeem_cap_percent=st.integers(0, 100).map(D),
    windows=st.lists(windows, max_size=2).map(tuple),
)
cards = st.builds(
    CardState,
    level=st.sampled_from([None, "Silver", "Gold", "Platinum"]),
    spend=st.integers(0, 500000).map(lambda n: (D(n) / 100).quantize(CENT)),
    points_balance=st.integers(0, 100000).map(lambda n: (D(n) / 100).quantize(CENT)),
)
receipts = st.lists(
    st.builds(Line, sku=st.just("X"), category=st.sampled_from(codes), quantity=quantities, unit_price=money),
    min_size=1,
    max_size=20,
)


@settings(deadline=None)
@given(
    p=programmes,
    c=st.none() | cards,
    lines=receipts,
    categories=category_rules,
    at=st.datetimes(),
    redeem_share=st.integers(0, 100),
)
def test_quote_invariants_hold_for_any_receipt(p, c, lines, categories, at, redeem_share):
    limit = quote(p, c, lines, categories, at).max_redeemable_points
    redeem = (limit * redeem_share / 100).quantize(CENT, rounding=ROUND_DOWN)
    q = quote(p, c, lines, categories, at, redeem)
    assert_invariants(q)
    assert q.discount_total <= (q.subtotal * p.ceiling_percent / 100).quantize(CENT, rounding=ROUND_CEILING)
    assert all(ln.discount_percent <= p.ceiling_percent for ln in q.lines)
    assert q.total_due >= 0 and q.points_earned >= 0
    assert q.max_redeemable_points <= (c.points_balance if c else 0)
    # points are earned only on money paid, never on more than all of it
    earned_at_most = q.total_due * p.earn_percent * points_multiplier(p, at) / 100
    assert q.points_earned <= earned_at_most
    if c is None:
        assert (q.discount_total, q.points_earned, q.total_due) == (D("0.00"), D("0.00"), q.subtotal)
    elif p.kind != Kind.FIXED:
        ranks = [None, "Silver", "Gold", "Platinum"]
        assert ranks.index(q.level_after) >= ranks.index(q.level_before)  # a purchase never lowers


# --- refunds and inactivity -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "spend_after", "expected"),
    [
        ("Gold", "800.00", "Gold"),
        ("Gold", "700.00", "Gold"),
        ("Gold", "699.99", "Silver"),
        ("Gold", "100.00", None),
        ("Silver", "1600.00", "Silver"),  # a refund never raises
        (None, "5000.00", None),
    ],
)
def test_level_after_refund(level, spend_after, expected):
    assert level_after_refund(DEMO, level, D(spend_after)) == expected


def test_level_after_refund_fixed_programme_keeps_level():
    fixed = ProgrammeRules(kind=Kind.FIXED, base_percent=D("5"), levels=LEVELS)
    assert level_after_refund(fixed, "Gold", D("0")) == "Gold"


@pytest.mark.parametrize(
    ("action", "level", "expected_level", "expected_spend"),
    [
        ("step_down", "Platinum", "Gold", "700"),
        ("step_down", "Gold", "Silver", "300"),
        ("step_down", "Silver", None, "0"),
        ("step_down", None, None, "0"),
        ("reset", "Platinum", None, "0"),
        ("reset", None, None, "0"),
    ],
)
def test_inactivity_step(action, level, expected_level, expected_spend):
    p = replace(DEMO, inactivity_action=action)
    assert inactivity_step(p, level) == (expected_level, D(expected_spend))


# --- point lots -------------------------------------------------------------------------------

LOTS = (
    Lot(1, D("7.00"), None),  # never burns: used last despite the smallest id
    Lot(2, D("5.00"), datetime(2025, 3, 5, 12, 0)),
    Lot(3, D("10.00"), datetime(2025, 3, 10, 10, 0)),
    Lot(4, D("0.00"), datetime(2025, 3, 1, 0, 0)),  # spent already
    Lot(5, D("3.00"), datetime(2025, 3, 5, 9, 0)),
    Lot(6, D("4.00"), datetime(2025, 3, 5, 12, 0)),  # same expiry as lot 2: the lower id first
)


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0", []),
        ("2.50", [(5, "2.50")]),
        ("3.00", [(5, "3.00")]),
        ("4.00", [(5, "3.00"), (2, "1.00")]),
        ("12.00", [(5, "3.00"), (2, "5.00"), (6, "4.00")]),
        ("29.00", [(5, "3.00"), (2, "5.00"), (6, "4.00"), (3, "10.00"), (1, "7.00")]),
    ],
)
def test_consume_oldest_first(amount, expected):
    assert consume_oldest_first(LOTS, D(amount)) == [(lot_id, D(taken)) for lot_id, taken in expected]


def test_consume_more_than_the_lots_hold():
    with pytest.raises(InsufficientPoints):
        consume_oldest_first(LOTS, D("29.01"))
    with pytest.raises(InvalidInput):
        consume_oldest_first(LOTS, D("-1"))


lot_specs = st.lists(st.tuples(st.integers(0, 10000), st.none() | st.integers(0, 30)), min_size=1, max_size=10)


@given(specs=lot_specs, share=st.integers(0, 100))
def test_consume_takes_exactly_the_amount_oldest_first(specs, share):
    lots = [Lot(i, D(c) / 100, None if d is None else datetime(2025, 1, 1 + d)) for i, (c, d) in enumerate(specs)]
    amount = (sum((lot.remaining for lot in lots), D(0)) * share / 100).quantize(CENT, rounding=ROUND_DOWN)
    taken = consume_oldest_first(lots, amount)
    by_id = {lot.lot_id: lot for lot in lots}
    assert sum((t for _, t in taken), D(0)) == amount
    assert all(0 < t <= by_id[i].remaining for i, t in taken)
    # every lot but the last one touched is emptied, and they are touched soonest-to-burn first
    assert all(t == by_id[i].remaining for i, t in taken[:-1])
    keys = [(by_id[i].expires_at is None, by_id[i].expires_at or datetime.min, i) for i, _ in taken]
    assert keys == sorted(keys)
    assert len({i for i, _ in taken}) == len(taken)


@pytest.mark.parametrize(
    ("at", "expected_ids"),
    [
        (datetime(2025, 3, 5, 8, 59), []),
        (datetime(2025, 3, 5, 9, 0), [5]),  # the expiry moment itself burns
        (datetime(2025, 3, 5, 12, 0), [2, 5, 6]),
        (datetime(2030, 1, 1), [2, 3, 5, 6]),  # lot 1 never burns, lot 4 is empty
    ],
)
def test_expired_lots(at, expected_ids):
    assert [lot.lot_id for lot in expired_lots(LOTS, at)] == expected_ids


@pytest.mark.parametrize(
    ("at", "days", "expected"),
    [
        (datetime(2025, 3, 1), 7, [(datetime(2025, 3, 5, 9, 0), "12.00")]),  # one row per day, summed
        (
            datetime(2025, 3, 1),
            10,
            [(datetime(2025, 3, 5, 9, 0), "12.00"), (datetime(2025, 3, 10, 10, 0), "10.00")],
        ),
        (datetime(2025, 3, 5, 9, 0), 1, [(datetime(2025, 3, 5, 12, 0), "9.00")]),  # `at` itself excluded
        (datetime(2025, 3, 3, 10, 0), 7, [(datetime(2025, 3, 5, 9, 0), "12.00"), (datetime(2025, 3, 10, 10), "10.00")]),
        (datetime(2025, 3, 10, 10, 0), 365, []),
    ],
)
def test_burning_within(at, days, expected):
    assert burning_within(LOTS, at, days) == [(when, D(amount)) for when, amount in expected]


# --- designing a discount scale ---------------------------------------------------------------


def test_required_volume_worked_example():
    # domain.md: 10 000 a month at list price, markup 50 %, asking for 10 %
    step = required_volume(D("0.50"), D("10000"), D("10"))
    assert (step.list_volume_required, step.revenue_required) == (D("14285.71"), D("12857.14"))
    assert (step.growth_percent, step.revenue_growth_percent) == (D("42.9"), D("28.6"))
    assert step.published_volume == D("15000")
    assert (step.discount_percent, step.wanted_margin_increase) == (D("10"), D("0"))


def test_required_volume_from_a_current_discount():
    # already at 5 %: M0 = 10000 * (0.95 - 2/3) = 2833.33; L = 2833.33 / (0.9 - 2/3)
    step = required_volume(D("0.50"), D("10000"), D("10"), current_discount_percent=D("5"))
    assert (step.list_volume_required, step.revenue_required) == (D("12142.86"), D("10928.57"))
    assert (step.growth_percent, step.revenue_growth_percent, step.published_volume) == (
        D("21.4"),
        D("9.3"),
        D("13000"),
    )


def test_design_scale_three_steps():
    scale = design_scale(D("0.50"), D("10000"), [(D("5"), D("0")), (D("10"), D("0")), (D("15"), D("1000"))])
    assert [
        (s.list_volume_required, s.revenue_required, s.growth_percent, s.revenue_growth_percent, s.published_volume)
        for s in scale
    ] == [
        (D("11764.71"), D("11176.47"), D("17.6"), D("11.8"), D("12000")),
        (D("14285.71"), D("12857.14"), D("42.9"), D("28.6"), D("15000")),
        (D("23636.36"), D("20090.91"), D("136.4"), D("100.9"), D("24000")),
    ]


@pytest.mark.parametrize(("markup", "discount"), [("0.25", "20"), ("0.25", "25"), ("0.50", "40")])
def test_discount_exceeds_margin(markup, discount):
    with pytest.raises(RuleError) as exc:
        required_volume(D(markup), D("10000"), D(discount))
    assert exc.value.code == "discount_exceeds_margin"


@pytest.mark.parametrize(("markup", "share"), [("0.25", "0.8"), ("1", "0.5"), ("0", "1")])
def test_cost_share(markup, share):
    assert cost_share(D(markup)) == D(share)


@pytest.mark.parametrize(
    ("x", "published"),
    [
        ("14285.71", "15000"),
        ("14286", "15000"),
        ("1234", "1300"),
        ("15000", "15000"),
        ("87.2", "88"),
        ("100001", "110000"),
    ],
)
def test_round_up_to_round_number(x, published):
    assert round_up_to_round_number(D(x)) == D(published)
