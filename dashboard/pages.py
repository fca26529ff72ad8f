"""The report pages: what each one shows, built from the selectors in dashboard.reports.

A page is a list of `Table`s (each with its chart and CSV download) plus, for some, headline figures.
Each page runs a handful of aggregate queries, so that a full year stays under a second.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.http import QueryDict
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from dashboard.reports import campaigns, customers, discounts, giftcards, holders, points, stores, suspicious
from dashboard.reports.common import (
    ZERO,
    Chart,
    Column,
    ReportFilter,
    Series,
    Table,
    as_local_date,
    bucket_label,
    money,
    share,
)

# Below this many receipts in either group (with a card, without one), the difference of their average
# receipts is mostly chance: a few large baskets decide it. 30 is the usual rule of thumb for an average
# to settle (its spread shrinks with the square root of the count; from about 30 it is roughly normal).
MIN_SAMPLE = 30


def figure(value: Decimal | int) -> str:
    """A count or a sum of points as the page's language writes it: 1,204.50, German 1.204,50."""
    return number_format(value, force_grouping=True)


def amount(value: Decimal | None) -> str:
    """Money as a manager reads it: thousands separated, two decimals, the chain's currency."""
    return f"{number_format(value, 2, force_grouping=True)} {settings.CURRENCY}" if value is not None else "—"


@dataclass(frozen=True)
class Tile:
    """A headline figure: its value, the same figure for the period before (None: not compared), a warning."""

    label: str
    value: str
    previous: str | None = None
    warning: str = ""


@dataclass
class Content:
    tables: list[Table]
    headline: list[Tile] = field(default_factory=list)
    # Page parameters beyond the filter (markup, thresholds): (name, label, value), kept in every link.
    params: list[tuple[str, str, str]] = field(default_factory=list)
    # Where to go next from here: (label, url name).
    next: list[tuple[str, str]] = field(default_factory=list)
    title: str = ""  # instead of the page's usual title (a list that is filtered says so)
    search: str | None = None  # the search box's text, on pages that have one
    pager: list[tuple[str, str]] = field(default_factory=list)  # (label, query string)


def number(query: QueryDict, name: str, default: Decimal, low: Decimal, high: Decimal) -> Decimal:
    """A page parameter, or its default when missing or out of range (a report never fails on a typo)."""
    try:
        value = Decimal(query.get(name, ""))
    except InvalidOperation:
        return default
    return value if value.is_finite() and low <= value <= high else default


# --- summary and card holders -------------------------------------------------------------------


def _markup(query: QueryDict) -> Decimal:
    return number(query, "markup", holders.DEFAULT_MARKUP, Decimal(0), Decimal(1000))


def previous_period(f: ReportFilter) -> ReportFilter:
    """The period of the same length just before: what each headline figure is compared with."""
    return replace(f, start=f.start - timedelta(days=f.days), end=f.start - timedelta(days=1))


def sample_warning(with_card: int, without: int) -> str:
    if with_card >= MIN_SAMPLE and without >= MIN_SAMPLE:
        return ""
    return gettext(
        "Only %(with_card)s receipts with a card and %(without)s without: below %(least)s in each group the "
        "difference of their average receipts is mostly chance."
    ) % {"with_card": figure(with_card), "without": figure(without), "least": MIN_SAMPLE}


def summary(query: QueryDict, f: ReportFilter) -> Content:
    markup = _markup(query)
    rows, before_rows = holders.monthly(f), holders.totals(previous_period(f))
    result, before = holders.return_on_discounts(rows, markup), holders.return_on_discounts(before_rows, markup)
    (with_card, without), (with_before, without_before) = holders.sides(rows), holders.sides(before_rows)
    owed = points.outstanding_value(timezone.now())
    warning = sample_warning(with_card.receipts, without.receipts)
    headline = [
        Tile(_("Discounts granted"), amount(result.discount), amount(before.discount)),
        Tile(_("Points earned (money)"), amount(result.points_cost), amount(before.points_cost)),
        Tile(_("Extra margin of card holders"), amount(result.extra_margin), amount(before.extra_margin), warning),
        Tile(_("Return = extra margin − cost"), amount(result.net), amount(before.net), warning),
        Tile(
            _("Card holders' share of revenue"),
            _percent(share(with_card.revenue, with_card.revenue + without.revenue)),
            _percent(share(with_before.revenue, with_before.revenue + without_before.revenue)),
        ),
        Tile(_("Points outstanding now (money)"), amount(owed)),
    ]
    onwards = [
        (_("Who abuses them: suspicious patterns"), "manager:suspicious"),
        (_("What scale to publish next: the scale designer"), "manager:scale"),
        (_("What a new programme would cost: what-if"), "manager:whatif"),
    ]
    params = [("markup", _("Markup %"), str(markup))]
    return Content([_cost_per_month(rows), holders.return_table(result)], headline, params, onwards)


def _percent(value: Decimal | None) -> str:
    return f"{number_format(value)} %" if value is not None else "—"


def _cost_per_month(rows: list[dict]) -> Table:
    months: dict = {}
    for r in rows:
        if r["holder"]:
            month = bucket_label(as_local_date(r["month"]), "month")
            months[month] = {
                "month": month,
                "discount": money(r["discount"]),
                "points": money(r["points_cost"]),
                "revenue": money(r["list_sales"]) - money(r["discount"]),
                "receipts": r["receipts"],
            }
    table_rows = list(months.values())
    for r in table_rows:
        r["cost"] = r["discount"] + r["points"]
        r["cost_share"] = share(r["cost"], r["revenue"])
    columns = [
        Column("month", _("Month")),
        Column("receipts", _("Card receipts"), "int"),
        Column("revenue", _("Card holders' revenue"), "money"),
        Column("discount", _("Discounts"), "money"),
        Column("points", _("Points earned (money)"), "money"),
        Column("cost", _("Cost"), "money"),
        Column("cost_share", _("Cost, % of their revenue"), "percent"),
    ]
    chart = Chart(
        "bar",
        [r["month"] for r in table_rows],
        [
            Series(_("Discounts"), [r["discount"] for r in table_rows], stack="c"),
            Series(_("Points"), [r["points"] for r in table_rows], stack="c"),
        ],
        stacked=True,
        y_title=_("cost"),
    )
    return Table(
        "cost",
        _("What the programme cost, per month"),
        columns,
        table_rows,
        chart,
        gettext("Discounts from the receipts of card holders; points valued when earned."),
    )


def card_holders(query: QueryDict, f: ReportFilter) -> Content:
    rows = holders.monthly(f)
    result = holders.return_on_discounts(rows, _markup(query))
    return Content(
        [holders.comparison(f, rows, holders.cards_that_bought(f)), holders.return_table(result)],
        [],
        [("markup", _("Markup %"), str(_markup(query)))],
    )


# --- the others ---------------------------------------------------------------------------------


def discounts_page(by: str) -> Callable[[QueryDict, ReportFilter], Content]:
    def build(query: QueryDict, f: ReportFilter) -> Content:
        table = discounts.SELECTORS[by](f)
        total = sum((r["amount"] for r in table.rows), ZERO)
        lines = sum(r["lines"] for r in table.rows)
        return Content(
            [table], [Tile(_("Discount granted"), amount(total)), Tile(_("Discounted lines"), figure(lines))]
        )

    return build


def points_page(query: QueryDict, f: ReportFilter) -> Content:
    movements, (liability, calendar) = points.movements(f), points.outlook(timezone.now())
    sums = {key: sum((r[key] for r in movements.rows), ZERO) for key in ("earned", "redeemed", "burned")}
    owed = sum((r["points_value"] for r in liability.rows), ZERO)
    headline = [
        Tile(pgettext_lazy("manager", "Points earned"), figure(sums["earned"])),
        Tile(_("Points redeemed"), figure(sums["redeemed"])),
        Tile(_("Points burned"), figure(sums["burned"])),
        Tile(_("Outstanding now (money)"), amount(owed)),
    ]
    return Content([movements, liability, calendar], headline)


def levels_page(query: QueryDict, f: ReportFilter) -> Content:
    return Content([customers.per_level(), customers.flow(f)])


def cards_page(query: QueryDict, f: ReportFilter) -> Content:
    return Content([customers.activity(f), customers.batches()])


def campaigns_page(query: QueryDict, f: ReportFilter) -> Content:
    table = campaigns.per_campaign(f, timezone.localdate())
    rows = table.rows
    cost = sum((r["cost"] for r in rows), ZERO)
    issued, used = sum(r["issued"] for r in rows), sum(r["used"] for r in rows)
    headline = [
        Tile(_("Campaigns in the period"), figure(len(rows))),
        Tile(_("Receipts, summed over campaigns"), figure(sum(r["receipts"] for r in rows))),
        Tile(_("Discount cost"), amount(cost)),
        Tile(_("Coupons used / issued"), f"{figure(used)} / {figure(issued)}"),
    ]
    onwards = [(_("What a proposed campaign would have cost: what-if"), "manager:whatif")]
    return Content([table, campaigns.coupons_table(rows)], headline, [], onwards)


# (parameter, label, lowest, highest, the pattern it tunes)
THRESHOLDS = [
    ("minutes", _("Minutes between stores"), Decimal(1), Decimal(24 * 60), "two-stores"),
    ("per_day", _("Receipts a day"), Decimal(2), Decimal(1000), "often"),
    ("gap", _("Card share gap (points)"), Decimal(1), Decimal(100), "cashiers"),
    ("times", _("Activation rate × store"), Decimal("1.1"), Decimal(100), "cashiers"),
    ("min_receipts", _("Least receipts to judge"), Decimal(1), Decimal(100000), "cashiers"),
    ("hours", _("Hours from redeem to refund"), Decimal(1), Decimal(24 * 30), "refunds"),
]


def thresholds(query: QueryDict) -> suspicious.Thresholds:
    defaults = suspicious.Thresholds()
    values = {
        name: number(query, name, Decimal(getattr(defaults, name)), low, high) for name, _, low, high, _ in THRESHOLDS
    }
    whole = ("minutes", "per_day", "min_receipts", "hours")
    return suspicious.Thresholds(**{k: int(v) if k in whole else v for k, v in values.items()})


def suspicious_page(pattern: str) -> Callable[[QueryDict, ReportFilter], Content]:
    def build(query: QueryDict, f: ReportFilter) -> Content:
        t = thresholds(query)
        table = suspicious.PATTERNS[pattern][1](f, t)
        params = [(name, label, str(getattr(t, name))) for name, label, _, _, used in THRESHOLDS if used == pattern]
        return Content([table], [Tile(_("Findings"), str(suspicious.count_findings(table)))], params)

    return build


def gift_cards_page(query: QueryDict, f: ReportFilter) -> Content:
    today = giftcards.today_local(timezone.now())
    owed = giftcards.liability(today)
    movements = giftcards.movements(f)
    sums = {key: sum((r[key] for r in movements.rows), ZERO) for key in ("loaded", "spent", "expired")}
    headline = [
        Tile(_("Owed now: loaded, not spent"), amount(owed["owed"])),
        Tile(_("Cards holding money"), figure(owed["cards"])),
        Tile(_("Past their date, expiring tonight"), amount(owed["past"])),
        Tile(_("Loaded in the period"), amount(sums["loaded"])),
        Tile(_("Spent in the period"), amount(sums["spent"])),
        Tile(_("Breakage in the period"), amount(sums["expired"])),
    ]
    return Content([movements, giftcards.per_store(f), giftcards.expiring(today), giftcards.breakage(f)], headline)


def stores_page(query: QueryDict, f: ReportFilter) -> Content:
    return Content([stores.league(f, timezone.now())])
