"""Points: what was earned, redeemed, burned in the period (from the ledger), what is outstanding now
(the liability, in money) and what will burn in the next 30 and 90 days (from the live lots)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import F, IntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import TruncWeek
from django.utils.translation import gettext, ngettext
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
)
from loyalty.models import Account, PointsEntry, PointsLot, Programme
from pos.models import Receipt

Kind = PointsEntry.Kind
# Ledger kinds as the manager reads them: redeemed and burned (always debits) are shown as positive
# amounts; refunds and adjustments go both ways and are shown net, signed.
MOVEMENTS = [
    ("earned", _("Earned"), Kind.EARN, False),
    ("bonus", _("Welcome bonus"), Kind.WELCOME, False),
    ("redeemed", _("Redeemed"), Kind.REDEEM, True),
    ("burned", _("Burned"), Kind.EXPIRE, True),
    ("refunds", _("Refunds (net)"), Kind.REFUND, False),
    ("adjusted", _("Adjustments (net)"), Kind.ADJUST, False),
]
TITLES = {"day": _("Points per day"), "week": _("Points per week"), "month": _("Points per month")}
HORIZONS = (30, 90)


def ledger(f: ReportFilter) -> QuerySet:
    """The period's ledger; with a store, only entries caused by that store's receipts."""
    entries = PointsEntry.objects.filter(f.at(store_path=None)).exclude(kind=Kind.TRANSFER)
    if f.store is not None:
        entries = entries.filter(receipt_id__in=Receipt.objects.filter(f.at()).values("id"))
    return entries


def movements(f: ReportFilter) -> Table:
    grain = f.grain
    sums = {
        kind: Sum("points", filter=Q(kind=kind)) for _, _, kind, _ in MOVEMENTS
    }  # one pass: every kind is a filtered sum
    with hashed():
        found = {
            as_local_date(row["bucket"]): row
            for row in ledger(f).annotate(bucket=TRUNC[grain]("created_at")).values("bucket").annotate(**sums)
        }
    rows = []
    for day in buckets(f, grain):
        row = found.get(day, {})
        rows.append(
            {"period": bucket_label(day, grain)}
            | {key: abs(money(row.get(kind))) if debit else money(row.get(kind)) for key, _, kind, debit in MOVEMENTS}
        )
    columns = [Column("period", GRAIN_TITLES[grain])] + [Column(key, title, "points") for key, title, _, _ in MOVEMENTS]
    chart = Chart(
        "bar",
        [r["period"] for r in rows],
        [
            Series(_("Earned"), [r["earned"] + r["bonus"] for r in rows], stack="in"),
            Series(_("Redeemed"), [r["redeemed"] for r in rows], stack="out"),
            Series(_("Burned"), [r["burned"] for r in rows], stack="out"),
        ],
        y_title=_("points"),
    )
    note = gettext(
        "From the points ledger. Transfers between a replaced card and its successor are left out (they net to 0)."
    )
    if f.store is not None:
        note += " " + gettext("With a store chosen: only points earned, redeemed or refunded on that store's receipts.")
    return Table("movements", TITLES[grain], columns, rows, chart, note)


def _with_programme(qs: QuerySet, programmes: dict[int, dict], path: str) -> QuerySet:
    """Tag rows with their programme; with a single programme (the usual chain) without joining to find it."""
    if len(programmes) == 1:
        return qs.annotate(programme=Value(next(iter(programmes)), output_field=IntegerField()))
    return qs.annotate(programme=F(path))


def _programmes() -> dict[int, dict]:
    return {p["id"]: p for p in Programme.objects.values("id", "name", "point_value")}


def _held(programmes: dict[int, dict], now: datetime) -> tuple[dict, dict]:
    """Per programme: the balances on the accounts, and the part of it already past its burn date."""
    held = Account.objects.values("programme_id").annotate(p=Sum("points_balance")).values_list("programme_id", "p")
    overdue = PointsLot.objects.filter(remaining__gt=0, expires_at__lte=now)
    overdue = (
        _with_programme(overdue, programmes, "account__programme_id").values("programme").annotate(p=Sum("remaining"))
    )
    return dict(held.order_by()), dict(overdue.values_list("programme", "p").order_by())


def outstanding_value(now: datetime) -> Decimal:
    """What the chain owes in points now, in money (the summary's figure; the points page has the detail)."""
    programmes = _programmes()
    held, overdue = _held(programmes, now)
    return sum(
        (money((money(held.get(pk)) - money(overdue.get(pk))) * p["point_value"]) for pk, p in programmes.items()),
        ZERO,
    )


def outlook(now: datetime) -> tuple[Table, Table]:
    """What is outstanding now per programme, and what burns week by week in the next 90 days.

    Outstanding = the accounts' balances (the ledger's cache, kept equal to it in the same transaction)
    less points whose burn date has passed but that the nightly job has not burned yet: one pass over the
    accounts instead of over every lot. What burns soon comes from live lots by expiry (partial index).
    """
    programmes = _programmes()
    held, overdue = _held(programmes, now)
    live = PointsLot.objects.filter(remaining__gt=0)
    horizon = {
        f"burn{days}": Sum("remaining", filter=Q(expires_at__lte=now + timedelta(days=days))) for days in HORIZONS
    }
    weeks = list(
        _with_programme(live.filter(expires_at__gt=now, expires_at__lte=now + timedelta(days=max(HORIZONS))),
                        programmes, "account__programme_id")
        .annotate(week=TruncWeek("expires_at")).values("programme", "week").annotate(**horizon).order_by()
    )  # fmt: skip
    return _liability(programmes, held, overdue, weeks), _calendar(now, weeks)


def burn_in(days: int, in_money: bool = False) -> str:
    """'Burn in 30 days', the heading of what burns within a horizon, in the page's language."""
    if in_money:
        return ngettext("Burn in %(days)s day (money)", "Burn in %(days)s days (money)", days) % {"days": days}
    return ngettext("Burn in %(days)s day", "Burn in %(days)s days", days) % {"days": days}


def _liability(programmes: dict, held: dict, overdue: dict, weeks: list[dict]) -> Table:
    rows = []
    for pk, programme in sorted(programmes.items(), key=lambda item: item[1]["name"]):
        value = programme["point_value"]
        row = {"programme": programme["name"], "points": money(held.get(pk)) - money(overdue.get(pk))}
        for days in HORIZONS:
            row[f"burn{days}"] = sum((money(w[f"burn{days}"]) for w in weeks if w["programme"] == pk), ZERO)
        for key in ["points", *(f"burn{days}" for days in HORIZONS)]:
            row[f"{key}_value"] = money(row[key] * value)
        rows.append(row)
    columns = [
        Column("programme", _("Programme")),
        Column("points", _("Outstanding points"), "points"),
        Column("points_value", _("Liability (money)"), "money"),
    ]
    for days in HORIZONS:
        columns += [
            Column(f"burn{days}", burn_in(days), "points"),
            Column(f"burn{days}_value", burn_in(days, in_money=True), "money"),
        ]
    note = _(
        "As of now, whatever the period: points on the cards whose burn date has not come, valued at the programme's "
        "value of a point. The liability is what the chain owes if every point is spent."
    )
    return Table("liability", _("Outstanding points (liability)"), columns, rows, None, note)


def _calendar(now: datetime, weeks: list[dict]) -> Table:
    found: dict = {}
    for w in weeks:
        day = as_local_date(w["week"])
        found[day] = found.get(day, ZERO) + money(w[f"burn{max(HORIZONS)}"])
    first = as_local_date(now) - timedelta(days=as_local_date(now).weekday())
    rows = [{"week": bucket_label(w, "week"), "points": money(found.get(w))} for w in
            (first + timedelta(weeks=i) for i in range(14))]  # fmt: skip
    chart = Chart(
        "bar",
        [r["week"] for r in rows],
        [Series(_("Points that burn"), [r["points"] for r in rows])],
        y_title=_("points"),
    )
    columns = [Column("week", _("Week")), Column("points", _("Points that burn"), "points")]
    note = _("Customers are told before their points burn: this is what they will hear about.")
    return Table("burning", _("What burns in the next 90 days"), columns, rows, chart, note)
