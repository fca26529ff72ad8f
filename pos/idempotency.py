"""Run a POST once per (terminal, Idempotency-Key), as api.md fixes it.

The record is inserted first, inside the same transaction as the work. A
concurrent retry with the same key blocks on the unique index until the first
attempt commits, then finds its record and replays the stored answer; if the
first attempt failed (and rolled back), the retry simply does the work.
"""

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from core import rows
from core.errors import DomainError
from pos.actors import PosActor
from pos.models import IdempotencyRecord


def request_fingerprint(endpoint: str, payload) -> str:
    canonical = json.dumps([endpoint, payload], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def run_once(
    *, actor: PosActor, key: str, endpoint: str, payload, work: Callable[[], tuple[int, dict]]
) -> tuple[int, dict, bool]:
    """(status, body, replayed). `work` runs inside this function's transaction."""
    fingerprint = request_fingerprint(endpoint, payload)
    with transaction.atomic(durable=True):
        record_id = _claim(actor.scope, key, endpoint, fingerprint)
        if record_id is None:
            return _replay(actor, key, fingerprint)
        status, body = work()
        rows.update(IdempotencyRecord, record_id, {"status_code": status, "response": json.dumps(body)})
        return status, body, False


def _claim(scope: str, key: str, endpoint: str, fingerprint: str) -> int | None:
    """Insert the key's record, or None if the key is taken. ON CONFLICT DO NOTHING waits on the unique
    index like a plain INSERT would, but needs no savepoint: one statement instead of three."""
    record = {"scope": scope, "key": key, "endpoint": endpoint, "request_hash": fingerprint}
    claimed = rows.insert(IdempotencyRecord, [record], skip_taken=("scope", "key"))
    return claimed[0] if claimed else None


def _replay(actor: PosActor, key: str, fingerprint: str) -> tuple[int, dict, bool]:
    record = IdempotencyRecord.objects.get(scope=actor.scope, key=key)
    if record.request_hash != fingerprint:
        raise DomainError(
            "This Idempotency-Key was already used for a different request.",
            code="idempotency_key_reused",
        )
    return record.status_code, json.loads(record.response), True


PURGE_BATCH = 5_000


def idempotency_records_purge(*, at: datetime) -> int:
    """Drop the records older than the retry window (IDEMPOTENCY_RETENTION_DAYS before `at`): after it no
    till retries, and each record keeps a whole answer. A record exactly at the window's edge is kept.
    In short batches, so a checkout waiting on the unique index never waits long. Returns how many went."""
    cutoff = at - timedelta(days=settings.IDEMPOTENCY_RETENTION_DAYS)
    deleted = 0
    while True:
        with transaction.atomic():
            batch = list(
                IdempotencyRecord.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:PURGE_BATCH]
            )
            if not batch:
                return deleted
            deleted += IdempotencyRecord.objects.filter(pk__in=batch).delete()[0]
