"""Reads of a card with everything the till needs of it, as one hand-written statement (core/rows.py).

The card scan (pos.selectors.card_with_account) and the checkout's lock (cards.lifecycle.card_lock_with_account)
read the same five rows; they differ in how they join (a scan may meet a card without an account, a lock
must not) and in what they add (the overdue points; FOR UPDATE).
"""

from cards.models import Card
from core import rows
from loyalty.models import Account, Customer, Level, Programme

CARD_WITH_ACCOUNT = (Card, Account, Customer, Programme, Level)


def card_with_account_sql(*, join: str, extra: str = "", tail: str = "") -> str:
    """SELECT the columns of CARD_WITH_ACCOUNT (then `extra`) for the card number given as the last parameter
    before `tail`. `join` is "JOIN" or "LEFT JOIN" for account, customer and programme; the level is optional."""
    fk = rows.column
    return (
        f"SELECT {rows.columns(Card, 'c')}, {rows.columns(Account, 'a')}, {rows.columns(Customer, 'cu')}, "
        f"{rows.columns(Programme, 'p')}, {rows.columns(Level, 'l')}{extra} "
        f"FROM {rows.table(Card)} c "
        f"{join} {rows.table(Account)} a ON a.id = c.{fk(Card, 'account')} "
        f"{join} {rows.table(Customer)} cu ON cu.id = a.{fk(Account, 'customer')} "
        f"{join} {rows.table(Programme)} p ON p.id = a.{fk(Account, 'programme')} "
        f"LEFT JOIN {rows.table(Level)} l ON l.id = a.{fk(Account, 'level')} "
        f"WHERE c.{fk(Card, 'number')} = %s{tail}"
    )


def card_from_row(row) -> Card:
    """The card of a `card_with_account_sql` row (without its extra columns), its account filled in (or None)."""
    card, account, customer, programme, level = rows.split(row, *CARD_WITH_ACCOUNT)
    if account is not None:
        account.customer, account.programme, account.level = customer, programme, level
    card.account = account
    return card
