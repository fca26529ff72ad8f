"""The dashboard's pages: who may see them, filters that carry across pages, charts above tables, CSV
downloads byte for byte, and the receipts behind a figure."""

import re
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from dashboard.reports.common import presets
from dashboard.views import NAV
from tests.dashboard.shop import CARD_A, build_shop

PERIOD = "from=2026-11-01&to=2026-11-10"
# (path, charts on it): every report page, with the charts it draws above its tables.
PAGES = [
    ("/manager/", 2),
    ("/manager/discounts/", 1),
    ("/manager/discounts/store/", 1),
    ("/manager/discounts/cashier/", 1),
    ("/manager/discounts/category/", 1),
    ("/manager/discounts/level/", 1),
    ("/manager/points/", 2),
    ("/manager/levels/", 2),
    ("/manager/cards/", 2),
    ("/manager/holders/", 2),
    ("/manager/gift-cards/", 4),
    ("/manager/suspicious/", 0),
    ("/manager/suspicious/often/", 1),
    ("/manager/suspicious/cashiers/", 1),
    ("/manager/suspicious/refunds/", 0),
    ("/manager/campaigns/", 2),
    ("/manager/stores/", 1),
    ("/manager/receipts/", 0),
]


@pytest.fixture
def shop(db):
    return build_shop()


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get("/manager/discounts/?from=2026-11-01")
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/manager/discounts/%3Ffrom%3D2026-11-01"


def test_a_cashier_is_refused_with_a_page_saying_why(client, shop):
    client.force_login(User.objects.get(username="cashier1"))
    for path in ("/manager/", "/manager/scale/", "/manager/whatif/", f"/manager/receipts/{shop['R1'].pk}/"):
        response = client.get(path)
        assert response.status_code == 403
        assert b"Not a manager" in response.content


def test_a_superuser_outside_the_managers_group_may_see_the_dashboard(client, shop):
    client.force_login(User.objects.create_superuser("root", password="x"))
    assert client.get("/manager/").status_code == 200


@pytest.mark.parametrize(("path", "charts"), PAGES)
def test_every_report_page_shows_its_charts_and_keeps_the_filter_in_every_link(
    manager_client, shop, path, charts, django_assert_max_num_queries
):
    store = "store=riverside"
    # Aggregates only, no query per row (on PostgreSQL a few more: the report session's SET LOCALs).
    with django_assert_max_num_queries(20):
        response = manager_client.get(f"{path}?{PERIOD}&{store}")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<canvas data-chart=") == charts
    assert html.count('type="application/json"') == charts
    nav = re.findall(r'<nav aria-label="Reports">(.*?)</nav>', html, re.S)[0]
    assert nav.count(f"?from=2026-11-01&amp;to=2026-11-10&amp;{store}") == len(NAV)
    assert 'value="2026-11-01"' in html and '<option value="riverside" selected>' in html
    assert "/static/dashboard/chart.umd.min.js" in html  # our own copy, no CDN
    assert "://" not in "".join(re.findall(r'<script src="([^"]+)"', html))


def test_the_csv_download_is_the_table_exactly(manager_client, shop):
    response = manager_client.get(f"/manager/discounts/store/?{PERIOD}&csv=store")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="discounts-store-2026-11-01-2026-11-10.csv"'
    assert response.content == (
        b"Store,Discounted lines,Discount granted,Share of total\r\n"
        b"Riverside,1,5.00,62.5\r\n"
        b"Central Market,2,3.00,37.5\r\n"
    )


def test_the_csv_of_card_holders_and_of_the_return(manager_client, shop):
    response = manager_client.get(f"/manager/holders/?{PERIOD}&markup=50&csv=return")
    # Margin share at 50 % markup: 0.5 / 1.5; extra margin 633.333... / 3 = 211.11.
    assert response.content.decode() == (
        "Figure,Amount\r\n"
        "Extra sales of card holders at list price,633.33\r\n"
        '"Extra margin (markup 50 %, margin share 0.3333)",211.11\r\n'
        "Discounts granted,8.00\r\n"
        "Points earned (money),37.95\r\n"
        "Cost of the programme,45.95\r\n"
        "Return = extra margin − cost,165.16\r\n"
        "Extra margin per 1.00 of cost,4.59\r\n"
    )


def test_every_table_of_a_page_has_its_csv_link_with_the_filter(manager_client, shop):
    html = manager_client.get(f"/manager/points/?{PERIOD}").content.decode()
    for table in ("movements", "liability", "burning"):
        assert f'href="?from=2026-11-01&amp;to=2026-11-10&amp;csv={table}"' in html
    assert manager_client.get(f"/manager/points/?{PERIOD}&csv=nothing").status_code == 404


def test_the_csv_of_points_per_day(manager_client, shop):
    lines = manager_client.get(f"/manager/points/?{PERIOD}&csv=movements").content.decode().splitlines()
    assert lines[0] == "Day,Earned,Welcome bonus,Redeemed,Burned,Refunds (net),Adjustments (net)"
    assert lines[3:5] == ["2026-11-03,17.15,0.00,0.00,0.00,0.00,0.00", "2026-11-04,0.80,0.00,3.00,0.00,2.20,0.00"]
    assert len(lines) == 11


def test_a_period_that_ends_before_it_starts_says_so_and_shows_the_last_30_days(manager_client, shop):
    html = manager_client.get("/manager/discounts/?from=2026-11-10&to=2026-11-01").content.decode()
    assert "The period must start before it ends." in html
    assert "Showing the last 30 days instead." in html


def test_the_period_can_be_shown_per_week_and_that_choice_carries_across_pages(manager_client, shop):
    html = manager_client.get(f"/manager/discounts/?{PERIOD}&per=week").content.decode()
    assert "Discounts granted per week" in html
    assert "week of 2026-10-26" in html and "week of 2026-11-09" in html
    assert html.count("&amp;per=week") >= 10
    lines = manager_client.get(f"/manager/discounts/?{PERIOD}&per=week&csv=period").content.decode().splitlines()
    assert lines == [
        "Week,Discounted lines,Discount granted,Share of total",
        "week of 2026-10-26,0,0.00,0.0",
        "week of 2026-11-02,3,8.00,100.0",
        "week of 2026-11-09,0,0.00,0.0",
    ]


def test_presets_keep_the_store(manager_client, shop):
    html = manager_client.get(f"/manager/?{PERIOD}&store=central").content.decode()
    presets = re.findall(r'<span class="presets">(.*?)</span>', html, re.S)[0]
    assert presets.count("store=central") == 9
    assert re.findall(r">([^<]+)</a>", presets) == [
        "Today", "Yesterday", "This week", "Month to date", "Year to date", "Last 30 days", "Last month",
        "Last 12 months", f"Year {timezone.localdate().year - 1}",
    ]  # fmt: skip


def test_the_presets_periods():
    # Wednesday 11 March 2026
    assert presets(date(2026, 3, 11)) == [
        ("Today", date(2026, 3, 11), date(2026, 3, 11)),
        ("Yesterday", date(2026, 3, 10), date(2026, 3, 10)),
        ("This week", date(2026, 3, 9), date(2026, 3, 11)),
        ("Month to date", date(2026, 3, 1), date(2026, 3, 11)),
        ("Year to date", date(2026, 1, 1), date(2026, 3, 11)),
        ("Last 30 days", date(2026, 2, 10), date(2026, 3, 11)),
        ("Last month", date(2026, 2, 1), date(2026, 2, 28)),
        ("Last 12 months", date(2025, 3, 12), date(2026, 3, 11)),
        ("Year 2025", date(2025, 1, 1), date(2025, 12, 31)),
    ]


def test_the_summary_answers_what_discounts_cost_and_brought_back(manager_client, shop):
    html = manager_client.get(f"/manager/?{PERIOD}").content.decode()
    for label, figure in [("Discounts granted", "8.00 EUR"), ("Points earned (money)", "37.95 EUR"),
                          ("Extra margin of card holders", "126.67 EUR"), ("Return = extra margin − cost", "80.72 EUR"),
                          ("Card holders&#x27; share of revenue", "87.5 %")]:  # fmt: skip
        assert f"<dt>{label}</dt><dd>{figure}</dd>" in html
    assert "read it as an upper bound" in html  # the method is stated on the page
    # The 10 days before had no receipt; 4 receipts with a card and 3 without are too few to compare averages.
    assert html.count('<dd class="previous">22 Oct – 31 Oct 2026: 0.00 EUR</dd>') == 2
    assert html.count('<dd class="previous">22 Oct – 31 Oct 2026: —</dd>') == 3
    assert html.count("Only 4 receipts with a card and 3 without: below 30 in each group") == 2
    assert '<th class="num" scope="col">Discounts <small class="unit">EUR</small></th>' in html


def test_the_summary_compares_with_the_period_before(manager_client, shop, settings):
    settings.CURRENCY = "PLN"
    html = manager_client.get("/manager/?from=2026-11-06&to=2026-11-10").content.decode()
    # 1-5 Nov granted the 8.00 of discounts; 6-10 Nov none (R6 and R7 have no card).
    tile = '<dt>Discounts granted</dt><dd>0.00 PLN</dd>\n    <dd class="previous">01 Nov – 05 Nov 2026: 8.00 PLN</dd>'
    assert tile in html


def test_suspicious_pages_link_to_the_receipts_behind_them(manager_client, shop):
    html = manager_client.get(f"/manager/suspicious/?{PERIOD}").content.decode()
    assert f'href="/manager/receipts/{shop["R2"].pk}/"' in html
    assert f'href="/manager/receipts/{shop["R3"].pk}/"' in html
    assert 'name="minutes" value="30"' in html and 'name="per_day"' not in html  # only this pattern's thresholds


def test_the_receipts_list_narrows_to_a_card_and_a_day(manager_client, shop):
    html = manager_client.get(f"/manager/receipts/?from=2026-11-03&to=2026-11-03&card={CARD_A}").content.decode()
    listed = re.findall(r'href="/manager/receipts/(\d+)/">#', html)
    assert listed == [str(shop["R3"].pk), str(shop["R2"].pk)]


def test_the_receipts_list_of_a_cashiers_discounted_receipts(manager_client, shop):
    cashier = User.objects.get(username="cashier1").pk
    html = manager_client.get(f"/manager/receipts/?{PERIOD}&cashier={cashier}&discounted=1").content.decode()
    assert re.findall(r'href="/manager/receipts/(\d+)/">#', html) == [str(shop["R5"].pk), str(shop["R2"].pk)]


def test_a_receipt_with_its_lines_and_refunds(manager_client, shop):
    response = manager_client.get(f"/manager/receipts/{shop['R5'].pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Points redeemed 3.00 (worth 3.00), points earned 0.80, refunded 16.00." in html
    assert '<td class="num">16.00</td><td class="num">3.00</td><td class="num">0.80</td>' in html
    assert manager_client.get("/manager/receipts/999999/").status_code == 404


# --- days on the store's clock (issue 13.3) -----------------------------------------------------------


@pytest.fixture
def late_in_berlin(shop):
    """Riverside moves to Berlin's clock; card A (Gold, 5 %) buys dairy 100.00 there at 23:30 on 7 November
    (22:30 UTC) and at 00:30 on 9 November (23:30 UTC on the 8th)."""
    from datetime import UTC, datetime

    from pos.models import Store
    from tests.dashboard.shop import sell

    Store.objects.filter(code="riverside").update(time_zone="Europe/Berlin")
    sell("riverside", "cashier2", [("dairy", "100.00")], datetime(2026, 11, 7, 22, 30, tzinfo=UTC), card=CARD_A)
    sell("riverside", "cashier2", [("dairy", "100.00")], datetime(2026, 11, 8, 23, 30, tzinfo=UTC), card=CARD_A)


def discount_days(client, query: str) -> list[str]:
    lines = client.get(f"/manager/discounts/?{query}&per=day&csv=period").content.decode().splitlines()
    return [line for line in lines[1:] if line.split(",")[1] != "0"]  # the days with discounts


def test_a_stores_report_puts_a_purchase_at_2330_local_on_that_local_day(manager_client, late_in_berlin):
    assert discount_days(manager_client, "from=2026-11-06&to=2026-11-10&store=riverside") == [
        "2026-11-07,1,5.00,50.0",
        "2026-11-09,1,5.00,50.0",
    ]


def test_a_stores_period_ends_at_its_own_midnight(manager_client, late_in_berlin):
    assert discount_days(manager_client, "from=2026-11-07&to=2026-11-07&store=riverside") == ["2026-11-07,1,5.00,100.0"]
    assert discount_days(manager_client, "from=2026-11-08&to=2026-11-08&store=riverside") == []


def test_the_chains_report_counts_days_on_the_chains_clock(manager_client, late_in_berlin, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    assert discount_days(manager_client, "from=2026-11-06&to=2026-11-10") == [
        "2026-11-07,1,5.00,50.0",
        "2026-11-09,1,5.00,50.0",
    ]


@pytest.mark.parametrize(
    "query",
    ["from=9999-12-30&to=9999-12-31", "to=9999-12-31", "from=0001-01-01&to=0001-01-02", "from=1999-12-31"],
)
@pytest.mark.parametrize("path", [path for path, _ in PAGES])
def test_a_day_off_the_reports_calendar_is_a_form_error_on_every_page(manager_client, shop, path, query):
    response = manager_client.get(f"{path}?{query}")
    assert response.status_code == 200
    assert response.context["form"].errors == {
        name: ["Choose a day from 2000-01-01 to 2099-12-31."] for name in ("from", "to") if f"{name}=" in query
    }
    assert "Showing the last 30 days instead." in response.content.decode()


HOSTILE = ["99999999999999999999", "-1", "abc", "%00", "x" * 5000, "9999-12-31", "0001-01-01", "1e999999", "NaN", "-0"]
WITH_PARAMETERS = [
    "/manager/receipts/?ids={v}&cashier={v}",
    "/manager/receipts/?card={v}",
    "/manager/?markup={v}&per={v}&store={v}",
    "/manager/suspicious/?minutes={v}&per_day={v}",
    "/manager/suspicious/cashiers/?gap={v}&times={v}&min_receipts={v}",
    "/manager/whatif/?programme={v}",
    "/manager/scale/?mode=ask&ask-volume={v}&ask-current={v}&ask-asked={v}&ask-wanted={v}&ask-rate={v}",
    "/manager/scale/answer.csv?pays={v}&discount={v}&markup={v}&new_discount={v}&extra_margin={v}",
    "/manager/points/?csv={v}",
]


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("template", WITH_PARAMETERS)
def test_no_page_parameter_is_a_server_error(manager_client, shop, template, value):
    response = manager_client.get(template.format(v=value))
    assert response.status_code in (200, 400, 404), response.status_code


def test_a_card_that_is_no_number_narrows_the_receipts_to_none(manager_client, shop):
    response = manager_client.get(f"/manager/receipts/?{PERIOD}&card=2000%00")
    assert response.status_code == 200
    assert response.context["content"].tables[0].rows == []


@pytest.mark.parametrize(
    ("levels", "error"),
    [
        ("Gold; NaN; 5", "Line 1: the spend must be from 0 to 9,999,999,999,999.99."),
        ("Gold; 1e999999; 5", "Line 1: the spend must be from 0 to 9,999,999,999,999.99."),
        ("Gold; 700; 101", "Line 1: the percent must be from 0 to 100."),
        ("Gold; 700; -Infinity", "Line 1: the percent must be from 0 to 100."),
        ("G\x07old; 700; 5", "Line 1: a level's name is 1 to 40 printable characters."),
        ("{}; 700; 5".format("G" * 41), "Line 1: a level's name is 1 to 40 printable characters."),
    ],
)
def test_a_what_if_level_that_cannot_be_priced_is_a_form_error(manager_client, shop, levels, error):
    from loyalty.models import Programme

    programme = Programme.objects.get(is_default=True)
    data = {
        "programme": programme.pk, "months": "12", "kind": "cumulative", "base_percent": "0", "levels": levels,
        "ceiling_percent": "20", "earn_percent": "5", "point_value": "1",
    }  # fmt: skip
    response = manager_client.post("/manager/whatif/", data)
    assert response.status_code == 200
    assert response.context["form"].errors == {"levels": [error]}


def test_the_admin_links_to_the_dashboard(manager_client, shop):
    html = manager_client.get("/admin/").content.decode()
    assert '<a href="/manager/" id="to-dashboard">Dashboard &amp; reports</a>' in html


def test_the_stores_side_by_side(manager_client, shop):
    html = manager_client.get(f"/manager/stores/?{PERIOD}").content.decode()
    assert '<table class="sortable">' in html
    # central: R1, R2, R5 with card A (list 530, discounts 3.00, points 25.70), R6 and R7 without (60.00);
    # riverside: R3 with card A (250, discount 5.00, points 12.25), R4 without (50.00).
    # Points owed: central 17.00 left of R1 after R5 redeemed 3 + R2 4.90 + the 3 R5 refunded; riverside R3 12.25.
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(<td.*?)</tr>", html, re.S)]
    assert rows == [
        ["Central Market", "5", "587.00", "89.8 %", "3.00", "0.5 %", "28.70", "4.9 %", "24.90"],
        ["Riverside", "2", "295.00", "83.1 %", "5.00", "1.7 %", "17.25", "5.8 %", "12.25"],
    ]


def listed(html: str) -> list[str]:
    return re.findall(r'href="/manager/receipts/(\d+)/">#', html)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("cashier3", ["R7", "R6"]),
        ("anna", ["R5", "R3", "R2", "R1"]),  # the card holder's name
        (CARD_A[-6:], ["R5", "R3", "R2", "R1"]),  # the end of the card number
        (CARD_A, ["R5", "R3", "R2", "R1"]),
        ("245.00", ["R3"]),  # paid
        ("110,00", ["R2"]),  # at list price, with a decimal comma
        ("nobody", []),
    ],
)
def test_the_receipts_search(manager_client, shop, q, expected):
    html = manager_client.get(f"/manager/receipts/?{PERIOD}&{urlencode({'q': q})}").content.decode()
    assert listed(html) == [str(shop[name].pk) for name in expected]
    assert f"<h1>Receipts matching “{q}” (filtered)</h1>" in html
    assert f'name="q" value="{q}"' in html


def test_the_receipts_search_by_receipt_number(manager_client, shop):
    html = manager_client.get(f"/manager/receipts/?{PERIOD}&q=%23{shop['R4'].pk}").content.decode()
    assert listed(html) == [str(shop["R4"].pk)]


def test_the_receipts_heading_says_when_a_filter_is_on(manager_client, shop):
    assert "<h1>Receipts</h1>" in manager_client.get(f"/manager/receipts/?{PERIOD}").content.decode()
    cashier = User.objects.get(username="cashier1").pk
    html = manager_client.get(f"/manager/receipts/?{PERIOD}&cashier={cashier}&discounted=1").content.decode()
    assert "<h1>Receipts of cashier cashier1, with a discount (filtered)</h1>" in html


def test_the_receipts_page_past_the_first_page(manager_client, shop, monkeypatch):
    monkeypatch.setattr("dashboard.reports.receipts.PAGE", 3)
    order = ["R7", "R6", "R5", "R4", "R3", "R2", "R1"]
    first = manager_client.get(f"/manager/receipts/?{PERIOD}").content.decode()
    assert listed(first) == [str(shop[r].pk) for r in order[:3]] and "1–3 of 7, newest first." in first
    assert '<a href="?from=2026-11-01&amp;to=2026-11-10&amp;page=2">Older →</a>' in first and "Newer" not in first
    last = manager_client.get(f"/manager/receipts/?{PERIOD}&page=3").content.decode()
    assert listed(last) == [str(shop["R1"].pk)] and "7–7 of 7" in last and "Older" not in last
    assert manager_client.get(f"/manager/receipts/?{PERIOD}&page=x").status_code == 200  # a typo: the first page


def test_the_points_owed_per_store_are_counted_once_for_a_few_minutes(shop, django_assert_num_queries):
    from dashboard.reports.stores import owed_by_store

    now = timezone.now()
    owed, counted_at = owed_by_store(now)
    assert counted_at == now and sum(owed.values()) == Decimal("37.15")
    with django_assert_num_queries(0):  # another period or store on the page: the same count, from the cache
        assert owed_by_store(now + timedelta(minutes=2)) == (owed, now)
