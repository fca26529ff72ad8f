"""The promotions' pure rules: campaigns open on the store's clock, stacking, best-of, ceiling, excluded
categories, minimum basket, audience, amounts rounded so the shop never over-gives. No database."""

from datetime import date, datetime, time
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty.rules import CategoryRule, Policy, QuotedLine, TimeWindowRule
from promotions import rules

CATEGORIES = {
    "garden": CategoryRule("garden"),
    "dairy": CategoryRule("dairy"),
    "tobacco": CategoryRule("tobacco", Policy.EXCLUDED),
    "baby": CategoryRule("baby", Policy.CAPPED, D("3.00")),
}
JULY_1, JULY_7 = datetime(2027, 7, 1, 0, 0), datetime(2027, 7, 7, 23, 59)


def priced(sku="HOSE", category="garden", subtotal="10.00", card_percent="0", quantity="1") -> QuotedLine:
    sub = D(subtotal)
    card = (sub * D(card_percent) / 100).quantize(D("0.01"), rounding="ROUND_DOWN")
    return QuotedLine(
        sku=sku, name=sku, category=category, quantity=D(quantity), unit_price=sub / D(quantity), subtotal=sub,
        discount_percent=D(card_percent), discount_amount=card, total=sub - card, earns_points=True,
    )  # fmt: skip


def campaign(**kw) -> rules.CampaignRule:
    values = {"id": 1, "name": "Summer week", "starts": JULY_1, "ends": JULY_7, "benefit": rules.Benefit.PERCENT,
              "value": D("10")}  # fmt: skip
    return rules.CampaignRule(**(values | kw))


CARD_HOLDER = rules.Shopper(has_card=True, level="Gold", birthday=date(1950, 7, 20))


def promote(lines, campaigns=(), coupons=(), who=CARD_HOLDER, at=datetime(2027, 7, 3, 12, 0), ceiling="20",
            store="central"):  # fmt: skip
    return rules.promote(
        lines, CATEGORIES, card_percent=D("0"), ceiling=D(ceiling), campaigns=list(campaigns), coupons=list(coupons),
        who=who, store=store, local=at,
    )  # fmt: skip


def amounts(result) -> list[list[tuple[str, D]]]:
    return [[(p.source, p.amount) for p in parts] for parts in result.parts]


# --- dates at the edges, on the store's clock ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "open_"),
    [
        (datetime(2027, 6, 30, 23, 59, 59), False),  # the last second before
        (datetime(2027, 7, 1, 0, 0), True),  # the first minute
        (datetime(2027, 7, 7, 23, 59, 59), True),  # the last minute, to its last second
        (datetime(2027, 7, 8, 0, 0), False),
    ],
)
def test_a_campaign_runs_from_its_first_to_its_last_minute(at, open_):
    result = promote([priced()], [campaign()], at=at)
    assert amounts(result) == ([[("campaign", D("1.00"))]] if open_ else [[]])


def test_why_a_campaign_is_closed():
    c = campaign(stores=frozenset({"central"}))
    assert rules.closed_at(c, "central", datetime(2027, 6, 30, 23, 59)).reason == "not_yet_valid"
    assert rules.closed_at(c, "central", datetime(2027, 7, 8, 0, 0)).reason == "expired"
    assert rules.closed_at(c, "riverside", datetime(2027, 7, 3)).reason == "not_applicable"
    assert rules.closed_at(c, "central", datetime(2027, 7, 3)) is None


def test_hours_past_midnight_belong_to_the_window_that_started_the_day_before():
    friday_night = campaign(windows=(TimeWindowRule(frozenset({4}), time(22), time(2)),))  # 2027-07-02 is a Friday
    assert amounts(promote([priced()], [friday_night], at=datetime(2027, 7, 3, 1, 30))) == [[("campaign", D("1.00"))]]
    assert amounts(promote([priced()], [friday_night], at=datetime(2027, 7, 3, 23, 0))) == [[]]


# --- coverage, excluded categories, minimum basket ----------------------------------------------------------


def test_excluded_categories_stay_excluded_even_from_a_campaign_on_everything():
    result = promote([priced(), priced("CIGS", "tobacco")], [campaign()])
    assert amounts(result) == [[("campaign", D("1.00"))], []]


def test_a_campaign_on_categories_or_skus_covers_only_those():
    by_category = campaign(scope=rules.Scope.CATEGORIES, categories=frozenset({"garden"}))
    by_sku = campaign(scope=rules.Scope.SKUS, skus=frozenset({"MILK"}))
    lines = [priced(), priced("MILK", "dairy", "4.00")]
    assert amounts(promote(lines, [by_category])) == [[("campaign", D("1.00"))], []]
    assert amounts(promote(lines, [by_sku])) == [[], [("campaign", D("0.40"))]]


def test_the_minimum_basket_counts_the_whole_receipt_before_discounts():
    c = campaign(min_basket=D("20.00"))
    assert amounts(promote([priced(subtotal="19.99")], [c])) == [[]]
    assert amounts(promote([priced(subtotal="20.00")], [c])) == [[("campaign", D("2.00"))]]


# --- audience -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("audience", "extra", "who", "applies"),
    [
        (rules.Audience.EVERYONE, {}, rules.Shopper(), True),
        (rules.Audience.CARD_HOLDERS, {}, rules.Shopper(), False),
        (rules.Audience.CARD_HOLDERS, {}, CARD_HOLDER, True),
        (rules.Audience.LEVELS, {"levels": frozenset({"Gold"})}, CARD_HOLDER, True),
        (rules.Audience.LEVELS, {"levels": frozenset({"Silver"})}, CARD_HOLDER, False),
        (rules.Audience.BIRTHDAY_MONTH, {}, CARD_HOLDER, True),  # born in July
        (rules.Audience.BIRTHDAY_MONTH, {}, rules.Shopper(has_card=True, birthday=date(1950, 8, 1)), False),
        (rules.Audience.BIRTHDAY_MONTH, {}, rules.Shopper(has_card=True), False),  # no birthday on file
        (rules.Audience.MIN_AGE, {"min_age": 77}, CARD_HOLDER, True),  # 77 today
        (rules.Audience.MIN_AGE, {"min_age": 78}, CARD_HOLDER, False),
    ],
)
def test_audience(audience, extra, who, applies):
    c = campaign(audience=audience, ends=datetime(2027, 7, 31, 23, 59), **extra)
    at = datetime(2027, 7, 20, 9, 0)  # the 77th birthday of CARD_HOLDER
    assert amounts(promote([priced()], [c], who=who, at=at)) == ([[("campaign", D("1.00"))]] if applies else [[]])


def test_age_counts_from_the_birthday():
    assert (rules.age_on(date(1950, 7, 20), date(2027, 7, 19)), rules.age_on(date(1950, 7, 20), date(2027, 7, 20))) == (
        76,
        77,
    )


# --- stacking, best of, ceiling -----------------------------------------------------------------------------


def test_stack_adds_to_the_card_discount():
    result = promote([priced(card_percent="5")], [campaign()])
    assert amounts(result) == [[("card", D("0.50")), ("campaign", D("1.00"))]]
    assert (result.lines[0].discount_amount, result.lines[0].total, result.lines[0].discount_percent) == (
        D("1.50"),
        D("8.50"),
        D("15.00"),
    )


def test_best_of_takes_the_campaign_only_where_it_gives_more():
    best = campaign(combine=rules.Combine.BEST, value=D("6"))
    result = promote([priced(card_percent="5"), priced("MILK", "dairy", card_percent="7")], [best])
    assert amounts(result) == [[("campaign", D("0.60"))], [("card", D("0.70"))]]


def test_the_ceiling_trims_the_campaign_never_the_card():
    result = promote([priced(card_percent="15")], [campaign()])
    assert amounts(result) == [[("card", D("1.50")), ("campaign", D("0.50"))]]
    assert result.parts[0][1].percent == D("5.00")  # trimmed: the percent actually given


def test_a_capped_category_caps_the_campaign_too():
    assert amounts(promote([priced("NAPPIES", "baby")], [campaign()])) == [[("campaign", D("0.30"))]]


def test_a_justified_campaign_goes_beyond_the_ceiling_but_never_beyond_the_price():
    clearance = campaign(value=D("70"), beyond_ceiling=True)
    assert amounts(promote([priced(card_percent="5")], [clearance])) == [[("card", D("0.50")), ("campaign", D("7.00"))]]
    free = campaign(benefit=rules.Benefit.AMOUNT_PER_LINE, value=D("50"), beyond_ceiling=True)
    assert amounts(promote([priced(card_percent="5")], [free])) == [[("card", D("0.50")), ("campaign", D("9.50"))]]


def test_of_two_automatic_campaigns_the_line_gets_the_better():
    small, big = campaign(id=1, value=D("5")), campaign(id=2, name="Big", value=D("8"))
    result = promote([priced()], [small, big])
    assert [[(p.name, p.amount) for p in parts] for parts in result.parts] == [[("Big", D("0.80"))]]


# --- benefits and rounding ----------------------------------------------------------------------------------


def test_a_receipt_amount_is_shared_by_subtotal_rounded_down_and_adds_up():
    five_off = campaign(benefit=rules.Benefit.AMOUNT_PER_RECEIPT, value=D("5.00"), beyond_ceiling=True)
    lines = [priced("A", subtotal="10.00"), priced("B", subtotal="10.00"), priced("C", subtotal="10.00")]
    result = promote(lines, [five_off])
    assert amounts(result) == [[("campaign", D("1.67"))], [("campaign", D("1.67"))], [("campaign", D("1.66"))]]
    assert sum(ln.discount_amount for ln in result.lines) == D("5.00")


def test_a_receipt_amount_never_exceeds_what_it_covers():
    five_off = campaign(benefit=rules.Benefit.AMOUNT_PER_RECEIPT, value=D("5.00"), beyond_ceiling=True)
    assert amounts(promote([priced(subtotal="3.00")], [five_off])) == [[("campaign", D("3.00"))]]


def test_a_fixed_price_never_raises_a_price():
    fixed = campaign(benefit=rules.Benefit.FIXED_PRICE, value=D("2.49"), beyond_ceiling=True)
    lines = [priced(subtotal="9.00", quantity="3"), priced("CHEAP", subtotal="2.00", quantity="1")]
    assert amounts(promote(lines, [fixed])) == [[("campaign", D("1.53"))], []]


# --- coupons ------------------------------------------------------------------------------------------------


def test_a_coupon_unlocks_its_campaign_and_says_what_it_gave():
    locked = campaign(needs_coupon=True, benefit=rules.Benefit.AMOUNT_PER_RECEIPT, value=D("1.00"))
    assert amounts(promote([priced()], [locked])) == [[]]  # not without the coupon
    result = promote([priced()], [locked], coupons=[rules.CouponOffer("ABCDE", locked)])
    assert amounts(result) == [[("coupon", D("1.00"))]]
    assert (result.coupon_discounts, result.refusals) == ({"ABCDE": D("1.00")}, {})


@pytest.mark.parametrize(
    ("kw", "at", "reason"),
    [
        ({}, datetime(2027, 7, 8, 0, 0), "expired"),
        ({}, datetime(2027, 6, 30, 23, 59), "not_yet_valid"),
        ({"min_basket": D("50")}, datetime(2027, 7, 3), "minimum_not_met"),
        ({"scope": rules.Scope.SKUS, "skus": frozenset({"X"})}, datetime(2027, 7, 3), "not_applicable"),
        ({"audience": rules.Audience.CARD_HOLDERS}, datetime(2027, 7, 3), "not_applicable"),
    ],
)
def test_a_coupon_that_cannot_apply_says_why_and_gives_nothing(kw, at, reason):
    locked = campaign(needs_coupon=True, **kw)
    result = promote([priced()], coupons=[rules.CouponOffer("ABCDE", locked)], who=rules.Shopper(), at=at)
    assert (result.refusals["ABCDE"].reason, amounts(result), result.coupon_discounts) == (reason, [[]], {})


def test_a_coupon_the_ceiling_leaves_no_room_for_is_refused():
    locked = campaign(needs_coupon=True)
    result = promote([priced(card_percent="20")], coupons=[rules.CouponOffer("ABCDE", locked)])
    assert result.refusals["ABCDE"].reason == "not_applicable"
    assert amounts(result) == [[("card", D("2.00"))]]


def test_codes_carry_a_check_character_that_catches_a_typo():
    code = rules.new_code()
    assert len(code) == 10 and rules.is_well_formed(code) and rules.is_well_formed(rules.printed(code).lower())
    for i in range(10):  # every single wrong character is caught
        for wrong in rules.codes.ALPHABET:
            if wrong != code[i]:
                assert not rules.is_well_formed(code[:i] + wrong + code[i + 1 :])


def test_codes_are_not_sequential():
    codes = [rules.new_code() for _ in range(1000)]
    assert len(set(codes)) == 1000 and codes != sorted(codes)


# --- the ceiling, as a property -----------------------------------------------------------------------------

money = st.decimals(min_value=D("0.01"), max_value=D("5000"), places=2)
percent = st.decimals(min_value=D("0"), max_value=D("100"), places=2)


@given(
    subtotals=st.lists(money, min_size=1, max_size=6),
    card_percent=st.decimals(min_value=D("0"), max_value=D("20"), places=2),
    values=st.lists(st.tuples(st.sampled_from([rules.Benefit.PERCENT, rules.Benefit.AMOUNT_PER_LINE,
                                               rules.Benefit.AMOUNT_PER_RECEIPT, rules.Benefit.FIXED_PRICE]),
                              percent, st.sampled_from([rules.Combine.STACK, rules.Combine.BEST])),
                    max_size=3),
    ceiling=st.decimals(min_value=D("0"), max_value=D("20"), places=2),
)  # fmt: skip
def test_no_line_is_discounted_beyond_the_ceiling_and_no_total_goes_negative(subtotals, card_percent, values, ceiling):
    lines = [priced(f"S{i}", "dairy", str(s), str(min(card_percent, ceiling))) for i, s in enumerate(subtotals)]
    campaigns = [campaign(id=i, benefit=b, value=v, combine=how) for i, (b, v, how) in enumerate(values)]
    result = promote(lines, campaigns, ceiling=str(ceiling))
    for ln, parts in zip(result.lines, result.parts, strict=True):
        assert D(0) <= ln.discount_amount <= (ln.subtotal * ceiling / 100).quantize(D("0.01"), rounding="ROUND_DOWN")
        assert ln.total == ln.subtotal - ln.discount_amount >= 0
        assert sum((p.amount for p in parts), D(0)) == ln.discount_amount
        assert all(p.amount > 0 for p in parts)
