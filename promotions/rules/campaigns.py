"""A campaign as plain values, and whether it is open to a shopper at a moment in a store.

Dates are the store's wall clock: "1-7 July" is 1 July 00:00 to 7 July 23:59 on each store's own clock,
so `starts` and `ends` are naive wall-clock datetimes and the caller passes the store's local time. `ends`
is the last minute the campaign runs (inclusive, to the minute), as a manager reads "until 7 July 23:59".
Weekday/hour windows are the programme's (`loyalty.rules.TimeWindowRule`): hours past midnight belong to
the day the window started on.
"""

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

from loyalty.rules import TimeWindowRule


class Scope:
    EVERYTHING = "everything"
    CATEGORIES = "categories"
    SKUS = "skus"


class Benefit:
    PERCENT = "percent"  # percent off each covered line
    AMOUNT_PER_LINE = "amount_line"  # money off each covered line
    AMOUNT_PER_RECEIPT = "amount_receipt"  # money off the receipt, shared over the covered lines
    FIXED_PRICE = "fixed_price"  # each covered unit sells at this price


class Audience:
    EVERYONE = "everyone"
    CARD_HOLDERS = "card_holders"
    LEVELS = "levels"
    BIRTHDAY_MONTH = "birthday_month"
    MIN_AGE = "min_age"


class Combine:
    STACK = "stack"  # on top of the card discount
    BEST = "best"  # instead of the card discount, where it gives more


@dataclass(frozen=True)
class CampaignRule:
    id: int
    name: str
    starts: datetime  # wall clock, first minute
    ends: datetime  # wall clock, last minute (inclusive)
    benefit: str
    value: Decimal  # the percent, the amount or the fixed unit price
    scope: str = Scope.EVERYTHING
    categories: frozenset[str] = frozenset()
    skus: frozenset[str] = frozenset()
    stores: frozenset[str] = frozenset()  # store codes; empty = every store
    windows: tuple[TimeWindowRule, ...] = ()  # empty = all day, every day
    min_basket: Decimal = Decimal(0)
    audience: str = Audience.EVERYONE
    levels: frozenset[str] = frozenset()
    min_age: int = 0
    needs_coupon: bool = False
    combine: str = Combine.STACK
    beyond_ceiling: bool = False  # carries a written justification: the programme's ceiling does not bind it


@dataclass(frozen=True)
class Shopper:
    """Who is buying, as far as an audience asks: a walk-in has no card and no birthday."""

    has_card: bool = False
    level: str | None = None
    birthday: date | None = None


@dataclass(frozen=True)
class Closed:
    """Why a campaign is not open: one of api.md's coupon reasons."""

    reason: str
    template: str = field(default="")  # English with {slots}, translated at the API's edge (core.errors)
    params: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        return self.template.format(**self.params)


def _minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0, tzinfo=None)


def age_on(birthday: date, day: date) -> int:
    """Whole years on `day`; a 29 February birthday counts from 1 March in other years."""
    return day.year - birthday.year - ((day.month, day.day) < (birthday.month, birthday.day))


def in_audience(c: CampaignRule, who: Shopper, today: date) -> bool:
    if c.audience == Audience.EVERYONE:
        return True
    if not who.has_card:
        return False
    if c.audience == Audience.LEVELS:
        return who.level in c.levels
    if c.audience == Audience.BIRTHDAY_MONTH:
        return who.birthday is not None and who.birthday.month == today.month
    if c.audience == Audience.MIN_AGE:
        return who.birthday is not None and age_on(who.birthday, today) >= c.min_age
    return True  # CARD_HOLDERS


def closed_at(c: CampaignRule, store: str, local: datetime) -> Closed | None:
    """None when the campaign runs at `store` at the wall-clock moment `local`; else why not."""
    minute = _minute(local)
    if minute < c.starts:
        return Closed("not_yet_valid", "{name} starts {at}.", {"name": c.name, "at": f"{c.starts:%d.%m.%Y %H:%M}"})
    if minute > c.ends:
        return Closed("expired", "{name} ended {at}.", {"name": c.name, "at": f"{c.ends:%d.%m.%Y %H:%M}"})
    if c.stores and store not in c.stores:
        return Closed("not_applicable", "{name} does not run in this store.", {"name": c.name})
    if c.windows and not any(w.is_active(local.replace(tzinfo=None)) for w in c.windows):
        return Closed("not_applicable", "{name} does not run at this hour.", {"name": c.name})
    return None


def covers(c: CampaignRule, sku: str, category: str) -> bool:
    if c.scope == Scope.CATEGORIES:
        return category in c.categories
    if c.scope == Scope.SKUS:
        return sku in c.skus
    return True


def open_to_customer(c: CampaignRule, who: Shopper, local: datetime) -> bool:
    """For the customer's page: runs now (in some store), is for them, and needs no coupon."""
    closed = closed_at(replace(c, stores=frozenset()), "", local)
    return closed is None and not c.needs_coupon and in_audience(c, who, local.date())
