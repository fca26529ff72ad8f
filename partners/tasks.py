"""Celery tasks of partners: thin, safe to run twice (a settled period is never settled again)."""

from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from core.local_time import local_date
from partners.payments import book_receipts_on_account
from partners.services import settle_period


@shared_task(name="partners.settle_last_month")
def settle_last_month() -> str:
    """Run early each month: settles the month just ended, and with it the quarter or year it ends."""
    now = timezone.now()
    last_month = local_date(now).replace(day=1) - timedelta(days=1)
    return settle_period(month=f"{last_month:%Y-%m}", at=now).summary()


@shared_task(name="partners.book_receipts_on_account")
def book_on_account() -> int:
    """Daily: the day's receipts of companies that pay on account, booked with their terms."""
    with transaction.atomic(durable=True):
        return book_receipts_on_account(at=timezone.now())
