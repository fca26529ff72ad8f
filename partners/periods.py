"""Which agreements a month's settlement settles, and the instants a statement counts."""

import re
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


_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")


def parse_month(text: str) -> tuple[int, int]:
    """'2026-11' -> (2026, 11); anything else ('2026-1', '2026-011', ' 2026-11') is one readable refusal."""
    try:
        if not _MONTH.fullmatch(text):
            raise ValueError(text)
        year, month = int(text[:4]), int(text[5:])
        date(year, month, 1)
    except ValueError:
        raise InvalidInput(f"--period must be a month as YYYY-MM, not {text!r}.") from None
    return year, month


MONTHS = {"month": 1, "quarter": 3, "year": 12}


def _first_of(index: int) -> date:
    """A month counted from year 0 (year * 12 + month - 1) → its first day."""
    return date(index // 12, index % 12 + 1, 1)


def _period(first: int, last: int) -> Period:
    end = _first_of(last)
    return Period(_first_of(first), month_end(end.year, end.month))


def ending_with(kind: str, year: int, month: int, first_month: int = 1) -> Period | None:
    """The month, quarter or year that ends with this month; None if that kind does not end here. The year
    (and its quarters) start in `first_month`: 4 is a fiscal year April–March, whose first quarter ends in June."""
    if kind not in MONTHS:
        raise ValueError(kind)
    length = MONTHS[kind]
    if ((month - first_month) % 12 + 1) % length:
        return None
    index = year * 12 + month - 1
    return _period(index - length + 1, index)


def containing(kind: str, day: date, first_month: int = 1) -> Period:
    """The month, quarter or year `day` falls in (the year starting in `first_month`): the period a partner
    is selling in now."""
    if kind not in MONTHS:
        raise ValueError(kind)
    length = MONTHS[kind]
    index = day.year * 12 + day.month - 1
    start = index - (day.month - first_month) % 12 % length
    return _period(start, start + length - 1)
