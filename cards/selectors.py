"""Reads of a card for the till, as hand-written statements (core/rows.py): the card scan, and the
checkout's lock of a card with its account (cards/locks.py says why that one joins nothing else)."""

import functools
from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.db.models import DecimalField

from cards.models import Card
from core import rows
from loyalty.models import TOTAL, Account, Customer, Level, PointsLot, Programme
from loyalty.selectors import overdue_known

POINTS_FIELD = DecimalField(**TOTAL)  # SQLite sums decimals in floats: back to exact cents
CENT = Decimal("0.01")


def card_with_account(number: str, at: datetime | None = None) -> Card | None:
    """The card scan: the card with its account, customer, programme and level (a card never activated has
    no account), and with `at` the points overdue at that moment (see live_balance). One statement, since
    every scan at the till asks it; it locks nothing, so it reads one consistent snapshot of all five."""
    with connection.cursor() as cursor:
        cursor.execute(_card_scan_sql(), [connection.ops.adapt_datetimefield_value(at), number])
        row = cursor.fetchone()
    if row is None:
        return None
    card, account, customer, programme, level = rows.split(row[:-1], Card, Account, Customer, Programme, Level)
    card.account = account
    if account is not None:
        account.customer, account.programme, account.level = customer, programme, level
        if at is not None:
            overdue_known(account, at, _cents(row[-1]))
    return card


def _cents(total):
    """A SUM as exact cents: SQLite adds decimals in floats (0.30000000000000004)."""
    return None if total is None else POINTS_FIELD.to_python(total).quantize(CENT)


@functools.cache
def _card_scan_sql() -> str:
    card, account, lot, col = Card, Account, PointsLot, rows.column
    return (
        f"SELECT {rows.columns(card, 'c')}, {rows.columns(account, 'a')}, {rows.columns(Customer, 'cu')}, "
        f"{rows.columns(Programme, 'p')}, {rows.columns(Level, 'l')}, "
        f"(SELECT SUM(pl.{col(lot, 'remaining')}) FROM {rows.table(lot)} pl WHERE pl.{col(lot, 'account')} = a.id "
        f"AND pl.{col(lot, 'remaining')} > 0 AND pl.{col(lot, 'expires_at')} <= %s) "
        f"FROM {rows.table(card)} c "
        f"LEFT JOIN {rows.table(account)} a ON a.id = c.{col(card, 'account')} "
        f"LEFT JOIN {rows.table(Customer)} cu ON cu.id = a.{col(account, 'customer')} "
        f"LEFT JOIN {rows.table(Programme)} p ON p.id = a.{col(account, 'programme')} "
        f"LEFT JOIN {rows.table(Level)} l ON l.id = a.{col(account, 'level')} "
        f"WHERE c.{col(card, 'number')} = %s"
    )


def card_and_account_for_update(number: str) -> Card | None:
    """The card and its account, both locked (card, then account) in one statement that joins only those
    two; None for an unknown number or a card without an account. Its account's customer, programme and
    level are not read here: see cards/locks.py."""
    found = rows.one(_card_and_account_for_update_sql(), [number], Card, Account)
    if found is None:
        return None
    card, card.account = found
    return card


@functools.cache
def _card_and_account_for_update_sql() -> str:
    lock = " FOR UPDATE OF c, a" if connection.features.has_select_for_update_of else ""  # SQLite: one writer
    return (
        f"SELECT {rows.columns(Card, 'c')}, {rows.columns(Account, 'a')} FROM {rows.table(Card)} c "
        f"JOIN {rows.table(Account)} a ON a.id = c.{rows.column(Card, 'account')} "
        f"WHERE c.{rows.column(Card, 'number')} = %s{lock}"
    )
