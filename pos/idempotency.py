"""Run a POST once per (terminal, Idempotency-Key), as api.md fixes it.

The record is inserted first, inside the same transaction as the work. A
concurrent retry with the same key blocks on the unique index until the first
attempt commits, then finds its record and replays the stored answer; if the
first attempt failed (and rolled back), the retry simply does the work.
"""

import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction

from loyalty.errors import DomainError
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
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    scope=actor.scope, key=key, endpoint=endpoint, request_hash=fingerprint
                )
        except IntegrityError:
            return _replay(actor, key, fingerprint)
        status, body = work()
        record.status_code, record.response = status, json.dumps(body)
        record.save(update_fields=["status_code", "response"])
        return status, body, False


def _replay(actor: PosActor, key: str, fingerprint: str) -> tuple[int, dict, bool]:
    record = IdempotencyRecord.objects.get(scope=actor.scope, key=key)
    if record.request_hash != fingerprint:
        raise DomainError(
            "This Idempotency-Key was already used for a different request.",
            code="idempotency_key_reused",
            status=422,
        )
    return record.status_code, json.loads(record.response), True
