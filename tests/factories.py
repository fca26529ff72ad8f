"""Shared builders for tests: the demo programme, cards, active accounts."""

import itertools
from datetime import UTC, datetime

from cards.lifecycle import card_activate
from cards.models import Card
from cards.services import batch_issue
from pos.demo import ensure_categories, ensure_default_programme

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday morning
_phones = itertools.count(600_100_000)


def active_card(*, name: str = "Anna Kowalska", phone: str | None = None, at: datetime = T0) -> Card:
    """A fresh card of the demo programme, activated for a (new) customer."""
    ensure_default_programme()
    ensure_categories()
    batch = batch_issue(count=1)
    card = card_activate(number=batch.first_number, name=name, phone=phone or f"+48{next(_phones)}", at=at)
    card.refresh_from_db()
    return card
