"""Celery tasks of the loyalty core: thin, safe to run twice (the services make them so)."""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from loyalty.expiry import nightly_run


@shared_task(name="loyalty.nightly_expiry")
def nightly_expiry() -> int:
    """The nightly inactivity step-down and points burn, as of now. Returns the JobRun id."""
    return nightly_run(at=timezone.now(), trigger="schedule", workers=settings.NIGHTLY_JOB_WORKERS).pk
