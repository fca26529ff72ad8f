"""Who is acting at the till: a terminal (API token) or a cashier (the screen)."""

import functools
import hashlib
import secrets
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from core import rows
from pos.models import Store, Terminal


@dataclass(frozen=True)
class PosActor:
    store: Store
    terminal: Terminal | None = None
    cashier: object | None = None  # a User

    @property
    def scope(self) -> str:
        """Idempotency keys are unique per terminal (or per cashier on the screen)."""
        return f"terminal:{self.terminal.pk}" if self.terminal else f"cashier:{self.cashier.pk}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def terminal_create(*, store: Store, name: str) -> tuple[Terminal, str]:
    """A new terminal and its token. The token is returned once and never stored."""
    token = secrets.token_urlsafe(32)
    terminal = Terminal.objects.create(store=store, name=name, token_hash=hash_token(token), token_hint=token[:8])
    return terminal, token


def terminal_for_token(token: str) -> Terminal | None:
    """The unrevoked terminal holding `token`, with its store: asked on every API request, so one
    hand-written statement (core/rows.py) instead of an ORM query that costs more to build than to run."""
    with connection.cursor() as cursor:
        cursor.execute(_terminal_sql(), [hash_token(token)])
        row = cursor.fetchone()
    if row is None:
        return None
    terminal, store = rows.split(row, Terminal, Store)
    terminal.store = store
    return terminal


@functools.cache
def _terminal_sql() -> str:
    return (
        f"SELECT {rows.columns(Terminal, 't')}, {rows.columns(Store, 's')} FROM {rows.table(Terminal)} t "
        f"JOIN {rows.table(Store)} s ON s.id = t.{rows.column(Terminal, 'store')} "
        f"WHERE t.{rows.column(Terminal, 'token_hash')} = %s AND t.{rows.column(Terminal, 'revoked_at')} IS NULL"
    )


def terminal_revoke(terminal: Terminal) -> None:
    Terminal.objects.filter(pk=terminal.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
