"""Discounts granted, from the discount register (one row per discounted line), by period, store,
cashier, category and level. Each breakdown is one GROUP BY over the register."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.db.models import Count, QuerySet, Sum
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dashboard.reports.common import (
    GRAIN_TITLES,
    TRUNC,
    ZERO,
    Chart,
    Column,
    ReportFilter,
    Series,
    Table,
    as_local_date,
    bucket_label,
    buckets,
    hashed,
    money,
    share,
)
from pos.models import DiscountEntry

BREAKDOWNS = {
    "period": _("Per period"),
    "store": _("Per store"),
    "cashier": _("Per cashier"),
    "category": _("Per category"),
    "level": _("Per level"),
}
# A table's title, by the period's grain or the breakdown.
TITLES = {
    "day": _("Discounts granted per day"),
    "week": _("Discounts granted per week"),
    "month": _("Discounts granted per month"),
    "store": _("Discounts granted per store"),
    "cashier": _("Discounts granted per cashier"),
    "category": _("Discounts granted per category"),
    "level": _("Discounts granted per level"),
}
FIGURES = [
    Column("lines", _("Discounted lines"), "int"),
    Column("amount", _("Discount granted"), "money"),
    Column("share", _("Share of total"), "percent"),
]
NOTE = _(
    "From the discount register: every discounted line with its receipt, card, store, terminal, cashier, "
    "category and the level the purchase was discounted at. Amounts as granted; later refunds do not change them."
)


def register(f: ReportFilter) -> QuerySet:
    return DiscountEntry.objects.filter(f.at())


def _figures(qs: QuerySet) -> QuerySet:
    # No count of distinct receipts: it would make PostgreSQL sort the year's register (~3x the time of
    # the sums); the receipts behind a figure are one click away.
    return qs.annotate(lines=Count("id"), amount=Sum("amount"))


def _with_shares(rows: list[dict]) -> list[dict]:
    total = sum((row["amount"] or ZERO for row in rows), ZERO)
    for row in rows:
        row["amount"] = money(row["amount"])
        row["share"] = share(row["amount"], total)
    return rows


def by_period(f: ReportFilter) -> Table:
    grain = f.grain
    with hashed():
        found = {
            as_local_date(row["bucket"]): row
            for row in _figures(register(f).annotate(bucket=TRUNC[grain]("created_at")).values("bucket"))
        }
    rows = []
    for day in buckets(f, grain):
        row = found.get(day, {"lines": 0, "amount": ZERO})
        rows.append({"period": bucket_label(day, grain), "lines": row["lines"], "amount": row["amount"]})
    rows = _with_shares(rows)
    chart = Chart(
        "bar",
        [r["period"] for r in rows],
        [Series(_("Discount granted"), [r["amount"] for r in rows])],
        y_title=_("discount"),
    )
    columns = [Column("period", GRAIN_TITLES[grain]), *FIGURES]
    return Table("period", str(TITLES[grain]), columns, rows, chart, NOTE)


def _grouped(f: ReportFilter, slug: str, keys: list[str], label: Callable[[dict], str], first: Column) -> Table:
    with hashed():
        rows = list(_figures(register(f).values(*keys)).order_by())
    rows.sort(key=lambda row: (-row["amount"], *(str(row[k]) for k in keys)))
    for row in rows:
        row[first.key] = label(row)
    rows = _with_shares(rows)
    chart = Chart(
        "bar",
        [r[first.key] for r in rows],
        [Series(_("Discount granted"), [r["amount"] for r in rows])],
        horizontal=True,
    )
    return Table(slug, str(TITLES[slug]), [first, *FIGURES], rows, chart, NOTE)


def by_store(f: ReportFilter) -> Table:
    return _grouped(f, "store", ["store__code", "store__name"], lambda r: r["store__name"], Column("store", _("Store")))


def _cashier_label(row: dict) -> str:
    who = row["cashier__username"] or gettext("no cashier (external POS)")
    return f"{who} @ {row['store__code']}"


def by_cashier(f: ReportFilter) -> Table:
    table = _grouped(
        f,
        "cashier",
        ["cashier_id", "cashier__username", "store__code", "store_id"],
        _cashier_label,
        Column("cashier", _("Cashier @ store")),
    )
    # The receipts behind a cashier's figure: the receipts list, filtered to them.
    table.links = [{"lines": _receipts_link(f, row)} for row in table.rows]
    return table


def _receipts_link(f: ReportFilter, row: dict) -> str:
    params = {**f.query(), "cashier": row["cashier_id"] or "none", "discounted": "1"}
    return f"{reverse('manager:receipts')}?{urlencode(params)}"


def by_category(f: ReportFilter) -> Table:
    return _grouped(
        f,
        "category",
        ["category__code", "category__name"],
        lambda r: r["category__name"],
        Column("category", _("Category")),
    )


def by_level(f: ReportFilter) -> Table:
    first = Column("level", _("Level"))
    return _grouped(f, "level", ["level"], lambda r: r["level"] or gettext("base (no level)"), first)


SELECTORS: dict[str, Callable[[ReportFilter], Table]] = {
    "period": by_period,
    "store": by_store,
    "cashier": by_cashier,
    "category": by_category,
    "level": by_level,
}
