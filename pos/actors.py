"""Who is acting at the till: a terminal (API token) or a cashier (the screen)."""

import hashlib
import secrets
from dataclasses import dataclass

from django.utils import timezone

from pos.models import Store, Terminal
from pos.selectors import terminal_by_token_hash


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
    """The unrevoked terminal holding `token`, with its store (asked on every API request)."""
    return terminal_by_token_hash(hash_token(token))


def terminal_revoke(terminal: Terminal) -> None:
    Terminal.objects.filter(pk=terminal.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
