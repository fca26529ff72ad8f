"""The receipts behind a figure: a filtered list and one receipt with its lines, discounts and refunds."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dashboard.reports.common import Column, ReportFilter, Table
from dashboard.reports.suspicious import receipt_url
from loyalty.models import Account
from pos.models import CouponShare, DiscountEntry, Receipt, ReceiptLine
from promotions.rules.codes import printed

PAGE = 100  # receipts a page
MAX_ROW_ID = 2**63 - 1


@dataclass(frozen=True)
class Narrowing:
    """What a link from a report narrows the period's receipts to."""

    card: str = ""
    cashier: str = ""  # a user id, or "none" for receipts of an external POS
    discounted: bool = False
    ids: tuple[int, ...] = ()
    search: str = ""  # the search box: a receipt number, a card number (or its end), a cashier, an amount

    @property
    def on(self) -> bool:
        return bool(self.card or self.cashier or self.discounted or self.ids or self.search)


def searched(text: str) -> Q:
    """What the search box finds. Digits: a receipt number, a card number or its last digits, or an amount
    in whole units; "#12": receipt 12; "12.50" or "12,50": an amount paid or at list price; words: the
    cashier's login or the card holder's name."""
    text = text.strip()[:100]
    q = Q(pk__in=[])
    plain = text.lstrip("#")
    if plain.isascii() and plain.isdigit() and int(plain) <= MAX_ROW_ID:
        q |= Q(pk=int(plain))
        if text.startswith("#"):
            return q
        if len(plain) >= 4:
            q |= Q(card__number__endswith=plain) if len(plain) < 13 else Q(card__number=plain)
    try:
        amount = Decimal(text.replace(",", "."))
    except InvalidOperation:
        amount = None
    if amount is not None and amount.is_finite() and 0 <= amount < 10**10:
        q |= Q(total_due=amount) | Q(subtotal=amount)
    elif text and not text.replace(" ", "").isdigit():
        # Found in the small tables first, then matched by key: no join of a year's receipts to every name.
        cashiers = User.objects.filter(username__icontains=text).values("pk")
        accounts = Account.objects.filter(customer__name__icontains=text).values("pk")
        q |= Q(cashier_id__in=cashiers) | Q(account_id__in=accounts)
    return q


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
    if n.search:
        qs = qs.filter(searched(n.search))
    return qs


COLUMNS = [
    Column("receipt", _("Receipt")),
    Column("at", _("At")),
    Column("store", _("Store")),
    Column("cashier", _("Cashier")),
    Column("card", _("Card")),
    Column("subtotal", _("List price"), "money"),
    Column("discount", _("Discount"), "money"),
    Column("points", _("Paid in points"), "money"),
    Column("paid", _("Paid"), "money"),
    Column("refunded", _("Refunded"), "money"),
]


def receipts_table(f: ReportFilter, n: Narrowing, page: int = 1) -> tuple[Table, int]:
    """One page of the matching receipts, newest first, and how many match in all."""
    qs = matching(f, n)
    total = qs.count()
    found = list(
        qs.values(
            "id", "created_at", "store__name", "cashier__username", "card__number", "subtotal", "discount_total",
            "points_redeemed_amount", "total_due", "refunded_amount",
        )
        .order_by("-created_at", "-id")[(page - 1) * PAGE : page * PAGE]
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
    first = (page - 1) * PAGE + 1
    shown = {
        "first": number_format(first, force_grouping=True),
        "last": number_format(first + len(rows) - 1, force_grouping=True),
        "total": number_format(total, force_grouping=True),
    }
    note = gettext("%(first)s–%(last)s of %(total)s, newest first.") % shown if rows else ""
    return Table("receipts", _("Receipts"), COLUMNS, rows, None, note, links), total


def receipt_detail(receipt_id: int) -> Receipt | None:
    further = Prefetch("lines__discount__coupon_shares", CouponShare.objects.select_related("coupon__campaign"))
    return (
        Receipt.objects.select_related("store", "terminal", "cashier", "card", "account__customer")
        .prefetch_related(
            "lines__category",
            "lines__discount__campaign",
            "lines__discount__coupon__campaign",
            further,
            "refunds__lines__line",
            "refunds__clawbacks",
            "clawbacks__refund",
        )  # fmt: skip
        .filter(pk=receipt_id)
        .first()
    )


@dataclass(frozen=True)
class Source:
    """Where part of a line's discount came from, as the receipt page names it."""

    kind: str  # "card" | "campaign" | "coupon"
    label: str
    percent: Decimal
    amount: Decimal


def discount_sources(line: ReceiptLine) -> list[Source]:
    """A line's discount by where it came from, from its register row (prefetched by receipt_detail): the
    card at its level, the campaign by name, each coupon by its printed code and its campaign."""
    entry = getattr(line, "discount", None)
    if entry is None:
        return []
    further = list(entry.coupon_shares.all())
    card = entry.amount - entry.campaign_amount - entry.coupon_amount - sum((s.amount for s in further), Decimal(0))
    found = []
    if card > 0:
        found.append(Source("card", _("Card, %s") % (entry.level or _("base")), entry.card_percent, card))
    if entry.campaign_amount > 0:
        found.append(Source("campaign", entry.campaign.name, entry.campaign_percent, entry.campaign_amount))
    coupons = [(entry.coupon, entry.coupon_percent, entry.coupon_amount)] if entry.coupon_amount > 0 else []
    for coupon, percent, amount in coupons + [(s.coupon, s.percent, s.amount) for s in further]:
        found.append(Source("coupon", f"{printed(coupon.code)} ({coupon.campaign.name})", percent, amount))
    return found
