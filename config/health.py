"""GET /healthz for load balancers, compose and systemd: does this process reach its database and cache?

No authentication and no shop data. 200 when both answer, 503 otherwise. `details` says how long ago the
nightly job last ran: a Celery beat that stopped shows as a growing age here (and in the admin's Job runs),
without failing the web process's own health.
"""

import uuid

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from loyalty.selectors import NIGHTLY_LATE, last_nightly_runs


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # noqa: BLE001 - any failure is "not ok"; its class says which
        return f"error: {type(error).__name__}"
    return "ok"


def _cache() -> str:
    probe = uuid.uuid4().hex
    try:
        cache.set("healthz-probe", probe, timeout=10)
        # Another process may have written its own probe in between: any value read back is an answer.
        return "ok" if cache.get("healthz-probe") is not None else "error: nothing stored"
    except Exception as error:  # noqa: BLE001
        return f"error: {type(error).__name__}"


def _nightly_job() -> dict:
    latest, finished = last_nightly_runs()
    now = timezone.now()
    return {
        "last_status": latest.status if latest else None,
        "last_finished_at": finished.finished_at.isoformat() if finished else None,
        "age_seconds": int((now - finished.finished_at).total_seconds()) if finished else None,
        "late": finished is None or now - finished.finished_at > NIGHTLY_LATE,
    }


@never_cache
@require_GET
def healthz(request):
    body = {"database": _database(), "cache": _cache()}
    healthy = body["database"] == "ok" and body["cache"] == "ok"
    if body["database"] == "ok":
        body["details"] = {"nightly_job": _nightly_job()}
    return JsonResponse(body, status=200 if healthy else 503)
