"""Card holders against receipts without a card, and the return on discounts.

One GROUP BY over the period's receipts (month x with/without a card) gives every figure; the
return is arithmetic on those few sums, with the method stated in `METHOD` and on the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import BooleanField, Case, Count, DecimalField, ExpressionWrapper, F, Sum, Value, When
from django.db.models.functions import TruncMonth
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dashboard.reports.common import (
    ZERO,
    Chart,
    Column,
    ReportFilter,
    Series,
    Table,
    as_local_date,
    bucket_label,
    hashed,
    money,
    ratio,
    share,
)
from loyalty.models import Programme
from pos.models import Receipt

DEFAULT_MARKUP = Decimal("25")
AVERAGE_MONTH = Decimal("30.4375")  # days: 365.25 / 12
METHOD = _(
    "How this is worked out. Extra margin = (average receipt of card holders at list price − average receipt "
    "without a card at list price) × receipts of card holders × gross margin share m / (1 + m), with m the "
    "markup entered above. "
    "Cost = discounts granted on card holders' receipts + points earned on them × the value of a point (points count "
    "as a cost when earned, whether or not they are spent later). Return = extra margin − cost; per 1.00 of cost = "
    "extra margin / cost. It assumes card holders would, without the card, buy like customers without one, so the "
    "whole difference is credited to the programme: read it as an upper bound. Visits per card per month = receipts "
    "with a card ÷ cards that bought in the period ÷ months in the period (days / 30.44); it cannot be compared with "
    "customers without a card, whose receipts have no customer to count."
)


@dataclass(frozen=True)
class Side:
    """Sums over one side's receipts in the period."""

    receipts: int = 0
    list_sales: Decimal = ZERO  # before discounts
    discount: Decimal = ZERO
    points_paid: Decimal = ZERO  # money value of points that paid part of the receipts
    paid: Decimal = ZERO  # money taken
    points_cost: Decimal = ZERO  # value of the points earned

    @property
    def revenue(self) -> Decimal:
        """What the goods sold for after discounts, paid in money or in points."""
        return self.list_sales - self.discount

    def add(self, row: dict) -> Side:
        return Side(
            receipts=self.receipts + row["receipts"],
            list_sales=self.list_sales + money(row["list_sales"]),
            discount=self.discount + money(row["discount"]),
            points_paid=self.points_paid + money(row["points_paid"]),
            paid=self.paid + money(row["paid"]),
            points_cost=self.points_cost + money(row["points_cost"]),
        )


def _points_cost():
    """Points earned x the value of a point: one join to the programme only if values differ between programmes."""
    values = set(Programme.objects.values_list("point_value", flat=True))
    if len(values) <= 1:
        return Sum("points_earned") * Value(values.pop() if values else Decimal("1.00"))
    return Sum(
        ExpressionWrapper(F("points_earned") * F("account__programme__point_value"), output_field=DecimalField())
    )


def monthly(f: ReportFilter) -> list[dict]:
    """Sums per month, with and without a card."""
    holder = Case(When(card__isnull=False, then=Value(True)), default=Value(False), output_field=BooleanField())
    with hashed():
        rows = list(
            Receipt.objects.filter(f.at())
            .annotate(month=TruncMonth("created_at"), holder=holder)
            .values("month", "holder")
            .annotate(
                receipts=Count("id"),
                list_sales=Sum("subtotal"),
                discount=Sum("discount_total"),
                points_paid=Sum("points_redeemed_amount"),
                paid=Sum("total_due"),
                points_cost=_points_cost(),
            )
            .order_by()  # sorted below: asked to sort, PostgreSQL would sort the year's receipts, not the 26 sums
        )
    rows.sort(key=lambda row: (row["month"], row["holder"]))
    return rows


def totals(f: ReportFilter) -> list[dict]:
    """The period's sums with and without a card, not per month: what a comparison with another period needs
    (two groups, so no sort to avoid; sides() and return_on_discounts() read these rows as monthly()'s)."""
    holder = Case(When(card__isnull=False, then=Value(True)), default=Value(False), output_field=BooleanField())
    return list(
        Receipt.objects.filter(f.at())
        .annotate(holder=holder)
        .values("holder")
        .annotate(
            receipts=Count("id"),
            list_sales=Sum("subtotal"),
            discount=Sum("discount_total"),
            points_paid=Sum("points_redeemed_amount"),
            paid=Sum("total_due"),
            points_cost=_points_cost(),
        )
        .order_by()
    )


def cards_that_bought(f: ReportFilter) -> int:
    """Distinct cards on the period's receipts: DISTINCT over the card-ordered index, no sort."""
    return Receipt.objects.filter(f.at(), card__isnull=False).values("card_id").distinct().order_by().count()


def sides(rows: list[dict]) -> tuple[Side, Side]:
    holders, others = Side(), Side()
    for row in rows:
        if row["holder"]:
            holders = holders.add(row)
        else:
            others = others.add(row)
    return holders, others


def comparison(f: ReportFilter, rows: list[dict], cards: int) -> Table:
    holders, others = sides(rows)
    revenue = holders.revenue + others.revenue
    months = Decimal(f.days) / AVERAGE_MONTH
    table_rows = [
        _side_row(gettext("With a card"), holders, revenue)
        | {"visits": ratio(Decimal(holders.receipts), cards * months)},
        _side_row(gettext("Without a card"), others, revenue) | {"visits": None},
    ]
    columns = [
        Column("who", _("Customers")),
        Column("receipts", _("Receipts"), "int"),
        Column("revenue", _("Revenue"), "money"),
        Column("share", _("Share of revenue"), "percent"),
        Column("average", _("Average receipt"), "money"),
        Column("average_list", _("Average receipt at list price"), "money"),
        Column("visits", _("Visits per card per month"), "number"),
        Column("discount", _("Discounts"), "money"),
        Column("points_cost", _("Points earned (money)"), "money"),
    ]
    chart = _monthly_chart(rows)
    return Table(
        "comparison",
        _("Card holders and receipts without a card"),
        columns,
        table_rows,
        chart,
        gettext("Revenue = list price − discounts (what the goods sold for, in money or in points)."),
    )


def _side_row(who: str, side: Side, revenue: Decimal) -> dict:
    return {
        "who": who,
        "receipts": side.receipts,
        "revenue": side.revenue,
        "share": share(side.revenue, revenue),
        "average": ratio(side.revenue, side.receipts),
        "average_list": ratio(side.list_sales, side.receipts),
        "discount": side.discount,
        "points_cost": side.points_cost,
    }


def _monthly_chart(rows: list[dict]) -> Chart:
    months = sorted({as_local_date(r["month"]) for r in rows})
    labels = [bucket_label(m, "month") for m in months]
    by = {(as_local_date(r["month"]), r["holder"]): money(r["list_sales"]) - money(r["discount"]) for r in rows}
    return Chart(
        "bar",
        labels,
        [
            Series(_("With a card"), [by.get((m, True), ZERO) for m in months], stack="r"),
            Series(_("Without a card"), [by.get((m, False), ZERO) for m in months], stack="r"),
        ],
        stacked=True,
        y_title=_("revenue"),
    )


@dataclass(frozen=True)
class Return:
    markup: Decimal
    margin_share: Decimal  # m / (1 + m)
    extra_list_sales: Decimal | None
    extra_margin: Decimal | None
    discount: Decimal
    points_cost: Decimal
    cost: Decimal
    net: Decimal | None
    per_cost: Decimal | None  # extra margin per 1.00 of cost


def return_on_discounts(rows: list[dict], markup_percent: Decimal) -> Return:
    holders, others = sides(rows)
    markup = Decimal(markup_percent) / 100
    margin_share = markup / (1 + markup)
    cost = holders.discount + holders.points_cost
    extra_list = extra_margin = net = per_cost = None
    if others.receipts and holders.receipts:
        # Full precision until the end, then half-up to the cent (as every money figure here).
        extra_list = holders.list_sales - others.list_sales / others.receipts * holders.receipts
        extra_margin = money(extra_list * margin_share)
        extra_list, net = money(extra_list), extra_margin - cost
        per_cost = ratio(extra_margin, cost) if cost else None
    return Return(
        markup_percent,
        margin_share.quantize(Decimal("0.0001")),
        extra_list,
        extra_margin,
        holders.discount,
        holders.points_cost,
        cost,
        net,
        per_cost,
    )


def return_table(result: Return) -> Table:
    rows = [
        {"figure": _("Extra sales of card holders at list price"), "amount": result.extra_list_sales},
        {
            "figure": gettext("Extra margin (markup %(markup)s %%, margin share %(share)s)")
            % {"markup": number_format(result.markup), "share": number_format(result.margin_share)},
            "amount": result.extra_margin,
        },
        {"figure": _("Discounts granted"), "amount": result.discount},
        {"figure": _("Points earned (money)"), "amount": result.points_cost},
        {"figure": _("Cost of the programme"), "amount": result.cost},
        {"figure": _("Return = extra margin − cost"), "amount": result.net},
        {"figure": _("Extra margin per 1.00 of cost"), "amount": result.per_cost},
    ]
    chart = None
    if result.extra_margin is not None:
        chart = Chart(
            "bar",
            [_("Extra margin"), _("Discounts"), _("Points")],
            [
                Series(_("Brought back"), [result.extra_margin, None, None], stack="a"),
                Series(_("Cost"), [None, result.discount, result.points_cost], stack="a"),
            ],
            horizontal=True,
        )
    return Table(
        "return",
        _("Return on discounts"),
        [Column("figure", _("Figure")), Column("amount", _("Amount"), "money")],
        rows,
        chart,
        METHOD,
    )
