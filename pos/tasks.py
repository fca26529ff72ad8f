"""Celery tasks of the point of sale: thin, safe to run twice."""

from celery import shared_task
from django.utils import timezone

from pos.idempotency import idempotency_records_purge


@shared_task(name="pos.idempotency_purge")
def idempotency_purge() -> int:
    """Each night: idempotency records past the retry window go. Returns how many."""
    return idempotency_records_purge(at=timezone.now())
