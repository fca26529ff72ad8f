"""What an operator watches: GET /healthz, one log line per request (no secrets in it), the nightly job's age."""

import json
import logging
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.test import Client
from django.utils import timezone

from cards.pins import card_pin
from loyalty.models import JobRun
from pos.models import Terminal
from tests.mycard.support import fresh_cache  # noqa: F401  (autouse: the sign-in counters stay in this test)
from tests.tills import CENTRAL

pytestmark = pytest.mark.django_db

DEMO_CARD = "2000000000503"


def nightly(*, hours_ago: float, status=JobRun.Status.FINISHED) -> JobRun:
    at = timezone.now() - timedelta(hours=hours_ago)
    return JobRun.objects.create(job="nightly", as_of=at, trigger="schedule", status=status, started_at=at,
                                 finished_at=at, error="boom" if status == JobRun.Status.FAILED else "")  # fmt: skip


def test_healthz_answers_200_without_login_and_gives_the_nightly_job_s_age():
    nightly(hours_ago=30)
    nightly(hours_ago=5)

    response = Client().get("/healthz")

    assert response.status_code == 200
    body = response.json()
    age = body["details"]["nightly_job"].pop("age_seconds")
    assert 5 * 3600 - 5 <= age <= 5 * 3600 + 5
    assert body == {
        "database": "ok",
        "cache": "ok",
        "details": {
            "nightly_job": {
                "last_status": "finished",
                "last_finished_at": JobRun.objects.order_by("-started_at")[0].finished_at.isoformat(),
                "late": False,
            }
        },
    }
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def test_healthz_shows_a_stopped_schedule_as_late():
    nightly(hours_ago=27)
    nightly(hours_ago=1, status=JobRun.Status.FAILED)

    details = Client().get("/healthz").json()["details"]["nightly_job"]

    assert (details["last_status"], details["late"], details["age_seconds"] // 3600) == ("failed", True, 27)


def test_healthz_before_any_nightly_run():
    assert Client().get("/healthz").json()["details"] == {
        "nightly_job": {"last_status": None, "last_finished_at": None, "age_seconds": None, "late": True}
    }


def test_healthz_answers_503_when_the_cache_does_not(monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(caches["default"], "set", down)

    response = Client().get("/healthz")

    assert response.status_code == 503
    assert response.json()["cache"] == "error: ConnectionError"
    assert response.json()["database"] == "ok"


def test_healthz_answers_503_when_the_database_does_not(monkeypatch):
    from django.db import connection

    def down(*args, **kwargs):
        raise ConnectionError("postgres is down")

    monkeypatch.setattr(connection, "cursor", down)

    response = Client().get("/healthz")

    assert (response.status_code, response.json()) == (503, {"database": "error: ConnectionError", "cache": "ok"})


def test_the_admin_s_job_runs_page_says_how_old_the_last_nightly_run_is(manager_client):
    nightly(hours_ago=30)

    page = manager_client.get("/admin/loyalty/jobrun/").content.decode()

    assert "Last nightly run finished 1\xa0day, 6\xa0hours ago." in page


def request_lines(caplog) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "loyalty.requests"]


def test_one_line_per_request_names_the_terminal_and_masks_the_card_number(demo, till, caplog):
    caplog.set_level(logging.INFO, logger="loyalty.requests")

    assert till.get(f"/api/v1/cards/{DEMO_CARD}/?pin=12345678&token={CENTRAL}").status_code == 200

    [line] = request_lines(caplog)
    assert line.pop("duration_ms") >= 0
    terminal = Terminal.objects.get(store__code="central")
    assert line == {"method": "GET", "path": "/api/v1/cards/*********0503/", "status": 200, "terminal": terminal.pk}
    assert DEMO_CARD not in caplog.text and CENTRAL not in caplog.text and "12345678" not in caplog.text


def test_the_customer_s_sign_in_logs_neither_the_pin_nor_the_card_number(demo, caplog):
    caplog.set_level(logging.INFO, logger="loyalty.requests")
    client = Client()
    pin = card_pin(DEMO_CARD)

    response = client.post("/my/signin/", {"number": DEMO_CARD, "pin": pin})

    assert [(line["method"], line["path"], line["status"]) for line in request_lines(caplog)] == [
        ("POST", "/my/signin/", response.status_code)
    ]
    assert pin not in caplog.text and DEMO_CARD not in caplog.text


def test_a_cashier_s_request_names_the_cashier(demo, caplog):
    from django.contrib.auth.models import User

    caplog.set_level(logging.INFO, logger="loyalty.requests")
    client = Client()
    cashier = User.objects.get(username="cashier1")
    client.force_login(cashier)

    assert client.get("/pos/").status_code == 200

    [line] = request_lines(caplog)
    assert (line["path"], line["status"], line["user"]) == ("/pos/", 200, cashier.pk)
