"""Row locks on accounts, in one place: every service that changes an account's balance, spend or level
takes its lock here (a card's lock, with its account's, is in cards/locks.py).

Lock, then read (architecture.md, rule 3). A statement that locks a row joins no row it does not lock:
when another transaction has changed the locked row meanwhile, PostgreSQL re-checks the statement's join
with the row's new version but with the versions of the joined rows it first read, so an account whose
level changed joins its old level row, which no longer matches, and a LEFT JOIN answers "no level"
(issue 13: checkouts waiting on a card that crossed into Gold were priced at the base percent).
So the account row is locked alone, and what hangs off it (customer, programme, level, lots due) is read
after the lock, by the keys the locked row holds (loyalty.selectors.account_details).
Several accounts are locked in primary-key order; a card's lock comes before its account's.
"""

from datetime import datetime

from core.errors import NotFound
from loyalty.models import Account
from loyalty.selectors import account_details


def account_lock(account_id: int, *, at: datetime) -> Account:
    """Lock one account row for the rest of the transaction, then read what hangs off it (lots due at `at`)."""
    return account_details(_locked(account_id), at)


def account_lock_current(account_id: int, *, at: datetime) -> Account:
    """Lock the account, or the one that took it over when its card was replaced (and so on), then read what
    hangs off it. Followed under the lock: a replacement that committed while this waited is seen, and one
    still to come waits for this transaction. A successor is newer: the locks go in primary-key order."""
    account = _locked(account_id)
    successor = Account.objects.filter(replaces_id=account.pk).values_list("pk", flat=True).first()
    return account_details(account, at) if successor is None else account_lock_current(successor, at=at)


def _locked(account_id: int) -> Account:
    account = Account.objects.select_for_update().filter(pk=account_id).first()
    if account is None:
        raise NotFound("No such account.", code="account_not_found")
    return account
