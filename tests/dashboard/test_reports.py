"""The report selectors on the small shop of test_manager_shop: every row asserted exactly."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from cards.lifecycle import card_replace
from cards.models import Card, CardBatch
from cards.numbers import card_number
from dashboard.reports import customers, discounts, holders, points, suspicious
from dashboard.reports.common import ReportFilter, buckets, table_csv
from loyalty.models import Programme
from pos.models import Store
from tests.dashboard.shop import CARD_A, build_shop

NOV = ReportFilter(date(2026, 11, 1), date(2026, 11, 10))


@pytest.fixture
def shop(db):
    return build_shop()


def central() -> Store:
    return Store.objects.get(code="central")


def figures(table, *keys):
    return [tuple(row[k] for k in keys) for row in table.rows]


# --- discounts ----------------------------------------------------------------------------------


def test_discounts_per_day_fill_every_day_and_sum_the_register(shop):
    table = discounts.by_period(NOV)
    assert [row["period"] for row in table.rows] == [f"2026-11-{d:02d}" for d in range(1, 11)]
    busy = [row for row in table.rows if row["lines"]]
    assert [(r["period"], r["lines"], r["amount"], r["share"]) for r in busy] == [
        ("2026-11-03", 2, D("7.00"), D("87.5")),
        ("2026-11-04", 1, D("1.00"), D("12.5")),
    ]
    assert table.chart.as_json()["series"][0]["values"][2:4] == ["7.00", "1.00"]


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        ("store", [("Riverside", 1, D("5.00"), D("62.5")), ("Central Market", 2, D("3.00"), D("37.5"))]),
        ("cashier", [("cashier2 @ riverside", 1, D("5.00"), D("62.5")),
                     ("cashier1 @ central", 2, D("3.00"), D("37.5"))]),
        ("category", [("Bakery", 1, D("5.00"), D("62.5")), ("Dairy", 2, D("3.00"), D("37.5"))]),
        ("level", [("Silver", 2, D("7.00"), D("87.5")), ("Gold", 1, D("1.00"), D("12.5"))]),
    ],
)  # fmt: skip
def test_discounts_per_store_cashier_category_and_level(shop, by, expected):
    assert figures(discounts.SELECTORS[by](NOV), by, "lines", "amount", "share") == expected


def test_discounts_of_one_store_only(shop):
    f = ReportFilter(NOV.start, NOV.end, central())
    assert figures(discounts.by_category(f), "category", "amount") == [("Dairy", D("3.00"))]


def test_a_period_without_discounts_is_all_zeros_not_an_error(shop):
    table = discounts.by_period(ReportFilter(date(2026, 10, 1), date(2026, 10, 31)))
    assert {(row["lines"], row["amount"], row["share"]) for row in table.rows} == {(0, D("0.00"), None)}


def test_the_cashier_figure_links_to_the_cashiers_discounted_receipts(shop):
    table = discounts.by_cashier(NOV)
    assert table.links[1]["lines"] == (
        f"/manager/receipts/?from=2026-11-01&to=2026-11-10&cashier={table.rows[1]['cashier_id']}&discounted=1"
    )


def test_csv_of_discounts_per_store_is_exact(shop):
    assert table_csv(discounts.by_store(NOV)) == (
        "Store,Discounted lines,Discount granted,Share of total\r\n"
        "Riverside,1,5.00,62.5\r\n"
        "Central Market,2,3.00,37.5\r\n"
    )


def test_long_periods_are_shown_in_weeks_then_months():
    assert ReportFilter(date(2026, 1, 1), date(2026, 3, 3)).grain == "day"
    assert ReportFilter(date(2026, 1, 1), date(2026, 5, 1)).grain == "week"
    assert ReportFilter(date(2025, 11, 24), date(2026, 11, 23)).grain == "month"
    assert buckets(ReportFilter(date(2026, 11, 4), date(2026, 11, 20)), "week") == [
        date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16),
    ]  # fmt: skip


# --- points -------------------------------------------------------------------------------------


def test_points_earned_redeemed_and_refunded_per_day(shop):
    table = points.movements(NOV)
    busy = [row for row in table.rows if any(v for k, v in row.items() if k != "period")]
    keys = ("period", "earned", "bonus", "redeemed", "burned", "refunds", "adjusted")
    assert figures(type(table)("x", "x", [], busy), *keys) == [
        ("2026-11-02", D("20.00"), D("0.00"), D("0.00"), D("0.00"), D("0.00"), D("0.00")),
        ("2026-11-03", D("17.15"), D("0.00"), D("0.00"), D("0.00"), D("0.00"), D("0.00")),
        # R5 earned 0.80 and redeemed 3.00; its refund gave 3.00 back and took 0.80 back.
        ("2026-11-04", D("0.80"), D("0.00"), D("3.00"), D("0.00"), D("2.20"), D("0.00")),
    ]


def test_outstanding_points_and_what_burns_within_30_and_90_days(shop):
    # Lots burn 365 days after they were earned: 16.20 left of R1's 20.00 on 2 Nov 2027 09:00,
    # R2's 4.90 on 3 Nov 10:00, R3's 12.25 on 3 Nov 10:20, 0.80 + 3.00 (refund) on 4 Nov.
    liability, calendar = points.outlook(datetime(2027, 10, 4, 9, 30, tzinfo=UTC))
    assert liability.rows == [
        {"programme": "Cumulative discount card", "points": D("37.15"), "points_value": D("37.15"),
         "burn30": D("16.20"), "burn30_value": D("16.20"), "burn90": D("37.15"), "burn90_value": D("37.15")},
    ]  # fmt: skip
    assert [(r["week"], r["points"]) for r in calendar.rows if r["points"]] == [("week of 2027-11-01", D("37.15"))]
    assert len(calendar.rows) == 14


def test_points_past_their_date_are_not_outstanding_even_before_the_nightly_job(shop):
    at = datetime(2027, 11, 3, 9, 30, tzinfo=UTC)  # R1's 16.20 burned at 09:00
    liability, _ = points.outlook(at)
    assert liability.rows[0]["points"] == D("20.95")
    assert points.outstanding_value(at) == D("20.95")


def test_the_liability_in_money_uses_each_programmes_value_of_a_point(shop):
    Programme.objects.filter(code="default").update(point_value=D("0.50"))
    Programme.objects.create(code="other", name="Another card", point_value=D("2.00"))
    liability, _ = points.outlook(datetime(2027, 10, 4, 9, 30, tzinfo=UTC))
    assert figures(liability, "programme", "points", "points_value", "burn30_value") == [
        ("Another card", D("0.00"), D("0.00"), D("0.00")),
        ("Cumulative discount card", D("37.15"), D("18.58"), D("8.10")),
    ]


def test_points_of_one_store_count_only_its_receipts(shop):
    table = points.movements(ReportFilter(NOV.start, NOV.end, Store.objects.get(code="riverside")))
    assert sum((r["earned"] for r in table.rows), D(0)) == D("12.25")


# --- levels and cards ---------------------------------------------------------------------------


def test_customers_per_level_and_the_flow_between_levels(shop):
    assert figures(customers.per_level(), "level", "cards", "share") == [("Gold", 1, D("100.0"))]
    assert figures(customers.flow(NOV), "period", "from", "to", "direction", "kind", "cards") == [
        ("2026-11-02", "base (no level)", "Silver", "up", "purchase", 1),
        ("2026-11-03", "Silver", "Gold", "up", "purchase", 1),
    ]


def test_a_replaced_cards_account_is_history_not_a_customer_at_base_level(shop):
    card_replace(number=CARD_A, new_number=card_number("000", 2))
    assert figures(customers.per_level(), "level", "cards") == [("Gold", 1)]


def test_active_and_inactive_cards_and_batches(shop):
    assert figures(customers.activity(NOV), "cards", "count", "share") == [
        ("Bought in the period", 1, D("2.0")),
        ("Active, no purchase in the period", 0, D("0.0")),
        ("Issued, never used", 49, D("98.0")),
        ("Blocked", 0, D("0.0")),
        ("Replaced", 0, D("0.0")),
    ]
    assert figures(customers.activity(ReportFilter(date(2026, 11, 5), date(2026, 11, 10))), "count")[:2] == [(0,), (1,)]
    batch = CardBatch.objects.get().pk
    assert figures(customers.batches(), "batch", "issued", "activated", "rate") == [
        (f"#{batch} Demo cards", 50, 1, D("2.0"))
    ]


# --- card holders and the return on discounts ---------------------------------------------------


def test_card_holders_against_receipts_without_a_card(shop):
    table = holders.comparison(NOV, holders.monthly(NOV), holders.cards_that_bought(NOV))
    assert table.rows == [
        {"who": "With a card", "receipts": 4, "revenue": D("772.00"), "share": D("87.5"), "average": D("193.00"),
         "average_list": D("195.00"), "visits": D("12.18"), "discount": D("8.00"), "points_cost": D("37.95")},
        {"who": "Without a card", "receipts": 3, "revenue": D("110.00"), "share": D("12.5"), "average": D("36.67"),
         "average_list": D("36.67"), "visits": None, "discount": D("0.00"), "points_cost": D("0.00")},
    ]  # fmt: skip


def test_visits_per_card_per_month_spread_the_periods_receipts_over_its_months(shop):
    # 4 receipts of 1 card in 10 days: 4 / (10 / 30.4375) = 12.175 a month.
    assert holders.cards_that_bought(NOV) == 1
    whole_month = ReportFilter(date(2026, 11, 1), date(2026, 11, 30))
    rows = holders.comparison(whole_month, holders.monthly(whole_month), 1).rows
    assert rows[0]["visits"] == D("4.06")  # 4 / (30 / 30.4375) = 4.058


def test_return_on_discounts_follows_the_stated_method(shop):
    result = holders.return_on_discounts(holders.monthly(NOV), D("25"))
    # Extra list sales 780 - 110 / 3 x 4 = 633.33; margin share 0.25 / 1.25 = 0.2 -> 126.67;
    # cost 8.00 discounts + 37.95 points = 45.95; return 80.72; 126.67 / 45.95 = 2.76 per 1.00.
    assert (result.extra_list_sales, result.extra_margin, result.cost, result.net, result.per_cost) == (
        D("633.33"), D("126.67"), D("45.95"), D("80.72"), D("2.76"),
    )  # fmt: skip
    assert "upper bound" in holders.return_table(result).note


def test_without_receipts_without_a_card_there_is_no_return_to_compute(shop):
    f = ReportFilter(date(2026, 11, 2), date(2026, 11, 2))
    result = holders.return_on_discounts(holders.monthly(f), D("25"))
    assert (result.extra_margin, result.net, result.cost) == (None, None, D("20.00"))


# --- suspicious patterns ------------------------------------------------------------------------


LOOSE = suspicious.Thresholds(per_day=2, min_receipts=2)


def test_one_card_in_two_stores_within_minutes(shop):
    table = suspicious.two_stores(NOV, LOOSE)
    assert figures(table, "card", "first", "first_store", "second", "second_store", "minutes") == [
        (CARD_A, f"#{shop['R2'].pk}", "Central Market", f"#{shop['R3'].pk}", "Riverside", D("20.0")),
    ]
    assert table.links[0]["second"] == f"/manager/receipts/{shop['R3'].pk}/"
    assert suspicious.two_stores(NOV, suspicious.Thresholds(minutes=19)).rows == []


def test_two_stores_with_a_store_chosen_still_sees_the_other_store(shop):
    for code in ("central", "riverside"):
        f = ReportFilter(NOV.start, NOV.end, Store.objects.get(code=code))
        assert figures(suspicious.two_stores(f, LOOSE), "second") == [(f"#{shop['R3'].pk}",)]


def test_one_card_unusually_often_in_a_day(shop):
    table = suspicious.often(NOV, LOOSE)
    assert figures(table, "card", "day", "receipts", "stores") == [(CARD_A, "2026-11-03", 2, 2)]
    assert table.links[0]["receipts"] == f"/manager/receipts/?from=2026-11-03&to=2026-11-03&card={CARD_A}"
    assert suspicious.often(NOV, suspicious.Thresholds(per_day=3)).rows == []


def test_a_cashier_whose_card_share_is_far_above_the_stores(shop):
    table = suspicious.cashiers(NOV, LOOSE)
    keys = ("store", "cashier", "receipts", "card_receipts", "card_share", "store_share", "activations", "rate",
            "store_rate", "flag")  # fmt: skip
    assert figures(table, *keys) == [
        ("Central Market", "cashier1", 3, 3, D("100.0"), D("60.0"), 1, D("33.3"), D("20.0"), "card share"),
        ("Central Market", "cashier3", 2, 0, D("0.0"), D("60.0"), 0, D("0.0"), D("20.0"), ""),
        ("Riverside", "cashier2", 2, 1, D("50.0"), D("50.0"), 0, D("0.0"), D("0.0"), ""),
    ]
    assert suspicious.count_findings(table) == 1
    assert suspicious.count_findings(suspicious.cashiers(NOV, suspicious.Thresholds())) == 0  # 30 receipts to judge


def test_an_activation_counts_for_the_cashier_who_rang_up_the_card_within_minutes(shop):
    def activations():
        return {r["cashier"]: r["activations"] for r in suspicious.cashiers(NOV, LOOSE).rows}

    assert activations() == {"cashier1": 1, "cashier3": 0, "cashier2": 0}  # R1, 5 minutes after activation
    Card.objects.filter(number=CARD_A).update(activated_at=datetime(2026, 11, 2, 8, 30, tzinfo=UTC))
    assert activations() == {"cashier1": 0, "cashier3": 0, "cashier2": 0}  # 30 minutes: activated elsewhere


def test_a_recorded_activation_counts_for_whoever_the_till_recorded(shop):
    from django.contrib.auth.models import User

    from pos.models import CardActivation, Store

    card = Card.objects.get(number=CARD_A)
    CardActivation.objects.create(
        card=card, store=Store.objects.get(code="central"), cashier=User.objects.get(username="cashier3"),
        created_at=card.activated_at,
    )  # fmt: skip
    activations = {r["cashier"]: r["activations"] for r in suspicious.cashiers(NOV, LOOSE).rows}
    assert activations == {"cashier1": 0, "cashier3": 1, "cashier2": 0}  # not inferred from R1 any more


def test_refunds_soon_after_points_were_redeemed(shop):
    table = suspicious.refunds_after_redeem(NOV, LOOSE)
    r5 = shop["R5"].pk
    assert figures(table, "card", "receipt", "redeem", "redeemed", "hours", "refunded", "returned") == [
        (CARD_A, f"#{r5}", f"#{r5}", D("3.00"), D("6.0"), D("16.00"), D("3.00")),
    ]
    assert suspicious.refunds_after_redeem(NOV, suspicious.Thresholds(hours=5)).rows == []
