"""A programme as plain values: its kind, levels, time windows, categories, and a card's state."""

from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal


class Kind:
    FIXED = "fixed"
    CUMULATIVE = "cumulative"
    MIXED = "mixed"


class Policy:
    NORMAL = "normal"
    EXCLUDED = "excluded"
    CAPPED = "capped"


@dataclass(frozen=True)
class LevelRule:
    name: str
    threshold: Decimal
    percent: Decimal


@dataclass(frozen=True)
class TimeWindowRule:
    """Active on `weekdays` (0=Monday..6=Sunday) from `start` (inclusive) to `end` (exclusive).

    A window whose end is not after its start runs past midnight: Friday 22:00-02:00 is Friday 22:00 to
    Saturday 02:00. The hours after midnight belong to the day the window STARTED on, as a shop's
    "Friday night" does: Saturday 01:30 is in it, Saturday 23:00 is not (that is Saturday night). An end
    of 00:00 means "until midnight"; start == end would be 24 hours from the start (the admin refuses it).
    """

    weekdays: frozenset[int]
    start: time
    end: time
    extra_percent: Decimal = Decimal(0)
    points_multiplier: Decimal = Decimal(1)

    def is_active(self, at: datetime) -> bool:
        """`at` is the store's wall clock (its weekday and time of day), never a UTC instant."""
        clock = at.time()
        if self.start < self.end:
            return at.weekday() in self.weekdays and self.start <= clock < self.end
        if clock >= self.start:
            return at.weekday() in self.weekdays
        return clock < self.end and (at.weekday() - 1) % 7 in self.weekdays


@dataclass(frozen=True)
class CategoryRule:
    """`max_percent` only matters for CAPPED; a CAPPED category without it is capped by the ceiling alone."""

    code: str
    policy: str = Policy.NORMAL
    max_percent: Decimal | None = None
    earns_points: bool = True


@dataclass(frozen=True)
class ProgrammeRules:
    kind: str
    base_percent: Decimal = Decimal(0)
    levels: tuple[LevelRule, ...] = ()  # any order: the functions sort by threshold
    ceiling_percent: Decimal = Decimal(20)
    earn_percent: Decimal = Decimal(0)
    point_value: Decimal = Decimal(1)  # money value of one point
    redeem_cap_percent: Decimal = Decimal(20)
    points_lifetime_days: int | None = 365
    inactivity_action: str = "step_down"  # "step_down" | "reset"
    windows: tuple[TimeWindowRule, ...] = ()


@dataclass(frozen=True)
class CardState:
    level: str | None  # stored current level; None = base
    spend: Decimal  # level-qualifying spend
    points_balance: Decimal
