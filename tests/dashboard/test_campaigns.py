"""The campaigns page: per campaign its receipts, discount cost, the covered lines' revenue during its days
against as many days before, and coupons issued against used; every figure asserted exactly."""

from datetime import UTC, date, datetime, time
from decimal import Decimal as D

import pytest

from dashboard.reports import campaigns
from dashboard.reports.common import ReportFilter, table_csv
from loyalty import rules
from loyalty.models import Category
from pos.models import Receipt, Store
from pos.refunds import RefundRequest, receipt_refund
from pos.services import Basket, checkout
from promotions.models import Campaign
from promotions.services import coupon_batch_issue
from tests.mycard.support import ANNA, cards_in_every_state, till

JULY = ReportFilter(date(2026, 7, 1), date(2026, 7, 31))
TODAY = date(2026, 12, 6)
_keys = iter(range(10**6))


def sell(day: int, month: int, *lines: tuple[str, str, str], coupons=(), store="central", hour=12, minute=0) -> int:
    """A checkout on Anna's card, at noon unless told: lines are (category, quantity, unit price)."""
    basket = Basket(
        lines=tuple(
            rules.Line(sku=f"{cat}-{i}", name=cat, category=cat, quantity=D(qty), unit_price=D(price))
            for i, (cat, qty, price) in enumerate(lines)
        ),
        card_number=ANNA,
        coupons=tuple(coupons),
    )
    key = f"c-{next(_keys)}"
    at = datetime(2026, month, day, hour, minute, tzinfo=UTC)
    status, body, _ = checkout(actor=till(store), key=key, basket=basket, payload={"k": key}, at=at)
    assert status == 201, body
    return body["receipt_id"]


@pytest.fixture
def summer(demo):
    """'Summer week': 10 % on fruit & vegetables for card holders, 1-7 July; a 5 € coupon campaign on 3-4 July
    with three printed codes, one used; a campaign in August, outside the period."""
    cards_in_every_state()
    week = Campaign.objects.create(
        name="Summer week", starts_on=date(2026, 7, 1), ends_on=date(2026, 7, 7), scope=Campaign.Scope.CATEGORIES,
        value=D("10"), audience=Campaign.Audience.CARD_HOLDERS,
    )  # fmt: skip
    week.categories.set([Category.objects.get(code="produce")])
    five = Campaign.objects.create(
        name="Five off", starts_on=date(2026, 7, 3), ends_on=date(2026, 7, 4), benefit="amount_receipt",
        value=D("5"), needs_coupon=True,
    )  # fmt: skip
    codes = list(coupon_batch_issue(campaign=five, count=3).coupons.values_list("code", flat=True))
    Campaign.objects.create(name="August", starts_on=date(2026, 8, 1), ends_on=date(2026, 8, 7), value=D("5"))
    sell(28, 6, ("produce", "1", "20.00"))  # before the week: 20.00 covered
    sell(2, 7, ("produce", "2", "15.00"), ("dairy", "1", "5.00"))  # 3.00 off: 27.00 covered, dairy 5.00 not
    sell(3, 7, ("produce", "1", "50.00"), coupons=[codes[0]])  # 5.00 week + 5.00 coupon: 40.00
    sell(5, 7, ("produce", "1", "10.00"))  # 1.00 off: 9.00
    sell(9, 7, ("produce", "1", "10.00"))  # after the week: neither side
    return week, five


def test_each_campaign_shows_its_receipts_cost_covered_revenue_and_coupons(summer):
    table = campaigns.per_campaign(JULY, TODAY)
    keys = ("campaign", "days", "receipts", "cost", "during", "before", "change", "cost_share", "issued", "used")
    assert [tuple(r[k] for k in keys) for r in table.rows] == [
        # the week: 7 days against 24-30 June; 76.00 against 20.00; 9.00 is 11.8 % of 76.00
        ("Summer week", "01.07.2026–07.07.2026", 3, D("9.00"), D("76.00"), D("20.00"), D("280.0"), D("11.8"), 0, 0),
        # the coupon's 2 days against 1-2 July, where everything counts: 27.00 + 5.00
        ("Five off", "03.07.2026–04.07.2026", 1, D("5.00"), D("40.00"), D("32.00"), D("25.0"), D("12.5"), 3, 1),
    ]
    assert table.chart.as_json()["series"][1]["values"] == ["76.00", "40.00"]


def test_two_coupons_on_one_line_each_cost_their_own_campaign(summer):
    week, five = summer
    two = Campaign.objects.create(
        name="Two off", starts_on=date(2026, 7, 3), ends_on=date(2026, 7, 4), benefit="amount_receipt",
        value=D("2"), needs_coupon=True,
    )  # fmt: skip
    [two_code] = coupon_batch_issue(campaign=two, count=1).coupons.values_list("code", flat=True)
    [five_code] = five.coupons.filter(uses=0).values_list("code", flat=True)[:1]
    sell(4, 7, ("produce", "1", "100.00"), coupons=[five_code, two_code])  # 10.00 week, 5.00 + 2.00 coupons
    rows = {r["campaign"]: (r["receipts"], r["cost"]) for r in campaigns.per_campaign(JULY, TODAY).rows}
    assert rows == {"Summer week": (4, D("19.00")), "Five off": (2, D("10.00")), "Two off": (1, D("2.00"))}


def test_covered_revenue_is_net_of_refunds(summer):
    [fifth] = Receipt.objects.filter(created_at__day=5).values_list("pk", flat=True)
    request = RefundRequest(lines=(("produce-0", D("1")),))
    status, _, _ = receipt_refund(actor=till("central"), receipt_id=fifth, key="r", request=request, payload={},
                                  at=datetime(2026, 7, 6, 9, 0, tzinfo=UTC))  # fmt: skip
    assert status == 201
    rows = {r["campaign"]: (r["cost"], r["during"], r["before"]) for r in campaigns.per_campaign(JULY, TODAY).rows}
    # the 9.00 paid on 5 July came back: 76.00 - 9.00; the register still holds the 1.00 given
    assert rows["Summer week"] == (D("9.00"), D("67.00"), D("20.00"))


def evening(**kw) -> Campaign:
    """10 % on one bakery SKU on 6-7 July (Monday, Tuesday), in its hours only."""
    values = {"name": "Evening", "starts_on": date(2026, 7, 6), "ends_on": date(2026, 7, 7),
              "scope": Campaign.Scope.SKUS, "skus": "bakery-0", "value": D("10")}  # fmt: skip
    return Campaign.objects.create(**(values | kw))


def test_a_campaign_with_hours_counts_the_covered_revenue_of_its_hours_only(summer):
    evening(window_start=time(18, 0), window_end=time(20, 0))
    sell(6, 7, ("bakery", "1", "10.00"), hour=18, minute=30)  # in its hours: 1.00 off, 9.00
    sell(6, 7, ("bakery", "1", "10.00"), hour=12)  # before its hours: not counted
    sell(7, 7, ("bakery", "1", "30.00"), hour=19, minute=59)  # 3.00 off, 27.00
    sell(7, 7, ("bakery", "1", "40.00"), hour=20)  # the end is exclusive: not counted
    sell(5, 7, ("bakery", "1", "20.00"), hour=19)  # the days before, in the same hours: 20.00
    sell(4, 7, ("bakery", "1", "5.00"), hour=10)  # the days before, out of hours: not counted
    [row] = [r for r in campaigns.per_campaign(JULY, TODAY).rows if r["campaign"] == "Evening"]
    assert (row["receipts"], row["cost"], row["during"], row["before"]) == (2, D("4.00"), D("36.00"), D("20.00"))
    assert row["days"] == "06.07.2026–07.07.2026 · 18:00–20:00"


def test_a_friday_night_window_keeps_the_hours_after_midnight_with_the_friday(summer):
    # 10 July 2026 is a Friday; the week is 6-12 July against 29 June - 5 July
    evening(ends_on=date(2026, 7, 12), weekdays="4", window_start=time(22, 0), window_end=time(2, 0))
    sell(10, 7, ("bakery", "1", "10.00"), hour=23)  # Friday night: 9.00
    sell(11, 7, ("bakery", "1", "20.00"), hour=1, minute=30)  # Saturday 01:30, still Friday night: 18.00
    sell(11, 7, ("bakery", "1", "50.00"), hour=23)  # Saturday night: not counted
    sell(4, 7, ("bakery", "1", "30.00"), hour=0, minute=15)  # Saturday 00:15 before: Friday 3 July's night
    sell(3, 7, ("bakery", "1", "7.00"), hour=21)  # Friday, before its hours: not counted
    [row] = [r for r in campaigns.per_campaign(JULY, TODAY).rows if r["campaign"] == "Evening"]
    assert (row["receipts"], row["cost"], row["during"], row["before"]) == (2, D("3.00"), D("27.00"), D("30.00"))
    assert row["days"] == "06.07.2026–12.07.2026 · Fri 22:00–02:00"


def test_a_campaign_not_started_is_listed_without_figures(summer):
    table = campaigns.per_campaign(ReportFilter(date(2026, 8, 1), date(2026, 8, 31)), date(2026, 7, 20))
    assert [(r["campaign"], r["days"], r["receipts"], r["change"]) for r in table.rows] == [
        ("August", "01.08.2026–07.08.2026 (not started)", 0, None)
    ]


def test_another_stores_filter_sees_none_of_it(summer):
    riverside = ReportFilter(date(2026, 7, 1), date(2026, 7, 31), Store.objects.get(code="riverside"))
    rows = campaigns.per_campaign(riverside, TODAY).rows
    assert [(r["receipts"], r["cost"], r["during"], r["before"]) for r in rows] == [
        (0, D("0.00"), D("0.00"), D("0.00"))
    ] * 2


def test_the_figures_take_five_statements_whatever_the_number_of_campaigns(summer, django_assert_num_queries):
    for n in range(5):
        Campaign.objects.create(name=f"More {n}", starts_on=date(2026, 7, 1), ends_on=date(2026, 7, 2), value=D("5"))
    with django_assert_num_queries(5):  # campaigns, their categories, register, covered lines, coupons
        assert len(campaigns.per_campaign(JULY, TODAY).rows) == 7


def test_the_page_draws_both_charts_and_its_csv_is_the_table(manager_client, summer, django_assert_max_num_queries):
    with django_assert_max_num_queries(16):  # the report session's SET LOCALs on PostgreSQL
        response = manager_client.get("/manager/campaigns/?from=2026-07-01&to=2026-07-31")
    html = response.content.decode()
    assert (response.status_code, html.count("<canvas data-chart=")) == (200, 2)
    assert "Summer week" in html and "1 / 3" in html
    csv = manager_client.get("/manager/campaigns/?from=2026-07-01&to=2026-07-31&csv=campaigns").content.decode()
    assert csv == table_csv(campaigns.per_campaign(JULY, date.today()))
    assert csv.splitlines()[1] == "Summer week,01.07.2026–07.07.2026,3,9.00,76.00,20.00,280.0,11.8"
    coupons = manager_client.get("/manager/campaigns/?from=2026-07-01&to=2026-07-31&csv=coupons").content.decode()
    assert coupons.splitlines() == [
        'Campaign,Coupons issued,Coupons used,"Used, % of issued",Uses in all',
        "Five off,3,1,33.3,1",
    ]
