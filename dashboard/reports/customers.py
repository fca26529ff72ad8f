"""Customers per level and the flow between levels; active vs inactive cards; cards issued vs
activated per batch."""

from __future__ import annotations

from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils.translation import gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from cards.models import Card, CardBatch, CompanyJoin
from dashboard.reports.common import (
    GRAIN_TITLES,
    TRUNC,
    Chart,
    Column,
    ReportFilter,
    Series,
    Table,
    as_local_date,
    bucket_label,
    buckets,
    share,
)
from loyalty.models import Account, Company, Level, SpendEntry
from pos.models import Receipt

BASE = _("base (no level)")
Status = Card.Status
IN_USE = [Status.ACTIVE, Status.BLOCKED]
# What moved a card between levels (SpendEntry.kind), as the flow table shows it.
BECAUSE = {
    "purchase": pgettext_lazy("level change", "purchase"),
    "refund": pgettext_lazy("level change", "refund"),
    "inactivity": pgettext_lazy("level change", "inactivity"),
    "clawback": pgettext_lazy("level change", "clawback"),
}


def per_level() -> Table:
    """Today's cards in use (active or blocked) per programme and level, lowest level first."""
    # Accounts of replaced cards are history (their customer, spend and level moved on); telling them apart
    # by the replacement's link, a handful of rows, spares a join of every account to its card.
    # A staff card's own account, emptied when the card joined its company, is history as well (until the card
    # leaves the company and uses it again); the company's
    # one account stands for all its staff cards in use, so it counts as many cards as share it.
    replaced = Account.objects.filter(replaces__isnull=False).values("replaces_id")
    joined = CompanyJoin.objects.filter(left_at__isnull=True).values("from_account_id")
    # A company's account whose staff cards all left holds no card in use: it counts none.
    in_use = Card.objects.filter(account_id=OuterRef("account_id"), shares_account=True, status__in=IN_USE)
    idle = Company.objects.filter(account__isnull=False).exclude(Exists(in_use)).values("account_id")
    rows = list(
        Account.objects.exclude(pk__in=replaced)
        .exclude(pk__in=joined)
        .exclude(pk__in=idle)
        .values("programme__name", "level__name", "level__threshold")
        .annotate(cards=Count("id"))
        .order_by("programme__name", F("level__threshold").asc(nulls_first=True))
    )
    shared = (
        Card.objects.filter(shares_account=True, status__in=IN_USE)
        .values("account__programme__name", "account__level__name")
        .annotate(cards=Count("id"), accounts=Count("account", distinct=True))
    )
    extra = {(r["account__programme__name"], r["account__level__name"]): r["cards"] - r["accounts"] for r in shared}
    for row in rows:
        row["cards"] += extra.get((row["programme__name"], row["level__name"]), 0)
    total = sum(r["cards"] for r in rows)
    for row in rows:
        row["programme"], row["level"] = row["programme__name"], row["level__name"] or str(BASE)
        row["share"] = share(row["cards"], total)
    columns = [
        Column("programme", _("Programme")),
        Column("level", _("Level")),
        Column("cards", _("Customers' cards"), "int"),
        Column("share", _("Share of cards"), "percent"),
    ]
    chart = Chart("doughnut", [r["level"] for r in rows], [Series(_("Cards"), [r["cards"] for r in rows])])
    note = _(
        "Now, whatever the period: every card in use (active or blocked) at the level it holds today. Levels belong "
        "to cards, so a customer with two cards counts twice; a company's staff cards share its level and each counts."
    )
    return Table("levels", _("Customers per level"), columns, rows, chart, note)


def _ranks() -> dict[str, int]:
    """Level name -> position by threshold (base = -1), to tell a step up from a step down."""
    ranks: dict[str, int] = {"": -1}
    names = Level.objects.order_by("programme_id", "threshold").values_list("programme_id", "name")
    position: dict[int, int] = {}
    for programme_id, name in names:
        position[programme_id] = position.get(programme_id, -1) + 1
        ranks.setdefault(name, position[programme_id])
    return ranks


def flow(f: ReportFilter) -> Table:
    """Level changes per period, from the spend ledger (purchases, refunds, inactivity steps)."""
    grain = f.grain
    moves = SpendEntry.objects.filter(f.at(store_path=None)).exclude(kind=SpendEntry.Kind.TRANSFER)
    moves = moves.exclude(level_before=F("level_after"))
    if f.store is not None:
        moves = moves.filter(receipt_id__in=Receipt.objects.filter(f.at()).values("id"))
    rows = list(
        moves.annotate(bucket=TRUNC[grain]("created_at"))
        .values("bucket", "level_before", "level_after", "kind")
        .annotate(cards=Count("account_id", distinct=True))
        .order_by("bucket", "level_before", "level_after", "kind")
    )
    ranks = _ranks()
    for row in rows:
        row["period"] = bucket_label(as_local_date(row["bucket"]), grain)
        up = ranks.get(row["level_after"], -1) > ranks.get(row["level_before"], -1)
        row["up"] = up
        row["direction"] = pgettext("level change", "up") if up else pgettext("level change", "down")
        row["kind"] = str(BECAUSE.get(row["kind"], row["kind"]))
        row["from"], row["to"] = row["level_before"] or str(BASE), row["level_after"] or str(BASE)
    columns = [
        Column("period", GRAIN_TITLES[grain]),
        Column("from", _("From")),
        Column("to", pgettext_lazy("level change", "To")),
        Column("direction", _("Direction")),
        Column("kind", _("Because of")),
        Column("cards", _("Cards"), "int"),
    ]
    return Table(
        "flow",
        _("Flow between levels"),
        columns,
        rows,
        _flow_chart(f, grain, rows),
        gettext("Cards that changed level: up by buying, down by a refund or the inactivity rule."),
    )


def _flow_chart(f: ReportFilter, grain: str, rows: list[dict]) -> Chart:
    labels = [bucket_label(day, grain) for day in buckets(f, grain)]
    ups, downs = dict.fromkeys(labels, 0), dict.fromkeys(labels, 0)
    for row in rows:
        target = ups if row["up"] else downs
        target[row["period"]] += row["cards"]
    return Chart(
        "bar",
        labels,
        [Series(_("Up"), list(ups.values())), Series(_("Down"), [-n for n in downs.values()])],
        stacked=True,
        y_title=_("cards"),
    )


def activity(f: ReportFilter) -> Table:
    """Active cards that bought in the period (in the store, if one is chosen) against those that did not."""
    buying = Receipt.objects.filter(f.at(), card__isnull=False).aggregate(n=Count("card_id", distinct=True))["n"]
    counts = Card.objects.aggregate(
        **{status: Count("id", filter=Q(status=status)) for status in Status.values}, all=Count("id")
    )
    idle = max(0, counts[Status.ACTIVE] - buying)
    rows = [
        {"cards": gettext("Bought in the period"), "count": buying},
        {"cards": gettext("Active, no purchase in the period"), "count": idle},
        {"cards": gettext("Issued, never used"), "count": counts[Status.ISSUED]},
        {"cards": gettext("Blocked"), "count": counts[Status.BLOCKED]},
        {"cards": gettext("Replaced"), "count": counts[Status.REPLACED]},
    ]
    for row in rows:
        row["share"] = share(row["count"], counts["all"])
    columns = [
        Column("cards", _("Cards")),
        Column("count", _("Count"), "int"),
        Column("share", _("Share of all cards"), "percent"),
    ]
    chart = Chart("doughnut", [r["cards"] for r in rows], [Series(_("Cards"), [r["count"] for r in rows])])
    note = _(
        "A card counts as buying if it is on at least one receipt of the period; the rest of today's active cards "
        "are inactive for the period."
    )
    return Table("activity", _("Active and inactive cards"), columns, rows, chart, note)


def batches(limit: int = 50) -> Table:
    rows = list(
        CardBatch.objects.annotate(activated=Count("cards", filter=~Q(cards__status=Status.ISSUED)))
        .values("id", "name", "count", "created_at", "activated")
        .order_by("-id")[:limit]
    )
    for row in rows:
        row["batch"] = f"#{row['id']} {row['name']}".strip()
        row["issued"] = row["count"]
        row["created"] = as_local_date(row["created_at"]).isoformat()
        row["rate"] = share(row["activated"], row["count"])
    columns = [
        Column("batch", _("Batch")),
        Column("created", _("Printed")),
        Column("issued", _("Issued"), "int"),
        Column("activated", _("Activated"), "int"),
        Column("rate", _("Activated share"), "percent"),
    ]
    shown = list(reversed(rows))
    chart = Chart(
        "bar",
        [r["batch"] for r in shown],
        [Series(_("Issued"), [r["issued"] for r in shown]), Series(_("Activated"), [r["activated"] for r in shown])],
        y_title=_("cards"),
    )
    return Table(
        "batches",
        _("Cards issued and activated per batch"),
        columns,
        rows,
        chart,
        gettext("The latest %(limit)s batches, whatever the period.") % {"limit": limit},
    )
