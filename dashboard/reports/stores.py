"""The store league table: every store side by side for the period (revenue, card share, discount rate,
cost) and the points it owes now.

Two GROUP BYs: the period's receipts per store, and the live points lots per store where they were earned
(a lot's entry names its receipt; welcome bonuses and manual adjustments belong to no store)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dashboard.reports.common import ZERO, Chart, Column, ReportFilter, Series, Table, hashed, money, share
from loyalty.models import Account, PointsEntry, PointsLot, Programme
from pos.models import Receipt, Store

COLUMNS = [
    Column("store", _("Store")),
    Column("receipts", _("Receipts"), "int"),
    Column("revenue", _("Revenue"), "money"),
    Column("card_share", _("Card share of revenue"), "percent"),
    Column("discount", _("Discounts"), "money"),
    Column("discount_rate", _("Discount, % of list price"), "percent"),
    Column("cost", _("Cost (discounts + points)"), "money"),
    Column("cost_share", _("Cost, % of revenue"), "percent"),
    Column("liability", _("Points owed now"), "money"),
]


def _sales(f: ReportFilter) -> dict[int, dict]:
    point_value = ExpressionWrapper(
        F("points_earned") * F("account__programme__point_value"), output_field=DecimalField()
    )
    with hashed():
        rows = (
            Receipt.objects.filter(f.at())
            .values("store_id")
            .annotate(
                receipts=Count("id"),
                list_sales=Sum("subtotal"),
                discount=Sum("discount_total"),
                card_sales=Sum(F("subtotal") - F("discount_total"), filter=Q(card__isnull=False)),
                points_cost=Sum(point_value),
            )
            .order_by()
        )
        return {r["store_id"]: r for r in rows}


OWED_SECONDS = 300  # the points owed per store are kept this long: changing period or store reuses them
OWED_KEY = "manager:stores:owed"


def owed_by_store(now: datetime) -> tuple[dict[int | None, Decimal], datetime]:
    """The points owed per store and when they were counted (at most OWED_SECONDS ago)."""
    kept = cache.get(OWED_KEY)
    if kept is None:
        kept = (_liability(now), now)
        cache.set(OWED_KEY, kept, OWED_SECONDS)
    return kept


def _liability(now: datetime) -> dict[int | None, Decimal]:
    """Live points (not yet past their burn date) in money, by the store of the receipt that earned them.

    Hand-written: a lot's entry names its receipt by a plain id (loyalty does not import pos), and a
    correlated subquery per live lot (600,000 in the bench) costs seconds where one hash join costs less."""
    lot, entry, account = PointsLot._meta.db_table, PointsEntry._meta.db_table, Account._meta.db_table
    programme, receipt = Programme._meta.db_table, Receipt._meta.db_table
    sql = f"""
        SELECT r.store_id, SUM(l.remaining * p.point_value)
        FROM {lot} l
        JOIN {entry} e ON e.id = l.entry_id
        JOIN {account} a ON a.id = l.account_id
        JOIN {programme} p ON p.id = a.programme_id
        LEFT JOIN {receipt} r ON r.id = e.receipt_id
        WHERE l.remaining > 0 AND (l.expires_at IS NULL OR l.expires_at > %s)
        GROUP BY r.store_id
    """  # noqa: S608 - table names from the models, the one value a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, [now])
        return {store: money(Decimal(str(owed))) for store, owed in cursor.fetchall()}


def league(f: ReportFilter, now: datetime) -> Table:
    sales, (owed, counted_at) = _sales(f), owed_by_store(now)
    stores = Store.objects.order_by("name") if f.store is None else [f.store]
    rows = []
    for store in stores:
        r = sales.get(store.pk, {})
        list_sales, discount = money(r.get("list_sales")), money(r.get("discount"))
        revenue = list_sales - discount
        cost = discount + money(r.get("points_cost"))
        rows.append(
            {
                "store": store.name,
                "receipts": r.get("receipts", 0),
                "revenue": revenue,
                "card_share": share(money(r.get("card_sales")), revenue),
                "discount": discount,
                "discount_rate": share(discount, list_sales),
                "cost": cost,
                "cost_share": share(cost, revenue),
                "liability": owed.get(store.pk, ZERO),
            }
        )
    rows.sort(key=lambda row: row["revenue"], reverse=True)
    chart = Chart(
        "bar",
        [r["store"] for r in rows],
        [Series(_("Revenue"), [r["revenue"] for r in rows]), Series(_("Cost"), [r["cost"] for r in rows])],
        y_title=_("money"),
    )
    at = timezone.localtime(counted_at).strftime("%H:%M")
    unplaced = owed.get(None, ZERO)
    if unplaced:
        note = gettext(
            "Revenue = list price less discounts. Cost = discounts + points earned × the value of a point. Points owed "
            "now: live points by the store where they were earned, counted at %(at)s (%(unplaced)s more came from "
            "welcome bonuses and adjustments). Click a heading to sort."
        ) % {"at": at, "unplaced": number_format(unplaced, force_grouping=True)}
    else:
        note = gettext(
            "Revenue = list price less discounts. Cost = discounts + points earned × the value of a point. Points owed "
            "now: live points by the store where they were earned, counted at %(at)s. Click a heading to sort."
        ) % {"at": at}
    return Table("stores", _("Every store"), COLUMNS, rows, chart, note, sortable=True)
