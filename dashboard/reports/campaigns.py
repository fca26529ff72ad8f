"""Campaigns: what each one cost and what it brought, from the discount register, the receipt lines and
the coupons. Five statements for the whole page, whatever the number of campaigns: the campaigns of the
period with their categories (two), then

1. the register's campaign and coupon shares, per campaign (receipts and discount cost);
2. the revenue of the lines each campaign covers, during its days and the same number of days before,
   as one pass over the receipt lines with a filtered sum per campaign and side;
3. coupons issued and used, per campaign.

A campaign's days are whole days from its first to its last (or today, while it runs), on the clock of the
filter's store (else the chain's); a campaign with weekdays or hours counts, on both sides, only the lines
sold in them (on that clock). Revenue is what the covered lines sold for after every discount, net of what
was refunded of them since: the same measure on both sides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, ExtractMinute
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.local_time import day_start, zone
from dashboard.reports.common import ZERO, Chart, Column, ReportFilter, Series, Table, money, share
from loyalty.models import Category
from pos.models import ReceiptLine
from promotions.models import Campaign, Coupon, split_codes

NOTE = _(
    "Campaigns that ran in the period, each over its own days (to today while it runs) against the same "
    "number of days just before it. Receipts and cost from the discount register (the campaign's share, or "
    "its coupons'), as granted: a refund does not undo them, as on the discounts page. Covered revenue is "
    "what the lines the campaign covers sold for after discounts, in its stores, net of refunds; a campaign "
    "with weekdays or hours counts only the lines sold in them, on both sides."
)


@dataclass(frozen=True)
class Window:
    """A campaign's days as instants: before [before, during) and during [during, until)."""

    before: datetime
    during: datetime
    until: datetime
    days: int


def window(campaign: Campaign, today: date, zone_name: str) -> Window | None:
    """None for a campaign that has not started: nothing to compare yet."""
    last = min(campaign.ends_on, today)
    if last < campaign.starts_on:
        return None
    days = (last - campaign.starts_on).days + 1
    during = day_start(campaign.starts_on, zone_name)
    return Window(during - timedelta(days=days), during, day_start(last + timedelta(days=1), zone_name), days)


def campaigns_in(f: ReportFilter) -> list[Campaign]:
    return list(
        Campaign.objects.filter(starts_on__lte=f.end, ends_on__gte=f.start)
        .prefetch_related("categories")
        .order_by("starts_on", "name")
    )


def register_figures(ids: list[int], windows: dict[int, Window], f: ReportFilter) -> dict[int, tuple[int, Decimal]]:
    """campaign id -> (receipts, discount cost): its own share on automatic lines plus its coupons' shares,
    a line's first coupon's and any further ones' (one statement: the three as one union, grouped). The time
    range spans every campaign's days at once: a campaign's register rows can only have been written while
    it ran."""
    if not ids:
        return {}
    since, until = min(w.during for w in windows.values()), max(w.until for w in windows.values())
    store = "AND d.store_id = %s" if f.store is not None else ""
    sql = f"""
        SELECT shares.campaign_id, COUNT(DISTINCT shares.receipt_id), SUM(shares.amount)
        FROM (
            SELECT d.campaign_id, d.receipt_id, d.campaign_amount AS amount
            FROM pos_discountentry d
            WHERE d.campaign_id IN ({", ".join(["%s"] * len(ids))}) AND d.campaign_amount > 0
              AND d.created_at >= %s AND d.created_at < %s {store}
            UNION ALL
            SELECT c.campaign_id, d.receipt_id, d.coupon_amount
            FROM pos_discountentry d JOIN promotions_coupon c ON c.id = d.coupon_id
            WHERE c.campaign_id IN ({", ".join(["%s"] * len(ids))}) AND d.coupon_amount > 0
              AND d.created_at >= %s AND d.created_at < %s {store}
            UNION ALL
            SELECT c.campaign_id, d.receipt_id, s.amount
            FROM pos_couponshare s JOIN pos_discountentry d ON d.id = s.entry_id
              JOIN promotions_coupon c ON c.id = s.coupon_id
            WHERE c.campaign_id IN ({", ".join(["%s"] * len(ids))})
              AND d.created_at >= %s AND d.created_at < %s {store}
        ) shares
        GROUP BY shares.campaign_id
    """
    side = [*ids, since, until, *([f.store.pk] if f.store is not None else [])]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*side, *side, *side])
        found = {row[0]: (row[1], money(Decimal(str(row[2] or 0)))) for row in cursor.fetchall()}
    return found


def covered(campaign: Campaign) -> Q:
    """The receipt lines a campaign covers (excluded categories stay excluded), in its stores."""
    q = ~Q(category__discount_policy=Category.Policy.EXCLUDED)
    if campaign.scope == Campaign.Scope.CATEGORIES:
        q &= Q(category__in=[c.pk for c in campaign.categories.all()])
    elif campaign.scope == Campaign.Scope.SKUS:
        q &= Q(sku__in=sorted(split_codes(campaign.skus)))
    stores = split_codes(campaign.stores)
    if stores:
        q &= Q(receipt__store__code__in=sorted(stores))
    return q


def in_hours(campaign: Campaign) -> Q | None:
    """The receipt lines sold inside a campaign's weekdays and hours (None: it runs all day, every day), on
    the clock the report's days are read on: the local weekday (`local_weekday`, ISO: 1 = Monday) and
    minute of the day (`local_minute`) are annotated by covered_revenue. Hours past midnight belong to the
    day the window started on, as at the till (loyalty.rules.TimeWindowRule)."""
    days = sorted({int(d) for d in campaign.weekdays or "0123456"})
    iso = [d + 1 for d in days]
    if campaign.window_start is None or campaign.window_end is None:
        return Q(local_weekday__in=iso) if campaign.weekdays else None
    start = campaign.window_start.hour * 60 + campaign.window_start.minute
    end = campaign.window_end.hour * 60 + campaign.window_end.minute
    if start < end:
        return Q(local_weekday__in=iso, local_minute__gte=start, local_minute__lt=end)
    after_midnight = [(d + 1) % 7 + 1 for d in days]  # the next day's early hours
    return Q(local_weekday__in=iso, local_minute__gte=start) | Q(local_weekday__in=after_midnight, local_minute__lt=end)


def hours_text(campaign: Campaign) -> str:
    """' · Fri 22:00–02:00' for a campaign that runs on some days or hours only; '' for all day, every day. The
    days in the page's language (Django's own abbreviations: 0 is Monday, as in Campaign.weekdays)."""
    days = " ".join(str(WEEKDAYS_ABBR[int(d)]) for d in sorted(set(campaign.weekdays))) if campaign.weekdays else ""
    if campaign.window_start is not None and campaign.window_end is not None:
        days = f"{days} {campaign.window_start:%H:%M}–{campaign.window_end:%H:%M}".strip()
    return f" · {days}" if days else ""


def covered_revenue(campaigns: list[Campaign], windows: dict[int, Window], f: ReportFilter) -> dict[str, Decimal]:
    """'during_<id>' / 'before_<id>' -> revenue of the covered lines net of their refunds, in the campaign's
    hours on both sides: one pass, a filtered sum each."""
    if not windows:
        return {}
    net = F("total") - F("refunded_amount")
    sums, hours = {}, False
    for c in campaigns:
        w = windows.get(c.pk)
        if w is None:
            continue
        lines = covered(c)
        if (when := in_hours(c)) is not None:
            lines, hours = lines & when, True
        sums[f"during_{c.pk}"] = Sum(
            net, filter=lines & Q(receipt__created_at__gte=w.during, receipt__created_at__lt=w.until)
        )
        sums[f"before_{c.pk}"] = Sum(
            net, filter=lines & Q(receipt__created_at__gte=w.before, receipt__created_at__lt=w.during)
        )
    since, until = min(w.before for w in windows.values()), max(w.until for w in windows.values())
    qs = ReceiptLine.objects.filter(receipt__created_at__gte=since, receipt__created_at__lt=until)
    if hours:  # only then: reading every line's local clock is the costly part
        clock = zone(f.zone_name)
        qs = qs.annotate(
            local_weekday=ExtractIsoWeekDay("receipt__created_at", tzinfo=clock),
            local_minute=ExtractHour("receipt__created_at", tzinfo=clock) * 60
            + ExtractMinute("receipt__created_at", tzinfo=clock),
        )
    if f.store is not None:
        qs = qs.filter(receipt__store=f.store)
    return {key: money(value) for key, value in qs.aggregate(**sums).items()}


def coupon_figures(ids: list[int]) -> dict[int, dict]:
    rows = (
        Coupon.objects.filter(campaign_id__in=ids)
        .values("campaign_id")
        .annotate(issued=Count("id"), used=Count("id", filter=Q(uses__gt=0)), uses=Sum("uses"))
        .order_by()
    )
    return {row["campaign_id"]: row for row in rows}


COLUMNS = [
    Column("campaign", _("Campaign")),
    Column("days", _("Days")),
    Column("receipts", _("Receipts"), "int"),
    Column("cost", _("Discount cost"), "money"),
    Column("during", _("Covered revenue, during"), "money"),
    Column("before", _("Covered revenue, same days before"), "money"),
    Column("change", _("Change, %"), "percent"),
    Column("cost_share", _("Cost, % of covered revenue"), "percent"),
]
COUPON_COLUMNS = [
    Column("campaign", _("Campaign")),
    Column("issued", _("Coupons issued"), "int"),
    Column("used", _("Coupons used"), "int"),
    Column("used_share", _("Used, % of issued"), "percent"),
    Column("uses", _("Uses in all"), "int"),
]


def per_campaign(f: ReportFilter, today: date) -> Table:
    campaigns = campaigns_in(f)
    windows = {c.pk: w for c in campaigns if (w := window(c, today, f.zone_name)) is not None}
    register = register_figures(list(windows), windows, f)
    revenue = covered_revenue(campaigns, windows, f)
    coupons = coupon_figures([c.pk for c in campaigns])
    rows, not_started = [], gettext("(not started)")
    for c in campaigns:
        w = windows.get(c.pk)
        receipts, cost = register.get(c.pk, (0, ZERO))
        during, before = revenue.get(f"during_{c.pk}", ZERO), revenue.get(f"before_{c.pk}", ZERO)
        issued = coupons.get(c.pk, {"issued": 0, "used": 0, "uses": 0})
        rows.append({
            "campaign": c.name,
            "days": f"{c.starts_on:%d.%m.%Y}–{c.ends_on:%d.%m.%Y}" + hours_text(c) + ("" if w else f" {not_started}"),
            "receipts": receipts, "cost": cost, "during": during, "before": before,
            "change": share(during - before, before) if w else None,
            "cost_share": share(cost, during) if w else None,
            "issued": issued["issued"], "used": issued["used"], "uses": issued["uses"] or 0,
        })  # fmt: skip
    chart = Chart(
        "bar",
        [r["campaign"] for r in rows],
        [
            Series(_("Covered revenue, same days before"), [r["before"] for r in rows]),
            Series(_("Covered revenue, during"), [r["during"] for r in rows]),
            Series(_("Discount cost"), [r["cost"] for r in rows]),
        ],
        y_title=_("money"),
    )
    title = gettext("Campaigns: cost and covered revenue against the days before")
    return Table("campaigns", title, COLUMNS, rows, chart, NOTE)


def coupons_table(rows: list[dict]) -> Table:
    """Coupons issued against used, per campaign that has coupons."""
    with_coupons = [r for r in rows if r["issued"]]
    for r in with_coupons:
        r["used_share"] = share(r["used"], r["issued"])
    chart = Chart(
        "bar",
        [r["campaign"] for r in with_coupons],
        [
            Series(_("Issued"), [r["issued"] for r in with_coupons]),
            Series(_("Used"), [r["used"] for r in with_coupons]),
        ],
        horizontal=True,
    )
    note = _("Codes issued, codes used at least once (a shared code counts once), and uses in all.")
    return Table("coupons", gettext("Coupons issued and used"), COUPON_COLUMNS, with_coupons, chart, note)
