"""Reminder e-mails to customers who said yes on /my/: points about to burn (REMINDER_BURN_DAYS before),
and a new level reached at a checkout. Plain text and HTML, in the language of the page the customer chose
on, with a link that stops them without signing in.

Each e-mail is claimed before it is sent: a SentReminder row per event under a unique constraint, committed
first. A retried or doubled task meets the row and sends nothing; a send that fails deletes its claim so
the retry can send. The one gap is a worker dying between the send and nothing: then the e-mail went out
and its claim stays, which is the side to err on (never twice).
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.db.models.functions import TruncDate
from django.template.defaultfilters import floatformat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cards.models import Card
from core.local_time import chain_zone_name, zone
from loyalty.models import Account, Customer, PointsLot
from mycard import selectors
from mycard.models import ReminderConsent, SentReminder
from mycard.templatetags.my_format import day

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "mycard.reminders-unsubscribe"


# --- the customer's choice --------------------------------------------------------------------------------


def reminders_set(*, customer: Customer, enabled: bool, language: str, at: datetime) -> ReminderConsent:
    """Turn reminder e-mails on or off, remembering the language the customer chose in (the e-mails')."""
    consent, _created = ReminderConsent.objects.update_or_create(
        customer=customer, defaults={"enabled": enabled, "language": language, "changed_at": at}
    )
    return consent


def reminders_on(customer: Customer) -> bool:
    return ReminderConsent.objects.filter(customer=customer, enabled=True).exists()


def unsubscribe_token(customer_id: int) -> str:
    """Signed with SECRET_KEY: it names the customer and can only turn their reminders off. No timestamp
    and no expiry: the link in a year-old e-mail still works, and every e-mail carries the same link."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(customer_id))


def unsubscribe_customer(token: str) -> Customer | None:
    try:
        customer_id = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return Customer.objects.filter(pk=int(customer_id)).first() if customer_id.isdigit() else None


# --- points about to burn: who, then one e-mail per card and new burn days ------------------------------------


def burn_days_due(at: datetime) -> dict[int, list[date]]:
    """Cards of customers who want reminders, with the days (chain's clock) their points burn within
    REMINDER_BURN_DAYS that no reminder has named yet. Two queries, whatever the number of cards."""
    burning = (
        PointsLot.objects.filter(remaining__gt=0, expires_at__gt=at)
        .filter(expires_at__lte=at + timedelta(days=settings.REMINDER_BURN_DAYS))
        .filter(account__customer__reminders__enabled=True, account__cards__status=Card.Status.ACTIVE)
        .exclude(account__customer__email="")
        .annotate(day=TruncDate("expires_at", tzinfo=zone()))
        .values_list("account_id", "day")
        .distinct()
    )
    due: dict[int, list[date]] = {}
    for account_id, burn_day in burning:
        due.setdefault(account_id, []).append(burn_day)
    sent = set(
        SentReminder.objects.filter(account_id__in=due, kind=SentReminder.Kind.BURN).values_list("account_id", "event")
    )
    return {
        account_id: sorted(d for d in days if (account_id, d.isoformat()) not in sent)
        for account_id, days in due.items()
        if any((account_id, d.isoformat()) not in sent for d in days)
    }


@dataclass(frozen=True)
class BurnLine:
    day: date
    points: Decimal


def burn_reminder_send(*, account_id: int, days: list[str], at: datetime) -> bool:
    """One e-mail naming the points that burn on `days` (ISO dates) on this card; False if nothing was
    sent (no consent any more, no e-mail address, the points were spent, or already reminded)."""
    account, consent = _recipient(account_id)
    if consent is None:
        return False
    lines = _burning_on(account, [date.fromisoformat(d) for d in days], at)
    if not lines:
        return False
    events = [line.day.isoformat() for line in lines]
    context = {
        "lines": lines,
        "points": sum((line.points for line in lines), Decimal("0.00")),
        "worth": selectors.points_worth(account, sum((line.points for line in lines), Decimal("0.00"))),
    }
    return _send_once(account, consent, SentReminder.Kind.BURN, events, "burn", context, at)


def _burning_on(account: Account, days: list[date], at: datetime) -> list[BurnLine]:
    per_day = (
        PointsLot.objects.filter(account=account, remaining__gt=0, expires_at__gt=at)
        .annotate(day=TruncDate("expires_at", tzinfo=zone()))
        .filter(day__in=days)
        .values("day")
        .annotate(points=Sum("remaining"))
        .order_by("day")
    )
    return [BurnLine(row["day"], row["points"]) for row in per_day]


# --- a new level --------------------------------------------------------------------------------------------


def level_reminder_send(*, account_id: int, level: str, receipt_id: int, at: datetime) -> bool:
    """One e-mail: this card reached `level` with receipt `receipt_id`. False if nothing was sent."""
    account, consent = _recipient(account_id)
    if consent is None:
        return False
    progress = selectors.level_progress(account, at)
    context = {"level": level, "percent": progress.discount_percent, "progress": progress}
    return _send_once(account, consent, SentReminder.Kind.LEVEL, [str(receipt_id)], "level", context, at)


# --- sending --------------------------------------------------------------------------------------------------


def _recipient(account_id: int) -> tuple[Account | None, ReminderConsent | None]:
    """The card's account and its customer's consent, if they still want reminders at an address."""
    account = (
        Account.objects.select_related("customer__reminders", "programme", "level")
        .filter(pk=account_id, cards__status=Card.Status.ACTIVE)
        .first()
    )
    consent = getattr(account.customer, "reminders", None) if account else None
    if consent is None or not consent.enabled or not account.customer.email:
        return account, None
    return account, consent


def _send_once(account, consent, kind, events: list[str], template: str, context: dict, at: datetime) -> bool:
    email = account.customer.email
    claims = [SentReminder(account=account, kind=kind, event=e, email=email, sent_at=at) for e in events]
    try:
        with transaction.atomic():  # the claim commits before the send: a second run meets it and stops
            SentReminder.objects.bulk_create(claims)
    except IntegrityError:
        return False
    try:
        _message(account, consent, template, context).send()
    except Exception:
        # Not sent: free the claim, so that the task's retry may send it.
        SentReminder.objects.filter(account=account, kind=kind, event__in=events).delete()
        raise
    return True


def _message(account: Account, consent: ReminderConsent, template: str, context: dict) -> EmailMultiAlternatives:
    unsubscribe = settings.SITE_URL + reverse("my:unsubscribe", args=[unsubscribe_token(account.customer_id)])
    context = context | {
        "customer": account.customer,
        "card": account.cards.filter(status=Card.Status.ACTIVE).order_by("number").first(),
        "currency": selectors.chain_currency(),
        "card_page": settings.SITE_URL + reverse("my:card"),
        "unsubscribe": unsubscribe,
    }
    with translation.override(consent.language), timezone.override(chain_zone_name()):
        subject = _subject(template, context)
        text = render_to_string(f"mycard/email/{template}.txt", context)
        html = render_to_string(f"mycard/email/{template}.html", context | {"subject": subject})
    message = EmailMultiAlternatives(
        subject,
        text,
        to=[account.customer.email],
        headers={"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
    message.attach_alternative(html, "text/html")
    return message


def _subject(template: str, context: dict) -> str:
    if template == "burn":
        return _("%(points)s points on your card burn on %(day)s") % {
            "points": _number(context["points"]),
            "day": day(context["lines"][0].day),
        }
    return _("You reached %(level)s: %(percent)s %% off from now on") % {
        "level": context["level"],
        "percent": _number(context["percent"], places="-2"),
    }


def _number(value: Decimal, places: str = "2g") -> str:
    return floatformat(value, places)
