"""The unearned level discount a refund takes back (issue 13): exact values on the demo programme of api.md
(cumulative, base 0 %, Silver 300 → 2 %, Gold 700 → 5 %, Platinum 1500 → 7 %, points 5 % of what is paid)."""

from dataclasses import replace
from decimal import Decimal as D

import pytest

from loyalty.rules import (
    CLAWBACK,
    PURCHASE,
    REFUND,
    SoldLine,
    SoldReceipt,
    SpendMove,
    Taking,
    line_unearned,
    quote,
    spend_around,
    take_back,
    unearned_discounts,
)
from tests.loyalty.rules.programmes import AT, CATEGORIES, DEMO, MONDAY, WINDOWED, card, line

ZERO = D("0.00")


def sold(receipt_id, level, lines, *, spend_before="0", refunded_since="0", taken_back="0", at=AT, refunded=()):
    """A receipt as the till priced it at `level` (lines: (category, quantity, price)), some quantity refunded."""
    priced = quote(DEMO if at is AT else WINDOWED, card(level), [line(c, q, p) for c, q, p in lines], CATEGORIES, at)
    refunded = dict(refunded)
    return SoldReceipt(
        receipt_id=receipt_id, at=at, level_before=level, spend_before=D(spend_before),
        refunded_since=D(refunded_since), taken_back=D(taken_back),
        lines=tuple(
            SoldLine(ln.sku, CATEGORIES[ln.category], ln.quantity, D(refunded.get(i, "0")), ln.subtotal,
                     ln.discount_percent, ln.discount_amount)
            for i, ln in enumerate(priced.lines)
        ),
    )  # fmt: skip


def test_the_issue_buy_1500_then_300_refund_the_1500_takes_back_all_21():
    # Buy 1,500.00 at base (0 %): spend 1,500.00, Platinum. Buy 300.00 at Platinum's 7 %: 21.00 off, paid 279.00.
    # Refund the 1,500.00: without it the spend before the 300.00 purchase was 0.00, so it would have been
    # priced at base, 0 %, and all 21.00 were unearned. (Not Silver: spend counts what is paid, and the 300.00
    # purchase reaches Silver only once it is paid — after it, not before it.)
    # Points: the purchase earned 5 % of 279.00 = 13.95; priced at base it would have paid 300.00 and earned
    # 15.00. Points are earned on money paid, so the level gave 1.05 points fewer, not more: there are no
    # excess points to take back.
    moves = [
        SpendMove(PURCHASE, D("1500.00"), 1),
        SpendMove(PURCHASE, D("279.00"), 2),
        SpendMove(REFUND, D("-1500.00"), 1),
    ]
    assert spend_around(moves, 1, D("279.00")) == (ZERO, ZERO)
    assert spend_around(moves, 2, D("279.00")) == (D("1500.00"), D("1500.00"))
    refunded = sold(1, None, [("dairy", "1", "1500.00")], refunded={0: "1"})
    later = sold(2, "Platinum", [("dairy", "1", "300.00")], spend_before="1500.00", refunded_since="1500.00")
    assert later.lines[0].discount_amount == D("21.00")

    [on_refunded, on_later] = unearned_discounts(DEMO, [refunded, later])

    assert (on_refunded.unearned, on_refunded.due) == (ZERO, ZERO)
    assert (on_later.level_given, on_later.level_earned, on_later.unearned, on_later.due) == (
        "Platinum", None, D("21.00"), D("21.00"),
    )  # fmt: skip
    [ln] = on_later.lines
    assert (ln.quantity, ln.percent_given, ln.percent_earned, ln.amount) == (D("1"), D("7"), D("0"), D("21.00"))


@pytest.mark.parametrize(
    ("first", "refunded_price", "level_earned", "unearned"),
    [
        # Gold reached first (800.00); 800.00 more at 5 % (paid 760.00) reaches Platinum; refunded, the spend
        # before the 300.00 purchase is 800.00: Gold, 5 % of 300.00 = 15.00 earned of the 21.00 given.
        ("800.00", "800.00", "Gold", D("6.00")),
        # Silver reached first (300.00); 1,300.00 at 2 % (paid 1,274.00) reaches Platinum; refunded: Silver,
        # 2 % of 300.00 = 6.00 earned, 15.00 unearned.
        ("300.00", "1300.00", "Silver", D("15.00")),
    ],
)
def test_falling_to_a_lower_level_takes_back_only_the_difference(first, refunded_price, level_earned, unearned):
    held = {"800.00": "Gold", "300.00": "Silver"}[first]
    refunded = sold(2, held, [("dairy", "1", refunded_price)], spend_before=first, refunded={0: "1"})
    paid = refunded.lines[0].subtotal - refunded.lines[0].discount_amount
    later = sold(3, "Platinum", [("dairy", "1", "300.00")], spend_before=D(first) + paid, refunded_since=paid)
    [_, on_later] = unearned_discounts(DEMO, [refunded, later])
    assert (on_later.level_earned, on_later.unearned) == (level_earned, unearned)


def test_a_purchase_priced_right_counts_what_it_would_have_paid_for_the_next():
    # Buy 1,500.00; then 300.00 at 7 % (paid 279.00) and 800.00 at 7 % (paid 744.00); refund the 1,500.00.
    # Without it the 300.00 is priced at base and pays 300.00: the spend before the 800.00 is 300.00, Silver,
    # so the 800.00 earned 2 % = 16.00 of its 56.00: 40.00 unearned (not all 56.00), 61.00 in all.
    refunded = sold(1, None, [("dairy", "1", "1500.00")], refunded={0: "1"})
    second = sold(2, "Platinum", [("dairy", "1", "300.00")], spend_before="1500.00", refunded_since="1500.00")
    third = sold(3, "Platinum", [("dairy", "1", "800.00")], spend_before="1779.00", refunded_since="1500.00")
    found = unearned_discounts(DEMO, [refunded, second, third])
    assert [(f.level_earned, f.unearned) for f in found] == [(None, ZERO), (None, D("21.00")), ("Silver", D("40.00"))]


def test_excluded_capped_and_the_ceiling_are_priced_as_at_the_till():
    # Platinum to Silver: tobacco is excluded (nothing given, nothing unearned); baby food is capped at 3 %:
    # given 3 %, earned 2 %; dairy 7 % given, 2 % earned.
    later = sold(2, "Platinum", [("tobacco", "1", "100.00"), ("baby", "1", "100.00"), ("dairy", "1", "100.00")],
                 spend_before="1500.00", refunded_since="1200.00")  # fmt: skip
    [found] = unearned_discounts(DEMO, [later])
    assert found.level_earned == "Silver"
    assert [(ln.percent_given, ln.percent_earned, ln.amount) for ln in found.lines] == [
        (D("0"), D("0"), ZERO), (D("3"), D("2"), D("1.00")), (D("7"), D("2"), D("5.00")),
    ]  # fmt: skip
    # A 6 % ceiling: Platinum's 7 % was given as 6 %, Gold's 5 % is earned: 1 % unearned, never 2 %.
    ceiling = replace(DEMO, ceiling_percent=D("6"))
    dairy = SoldLine("SKU", CATEGORIES["dairy"], D("1"), ZERO, D("100.00"), D("6"), D("6.00"))
    assert line_unearned(ceiling, dairy, D("5"), AT).amount == D("1.00")


def test_a_time_window_adds_to_both_sides():
    # Monday morning: 5 % more. Sold at Platinum: 12 %; earned at base: the window's 5 %: 7 % unearned.
    later = sold(2, "Platinum", [("dairy", "1", "100.00")], spend_before="1500.00", refunded_since="1500.00",
                 at=MONDAY)  # fmt: skip
    [found] = unearned_discounts(WINDOWED, [later])
    assert [(ln.percent_given, ln.percent_earned, ln.amount) for ln in found.lines] == [(D("12"), D("5"), D("7.00"))]


def test_only_what_the_customer_still_keeps_counts_and_what_was_taken_is_not_taken_twice():
    # 3 × 100.00 at 7 % = 21.00, earned 0 %: one refunded leaves 2/3 of 21.00 = 14.00 unearned.
    kept_two = sold(2, "Platinum", [("dairy", "3", "100.00")], spend_before="1500.00", refunded_since="1500.00",
                    taken_back="21.00", refunded={0: "1"})  # fmt: skip
    [found] = unearned_discounts(DEMO, [kept_two])
    assert (found.unearned, found.due) == (D("14.00"), D("-7.00"))  # 7.00 goes back
    # Nothing new refunded: nothing more to take.
    again = replace(kept_two, taken_back=D("14.00"))
    assert unearned_discounts(DEMO, [again])[0].due == ZERO


def test_a_level_still_held_takes_nothing_back():
    later = sold(2, "Gold", [("dairy", "1", "300.00")], spend_before="2000.00", refunded_since="1000.00")
    [found] = unearned_discounts(DEMO, [later])
    assert (found.level_earned, found.unearned, found.due) == ("Gold", ZERO, ZERO)


def test_a_level_that_stands_takes_nothing_even_if_its_percent_changed_since_the_sale():
    # Sold at Platinum's 7 %; Platinum is now 6 %: the spend still reaches Platinum, so nothing is unearned.
    later = sold(2, "Platinum", [("dairy", "1", "300.00")], spend_before="3000.00", refunded_since="1000.00")
    cheaper = replace(
        DEMO, levels=tuple(replace(lv, percent=D("6")) if lv.name == "Platinum" else lv for lv in DEMO.levels)
    )
    [found] = unearned_discounts(cheaper, [later])
    assert (found.level_earned, found.unearned, [ln.percent_earned for ln in found.lines]) == (
        "Platinum",
        ZERO,
        [D("7")],
    )


def test_spend_around_reads_the_ledger_in_order_back_from_the_spend_now():
    moves = [
        SpendMove(PURCHASE, D("500.00"), 1),
        SpendMove(REFUND, D("-100.00"), 1),  # before receipt 2: already in its spend
        SpendMove(CLAWBACK, D("4.00"), 1),  # a take-back before it: left out, counted afresh
        SpendMove(PURCHASE, D("300.00"), 2),
        SpendMove(REFUND, D("-200.00"), 1),  # after 2, of a purchase before it: counts
        SpendMove(REFUND, D("-50.00"), 2),  # its own refund: not
        SpendMove(CLAWBACK, D("9.00"), 2),  # a take-back after it: not
        SpendMove(PURCHASE, D("80.00"), 3),
        SpendMove(REFUND, D("-80.00"), 3),  # a later purchase's refund: not
    ]
    assert spend_around(moves, 2, D("463.00")) == (D("400.00"), D("200.00"))
    assert spend_around(moves, 3, D("463.00")) == (D("450.00"), ZERO)
    # The spend as the account holds it wins over a sum from zero (history from before the ledger, a step down):
    assert spend_around(moves, 3, D("1463.00")) == (D("1450.00"), ZERO)


def test_take_back_keeps_from_the_cash_then_records_what_it_cannot():
    takings, cash = take_back([(2, D("21.00"), ZERO, ZERO), (3, D("40.00"), ZERO, ZERO)], D("50.00"), True)
    assert takings == (Taking(2, D("21.00"), ZERO), Taking(3, D("29.00"), D("11.00")))
    assert cash == ZERO


def test_take_back_records_all_when_the_programme_records_shortfalls():
    takings, cash = take_back([(2, D("21.00"), ZERO, ZERO)], D("1500.00"), False)
    assert (takings, cash) == ((Taking(2, ZERO, D("21.00")),), D("1500.00"))


def test_what_is_no_longer_owed_clears_the_record_then_is_paid_back_first():
    # Receipt 2 owed 21.00 (15.00 kept, 6.00 recorded) and is refunded: 6.00 cleared, 15.00 paid back, and that
    # cash is there for receipt 3's 10.00.
    dues = [(3, D("10.00"), ZERO, ZERO), (2, D("-21.00"), D("15.00"), D("6.00"))]
    takings, cash = take_back(dues, ZERO, True)
    assert takings == (Taking(2, D("-15.00"), D("-6.00")), Taking(3, D("10.00"), ZERO))
    assert cash == D("5.00")


def test_a_record_cleared_pays_nothing_back_and_writes_no_minus_zero():
    takings, cash = take_back([(2, D("-6.00"), ZERO, D("6.00"))], D("10.00"), True)
    assert (takings, cash) == ((Taking(2, ZERO, D("-6.00")),), D("10.00"))
    assert str(takings[0].kept) == "0.00"
