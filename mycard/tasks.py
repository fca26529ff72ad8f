"""Celery tasks of the customer page: the reminder e-mails. Thin: ids in, one service call, safe to run
twice (mycard.reminders claims each e-mail under a unique constraint before sending it)."""

import logging
from smtplib import SMTPException

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from mycard import reminders

logger = logging.getLogger(__name__)

# A mail server down or refusing for a while: try again later, five times, waiting longer each time.
RETRY = {"autoretry_for": (SMTPException, OSError), "retry_backoff": 60, "max_retries": 5}


@shared_task(name="mycard.burn_reminders")
def burn_reminders() -> int:
    """The daily run (beat): one task per card whose points burn within REMINDER_BURN_DAYS on days no
    reminder named yet. Returns how many it enqueued."""
    due = reminders.burn_days_due(timezone.now())
    for account_id, days in due.items():
        iso_days = [d.isoformat() for d in days]
        transaction.on_commit(lambda a=account_id, d=iso_days: burn_reminder.delay(a, d))
    return len(due)


@shared_task(name="mycard.burn_reminder", **RETRY)
def burn_reminder(account_id: int, days: list[str]) -> bool:
    return reminders.burn_reminder_send(account_id=account_id, days=days, at=timezone.now())


@shared_task(name="mycard.level_reminder", **RETRY)
def level_reminder(account_id: int, level: str, receipt_id: int) -> bool:
    return reminders.level_reminder_send(account_id=account_id, level=level, receipt_id=receipt_id, at=timezone.now())


def level_reached(sender, *, account_id: int, level: str, receipt_id: int, **kwargs) -> None:
    """loyalty.events.level_reached, after the checkout's commit: enqueue the e-mail. A broker that is
    down costs the e-mail, never the sale (whose answer the till is waiting for)."""
    try:
        level_reminder.delay(account_id, level, receipt_id)
    except Exception:
        logger.exception("level reminder for account %s not enqueued", account_id)
