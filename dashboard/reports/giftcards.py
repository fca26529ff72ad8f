"""Gift cards as the manager reads them: what the chain owes (money loaded and not spent), what each store
sold and took in payment, what expires soon, and the breakage (balances that expired unspent), all from the
gift card ledger and the cards' cached balances (kept equal to it in the same transaction)."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.local_time import local_date
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
    money,
)
from giftcards.models import GiftCard, GiftCardEntry
from pos.models import Store

Kind = GiftCardEntry.Kind
# Ledger kinds as the manager reads them: money out of the chain's liability is shown positive.
MOVEMENTS = [
    ("loaded", _("Loaded (sold, topped up)"), Kind.LOAD, False),
    ("spent", _("Spent at the till"), Kind.PAY, True),
    ("refunded", _("Refunded onto cards"), Kind.REFUND, False),
    ("expired", _("Expired unspent (breakage)"), Kind.EXPIRE, True),
    ("adjusted", _("Adjustments (net)"), Kind.ADJUST, False),
]
TITLES = {
    "day": _("Gift card money per day"),
    "week": _("Gift card money per week"),
    "month": _("Gift card money per month"),
}
HORIZON_MONTHS = 12


def ledger(f: ReportFilter) -> QuerySet:
    entries = GiftCardEntry.objects.filter(created_at__gte=f.since, created_at__lt=f.until)
    return entries.filter(store_id=f.store.pk) if f.store is not None else entries


def liability(today: date) -> dict:
    """Money on active cards now, and the part past its date that the nightly job has not taken yet."""
    active = GiftCard.objects.filter(status=GiftCard.Status.ACTIVE)
    past = Q(expires_on__lt=today)
    sums = active.aggregate(
        owed=Sum("balance", filter=~past | Q(expires_on__isnull=True)), cards=Count("id", filter=Q(balance__gt=0)),
        past=Sum("balance", filter=past),
    )  # fmt: skip
    return {key: money(value) if key != "cards" else value for key, value in sums.items()}


def movements(f: ReportFilter, grain: str | None = None) -> Table:
    grain = grain or f.grain
    sums = {kind: Sum("amount", filter=Q(kind=kind)) for _, _, kind, _ in MOVEMENTS}
    found = {
        as_local_date(row["bucket"]): row
        for row in ledger(f).annotate(bucket=TRUNC[grain]("created_at")).values("bucket").annotate(**sums)
    }
    rows = []
    for day in buckets(f, grain):
        row = found.get(day, {})
        rows.append(
            {"period": bucket_label(day, grain)}
            | {key: abs(money(row.get(kind))) if out else money(row.get(kind)) for key, _, kind, out in MOVEMENTS}
        )
    columns = [Column("period", GRAIN_TITLES[grain])] + [Column(key, title, "money") for key, title, _, _ in MOVEMENTS]
    chart = Chart(
        "bar", [r["period"] for r in rows],
        [Series(_("Loaded"), [r["loaded"] for r in rows], stack="in"),
         Series(_("Spent"), [r["spent"] for r in rows], stack="out"),
         Series(_("Expired"), [r["expired"] for r in rows], stack="out")],
        y_title=_("money"),
    )  # fmt: skip
    note = _("From the gift card ledger. Selling a gift card is not revenue: it is money the chain owes until spent.")
    return Table("movements", TITLES[grain], columns, rows, chart, note)


def breakage(f: ReportFilter) -> Table:
    """Balances that expired unspent, month by month: money the chain keeps (income, by most countries' rules)."""
    month = movements(f, "month")
    rows = [{"month": r["period"], "expired": r["expired"]} for r in month.rows]
    chart = Chart(
        "bar", [r["month"] for r in rows], [Series(_("Breakage"), [r["expired"] for r in rows])], y_title=_("money")
    )
    columns = [Column("month", _("Month")), Column("expired", _("Expired unspent"), "money")]
    return Table("breakage", gettext("Breakage: expired unspent, per month"), columns, rows, chart,
                 gettext("One ledger row per card the nightly job expired, dated when it ran."))  # fmt: skip


def per_store(f: ReportFilter) -> Table:
    """Sold (loads) and spent (payments net of refunds) per store: who sells the cards, who takes them."""
    sums = {
        "loaded": Sum("amount", filter=Q(kind=Kind.LOAD)),
        "spent": Sum("amount", filter=Q(kind__in=[Kind.PAY, Kind.REFUND])),
        "cards_sold": Count("gift_card", filter=Q(kind=Kind.LOAD), distinct=True),
    }
    found = {r["store_id"]: r for r in ledger(f).exclude(store_id=None).values("store_id").annotate(**sums)}
    stores = Store.objects.filter(pk=f.store.pk) if f.store is not None else Store.objects.order_by("name")
    rows = [
        {"store": s.name, "cards_sold": found.get(s.pk, {}).get("cards_sold", 0),
         "loaded": money(found.get(s.pk, {}).get("loaded")), "spent": -money(found.get(s.pk, {}).get("spent"))}
        for s in stores
    ]  # fmt: skip
    for r in rows:
        r["net"] = r["loaded"] - r["spent"]
    columns = [
        Column("store", _("Store")), Column("cards_sold", _("Cards loaded"), "int"),
        Column("loaded", _("Sold"), "money"), Column("spent", _("Spent (net of refunds)"), "money"),
        Column("net", _("Sold − spent"), "money"),
    ]  # fmt: skip
    chart = Chart(
        "bar", [r["store"] for r in rows],
        [Series(_("Sold"), [r["loaded"] for r in rows]), Series(_("Spent"), [r["spent"] for r in rows])],
        y_title=_("money"),
    )  # fmt: skip
    note = _("A card sold in one store is often spent in another: the net is what moved between them.")
    return Table("stores", gettext("Per store: sold and spent"), columns, rows, chart, note)


def expiring(today: date) -> Table:
    """Balances on active cards by the month they expire, the next 12 months (past dates in the first row)."""
    end = _months_after(today, HORIZON_MONTHS)
    found = {
        as_local_date(r["month"]): r
        for r in GiftCard.objects.filter(status=GiftCard.Status.ACTIVE, balance__gt=0, expires_on__lt=end)
        .annotate(month=TruncMonth("expires_on"))
        .values("month")
        .annotate(amount=Sum("balance"), cards=Count("id"))
    }
    first = today.replace(day=1)
    rows = []
    for i in range(HORIZON_MONTHS):
        month = _months_after(first, i)
        hits = [r for day, r in found.items() if (day <= month if i == 0 else day == month)]
        rows.append({"month": bucket_label(month, "month"), "cards": sum(r["cards"] for r in hits),
                     "amount": sum((money(r["amount"]) for r in hits), ZERO)})  # fmt: skip
    columns = [
        Column("month", _("Expires in")), Column("cards", _("Cards"), "int"), Column("amount", _("Balance"), "money"),
    ]  # fmt: skip
    chart = Chart(
        "bar", [r["month"] for r in rows], [Series(_("Expiring"), [r["amount"] for r in rows])], y_title=_("money")
    )
    return Table("expiring", gettext("Expiring soon: balances by month of expiry"), columns, rows, chart,
                 gettext("Active cards only; the first month includes cards already past their date."))  # fmt: skip


def _months_after(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def today_local(now) -> date:
    return local_date(now)
