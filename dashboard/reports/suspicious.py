"""Patterns worth a look: how discounts end up in the seller's pocket. Each finding links to the
receipts behind it. Thresholds are parameters of the page, with the defaults below."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib.auth.models import User
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    RowRange,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Lag, TruncDate
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cards.models import Card
from dashboard.reports.common import Chart, Column, ReportFilter, Series, Table, as_local_date, hashed, share
from pos.models import CardActivation, Receipt, Refund, Store

LIMIT = 200  # findings shown per pattern; the CSV has the same rows


@dataclass(frozen=True)
class Thresholds:
    minutes: int = 30  # one card in two stores within this many minutes
    per_day: int = 5  # receipts of one card in one day
    gap: Decimal = Decimal(20)  # points a cashier's card share may stand above the store's
    times: Decimal = Decimal(2)  # how many times the store's activation rate a cashier may reach
    min_receipts: int = 30  # a cashier with fewer receipts is not judged
    hours: int = 24  # a refund within this many hours after points were redeemed


def elapsed(delta: timedelta, unit: timedelta) -> Decimal:
    """A time span in `unit`s to one decimal, from whole seconds: no floats."""
    return (Decimal(delta // timedelta(seconds=1)) / Decimal(unit // timedelta(seconds=1))).quantize(Decimal("0.1"))


def receipt_url(receipt_id: int) -> str:
    return reverse("manager:receipt", args=[receipt_id])


def receipts_url(**params) -> str:
    return f"{reverse('manager:receipts')}?{urlencode(params)}"


# --- one card in two stores within minutes ------------------------------------------------------


def _previous(field: str) -> Window:
    """The same card's previous receipt (index receipt_card_time serves the ordering)."""
    return Window(Lag(field), partition_by=[F("card_id")], order_by=[F("created_at").asc(), F("id").asc()])


def two_stores(f: ReportFilter, t: Thresholds) -> Table:
    qs = Receipt.objects.filter(f.at(store_path=None), card__isnull=False).annotate(
        prev_id=_previous("id"), prev_store=_previous("store_id"), prev_at=_previous("created_at")
    )
    if f.store is not None:
        # The store may be either end of the pair, so it is judged after the window, not before it.
        here = Case(When(store_id=f.store.pk, then=Value(1)), default=Value(0), output_field=IntegerField())
        qs = qs.annotate(
            here=Window(
                Max(here),
                partition_by=[F("card_id")],
                order_by=[F("created_at").asc(), F("id").asc()],
                frame=RowRange(start=-1, end=0),
            ),
        ).filter(here=1)
    qs = qs.filter(prev_id__isnull=False, created_at__lte=F("prev_at") + timedelta(minutes=t.minutes))
    qs = qs.exclude(prev_store=F("store_id"))
    # No ORDER BY / LIMIT in SQL: PostgreSQL would sort the whole window's rows before filtering them;
    # the findings are few, so they are sorted here. Card numbers too are looked up for the findings only.
    found = list(qs.values("id", "created_at", "store_id", "card_id", "prev_id", "prev_at", "prev_store").order_by())
    found = sorted(found, key=lambda r: (r["created_at"], r["id"]), reverse=True)[:LIMIT]
    numbers = dict(Card.objects.filter(pk__in={r["card_id"] for r in found}).values_list("id", "number"))
    stores = dict(Store.objects.values_list("id", "name"))
    rows, links = [], []
    for r in found:
        r["card__number"] = numbers[r["card_id"]]
        minutes = elapsed(r["created_at"] - r["prev_at"], timedelta(minutes=1))
        rows.append(
            {
                "card": r["card__number"],
                "first": f"#{r['prev_id']}",
                "first_store": stores[r["prev_store"]],
                "second": f"#{r['id']}",
                "second_store": stores[r["store_id"]],
                "at": r["created_at"],
                "minutes": minutes,
            }
        )
        links.append(
            {
                "first": receipt_url(r["prev_id"]),
                "second": receipt_url(r["id"]),
                "card": receipts_url(**f.query() | {"store": "", "card": r["card__number"]}),
            }
        )
    columns = [
        Column("card", _("Card")),
        Column("first", _("Receipt")),
        Column("first_store", _("Store")),
        Column("second", _("Then receipt")),
        Column("second_store", _("In store")),
        Column("at", _("At")),
        Column("minutes", _("Minutes apart"), "number"),
    ]
    note = gettext(
        "Two consecutive receipts of one card in different stores at most %(minutes)s minutes apart: a card "
        "lent around, or a number typed in by a cashier."
    ) % {"minutes": t.minutes}
    return Table("two-stores", _("One card in two stores within minutes"), columns, rows, None, note, links)


# --- one card unusually often in a day ----------------------------------------------------------


def often(f: ReportFilter, t: Thresholds) -> Table:
    card_days = Receipt.objects.filter(f.at(), card__isnull=False).annotate(day=TruncDate("created_at"))
    # The busy (card, day) pairs first, from receipts alone; numbers and stores only for what was found.
    found = list(
        card_days.values("card_id", "day")
        .annotate(receipts=Count("id"))
        .filter(receipts__gte=t.per_day)
        .order_by("-receipts", "-day", "card_id")[:LIMIT]
    )
    cards = {r["card_id"] for r in found}
    in_stores = card_days.filter(card_id__in=cards).values("card_id", "day").order_by()
    stores = {(r["card_id"], r["day"]): r["n"] for r in in_stores.annotate(n=Count("store_id", distinct=True))}
    numbers = dict(Card.objects.filter(pk__in=cards).values_list("id", "number"))
    for r in found:
        r["card__number"], r["stores"] = numbers[r["card_id"]], stores[(r["card_id"], r["day"])]
    rows, links = [], []
    for r in found:
        day = as_local_date(r["day"]).isoformat()
        rows.append({"card": r["card__number"], "day": day, "receipts": r["receipts"], "stores": r["stores"]})
        links.append({"receipts": receipts_url(**f.query() | {"from": day, "to": day, "card": r["card__number"]})})
    columns = [
        Column("card", _("Card")),
        Column("day", _("Day")),
        Column("receipts", _("Receipts"), "int"),
        Column("stores", _("Stores"), "int"),
    ]
    chart = Chart(
        "bar",
        [f"{r['card']} {r['day']}" for r in rows[:30]],
        [Series(_("Receipts that day"), [r["receipts"] for r in rows[:30]])],
        horizontal=True,
    )
    note = gettext(
        "A card on %(per_day)s or more receipts in one day: a shared card, or a cashier scanning their own card "
        "for other customers."
    ) % {"per_day": t.per_day}
    return Table("often", _("One card unusually often in a day"), columns, rows, chart, note, links)


# --- a cashier far above the store --------------------------------------------------------------


ACTIVATION_MINUTES = 15


def _activated_here(f: ReportFilter) -> Q:
    """A receipt rung up within minutes of its card's activation, in the period: that card's first use.

    For cards activated without a record of who did it (CardActivation: before it existed, or outside
    the till): a card is activated in the checkout of its first purchase, so the cashier of a receipt
    that close after the activation is the one who registered the card.
    """
    after = F("card__activated_at")
    return Q(card__activated_at__gte=f.since, card__activated_at__lt=f.until, created_at__gte=after,
             created_at__lte=after + timedelta(minutes=ACTIVATION_MINUTES), card__activation__isnull=True)  # fmt: skip


def _activations(f: ReportFilter) -> dict[tuple[int, int | None], int]:
    """Cards activated in the period per (store, cashier): as recorded at the till, else inferred."""
    recorded = CardActivation.objects.filter(f.at()).values("store_id", "cashier_id").order_by()
    counts = Counter({(r["store_id"], r["cashier_id"]): r["n"] for r in recorded.annotate(n=Count("id"))})
    inferred = Receipt.objects.filter(f.at(), _activated_here(f)).values("store_id", "cashier_id").order_by()
    counts.update(
        {(r["store_id"], r["cashier_id"]): r["n"] for r in inferred.annotate(n=Count("card_id", distinct=True))}
    )
    return counts


def cashiers(f: ReportFilter, t: Thresholds) -> Table:
    with hashed():
        found = list(
            Receipt.objects.filter(f.at())
            .values("store_id", "cashier_id")
            .annotate(receipts=Count("id"), card_receipts=Count("id", filter=Q(card__isnull=False)))
            .order_by()
        )
    # Apart from the counts above: as a filtered distinct count there, it would sort every receipt of the period.
    activations = _activations(f)
    for r in found:
        r["activations"] = activations.get((r["store_id"], r["cashier_id"]), 0)
    store_names = dict(Store.objects.values_list("id", "name"))
    usernames = dict(User.objects.filter(pk__in={r["cashier_id"] for r in found}).values_list("id", "username"))
    stores: dict[int, dict] = {}
    for r in found:
        r["store__name"], r["cashier__username"] = store_names[r["store_id"]], usernames.get(r["cashier_id"])
        s = stores.setdefault(r["store_id"], {"receipts": 0, "card_receipts": 0, "activations": 0})
        for key in s:
            s[key] += r[key]
    rows = [_cashier_row(f, r, stores[r["store_id"]], t) for r in found]
    return _cashiers_table(f, rows, t)


# What the cashiers table says of a cashier: why flagged, or that there are too few receipts to judge.
FLAGS = {"card share": _("card share"), "activations": _("activations"), "too few": _("too few")}


def _cashier_row(f: ReportFilter, r: dict, store: dict, t: Thresholds) -> dict:
    card_share, store_share = share(r["card_receipts"], r["receipts"]), share(store["card_receipts"], store["receipts"])
    rate = share(r["activations"], r["receipts"])
    store_rate = share(store["activations"], store["receipts"])
    judged = r["receipts"] >= t.min_receipts
    flags = []
    if judged and card_share is not None and store_share is not None and card_share - store_share >= t.gap:
        flags.append(FLAGS["card share"])
    if judged and store_rate and r["activations"] >= 3 and rate >= store_rate * t.times:
        flags.append(FLAGS["activations"])
    return {
        "store": r["store__name"],
        "cashier": r["cashier__username"] or gettext("no cashier (external POS)"),
        "cashier_id": r["cashier_id"],
        "receipts": r["receipts"],
        "card_receipts": r["card_receipts"],
        "card_share": card_share,
        "store_share": store_share,
        "activations": r["activations"],
        "rate": rate,
        "store_rate": store_rate,
        "flag": ", ".join(map(str, flags)) if flags else ("" if judged else str(FLAGS["too few"])),
        "flagged": bool(flags),
    }


def _cashiers_table(f: ReportFilter, rows: list[dict], t: Thresholds) -> Table:
    rows.sort(key=lambda r: (not r["flagged"], r["store"], r["cashier"]))
    links = [{"receipts": receipts_url(**f.query() | {"cashier": r["cashier_id"] or "none"})} for r in rows]
    columns = [
        Column("store", _("Store")),
        Column("cashier", _("Cashier")),
        Column("receipts", _("Receipts"), "int"),
        Column("card_receipts", _("With a card"), "int"),
        Column("card_share", _("Card share"), "percent"),
        Column("store_share", _("Store's card share"), "percent"),
        Column("activations", _("Activations"), "int"),
        Column("rate", _("Activations per 100 receipts"), "number"),
        Column("store_rate", _("Store's activations per 100"), "number"),
        Column("flag", _("Far above")),
    ]
    labels = [f"{r['cashier']} @ {r['store']}" for r in rows]
    chart = Chart(
        "bar",
        labels,
        [
            Series(_("Cashier's card share"), [r["card_share"] for r in rows]),
            Series(_("Store's card share"), [r["store_share"] for r in rows]),
        ],
        y_title=_("%"),
    )
    note = gettext(
        "Flagged: a card share %(gap)s points or more above the store's, or activations per receipt %(times)s "
        "times the store's or more (at least 3), for cashiers with at least %(min_receipts)s receipts. Activations "
        "count for the cashier (or external terminal) the till recorded; a card activated without such a record (in "
        "the admin, or before the till kept one) counts for whoever rang up a receipt on it within %(minutes)s "
        "minutes of its activation."
    ) % {"gap": t.gap, "times": t.times, "min_receipts": t.min_receipts, "minutes": ACTIVATION_MINUTES}
    return Table("cashiers", _("Cashiers far above their store"), columns, rows, chart, note, links)


# --- refunds soon after points were redeemed ----------------------------------------------------


def refunds_after_redeem(f: ReportFilter, t: Thresholds) -> Table:
    window = timedelta(hours=t.hours)
    redeeming = Receipt.objects.filter(
        account=OuterRef("receipt__account"),
        points_redeemed__gt=0,
        created_at__lte=OuterRef("created_at"),
        created_at__gte=OuterRef("created_at") - window,
    ).order_by("-created_at", "-id")
    found = list(
        Refund.objects.filter(f.at(store_path="receipt__store"), receipt__account__isnull=False)
        .annotate(
            redeem_id=Subquery(redeeming.values("id")[:1]),
            redeem_at=Subquery(redeeming.values("created_at")[:1]),
            redeemed=Subquery(redeeming.values("points_redeemed")[:1]),
        )
        .filter(redeem_id__isnull=False)
        .values(
            "id",
            "created_at",
            "receipt_id",
            "receipt__card__number",
            "receipt__store__name",
            "amount_refunded",
            "points_returned",
            "redeem_id",
            "redeem_at",
            "redeemed",
        )
        .order_by("-created_at", "-id")[:LIMIT]
    )
    rows, links = [], []
    for r in found:
        hours = elapsed(r["created_at"] - r["redeem_at"], timedelta(hours=1))
        rows.append(
            {
                "refund": f"#{r['id']}",
                "at": r["created_at"],
                "card": r["receipt__card__number"],
                "store": r["receipt__store__name"],
                "receipt": f"#{r['receipt_id']}",
                "redeem": f"#{r['redeem_id']}",
                "redeemed": r["redeemed"],
                "hours": hours,
                "refunded": r["amount_refunded"],
                "returned": r["points_returned"],
            }
        )
        links.append({"receipt": receipt_url(r["receipt_id"]), "redeem": receipt_url(r["redeem_id"])})
    columns = [
        Column("refund", _("Refund")),
        Column("at", _("At")),
        Column("card", _("Card")),
        Column("store", _("Store")),
        Column("receipt", _("Refunded receipt")),
        Column("redeem", _("Points redeemed on")),
        Column("redeemed", _("Points redeemed"), "points"),
        Column("hours", _("Hours after"), "number"),
        Column("refunded", _("Cash refunded"), "money"),
        Column("returned", _("Points returned"), "points"),
    ]
    note = gettext(
        "A refund at most %(hours)s hours after the same customer paid with points: points turned into cash, or "
        "a refund rung up to move points between cards."
    ) % {"hours": t.hours}
    return Table("refunds", _("Refunds soon after points were redeemed"), columns, rows, None, note, links)


PATTERNS = {
    "two-stores": (_("Two stores within minutes"), two_stores),
    "often": (_("Often in a day"), often),
    "cashiers": (_("Cashiers far above the store"), cashiers),
    "refunds": (_("Refunds after redeeming"), refunds_after_redeem),
}


def count_findings(table: Table) -> int:
    if table.slug == "cashiers":
        return sum(1 for r in table.rows if r["flagged"])
    return len(table.rows)
