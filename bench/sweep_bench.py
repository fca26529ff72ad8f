"""The nightly sweep over 1,000,000 cards (40 % idle, 10 % with points past their date) on
PostgreSQL, alone and while checkouts run, with the checkout p99 with and without it.

    .venv/bin/python bench/sweep_bench.py     # needs wrk; SWEEP_CARDS=200000 for a quicker look
    BENCH_REUSE_SEED=1 .venv/bin/python bench/sweep_bench.py   # measure again on the same seed
    BENCH_SMOKE=1 .venv/bin/python bench/sweep_bench.py        # 1,000 cards, 1-second loads: the path in seconds

It builds a seed database (loyalty_sweep_seed: the demo, 1M cards issued by the real batch service,
customers/accounts/points filled set-based in SQL; made again on every run unless BENCH_REUSE_SEED=1 finds
a complete one) and runs each measurement on a fresh copy of it (loyalty_sweep_run, CREATE DATABASE …
TEMPLATE), so every sweep has the same work to do. BENCH_DATABASE_URL=postgres://…/NAME names them
NAME_seed and NAME_run instead (default NAME: loyalty_sweep).
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import pg  # noqa: E402
from bench import pos_bench as pb  # noqa: E402

# BENCH_PG_PORT=5433 points it at a second, tuned server (see bench/README.md) without touching the main one.
PORT = os.environ.get("BENCH_PG_PORT", "5432")
BASE = os.environ.get("BENCH_DATABASE_URL") or f"postgres://postgres@127.0.0.1:{PORT}/loyalty_sweep"
SEED_URL, RUN_URL = (pg.renamed(BASE, f"{pg.name(BASE)}_{what}") for what in ("seed", "run"))
SEED = pg.name(SEED_URL)
CARDS = pg.sized("SWEEP_CARDS", 1_000_000, 1000)
BATCH_NAME = "Sweep bench"
# pos_bench's gunicorn, wrk and manage.py work on the run database; the seed is built through SEED_ENV.
pb.DB, pb.ENV = RUN_URL, pb.bench_env(RUN_URL)
SEED_ENV = pb.bench_env(SEED_URL)

# New customers' phones skip any the seed already holds (the demo's, the bench customers'), so none is taken twice.
FILL = """
WITH new AS (
    INSERT INTO loyalty_customer (name, phone, email, birthday, marketing_consent, created_at)
    SELECT 'Sweep customer ' || p.i, p.phone, '', NULL, false, now()
    FROM (SELECT i, '+4915' || lpad(i::text, 9, '0') AS phone
          FROM generate_series(1, %(n)s + (SELECT count(*) FROM loyalty_customer)) i) p
    WHERE NOT EXISTS (SELECT 1 FROM loyalty_customer c WHERE c.phone = p.phone)
    ORDER BY p.i LIMIT %(n)s
    RETURNING id
)
SELECT min(id), count(*) FROM new
"""

# One statement each: with server-side binding (the project's default), a string of several statements with
# parameters is refused ("cannot insert multiple commands into a prepared statement").
ACCOUNTS = (
    """
-- id mod 10 < 4: idle (last purchase 200-400 days ago); id mod 10 = 0 also has points earned
-- 400 days ago (a quarter of the idle cards burn points tonight: step-down and burn rarely fall on
-- the same night, 180 and 365 days after the last purchase). The rest bought in the last 170 days.
-- Levels spread evenly over base/Silver/Gold/Platinum. SWEEP_BURN_ALL=1: every idle card burns too.
INSERT INTO loyalty_account (programme_id, customer_id, level_id, spend, points_balance, last_purchase_at,
                             stepped_down_at, replaces_id, created_at)
SELECT %(programme)s, c.id,
       (ARRAY[NULL, %(silver)s, %(gold)s, %(platinum)s]::bigint[])[c.id %% 4 + 1],
       (ARRAY[100, 400, 800, 2000])[c.id %% 4 + 1],
       5.00,
       CASE WHEN c.id %% 10 < 4 THEN now() - (200 + c.id %% 200) * interval '1 day'
            ELSE now() - (c.id %% 170) * interval '1 day' END,
       NULL, NULL, now()
FROM loyalty_customer c WHERE c.id >= %(first_customer)s ORDER BY c.id
""",
    """
INSERT INTO loyalty_pointsentry (account_id, kind, points, created_at, receipt_id, refund_id, job_run,
                                 created_by_id, reason, burned_lot_id)
SELECT a.id, 'earn', 5.00,
       CASE WHEN a.customer_id %% 10 < %(burning)s THEN now() - interval '400 days' ELSE now() - interval '30 days' END,
       NULL, NULL, '', NULL, '', NULL
FROM loyalty_account a WHERE a.customer_id >= %(first_customer)s
""",
    """
INSERT INTO loyalty_pointslot (account_id, entry_id, points, remaining, expires_at)
SELECT e.account_id, e.id, 5.00, 5.00, e.created_at + interval '365 days'
FROM loyalty_pointsentry e JOIN loyalty_account a ON a.id = e.account_id
WHERE a.customer_id >= %(first_customer)s
""",
    """
UPDATE cards_card c SET account_id = pair.account_id, status = 'active', activated_at = now()
FROM (
    SELECT a.id AS account_id, k.id AS card_id
    FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM loyalty_account
          WHERE customer_id >= %(first_customer)s) a
    JOIN (SELECT id, row_number() OVER (ORDER BY id) AS n FROM cards_card WHERE batch_id = %(batch)s) k
      ON k.n = a.n
) pair
WHERE c.id = pair.card_id
""",
)


def seed_built() -> bool:
    """Whether the seed is there and complete: its customers, accounts and lots are filled in one transaction."""
    if not pg.exists(SEED_URL):
        return False
    with psycopg.connect(SEED_URL) as conn:
        try:
            found = conn.execute(
                "SELECT 1 FROM cards_card c JOIN cards_cardbatch b ON b.id = c.batch_id"
                " WHERE b.name = %s AND c.status = 'active' LIMIT 1",
                [BATCH_NAME],
            )
            return found.fetchone() is not None
        except psycopg.errors.UndefinedTable:
            return False


def build_seed() -> None:
    pg.ensure(SEED_URL, fresh=True)
    saved, pb.ENV = pb.ENV, SEED_ENV
    try:
        pb.prepare()  # the demo and 40 active customers for the checkout load
        pb.manage("shell", "-c", f"from bench.sweep_bench import fill; fill({CARDS})")
    finally:
        pb.ENV = saved
    pg.run(SEED_URL, "VACUUM ANALYZE")


def fill(count: int) -> None:
    """Runs inside `manage.py shell` on the seed database."""
    from django.db import connection, transaction

    from cards.services import batch_issue
    from loyalty.models import Level, Programme

    started = time.monotonic()
    batch = batch_issue(count=count, name=BATCH_NAME)  # its own transaction (durable)
    programme = Programme.objects.get(code="default")
    levels = {lv.name: lv.pk for lv in Level.objects.filter(programme=programme)}
    with transaction.atomic(), connection.cursor() as cursor:  # all or nothing: seed_built() relies on it
        cursor.execute(FILL, {"n": count})
        first_customer, customers = cursor.fetchone()
        assert customers == count, (customers, count)
        params = {
            "programme": programme.pk, "silver": levels["Silver"], "gold": levels["Gold"],
            "platinum": levels["Platinum"], "first_customer": first_customer, "batch": batch.pk,
            "burning": 4 if os.environ.get("SWEEP_BURN_ALL") == "1" else 1,
        }  # fmt: skip
        for statement in ACCOUNTS:
            cursor.execute(statement, params)
    print(f"filled {count} cards in {time.monotonic() - started:.0f} s", file=sys.stderr)


def fresh_copy() -> None:
    pg.ensure(RUN_URL, fresh=True, template=SEED)


WARMUP = pg.sized("SWEEP_WARMUP_SECONDS", 3, 1)
SHORTEST = 1 if pg.smoke() else 5  # the shortest load window, in seconds


def sweep() -> tuple[float, str]:
    started = time.monotonic()
    line = pb.manage("expire_inactive").strip()
    return time.monotonic() - started, line


def main() -> None:
    if os.environ.get("BENCH_REUSE_SEED") == "1" and seed_built():
        print(f"reusing the seed {SEED}", flush=True)
    else:
        build_seed()
    fresh_copy()
    alone, line = sweep()
    print(f"sweep alone: {alone:.1f} s — {line}")

    fresh_copy()
    server = pb.start_server()
    try:
        cards = {**pb.ENV, "BENCH_CARDS": " ".join(shoppers())}
        seconds, pb.SECONDS = pb.SECONDS, WARMUP
        pb.wrk("checkout.lua", cards)  # warm-up: cold workers would skew the p99
        pb.SECONDS = seconds
        quiet = pb.wrk("checkout.lua", cards)
        print(f"checkout without the sweep: {quiet['rate']:.0f} /s, p99 {quiet['p99_ms']:.1f} ms")
        # wrk runs as long as the sweep alone took, so its window is the sweep's: no warm-up of its own
        # (the workers are warm by now), or the load would start seconds after the sweep.
        window = {**cards, "BENCH_SECONDS": str(max(SHORTEST, round(alone))), "BENCH_WARMUP_SECONDS": "0"}
        load = subprocess.Popen([sys.executable, "-c", "from bench.sweep_bench import loaded; loaded()"],
                                cwd=ROOT, env=window, stdout=subprocess.PIPE, text=True)  # fmt: skip
        time.sleep(0.5)  # wrk is up before the sweep starts
        during, line = sweep()
        print(f"sweep under checkout load: {during:.1f} s — {line}")
        print(load.communicate()[0].strip())
    finally:
        pb.stop_server(server)


def shoppers() -> list[str]:
    """The 40 demo customers the checkout load spreads over (the sweep's million come later in number order)."""
    return pb.manage(
        "shell",
        "-c",
        "from cards.models import Card\n"
        "print(*Card.objects.filter(status='active').order_by('number').values_list('number', flat=True)[:40])",
    ).split()[-40:]


def loaded() -> None:
    busy = pb.wrk("checkout.lua", dict(os.environ))
    print(f"checkout during the sweep: {busy['rate']:.0f} /s, p99 {busy['p99_ms']:.1f} ms")


if __name__ == "__main__":
    main()
