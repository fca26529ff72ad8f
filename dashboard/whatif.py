"""What-if: replay the last N months of real receipts under a proposed programme, side by side with
the current one. Read-only: it changes no card, account or ledger; its result lives in the cache.

How the replay works (and what it leaves out, said on the page too):

* The same baskets: every line of every receipt of the programme's cards in the window, in the order
  the customers bought them (per card, by time). Both programmes are replayed by the same code, so the
  comparison is like for like; the recorded figures are shown next to them as a check.
* A card starts the window with the level-qualifying spend it really had then, and the level that spend
  reaches under each programme; every replayed purchase adds what it would have cost after discount and
  can only raise the level (loyalty.rules.level_after_purchase). Refunds and inactivity steps inside the
  window are not replayed; a rolling spend basis is treated as lifetime spend.
* Each line is discounted by loyalty.rules.line_percent (card percent, time windows, category policy,
  ceiling) and rounded down to the cent as at the till. Points are earned on the amount after discount,
  as if no points paid for anything: the cost of points is what they would be worth when earned.

* The proposal keeps the current programme's time windows, redeem cap and points lifetime.
* It may add a proposed campaign (dashboard/whatif_campaign.py): its percent on the lines it covers, on its
  days, on top of the proposed card discount and within the proposed ceiling.

Speed (bench/README.md): lines stream in whole cents from one ordered query through a server-side cursor
in a read transaction; per line the work is a dict lookup (percent by level, category and active time
windows) and integer arithmetic; the rules are asked about a card's level only when its spend reaches the
next threshold.
"""

from __future__ import annotations

import time as clock
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.core.cache import cache
from django.db.models import BigIntegerField, Count, F, Sum
from django.db.models.functions import Cast, Round
from django.utils import timezone

from core.local_time import local_time
from dashboard.reports.common import report_session
from dashboard.whatif_campaign import CampaignReplay, ProposedCampaign
from loyalty import rules
from loyalty.models import Category, Programme, SpendEntry
from loyalty.selectors import category_rules, programme_rules
from pos.models import Receipt, ReceiptLine, Store

CENT = rules.CENT
ZERO = rules.ZERO
HUNDRED = rules.HUNDRED
CACHE_SECONDS = 24 * 3600
PROGRESS_EVERY = 5000  # receipts between two progress reports


# --- the proposal -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    """A proposed programme to replay against `programme_id`'s receipts of the last `months` months."""

    programme_id: int
    months: int
    rules: rules.ProgrammeRules
    excluded: frozenset[str]  # category codes the proposal excludes from card discounts
    campaign: ProposedCampaign | None = None

    def to_json(self) -> dict:
        r = self.rules
        return {
            "programme_id": self.programme_id,
            "months": self.months,
            "kind": r.kind,
            "base_percent": str(r.base_percent),
            "ceiling_percent": str(r.ceiling_percent),
            "earn_percent": str(r.earn_percent),
            "point_value": str(r.point_value),
            "levels": [[lv.name, str(lv.threshold), str(lv.percent)] for lv in r.levels],
            "excluded": sorted(self.excluded),
            "campaign": self.campaign.to_json() if self.campaign else None,
        }

    @classmethod
    def from_json(cls, data: dict) -> Proposal:
        current = programme_rules(Programme.objects.get(pk=data["programme_id"]))
        proposed = replace(
            current,  # time windows, redeem cap and points lifetime stay as they are
            kind=data["kind"],
            base_percent=Decimal(data["base_percent"]),
            ceiling_percent=Decimal(data["ceiling_percent"]),
            earn_percent=Decimal(data["earn_percent"]),
            point_value=Decimal(data["point_value"]),
            levels=tuple(rules.LevelRule(n, Decimal(t), Decimal(p)) for n, t, p in data["levels"]),
        )
        campaign = ProposedCampaign.from_json(data.get("campaign"))
        return cls(data["programme_id"], int(data["months"]), proposed, frozenset(data["excluded"]), campaign)


def proposed_categories(current: dict[str, rules.CategoryRule], excluded: frozenset[str]) -> dict:
    """Excluded if the proposal says so; otherwise as today, except that a category excluded today becomes normal."""
    out = {}
    for code, rule in current.items():
        if code in excluded:
            out[code] = replace(rule, policy=rules.Policy.EXCLUDED)
        elif rule.policy == rules.Policy.EXCLUDED:
            out[code] = replace(rule, policy=rules.Policy.NORMAL)
        else:
            out[code] = rule
    return out


# --- one programme's replay ---------------------------------------------------------------------


def cents(amount: Decimal) -> int:
    return int(amount * 100)


def money_of(cents_: int) -> Decimal:
    return Decimal(cents_).scaleb(-2)  # exact, two decimals: 3080 -> 30.80


@dataclass
class Card:
    """One card's state in a replay, in cents: qualifying spend, level, and the spend at which the level can next
    rise."""

    spend: int
    level: str | None
    next_at: int | None  # None: at the top, nothing above


@dataclass
class Side:
    """One programme being replayed: its rules, each card's state, and the running totals.

    Amounts are whole cents (ints): a line's discount rounded down to the cent is exactly
    subtotal_cents * percent_hundredths // 10000, and ints are several times faster than Decimals over
    millions of lines. Time windows multiply points by a decimal factor, so with windows points go the
    Decimal way of loyalty.rules.
    """

    programme: rules.ProgrammeRules
    categories: dict[str, rules.CategoryRule]
    start_spend: dict[int, Decimal]
    state: dict[int, Card] = field(default_factory=dict)
    discount: int = 0
    points: int = 0
    per_store: dict[int, list[int]] = field(default_factory=dict)  # store -> [discount, points] in cents
    campaign: CampaignReplay | None = None  # the proposal's campaign, on the proposed side only
    _factors: dict = field(default_factory=dict)

    def _card(self, spend: int, level: str | None) -> Card:
        upcoming = rules.next_level(self.programme, level, money_of(spend))
        return Card(spend, level, cents(upcoming[0].threshold) if upcoming else None)

    def card(self, account_id: int) -> Card:
        card = self.state.get(account_id)
        if card is None:
            spend = self.start_spend.get(account_id, ZERO)
            level = rules.level_for_spend(self.programme, spend)
            card = self.state[account_id] = self._card(cents(spend), level.name if level else None)
        return card

    def factor(self, level: str | None, category: str, at: datetime | None) -> tuple[int, bool]:
        """A line's percent in hundredths (7.50 % -> 750) and whether it earns points, cached per situation."""
        p = self.programme
        active = tuple(i for i, w in enumerate(p.windows) if w.is_active(at)) if p.windows else ()
        key = (level, category, active)
        if key not in self._factors:
            rule = self.categories[category]
            pct = rules.line_percent(p, rule, rules.card_percent(p, level), at)
            self._factors[key] = (int(pct * 100), rule.earns_points)
        return self._factors[key]

    def _points(self, earnable: int, at: datetime | None) -> int:
        p = self.programme
        if not p.windows:
            return earnable * int(p.earn_percent * 100) // 10_000  # cents x hundredths of a percent -> cents, down
        earned = rules.round_down(money_of(earnable) * p.earn_percent * rules.points_multiplier(p, at) / HUNDRED)
        return cents(earned)

    def purchase(self, account_id: int, store_id: int, at: datetime | None, lines: list[tuple[str, int]]) -> None:
        card = self.card(account_id)
        discount = earnable = given = 0
        promo = self.campaign if self.campaign is not None and self.campaign.applies(card.level, at) else None
        for category, subtotal in lines:
            pct, earns = self.factor(card.level, category, at)
            off = subtotal * pct // 10000
            if promo is not None:
                extra = promo.line_cents(category, subtotal, off)
                given += extra
                off += extra
            discount += off
            if earns:
                earnable += subtotal - off
        after = sum(subtotal for _, subtotal in lines) - discount
        points = self._points(earnable, at) if earnable > 0 else 0
        if given:
            promo.discount += given
            promo.receipts += 1
        self.discount += discount
        self.points += points
        store = self.per_store.setdefault(store_id, [0, 0])
        store[0] += discount
        store[1] += points
        card.spend += after
        # Below the next threshold the rules cannot change the level (a purchase never lowers it): ask them
        # only when the spend reaches it.
        if card.next_at is not None and card.spend >= card.next_at:
            level = rules.level_after_purchase(self.programme, card.level, money_of(card.spend))
            self.state[account_id] = self._card(card.spend, level)

    def summary(self, store_names: dict[int, str]) -> dict:
        value = self.programme.point_value
        discount, points = money_of(self.discount), money_of(self.points)
        levels = Counter(card.level or "" for card in self.state.values())
        order = ["", *(lv.name for lv in sorted(self.programme.levels, key=lambda lv: lv.threshold))]
        stores = {
            store_names[s]: [str(money_of(d)), str(money_of(d) + rules.round_money(money_of(p) * value))]
            for s, (d, p) in self.per_store.items()
        }
        return {
            "discount": str(discount),
            "points": str(points),
            "points_cost": str(rules.round_money(points * value)),
            "cost": str(discount + rules.round_money(points * value)),
            "levels": [[name or "base (no level)", levels.get(name, 0)] for name in order],
            "stores": stores,
        } | ({"campaign": self.campaign.summary()} if self.campaign is not None else {})


# --- the replay ---------------------------------------------------------------------------------


def window(months: int, now: datetime) -> tuple[datetime, datetime]:
    return now - relativedelta(months=months), now


def _lines(programme_id: int, since: datetime, until: datetime):
    lines = ReceiptLine.objects.filter(receipt__created_at__gte=since, receipt__created_at__lt=until)
    if Programme.objects.count() == 1:
        return lines.filter(receipt__account__isnull=False)  # every card's account: no join to find the programme
    return lines.filter(receipt__account__programme_id=programme_id)


def _stream(lines, timed: bool):
    """Lines in the order the customers bought, per card. The moment only when a time window needs it."""
    # Whole cents from the database: ints cross the wire and parse far faster than decimals. Round, then cast:
    # SQLite multiplies in floating point (1.49 * 100 = 148.99999...).
    in_cents = Cast(Round(F("subtotal") * 100), BigIntegerField())
    ordered = lines.annotate(cents=in_cents).order_by(
        "receipt__account_id", "receipt__created_at", "receipt_id", "position"
    )
    fields = ["receipt_id", "receipt__account_id", "receipt__store_id", "category_id", "cents"]
    return ordered.values_list(*fields, *(["receipt__created_at"] if timed else [])).iterator(chunk_size=20_000)


def _receipts(rows: Iterable[tuple], codes: dict[int, str], zones: dict[int, str]):
    """Group the ordered line stream into receipts: (account, store, the store's local time or None,
    [(category, cents)]). Local to the store, as the till priced it: time windows go by its clock."""
    current, lines, head = None, [], None
    for receipt_id, account_id, store_id, category_id, subtotal, *at in rows:
        if receipt_id != current:
            if head is not None:
                yield (*head, lines)
            current, lines = receipt_id, []
            head = (account_id, store_id, local_time(at[0], zones[store_id]) if at else None)
        lines.append((codes[category_id], subtotal))
    if head is not None:
        yield (*head, lines)


def start_spend(programme_id: int, since: datetime) -> dict[int, Decimal]:
    rows = (
        SpendEntry.objects.filter(account__programme_id=programme_id, created_at__lt=since)
        .values("account_id")
        .annotate(spend=Sum("amount"))
        .order_by()
    )
    return {r["account_id"]: max(ZERO, r["spend"]) for r in rows}


def recorded(programme_id: int, since: datetime, until: datetime, value: Decimal) -> dict:
    sums = Receipt.objects.filter(
        account__programme_id=programme_id, created_at__gte=since, created_at__lt=until
    ).aggregate(discount=Sum("discount_total"), points=Sum("points_earned"), receipts=Count("id"))
    discount, points = rules.round_money(sums["discount"] or ZERO), rules.round_money(sums["points"] or ZERO)
    return {
        "discount": str(discount),
        "points": str(points),
        "points_cost": str(rules.round_money(points * value)),
        "cost": str(discount + rules.round_money(points * value)),
        "receipts": sums["receipts"],
    }


def replay(proposal: Proposal, *, now: datetime, progress: Callable[[int, int], None] = lambda done, total: None):
    programme = Programme.objects.get(pk=proposal.programme_id)
    since, until = window(proposal.months, now)
    current_categories = category_rules()
    spend = start_spend(programme.pk, since)
    proposed = proposed_categories(current_categories, proposal.excluded)
    campaign = CampaignReplay(proposal.campaign, proposal.rules, proposed) if proposal.campaign else None
    sides = [
        Side(programme_rules(programme), current_categories, spend),
        Side(proposal.rules, proposed, spend, campaign=campaign),
    ]
    lines = _lines(programme.pk, since, until)
    total = Receipt.objects.filter(pk__in=lines.values("receipt_id")).count()
    codes = dict(Category.objects.values_list("id", "code"))
    stream = _stream(lines, timed=campaign is not None or any(side.programme.windows for side in sides))
    done = 0
    progress(0, total)
    zones = dict(Store.objects.values_list("id", "time_zone"))
    for account_id, store_id, at, basket in _receipts(stream, codes, zones):
        for side in sides:
            side.purchase(account_id, store_id, at, basket)
        done += 1
        if done % PROGRESS_EVERY == 0:
            progress(done, total)
    progress(done, total)
    names = dict(Store.objects.values_list("id", "name"))
    return {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "programme": programme.name,
        "receipts": done,
        "cards": len(sides[0].state),
        "current": sides[0].summary(names),
        "proposed": sides[1].summary(names),
        "recorded": recorded(programme.pk, since, until, programme.point_value),
        "proposal": proposal.to_json(),
    }


# --- running it with progress in the cache ------------------------------------------------------


def cache_key(run_id: str) -> str:
    return f"whatif:{run_id}"


def status(run_id: str) -> dict | None:
    return cache.get(cache_key(run_id))


def queue(run_id: str, proposal: Proposal) -> None:
    """Mark the run as waiting, so the page has something to show before a worker picks it up."""
    cache.set(
        cache_key(run_id), {"state": "queued", "done": 0, "total": 0, "proposal": proposal.to_json()}, CACHE_SECONDS
    )


def run(run_id: str, data: dict, *, now: datetime | None = None) -> dict:
    """Replay and keep progress and the result in the cache under the run's id (the Celery task calls this)."""
    started = clock.monotonic()

    def report(done: int, total: int) -> None:
        cache.set(
            cache_key(run_id), {"state": "running", "done": done, "total": total, "proposal": data}, CACHE_SECONDS
        )

    try:
        # One read transaction: the line stream's server-side cursor needs no WITH HOLD copy, and the sort
        # behind it gets the reports' working memory.
        with report_session():
            result = replay(Proposal.from_json(data), now=now or timezone.now(), progress=report)
    except Exception as error:  # the page must say it failed rather than wait forever
        cache.set(cache_key(run_id), {"state": "failed", "error": str(error), "proposal": data}, CACHE_SECONDS)
        raise
    result["seconds"] = round(clock.monotonic() - started, 1)
    cache.set(
        cache_key(run_id),
        {"state": "done", "done": result["receipts"], "total": result["receipts"], "proposal": data, "result": result},
        CACHE_SECONDS,
    )
    return result
