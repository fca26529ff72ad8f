"""Celery tasks of the gift cards: thin, safe to run twice (the service makes them so)."""

from celery import shared_task
from django.utils import timezone

from giftcards.services import gift_cards_expire


@shared_task(name="giftcards.expire")
def expire() -> int:
    """Balances past their date expire, one ledger row each. Returns how many cards expired."""
    return gift_cards_expire(at=timezone.now())
