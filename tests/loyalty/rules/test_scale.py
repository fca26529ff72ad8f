"""Discount-scale maths: the worked examples of domain.md (exact values, no database)."""

import pytest

from loyalty.rules import (
    RuleError,
    Volume,
    cost_share,
    design_scale,
    required_volume,
    round_up_to_round_number,
    today,
)
from tests.loyalty.rules.programmes import (
    D,
)


def test_required_volume_worked_example():
    # domain.md: pays 10 000 a month at 0 % (so 10 000 at list price), markup 50 %, asking for 10 %
    step = required_volume(D("0.50"), D("10000"), D("10"))
    assert (step.list_volume_required, step.revenue_required) == (D("14285.71"), D("12857.14"))
    assert (step.purchase_cost, step.margin) == (D("9523.81"), D("3333.33"))
    assert (step.growth_percent, step.list_growth_percent) == (D("28.6"), D("42.9"))  # "28.6 % more"
    # The threshold a level publishes counts what customers pay (12 857.14), rounded up: not the list 15 000
    # a customer who buys exactly the designed volume would never reach.
    assert step.published_volume == D("13000")
    assert (step.discount_percent, step.wanted_margin_increase) == (D("10"), D("0"))
    assert today(D("0.50"), D("10000")) == Volume(D("0"), D("10000.00"), D("10000.00"), D("6666.67"), D("3333.33"))


def test_required_volume_from_a_current_discount_grows_from_what_the_customer_pays():
    # pays 10 000 at 5 %: list 10 526.32, M0 = 10526.32 * (0.95 - 2/3) = 2982.46; L = 2982.46 / (0.9 - 2/3)
    step = required_volume(D("0.50"), D("10000"), D("10"), current_discount_percent=D("5"))
    assert (step.list_volume_required, step.revenue_required) == (D("12781.95"), D("11503.76"))
    assert (step.purchase_cost, step.margin) == (D("8521.30"), D("2982.46"))
    # 11 503.76 against the 10 000 they pay (not against a list volume of 10 000 they never paid)
    assert (step.growth_percent, step.list_growth_percent, step.published_volume) == (D("15.0"), D("21.4"), D("12000"))
    assert today(D("0.50"), D("10000"), D("5")) == Volume(
        D("5"), D("10526.32"), D("10000.00"), D("7017.54"), D("2982.46")
    )


def test_api_md_answer_example():
    # api.md: pays=40000&discount=2&markup=25&new_discount=4&extra_margin=0
    step = required_volume(D("0.25"), D("40000"), D("4"), D("0"), D("2"))
    assert (step.list_volume_required, step.revenue_required, step.growth_percent) == (
        D("45918.37"),
        D("44081.63"),
        D("10.2"),
    )
    assert (step.purchase_cost, step.margin) == (D("36734.69"), D("7346.94"))


def test_design_scale_three_steps():
    scale = design_scale(D("0.50"), D("10000"), [(D("5"), D("0")), (D("10"), D("0")), (D("15"), D("1000"))])
    assert [
        (s.list_volume_required, s.revenue_required, s.growth_percent, s.list_growth_percent, s.published_volume)
        for s in scale
    ] == [
        (D("11764.71"), D("11176.47"), D("11.8"), D("17.6"), D("12000")),
        (D("14285.71"), D("12857.14"), D("28.6"), D("42.9"), D("13000")),
        (D("23636.36"), D("20090.91"), D("100.9"), D("136.4"), D("21000")),
    ]


@pytest.mark.parametrize(("pays", "current"), [("0", "0"), ("-1", "0"), ("100", "100"), ("100", "-1")])
def test_what_the_customer_pays_and_their_discount_must_make_sense(pays, current):
    with pytest.raises(RuleError) as exc:
        required_volume(D("0.25"), D(pays), D("5"), current_discount_percent=D(current))
    assert exc.value.code == "invalid_input"


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
