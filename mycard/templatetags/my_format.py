"""Dates on the customer pages, unambiguous for a European chain: "4 Dec 2026, 18:40", never Django's
US-style "12/04/2026 6:40 p.m." (en) — and in the page's language ("4. Dez. 2026, 18:40" in German).

Month names come from Django's own translations, so a new language needs only a line here (or falls back
to ISO 8601, which no reader takes for another day)."""

from datetime import date, datetime
from decimal import Decimal

from django import template
from django.template.defaultfilters import floatformat
from django.utils import dateformat, timezone
from django.utils.translation import get_language

register = template.Library()

# Per language: (day, day and time). "M" is "Dec"; "N" is the abbreviation with its dot ("Dez.", but "Mai").
_FORMATS = {
    "en": ("j M Y", "j M Y, H:i"),
    "de": ("j. N Y", "j. N Y, H:i"),
}
_ISO = ("Y-m-d", "Y-m-d H:i")


def _formats() -> tuple[str, str]:
    language = (get_language() or "").split("-")[0]
    return _FORMATS.get(language, _ISO)


@register.filter
def day(value: date | datetime | None) -> str:
    """A day ("4 Dec 2026"); an aware datetime is first put on the current zone's clock."""
    if not value:
        return ""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return dateformat.format(value, _formats()[0])


@register.filter
def day_time(value: datetime | None) -> str:
    """A moment ("4 Dec 2026, 18:40", 24-hour clock) on the current zone's clock."""
    if not value:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return dateformat.format(value, _formats()[1])


@register.filter
def quantity(value: Decimal | None) -> str:
    """A quantity as few decimals as it needs, in the page's language: 2, 1.5, 0.25 kg (German 1,5)."""
    if value is None:
        return ""
    places = max(0, -value.normalize().as_tuple().exponent)
    return floatformat(value, f"{places}g")
