"""The settlement's pure rules, as tables: conditions, tiers at their edges, per-unit amounts, caps."""

from decimal import Decimal as D

import pytest

from partners import rules
from partners.rules import Condition, Figures, Terms, Tier, UnitRate

RETRO_BONUS = (
    Condition(rules.PLAN, D("3"), plan=D("10000.00")),
    Condition(rules.ON_TIME, D("3")),
    Condition(rules.PRODUCT_LINE, D("2")),
)


@pytest.mark.parametrize(
    "late, line, percent, bonus",
    [
        (0, D("500.00"), D("8"), D("960.00")),  # the worked example: 3 + 3 + 2 = 8 %
        (1, D("500.00"), D("5"), D("600.00")),  # paid late: 3 + 2
        (0, D("0.00"), D("6"), D("720.00")),  # the chosen line not bought
        (2, D("0.00"), D("3"), D("360.00")),
    ],
)
def test_the_worked_example_adds_the_met_conditions(late, line, percent, bonus):
    figures = Figures(volume=D("12000.00"), late_receipts=late, line_volume=line)
    result = rules.settle(Terms(conditions=RETRO_BONUS), figures)
    assert (result.percent_earned, result.bonus) == (percent, bonus)
    assert sum(ln.amount for ln in result.lines) == bonus


def test_each_condition_shows_its_share_and_figure():
    result = rules.settle(Terms(conditions=RETRO_BONUS), Figures(volume=D("12000.00"), line_volume=D("1.00")))
    assert [(ln.label, ln.figure, ln.met, ln.amount) for ln in result.lines] == [
        ("Plan volume met", "12000.00 of 10000.00", True, D("360.00")),
        ("Paid on time", "all paid on time", True, D("360.00")),
        ("Chosen line bought", "1.00 bought", True, D("240.00")),
    ]


@pytest.mark.parametrize("volume, met", [(D("9999.99"), False), (D("10000.00"), True), (D("10000.01"), True)])
def test_the_plan_is_met_from_its_amount_on(volume, met):
    assert rules.condition_met(RETRO_BONUS[0], Figures(volume=volume))[0] is met


def test_shares_of_an_odd_total_add_up_to_it_exactly():
    conditions = (Condition(rules.PLAN, D("3"), plan=D("1000.00")), *RETRO_BONUS[1:])
    result = rules.settle(Terms(conditions=conditions), Figures(volume=D("1234.56"), line_volume=D("9.99")))
    assert result.bonus == D("98.76")  # 8 % of 1234.56 = 98.7648
    assert [ln.amount for ln in result.lines] == [D("37.04"), D("37.03"), D("24.69")]


@pytest.mark.parametrize(
    "last_year, met, figure",
    [
        (D("10000.00"), True, "20.00 % against 10000.00"),
        (D("10909.10"), True, "9.99 % against 10909.10"),  # rounded down: never met by rounding up
        (D("10909.09"), True, "10.00 % against 10909.09"),
        (D("0.00"), False, "no purchases in the same period last year"),
    ],
)
def test_growth_against_the_same_period_last_year(last_year, met, figure):
    condition = Condition(rules.GROWTH, D("1"), growth_percent=D("9.99"))
    assert rules.condition_met(condition, Figures(volume=D("12000.00"), last_year_volume=last_year)) == (met, figure)


def test_a_product_line_minimum_counts():
    condition = Condition(rules.PRODUCT_LINE, D("2"), minimum=D("100.00"))
    assert rules.condition_met(condition, Figures(volume=D("1"), line_volume=D("99.99")))[0] is False
    assert rules.condition_met(condition, Figures(volume=D("1"), line_volume=D("100.00")))[0] is True


TIERS = (Tier(D("0.00"), D("2")), Tier(D("10000.00"), D("3")), Tier(D("20000.00"), D("4")))


@pytest.mark.parametrize(
    "volume, retroactive, marginal",
    [
        (D("0.00"), D("0.00"), D("0.00")),
        (D("9999.99"), D("200.00"), D("200.00")),
        (D("10000.00"), D("300.00"), D("200.00")),  # the edge: the whole volume jumps to 3 % retroactively
        (D("15000.00"), D("450.00"), D("350.00")),
        (D("20000.00"), D("800.00"), D("500.00")),
        (D("25000.00"), D("1000.00"), D("700.00")),
    ],
)
def test_tiers_retroactive_against_marginal(volume, retroactive, marginal):
    assert rules.tiered_amount(TIERS, volume, rules.RETROACTIVE) == retroactive
    assert rules.tiered_amount(TIERS, volume, rules.MARGINAL) == marginal


def test_below_the_first_tier_earns_nothing():
    tiers = (Tier(D("5000.00"), D("2")),)
    assert rules.tiered_amount(tiers, D("4999.99"), rules.MARGINAL) == D("0.00")
    assert rules.tiered_amount(tiers, D("4999.99"), rules.RETROACTIVE) == D("0.00")
    assert rules.tiered_amount(tiers, D("6000.00"), rules.MARGINAL) == D("20.00")


@pytest.mark.parametrize(
    "volume, expected",
    [
        (D("6800.00"), (D("10000.00"), D("3200.00"))),  # 'sell 3,200.00 more for 3 %'
        (D("10000.00"), (D("20000.00"), D("10000.00"))),
        (D("20000.00"), None),
    ],
)
def test_progress_to_the_next_tier(volume, expected):
    found = rules.next_tier(TIERS, volume)
    assert (None if found is None else (found[0].threshold, found[1])) == expected


def test_per_unit_amounts_count_the_chosen_skus_only():
    terms = Terms(unit_rates=(UnitRate("DRILL-X", D("2.50")), UnitRate("SAW-Y", D("1.00"))))
    figures = Figures(volume=D("1000.00"), unit_quantities={"DRILL-X": D("12"), "OTHER": D("99")})
    result = rules.settle(terms, figures)
    assert [(ln.label, ln.amount, ln.met) for ln in result.lines] == [
        ("DRILL-X per unit", D("30.00"), True),
        ("SAW-Y per unit", D("0.00"), False),
    ]
    assert result.bonus == D("30.00")


@pytest.mark.parametrize(
    "cap, bonus, capped",
    [(None, D("1000.00"), False), (D("1000.00"), D("1000.00"), False), (D("750.00"), D("750.00"), True)],
)
def test_the_cap_limits_the_sum(cap, bonus, capped):
    terms = Terms(tiers=TIERS, tier_mode=rules.RETROACTIVE, cap=cap)
    result = rules.settle(terms, Figures(volume=D("25000.00")))
    assert result.bonus == bonus
    assert any(ln.kind == "cap" for ln in result.lines) is capped
    assert sum(ln.amount for ln in result.lines) == bonus
