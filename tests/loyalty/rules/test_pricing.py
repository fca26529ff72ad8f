"""Pricing a receipt: line percent, windows, the quote and its invariants (exact values, no database)."""

from dataclasses import replace
from datetime import datetime, time
from decimal import ROUND_CEILING, ROUND_DOWN

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
    Line,
    NegativeRedeem,
    Policy,
    ProgrammeRules,
    RedeemLimitExceeded,
    RuleError,
    TimeWindowRule,
    UnknownCategory,
    line_percent,
    points_multiplier,
    quote,
)
from tests.loyalty.rules.programmes import (
    AT,
    CATEGORIES,
    DEMO,
    LEVELS,
    MONDAY,
    MORNING,
    TUESDAY,
    WINDOWED,
    D,
    assert_invariants,
    card,
    line,
)


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
