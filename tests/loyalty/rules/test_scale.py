"""Discount-scale maths: the worked examples of domain.md (exact values, no database)."""

import pytest

from loyalty.rules import (
    RuleError,
    cost_share,
    design_scale,
    required_volume,
    round_up_to_round_number,
)
from tests.loyalty.rules.programmes import (
    D,
)


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
