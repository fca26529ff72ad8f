"""Who is acting at the till: a terminal (API token) or a cashier (the screen)."""

import functools
import hashlib
import secrets
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

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
    """The unrevoked terminal holding `token`, with its store.

    Every API request asks this, so it is one hand-written statement: building the same
    select_related query through the ORM cost more CPU than the whole lookup in PostgreSQL.
    The columns come from the models, so a new field needs no change here."""
    with connection.cursor() as cursor:
        cursor.execute(_terminal_sql(), [hash_token(token)])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(Terminal._meta.concrete_fields)
    terminal = _instance(Terminal, row[:split])
    terminal.store = _instance(Store, row[split:])
    return terminal


def _instance(model, values):
    """A model instance from its columns as the driver returned them, converted as the ORM would
    (SQLite hands back datetimes and decimals as text)."""
    converted = []
    for field, value in zip(model._meta.concrete_fields, values, strict=True):
        col = field.get_col(model._meta.db_table)
        for converter in connection.ops.get_db_converters(col) + field.get_db_converters(connection):
            value = converter(value, col, connection)
        converted.append(value)
    return model.from_db(connection.alias, None, converted)


@functools.cache
def _terminal_sql() -> str:
    q = connection.ops.quote_name
    t, s = Terminal._meta, Store._meta

    def columns(meta, alias):
        return ", ".join(f"{alias}.{q(f.column)}" for f in meta.concrete_fields)

    return (
        f"SELECT {columns(t, 't')}, {columns(s, 's')} FROM {q(t.db_table)} t "
        f"JOIN {q(s.db_table)} s ON s.{q(s.pk.column)} = t.{q(t.get_field('store').column)} "
        f"WHERE t.{q(t.get_field('token_hash').column)} = %s AND t.{q(t.get_field('revoked_at').column)} IS NULL"
    )


def terminal_revoke(terminal: Terminal) -> None:
    Terminal.objects.filter(pk=terminal.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
