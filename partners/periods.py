"""Which agreements a month's settlement settles, and the instants a statement counts."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from core.errors import InvalidInput
from core.local_time import day_start


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m}" if self.start.month == self.end.month else f"{self.start:%Y-%m}…{self.end:%Y-%m}"

    def since(self) -> datetime:
        return day_start(self.start)

    def until(self) -> datetime:
        return day_start(self.end + timedelta(days=1))

    def a_year_before(self) -> "Period":
        return Period(self.start.replace(year=self.start.year - 1), month_end(self.end.year - 1, self.end.month))


def month_end(year: int, month: int) -> date:
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def parse_month(text: str) -> tuple[int, int]:
    """'2026-11' -> (2026, 11); anything else is one readable refusal."""
    try:
        year, month = (int(part) for part in text.split("-"))
        date(year, month, 1)
    except ValueError:
        raise InvalidInput(f"--period must be a month as YYYY-MM, not {text!r}.") from None
    return year, month


def ending_with(kind: str, year: int, month: int) -> Period | None:
    """The month, quarter or calendar year that ends with this month; None if that kind does not end here."""
    end = month_end(year, month)
    if kind == "month":
        return Period(date(year, month, 1), end)
    if kind == "quarter":
        return Period(date(year, month - 2, 1), end) if month % 3 == 0 else None
    if kind == "year":
        return Period(date(year, 1, 1), end) if month == 12 else None
    raise ValueError(kind)


def containing(kind: str, day: date) -> Period:
    """The month, quarter or calendar year `day` falls in: the period a partner is selling in now."""
    if kind == "month":
        return Period(day.replace(day=1), month_end(day.year, day.month))
    if kind == "quarter":
        first = (day.month - 1) // 3 * 3 + 1
        return Period(date(day.year, first, 1), month_end(day.year, first + 2))
    if kind == "year":
        return Period(date(day.year, 1, 1), date(day.year, 12, 31))
    raise ValueError(kind)
