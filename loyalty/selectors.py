"""Reads of the loyalty core: a programme as pure rules, accounts as rule state."""

import functools
import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import connection
from django.db.models import F, Q, Sum

from core import rows
from loyalty import rules
from loyalty.models import (
    Account,
    Category,
    Company,
    ContractDiscount,
    Customer,
    JobRun,
    Level,
    PointsLot,
    Programme,
    SpendEntry,
    TimeWindow,
)


@dataclass(frozen=True)
class ProgrammeTerms:
    """What a programme's pricing needs beyond its own row: levels, time windows, the category table."""

    stamp: str
    levels: tuple[Level, ...]
    windows: tuple[rules.TimeWindowRule, ...]
    categories: dict[str, tuple[int, rules.CategoryRule]]  # code -> (id, rule)


# Read on every scan, changed a few times a year: each process keeps them per programme and reads
# them again when the programme row (always read fresh with the card) carries another stamp.
# A stamp is random, so a rolled-back change or a reused id never meets an old entry.
_terms: dict[int, ProgrammeTerms] = {}


def programme_terms(programme: Programme) -> ProgrammeTerms:
    terms = _terms.get(programme.pk)
    if terms is None or terms.stamp != programme.terms_stamp:
        terms = _terms[programme.pk] = ProgrammeTerms(
            stamp=programme.terms_stamp,
            levels=tuple(Level.objects.filter(programme_id=programme.pk).order_by("threshold")),
            windows=tuple(
                rules.TimeWindowRule(
                    weekdays=frozenset(int(d) for d in w.weekdays),
                    start=w.start_time,
                    end=w.end_time,
                    extra_percent=w.extra_percent,
                    points_multiplier=w.points_multiplier,
                )
                for w in TimeWindow.objects.filter(programme_id=programme.pk).order_by("id")
            ),
            categories=category_table(),
        )
    return terms


def programme_levels(programme: Programme) -> tuple[Level, ...]:
    return programme_terms(programme).levels


def programme_rules(programme: Programme) -> rules.ProgrammeRules:
    """The programme as pure rules: its row as read, its levels and windows from `programme_terms`.
    Built once per programme instance and stamp (a checkout asks three times)."""
    terms = programme_terms(programme)
    built = getattr(programme, "_rules_built", None)
    if built is None or built[0] != terms.stamp:
        built = programme._rules_built = (terms.stamp, _build_rules(programme, terms))
    return built[1]


def _build_rules(programme: Programme, terms: ProgrammeTerms) -> rules.ProgrammeRules:
    return rules.ProgrammeRules(
        kind=programme.kind,
        base_percent=programme.base_percent,
        levels=tuple(rules.LevelRule(lv.name, lv.threshold, lv.percent) for lv in terms.levels),
        ceiling_percent=programme.ceiling_percent,
        earn_percent=programme.earn_percent,
        point_value=programme.point_value,
        redeem_cap_percent=programme.redeem_cap_percent,
        points_lifetime_days=programme.points_lifetime_days,
        inactivity_action=programme.inactivity_action,
        windows=terms.windows,
    )


def category_table() -> dict[str, tuple[int, rules.CategoryRule]]:
    """code -> (id, rule): the rules for pricing and the ids for the receipt lines, in one query."""
    return {
        c.code: (c.pk, rules.CategoryRule(c.code, c.discount_policy, c.max_discount_percent, c.earns_points))
        for c in Category.objects.all()
    }


def category_rules() -> dict[str, rules.CategoryRule]:
    return {code: rule for code, (_, rule) in category_table().items()}


def qualifying_spend(account: Account, at: datetime) -> Decimal:
    """Spend that counts toward levels: lifetime, or the programme's rolling window."""
    programme = account.programme
    if programme.spend_basis != Programme.SpendBasis.ROLLING:
        return account.spend
    since = at - relativedelta(months=programme.spend_window_months)
    total = SpendEntry.objects.filter(account=account, created_at__gt=since).aggregate(s=Sum("amount"))["s"]
    return max(Decimal("0.00"), total or Decimal("0.00"))


def account_lineage(account: Account) -> list[int]:
    """The account and the ones it took over from replaced cards (newest first): one customer's history on
    this programme, whatever card each purchase was made with."""
    ids, before = [account.pk], account.replaces_id
    while before is not None:
        ids.append(before)
        before = Account.objects.filter(pk=before).values_list("replaces_id", flat=True).first()
    return ids


def spend_moves(account_ids: list[int]) -> list[rules.SpendMove]:
    """The spend ledger of these accounts in the order it was written (ids: purchases on a card are serialised
    by its account's lock, so the order of the rows is the order the levels were reached in)."""
    moves = SpendEntry.objects.filter(account_id__in=account_ids).order_by("id")
    return [rules.SpendMove(*row) for row in moves.values_list("kind", "amount", "receipt_id")]


def overdue_known(account: Account, at: datetime, points: Decimal | None) -> None:
    """Remember the points overdue at `at` (read with the account), so live_balance need not ask again."""
    account._overdue = (at, points or Decimal("0.00"))


def lots_due_known(account: Account, at: datetime, lots: list[rules.Lot]) -> None:
    """Remember the lots due at `at`, read under the account's lock (or none left, once burned under it):
    the burn takes them from here and live_balance adds them up, neither asks again."""
    account._due = (at, lots)
    overdue_known(account, at, sum((lot.remaining for lot in lots), Decimal("0.00")))


def live_balance(account: Account, at: datetime) -> Decimal:
    """The balance less points whose burn date has passed but that tonight's job has not burned yet."""
    known_at, burned = getattr(account, "_overdue", (None, None))
    if known_at != at:
        burned = account.lots.filter(remaining__gt=0, expires_at__lte=at).aggregate(s=Sum("remaining"))["s"]
    return account.points_balance - (burned or Decimal("0.00"))


def card_state(account: Account, at: datetime) -> rules.CardState:
    return rules.CardState(
        level=account.level.name if account.level_id else None,
        spend=qualifying_spend(account, at),
        points_balance=live_balance(account, at),
    )


def lots_due(account: Account, at: datetime) -> list[rules.Lot]:
    """Live lots whose burn date has come, soonest first: as read under the lock at `at` if they were
    (account_details), else filtered in SQL, since a loyal card holds thousands of lots."""
    known_at, lots = getattr(account, "_due", (None, None))
    if known_at == at:
        return lots
    due = PointsLot.objects.filter(account=account, remaining__gt=0, expires_at__lte=at).order_by("expires_at", "id")
    return [_as_lot(lot) for lot in due]


def _as_lot(lot: PointsLot) -> rules.Lot:
    return rules.Lot(lot.pk, lot.remaining, lot.expires_at)


def account_details(account: Account, at: datetime) -> Account:
    """What hangs off a locked account, read after the lock (loyalty/locks.py says why not with it): its
    customer, programme and level, and its lots due at `at`. One statement, looked up by the keys of the
    locked row, since every checkout with a card asks it."""
    keys = [account.programme_id, account.level_id, account.pk, connection.ops.adapt_datetimefield_value(at)]
    with connection.cursor() as cursor:
        cursor.execute(_account_details_sql(), [*keys, account.customer_id])
        found = [rows.split(row, Customer, Programme, Level, PointsLot) for row in cursor.fetchall()]
    [(customer, programme, level, _), *_] = found
    account.customer, account.programme, account.level = customer, programme, level
    lots_due_known(account, at, [_as_lot(lot) for *_, lot in found if lot is not None])
    return account


@functools.cache
def _account_details_sql() -> str:
    def col(model, name):
        return rows.column(model, name)

    lot = PointsLot
    return (
        f"SELECT {rows.columns(Customer, 'cu')}, {rows.columns(Programme, 'p')}, {rows.columns(Level, 'l')}, "
        f"{rows.columns(lot, 'pl')} FROM {rows.table(Customer)} cu "
        f"JOIN {rows.table(Programme)} p ON p.id = %s "
        f"LEFT JOIN {rows.table(Level)} l ON l.id = %s "
        f"LEFT JOIN {rows.table(lot)} pl ON pl.{col(lot, 'account')} = %s AND pl.{col(lot, 'remaining')} > 0 "
        f"AND pl.{col(lot, 'expires_at')} <= %s "
        f"WHERE cu.id = %s ORDER BY pl.{col(lot, 'expires_at')}, pl.id"
    )


def lots_covering(account: Account, points: Decimal, batch: int = 50) -> list[rules.Lot]:
    """The soonest-burning live lots, just enough of them to hold `points` (or all, if they don't)."""
    live = account.lots.filter(remaining__gt=0).order_by(F("expires_at").asc(nulls_last=True), "id")
    taken: list[rules.Lot] = []
    held = Decimal("0.00")
    for offset in itertools.count(0, batch):
        chunk = _as_lots(live[offset : offset + batch])
        taken += chunk
        held += sum((lot.remaining for lot in chunk), Decimal("0.00"))
        if held >= points or len(chunk) < batch:
            return taken
    return taken  # pragma: no cover - the loop always returns


def _as_lots(queryset) -> list[rules.Lot]:
    return [
        rules.Lot(i, remaining, expires)
        for i, remaining, expires in queryset.values_list("id", "remaining", "expires_at")
    ]


# The nightly job's JobRun.job (loyalty/expiry.py writes it).
NIGHTLY_JOB = "nightly"
# The job runs once a day: a finished run older than a day and a bit means the schedule stopped.
NIGHTLY_LATE = timedelta(hours=26)


def last_nightly_runs() -> tuple[JobRun | None, JobRun | None]:
    """The nightly job's latest run (any status) and latest finished run: one row each from a small table.

    Their age tells an operator whether Celery beat still starts the job (`/healthz`, the admin's Job runs).
    """
    runs = JobRun.objects.filter(job=NIGHTLY_JOB).order_by("-started_at", "-id")
    return runs.first(), runs.filter(status=JobRun.Status.FINISHED).first()


def company_earns_points(company_id: int) -> bool:
    """Whether a business customer's staff cards earn points (off: contract terms and period bonuses instead).
    Asked only for company cards: one indexed read, no lock (terms, like the programme's, not a balance)."""
    return Company.objects.filter(pk=company_id, earns_points=True).exists()


def company_contract(company_id: int, day) -> rules.ContractTerms | None:
    """The contract prices of a business customer in force on `day` (the store's date), or None."""
    found = (
        ContractDiscount.objects.filter(company_id=company_id, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .select_related("category")
    )
    by_sku, by_category, justified = {}, {}, set()
    for term in found:
        table, key = (by_sku, term.sku) if term.sku else (by_category, term.category.code)
        table[key] = max(term.percent, table.get(key, term.percent))  # two terms on one line: the better one
        if term.justification.strip():
            justified.add(key)
    if not by_sku and not by_category:
        return None
    return rules.ContractTerms(by_sku=by_sku, by_category=by_category, justified=frozenset(justified))
