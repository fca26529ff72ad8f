"""A real Celery worker with beat, against the real Redis and PostgreSQL, runs the nightly job."""

import os
import subprocess
import sys
import time
from decimal import Decimal as D
from pathlib import Path

import pytest
import redis
from django.db import connection

from loyalty.models import Account, JobRun
from tests.loyalty.test_expiry import card_at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BROKER = "redis://127.0.0.1:6379/14"  # a database of its own: stale tasks of other runs cannot interfere
ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def test_beat_schedules_the_nightly_job_and_a_worker_runs_it(tmp_path):
    gold = card_at("800.00")  # bought in March 2026: idle for longer than 180 days by now
    redis.Redis.from_url(BROKER).flushdb()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),  # the test database, where the card above is committed
        "REDIS_URL": BROKER,
        "NIGHTLY_JOB_EVERY_SECONDS": "1",  # instead of 03:00, so the test need not wait for the night
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--beat", "--pool=solo", "--loglevel=INFO",
         "--schedule", str(tmp_path / "beat")],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        run = wait_for_a_finished_run(timeout=60)
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
    assert run is not None, f"no finished run; worker said:\n{output[-3000:]}"
    assert (run.trigger, run.cards_stepped_down) == ("schedule", 1)
    account = Account.objects.select_related("level").get(pk=gold)
    assert (account.level.name, account.spend) == ("Silver", D("300.00"))
    assert "loyalty.nightly_expiry" in output


def wait_for_a_finished_run(timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = JobRun.objects.filter(status="finished").order_by("id").first()
        if run:
            return run
        time.sleep(0.5)
    return None
