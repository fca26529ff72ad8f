"""Row locks on cards, in one place: every service that changes a card's state, or an account through
its card, takes the card's lock here.

Lock, then read (architecture.md, rule 3; loyalty/locks.py says why). The checkout locks its card and
the card's account in one statement that joins only those two rows, both locked: when either changed
while the statement waited, PostgreSQL re-checks the join with the new version of each, which still
match. Anything more (customer, programme, level, lots due) is read after the lock. Order: cards (by
number when several), then their accounts.
"""

from datetime import datetime

from cards.models import Card
from cards.selectors import card_and_account_for_update
from core.errors import NotFound
from loyalty.locks import account_lock
from loyalty.selectors import account_details


def card_lock(number: str) -> Card:
    """Lock one card row (`number` already checked) for the rest of the transaction."""
    card = Card.objects.select_for_update().filter(number=number).first()
    if card is None:
        raise NotFound("This card is not known here.", code="card_not_found")
    return card


def card_lock_with_account(number: str, *, at: datetime) -> Card:
    """The checkout's lock: the card, then its account (one statement), then what hangs off the account,
    with its lots due at `at`. An unknown card, or one without an account, is locked alone (card_lock says
    what is wrong with it); one activated since the first statement gets its account locked after it."""
    card = card_and_account_for_update(number)
    if card is not None:
        account_details(card.account, at)
        return card
    card = card_lock(number)
    if card.account_id is not None:
        card.account = account_lock(card.account_id, at=at)
    return card
