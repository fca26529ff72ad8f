"""The receipts behind a figure: a filtered list and one receipt with its lines, discounts and refunds."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet

from dashboard.reports.common import Column, ReportFilter, Table
from dashboard.reports.suspicious import receipt_url
from pos.models import DiscountEntry, Receipt

LIMIT = 500


@dataclass(frozen=True)
class Narrowing:
    """What a link from a report narrows the period's receipts to."""

    card: str = ""
    cashier: str = ""  # a user id, or "none" for receipts of an external POS
    discounted: bool = False
    ids: tuple[int, ...] = ()


def matching(f: ReportFilter, n: Narrowing) -> QuerySet:
    qs = Receipt.objects.filter(f.at())
    if n.ids:
        qs = Receipt.objects.filter(pk__in=n.ids)  # explicit receipts: whatever the period
    if n.card:
        # A link carries a card number; anything else (a NUL byte, a page of text) is no card's: no receipts.
        qs = (
            qs.filter(card__number=n.card) if n.card.isascii() and n.card.isdigit() and len(n.card) <= 20 else qs.none()
        )
    if n.cashier == "none":
        qs = qs.filter(cashier__isnull=True)
    elif n.cashier.isdigit():
        qs = qs.filter(cashier_id=int(n.cashier))
    if n.discounted:
        qs = qs.filter(Exists(DiscountEntry.objects.filter(receipt=OuterRef("pk"))))
    return qs


COLUMNS = [
    Column("receipt", "Receipt"),
    Column("at", "At"),
    Column("store", "Store"),
    Column("cashier", "Cashier"),
    Column("card", "Card"),
    Column("subtotal", "List price", "money"),
    Column("discount", "Discount", "money"),
    Column("points", "Paid in points", "money"),
    Column("paid", "Paid", "money"),
    Column("refunded", "Refunded", "money"),
]


def receipts_table(f: ReportFilter, n: Narrowing) -> Table:
    found = list(
        matching(f, n)
        .values(
            "id", "created_at", "store__name", "cashier__username", "card__number", "subtotal", "discount_total",
            "points_redeemed_amount", "total_due", "refunded_amount",
        )
        .order_by("-created_at", "-id")[:LIMIT]
    )  # fmt: skip
    rows = [
        {
            "receipt": f"#{r['id']}", "at": r["created_at"], "store": r["store__name"],
            "cashier": r["cashier__username"] or "—", "card": r["card__number"] or "—", "subtotal": r["subtotal"],
            "discount": r["discount_total"], "points": r["points_redeemed_amount"], "paid": r["total_due"],
            "refunded": r["refunded_amount"],
        }
        for r in found
    ]  # fmt: skip
    links = [{"receipt": receipt_url(r["id"])} for r in found]
    return Table("receipts", "Receipts", COLUMNS, rows, None, f"The latest {LIMIT} at most.", links)


def receipt_detail(receipt_id: int) -> Receipt | None:
    return (
        Receipt.objects.select_related("store", "terminal", "cashier", "card", "account__customer")
        .prefetch_related(
            "lines__category", "lines__discount", "refunds__lines__line", "refunds__clawbacks", "clawbacks__refund"
        )
        .filter(pk=receipt_id)
        .first()
    )
