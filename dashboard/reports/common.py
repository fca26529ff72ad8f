"""What every report shares: the filter (period and store), tables, charts, periods and CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.local_time import chain_zone_name, day_start
from loyalty.rules import CENT, round_money
from pos.models import Store

ZERO = Decimal("0.00")
TENTH = Decimal("0.1")
HUNDRED = Decimal(100)
TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}
# The heading of a report's period column, in the page's language.
GRAIN_TITLES = {"day": _("Day"), "week": _("Week"), "month": _("Month")}


# --- the session -------------------------------------------------------------------------------


@contextmanager
def report_session() -> Iterator[None]:
    """Run a page's queries in one read transaction tuned for a few big aggregates (PostgreSQL).

    work_mem = 256 MB keeps a year's sorts and hash tables in memory (the default 4 MB spills them to
    disk); jit = off, because compiling a plan costs more than it saves on queries that run well under
    a second (bench/README.md, "Manager's dashboard"); plan_cache_mode = auto, because the connection
    forces generic plans for the till's key lookups (config/settings.py) and a report's date range wants
    a plan for its own dates.
    For this transaction only: a manager's page, never the tills.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL plan_cache_mode = auto")
        yield


@contextmanager
def hashed() -> Iterator[None]:
    """Group by time buckets with a hash table, not by sorting every row first (PostgreSQL).

    The planner cannot tell that a year of timestamps falls into a dozen months: it expects a million
    groups, and sorts the million rows rather than hash them, at about twice the time of the aggregate.
    Only around GROUP BYs evaluated inside the block: elsewhere (an ORDER BY ... LIMIT 1 subquery, a
    window) forbidding sorts would choose far worse plans. Inside report_session's transaction.
    """
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_sort = on")


# --- the filter ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportFilter:
    """A period of whole days (both ends inclusive) and, optionally, one store.

    Days are the store's when one is chosen (a sale at 23:30 on its clock is that day's), else the chain's
    (settings.TIME_ZONE): `zone_name`. The pages run their queries and render inside
    `timezone.override(zone_name)`, so Trunc* groups by those days in SQL (AT TIME ZONE on PostgreSQL,
    Django's zone-aware functions on SQLite) and times are shown on that clock."""

    start: date
    end: date
    store: Store | None = None
    per: str = ""  # "day" | "week" | "month"; empty: chosen by the length of the period

    @property
    def zone_name(self) -> str:
        return self.store.time_zone if self.store is not None else chain_zone_name()

    @property
    def since(self) -> datetime:
        return day_start(self.start, self.zone_name)

    @property
    def until(self) -> datetime:
        """Exclusive: midnight after the last day."""
        return day_start(self.end + timedelta(days=1), self.zone_name)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def grain(self) -> str:
        """As asked, or: days for a month or two, weeks up to half a year, months beyond (never 365 bars)."""
        if self.per in TRUNC:
            return self.per
        if self.days <= 62:
            return "day"
        return "week" if self.days <= 186 else "month"

    def at(self, path: str = "created_at", store_path: str | None = "store") -> Q:
        """The period (and store) as a condition on `path` (and `store_path`)."""
        q = Q(**{f"{path}__gte": self.since, f"{path}__lt": self.until})
        if self.store is not None and store_path:
            q &= Q(**{store_path: self.store})
        return q

    def query(self) -> dict[str, str]:
        """The filter as GET parameters, so it carries across pages and into CSV links."""
        params = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        if self.store is not None:
            params["store"] = self.store.code
        if self.per:
            params["per"] = self.per
        return params


def default_period(today: date) -> tuple[date, date]:
    return today - timedelta(days=29), today


def presets(today: date) -> list[tuple[str, date, date]]:
    """The periods a manager asks about most, each ending today or at the end of a closed period.

    "Last 12 months" is the 365 (366) days to today; a calendar year is January to December of last year."""
    first_of_month = today.replace(day=1)
    last_month_end = first_of_month - timedelta(days=1)
    last_year = today.year - 1
    yesterday = today - timedelta(days=1)
    return [
        (_("Today"), today, today),
        (_("Yesterday"), yesterday, yesterday),
        (_("This week"), today - timedelta(days=today.weekday()), today),
        (_("Month to date"), first_of_month, today),
        (_("Year to date"), today.replace(month=1, day=1), today),
        (_("Last 30 days"), *default_period(today)),
        (_("Last month"), last_month_end.replace(day=1), last_month_end),
        (_("Last 12 months"), today - relativedelta(years=1) + timedelta(days=1), today),
        (gettext("Year %(year)s") % {"year": last_year}, date(last_year, 1, 1), date(last_year, 12, 31)),
    ]


# --- periods ------------------------------------------------------------------------------------


def bucket_start(day: date, grain: str) -> date:
    if grain == "week":
        return day - timedelta(days=day.weekday())  # weeks start on Monday, as TruncWeek does
    if grain == "month":
        return day.replace(day=1)
    return day


def buckets(f: ReportFilter, grain: str) -> list[date]:
    """Every period of the filter, so a day without sales shows as a zero, not as a gap."""
    step = {"day": relativedelta(days=1), "week": relativedelta(weeks=1), "month": relativedelta(months=1)}[grain]
    first, out = bucket_start(f.start, grain), []
    while first <= f.end:
        out.append(first)
        first += step
    return out


def as_local_date(value: datetime | date) -> date:
    """Trunc* answers an aware datetime in the current time zone (or a date): the period's first day."""
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def bucket_label(day: date, grain: str) -> str:
    if grain == "month":
        return day.strftime("%Y-%m")
    if grain == "week":
        return gettext("week of %(day)s") % {"day": day.isoformat()}
    return day.isoformat()


# --- numbers ------------------------------------------------------------------------------------


def money(value: Decimal | None) -> Decimal:
    """Half-up to the cent; None (a Sum over nothing) is zero."""
    return round_money(value) if value is not None else ZERO


def share(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """Percent of `whole`, to 0.1, half-up; None when there is no whole to share."""
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(TENTH, rounding=ROUND_HALF_UP)


def ratio(part: Decimal, whole: Decimal | int) -> Decimal | None:
    """Money per unit (an average receipt), to the cent; None when there is nothing to divide by."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(CENT, rounding=ROUND_HALF_UP)


# --- tables and charts --------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    kind: str = "text"  # text | int | number | money | points | percent

    @property
    def numeric(self) -> bool:
        return self.kind != "text"


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[Decimal | int | None]
    stack: str | None = None


@dataclass(frozen=True)
class Chart:
    """What the page draws with Chart.js; values travel as decimal strings and become numbers only there."""

    kind: str  # bar | line | doughnut
    labels: Sequence[str]
    series: Sequence[Series]
    horizontal: bool = False
    stacked: bool = False
    y_title: str = ""

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "labels": [str(label) for label in self.labels],
            "horizontal": self.horizontal,
            "stacked": self.stacked,
            "yTitle": str(self.y_title) if self.y_title else self.y_title,
            "series": [
                {"name": str(s.name), "stack": s.stack, "values": [None if v is None else str(v) for v in s.values]}
                for s in self.series
            ],
        }


@dataclass
class Table:
    slug: str
    title: str
    columns: list[Column]
    rows: list[dict]
    chart: Chart | None = None
    note: str = ""
    # Per row, column key -> URL: a figure that links to the receipts behind it.
    links: list[dict[str, str]] = field(default_factory=list)
    sortable: bool = False  # the page sorts its rows by a clicked heading (dashboard.js)

    def cells(self) -> Iterable[list[dict]]:
        for i, row in enumerate(self.rows):
            href = self.links[i] if i < len(self.links) else {}
            yield [
                {"text": display(row.get(c.key), c.kind), "numeric": c.numeric, "href": href.get(c.key)}
                for c in self.columns
            ]


def display(value, kind: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if kind == "percent":
        return f"{number_format(value)} %"
    if kind in ("money", "points"):
        return number_format(money(value), 2, force_grouping=True)
    if kind == "int":
        return number_format(value, force_grouping=True)
    if kind == "number":
        return number_format(value)
    return str(value)


def csv_value(value, kind: str) -> str:
    """Plain figures for a spreadsheet: 1234.50, never 1,234.50, never a float."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    if kind in ("money", "points"):
        return str(money(value))
    return str(value)


def table_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.title for c in table.columns])
    for row in table.rows:
        writer.writerow([csv_value(row.get(c.key), c.kind) for c in table.columns])
    return out.getvalue()
