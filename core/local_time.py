"""Wall-clock time in a place: an instant as the clock on a shop's wall shows it.

Instants are stored and compared in UTC (USE_TZ); what a person reads or a rule decides by the clock
(a weekday, an hour, "which day") is the instant seen in an IANA time zone: a store's, or the chain's
(`settings.TIME_ZONE`, from DJANGO_TIME_ZONE). Anything that needs "now in the shop" asks here, with the
zone's name, so the till, the nightly job, the customer page, the reports and later the campaigns agree.
"""

import functools
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError


def chain_zone_name() -> str:
    """The chain's time zone: every store's unless it has its own (a model default, so a callable)."""
    return settings.TIME_ZONE


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones()) | {"UTC"}


def validate_zone_name(name: str) -> None:
    """An IANA name such as Europe/Berlin; anything else (a typo, an offset like +01:00) is refused."""
    if name not in _known_zones():
        raise ValidationError(
            "%(name)s is not a time zone name. Use an IANA name such as Europe/Berlin.",
            code="invalid_time_zone",
            params={"name": name},
        )


def zone(name: str | None = None) -> ZoneInfo:
    """The named zone, or the chain's."""
    return ZoneInfo(name or chain_zone_name())


def local_time(at: datetime, zone_name: str | None = None) -> datetime:
    """`at` (an aware instant) on the wall clock of `zone_name` (the chain's when None)."""
    if at.tzinfo is None:
        raise ValueError("local_time needs an aware datetime: a naive one could be any zone's")
    return at.astimezone(zone(zone_name))


def local_date(at: datetime, zone_name: str | None = None) -> date:
    return local_time(at, zone_name).date()


def day_start(day: date, zone_name: str | None = None) -> datetime:
    """The first instant of `day` in the zone (midnight; DST never moves midnight in the zones shops are in,
    and where it would, zoneinfo picks the first reading)."""
    return datetime.combine(day, time.min, tzinfo=zone(zone_name))


def days_back_start(at: datetime, days: int, zone_name: str | None = None) -> datetime:
    """Midnight `days` whole calendar days before `at`'s local day: "N days ago" counted in days, not hours,
    so the answer does not depend on the hour a job runs nor on a DST change in between."""
    return day_start(local_date(at, zone_name) - timedelta(days=days), zone_name)
