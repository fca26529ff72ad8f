"""The manager's dashboard on 1,000,000 receipts in PostgreSQL: every report page for a full year and
for the last 30 days, through Django's test client (view, SQL, template: the whole request), and the
what-if replay over 12 months.

    .venv/bin/python bench/reports_bench.py                          # builds the data once, then times
    BENCH_FRESH=1 BENCH_RECEIPTS=200000 .venv/bin/python bench/reports_bench.py   # a smaller shop, built anew
    BENCH_SMOKE=1 .venv/bin/python bench/reports_bench.py            # 2,000 receipts, one timing: in seconds

The data is built with set-based SQL (INSERT ... SELECT over generate_series), in about a minute: 10
stores with 3 cashiers each, 200,000 printed cards of which 150,000 are active, 1,000,000 receipts
spread over the last 365 days (60 % with a card, 3 lines each, discounted as the demo programme
would), the discount register, the points ledger and lots, the spend ledger with level changes, and
1 % of receipts refunded. The database (BENCH_DATABASE_URL, default loyalty_reports_bench on 127.0.0.1) is
made when missing; a rerun reuses the data if a build completed there (receipts and ledgers are written in
one transaction), else drops the database and builds again. BENCH_FRESH=1 always builds anew.
"""

import os
import statistics
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import pg  # noqa: E402

DB = pg.database_url("loyalty_reports_bench")
os.environ["DATABASE_URL"] = DB  # never the DATABASE_URL of the shell (a developer's or the tests' database)
os.environ.setdefault("DJANGO_DEBUG", "false")  # no query log kept in memory, as in production
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-secret-key-not-for-production-0123")
os.environ.setdefault("CARD_PIN_SECRET", "bench-pin-secret-not-for-production-0123")
os.environ.setdefault("DJANGO_HTTPS", "false")  # the pages are asked over plain HTTP on loopback
os.environ.setdefault("DJANGO_STATIC_MANIFEST", "false")  # no collectstatic for a bench
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from datetime import timedelta  # noqa: E402

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from cards.services import batch_issue  # noqa: E402
from dashboard import whatif  # noqa: E402
from loyalty.models import Programme  # noqa: E402
from pos.demo import build_demo  # noqa: E402
from pos.models import Cashier, Receipt, Store, Terminal  # noqa: E402

RECEIPTS = pg.sized("BENCH_RECEIPTS", 1_000_000, 2000)
CARDS = pg.sized("BENCH_REPORT_CARDS", 200_000, 400)
ACTIVE, STORES, CASHIERS_PER_STORE, LINES = CARDS * 3 // 4, 10, 3, 3
REPEATS = pg.sized("BENCH_REPEATS", 3, 1)
PAGES = [
    "/manager/",
    "/manager/discounts/",
    "/manager/discounts/store/",
    "/manager/discounts/cashier/",
    "/manager/discounts/category/",
    "/manager/discounts/level/",
    "/manager/points/",
    "/manager/levels/",
    "/manager/cards/",
    "/manager/holders/",
    "/manager/suspicious/",
    "/manager/suspicious/often/",
    "/manager/suspicious/cashiers/",
    "/manager/suspicious/refunds/",
    "/manager/stores/",
    "/manager/receipts/",
]


# --- building the shop --------------------------------------------------------------------------
# Every SQL text below is one statement: with server-side binding (the project's default on PostgreSQL) a string
# of several statements with parameters is refused ("cannot insert multiple commands into a prepared statement").


def sql(statement: str, params=None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def script(statements: tuple[str, ...], params: dict) -> None:
    """Each statement in turn, with the same parameters (each takes the ones it names; `%%` is a literal %)."""
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement, params)


CUSTOMERS_SQL = (
    """
INSERT INTO loyalty_customer (name, phone, email, marketing_consent, created_at)
SELECT 'Customer ' || g, '+4930' || lpad(g::text, 9, '0'), '', false, now() - interval '400 days'
FROM generate_series(1, %(n)s) g
""",
    """
CREATE TEMP TABLE b_account AS
SELECT row_number() OVER (ORDER BY c.id) AS idx, c.id AS customer_id FROM loyalty_customer c
WHERE c.phone LIKE '+4930%%'
""",
    """
INSERT INTO loyalty_account (programme_id, customer_id, level_id, spend, points_balance, created_at)
SELECT %(programme)s, a.customer_id,
       CASE WHEN a.idx %% 4 > 0 THEN (SELECT l.id FROM loyalty_level l WHERE l.programme_id = %(programme)s
        ORDER BY l.threshold OFFSET (a.idx %% 4) - 1 LIMIT 1) END,
       (ARRAY[100, 400, 900, 2000])[1 + a.idx %% 4], 0, now() - interval '400 days'
FROM b_account a
""",
    """
CREATE TEMP TABLE b_card AS
SELECT row_number() OVER (ORDER BY c.id) AS idx, c.id AS card_id FROM cards_card c
ORDER BY c.id LIMIT %(n)s
""",
    """
CREATE TEMP TABLE b_active AS
SELECT c.idx, c.card_id, ac.id AS account_id, ac.level_id, coalesce(l.name, '') AS level,
       coalesce(l.percent, 0) AS pct
FROM b_card c JOIN b_account a USING (idx) JOIN loyalty_account ac ON ac.customer_id = a.customer_id
LEFT JOIN loyalty_level l ON l.id = ac.level_id
""",
    """
UPDATE cards_card c SET status = 'active', account_id = b.account_id,
       activated_at = now() - (random() * interval '400 days')
FROM b_active b WHERE c.id = b.card_id
""",
    """
CREATE UNIQUE INDEX ON b_active (idx)
""",
    """
ANALYZE b_active
""",
)


def stores_and_cashiers() -> None:
    """10 stores, a terminal and 3 cashiers each (the demo's two stores included)."""
    for i in range(1, STORES + 1):
        store, _ = Store.objects.get_or_create(code=f"store{i:02d}", defaults={"name": f"Store {i:02d}"})
        Terminal.objects.get_or_create(store=store, name="till-1", defaults={"token_hash": f"bench{i:059d}",
                                                                           "token_hint": "bench"})  # fmt: skip
        for j in range(1, CASHIERS_PER_STORE + 1):
            user, _ = User.objects.get_or_create(username=f"s{i:02d}c{j}")
            Cashier.objects.get_or_create(user=user, defaults={"store": store})


def cards_and_customers() -> None:
    """200,000 printed cards; the first 150,000 active, each with its customer and account at some level."""
    batch_issue(count=CARDS - 50, name="Bench cards")  # the demo printed 50
    programme = Programme.objects.get(code="default")
    script(CUSTOMERS_SQL, {"n": ACTIVE, "programme": programme.pk})


RECEIPTS_SQL = (
    """
CREATE TEMP TABLE b_store AS
SELECT row_number() OVER (ORDER BY s.id) AS idx, s.id AS store_id, t.id AS terminal_id
FROM pos_store s JOIN pos_terminal t ON t.store_id = s.id AND t.name = 'till-1' WHERE s.code LIKE 'store%%'
""",
    """
CREATE TEMP TABLE b_cashier AS
SELECT b.idx AS store_idx, row_number() OVER (PARTITION BY c.store_id ORDER BY c.user_id) AS n, c.user_id
FROM pos_cashier c JOIN b_store b ON b.store_id = c.store_id
""",
    """
CREATE TEMP TABLE b_category AS
SELECT row_number() OVER (ORDER BY id) AS idx, id, discount_policy AS policy,
       coalesce(max_discount_percent, 100) AS cap, earns_points FROM loyalty_category
""",
    """
-- Receipts: a moment in the last 365 days, a store, a cashier of it, a card for 60 per cent of them.
CREATE TEMP TABLE b_receipt AS
SELECT g AS n, %(rid)s + g AS id,
       now() - interval '365 days' + (g::float8 / %(receipts)s) * interval '365 days'
             - random() * interval '2 minutes' AS created_at,  -- appended in time order, as the tills do
       1 + floor(random() * %(stores)s)::int AS store_idx,
       1 + floor(random() * %(cashiers)s)::int AS cashier_n,
       CASE WHEN random() < 0.6 THEN 1 + floor(random() * %(active)s)::int END AS card_idx,
       random() < 0.05 AS redeems
FROM generate_series(1, %(receipts)s) g
""",
    """
CREATE TEMP TABLE b_line AS
SELECT r.n, p AS position, %(lid)s + (r.n - 1) * %(lines)s + p AS id, cat.id AS category_id, cat.earns_points,
       round((1 + random() * 59)::numeric, 2) AS subtotal,
       CASE WHEN a.idx IS NULL OR cat.policy = 'excluded' THEN 0 ELSE least(a.pct, cat.cap) END AS pct
FROM b_receipt r CROSS JOIN generate_series(1, %(lines)s) p
LEFT JOIN b_active a ON a.idx = r.card_idx
JOIN b_category cat ON cat.idx = 1 + ((r.n * 7 + p * 3) %% (SELECT count(*) FROM b_category))
""",
    """
ALTER TABLE b_line ADD COLUMN discount numeric(12, 2)
""",
    """
UPDATE b_line SET discount = trunc(subtotal * pct / 100, 2)
""",
    """
CREATE TEMP TABLE b_total AS
SELECT n, sum(subtotal) AS subtotal, sum(discount) AS discount,
       sum(CASE WHEN earns_points THEN subtotal - discount ELSE 0 END) AS earnable
FROM b_line GROUP BY n
""",
    """
CREATE UNIQUE INDEX ON b_total (n)
""",
    """
INSERT INTO pos_receipt (id, store_id, terminal_id, cashier_id, card_id, account_id, created_at, subtotal,
    discount_total, points_redeemed, points_redeemed_amount, total_due, points_earned, max_redeemable_points,
    card_percent, level_before, level_after, refunded_amount, points_returned, points_reversed)
SELECT r.id, s.store_id, s.terminal_id, c.user_id, a.card_id, a.account_id, r.created_at, t.subtotal, t.discount,
       x.redeem, x.redeem, t.subtotal - t.discount - x.redeem,
       CASE WHEN a.idx IS NULL THEN 0 ELSE trunc(t.earnable * 0.05, 2) END, 0, coalesce(a.pct, 0),
       coalesce(a.level, ''), coalesce(a.level, ''), 0, 0, 0
FROM b_receipt r JOIN b_total t USING (n) JOIN b_store s ON s.idx = r.store_idx
JOIN b_cashier c ON c.store_idx = r.store_idx AND c.n = r.cashier_n
LEFT JOIN b_active a ON a.idx = r.card_idx
CROSS JOIN LATERAL (SELECT CASE WHEN a.idx IS NOT NULL AND r.redeems
                                THEN trunc((t.subtotal - t.discount) * 0.1, 2) ELSE 0 END AS redeem) x
""",
    """
INSERT INTO pos_receiptline (id, receipt_id, position, sku, name, category_id, quantity, unit_price, subtotal,
    discount_percent, discount_amount, total, earns_points, refunded_quantity, refunded_amount)
SELECT l.id, r.id, l.position, 'SKU-' || l.category_id, '', l.category_id, 1, l.subtotal, l.subtotal, l.pct,
       l.discount, l.subtotal - l.discount, l.earns_points, 0, 0
FROM b_line l JOIN b_receipt r USING (n)
""",
    """
INSERT INTO pos_discountentry (receipt_id, line_id, card_id, store_id, terminal_id, cashier_id, category_id, level,
    percent, amount, created_at)
SELECT p.id, l.id, p.card_id, p.store_id, p.terminal_id, p.cashier_id, l.category_id, p.level_before, l.pct,
       l.discount, p.created_at
FROM b_line l JOIN b_receipt r USING (n) JOIN pos_receipt p ON p.id = r.id WHERE l.discount > 0
""",
)

LEDGER_SQL = (
    """
-- Points: an earn entry and its lot per card receipt (part of it spent since), a redeem entry where points paid.
CREATE TEMP TABLE b_earn AS
SELECT %(eid)s + row_number() OVER (ORDER BY p.id) AS id, p.id AS receipt_id, p.account_id, p.points_earned,
       p.created_at
FROM pos_receipt p WHERE p.id > %(rid)s AND p.account_id IS NOT NULL AND p.points_earned > 0
""",
    """
INSERT INTO loyalty_pointsentry (id, account_id, kind, points, created_at, receipt_id, job_run, reason)
SELECT id, account_id, 'earn', points_earned, created_at, receipt_id, '', '' FROM b_earn
""",
    """
SELECT setval(pg_get_serial_sequence('loyalty_pointsentry', 'id'), (SELECT max(id) FROM loyalty_pointsentry))
""",
    """
INSERT INTO loyalty_pointslot (account_id, entry_id, points, remaining, expires_at)
SELECT account_id, id, points_earned, trunc(points_earned * random()::numeric, 2), created_at + interval '365 days'
FROM b_earn
""",
    """
INSERT INTO loyalty_pointsentry (account_id, kind, points, created_at, receipt_id, job_run, reason)
SELECT account_id, 'redeem', -points_redeemed, created_at, id, '', '' FROM pos_receipt
WHERE id > %(rid)s AND points_redeemed > 0
""",
    """
INSERT INTO loyalty_pointsentry (account_id, kind, points, created_at, job_run, reason)
SELECT account_id, 'expire', -1.00, created_at + interval '1 hour', 'bench', '' FROM b_earn WHERE id %% 50 = 0
""",
    """
-- Spend: one purchase entry per card receipt; every 30th one is where the card moved up a level.
INSERT INTO loyalty_spendentry (account_id, kind, amount, created_at, receipt_id, job_run, level_before, level_after)
SELECT p.account_id, 'purchase', p.total_due, p.created_at, p.id, '',
       CASE WHEN p.id %% 30 = 0 THEN coalesce((SELECT l2.name FROM loyalty_level l1 JOIN loyalty_level l2
                ON l2.programme_id = l1.programme_id AND l2.threshold < l1.threshold
                WHERE l1.name = p.level_after ORDER BY l2.threshold DESC LIMIT 1), '') ELSE p.level_after END,
       p.level_after
FROM pos_receipt p WHERE p.id > %(rid)s AND p.account_id IS NOT NULL
""",
    """
-- Refunds: one receipt in a hundred, whole, within two days.
INSERT INTO pos_refund (receipt_id, created_at, terminal_id, cashier_id, goods_amount, amount_refunded,
    points_returned, points_reversed, points_shortfall)
SELECT id, created_at + random() * interval '48 hours', terminal_id, cashier_id, subtotal - discount_total,
       total_due, points_redeemed, points_earned, 0
FROM pos_receipt WHERE id > %(rid)s AND id %% 100 = 7
""",
    """
UPDATE pos_receipt SET refunded_amount = total_due, points_returned = points_redeemed,
       points_reversed = points_earned WHERE id > %(rid)s AND id %% 100 = 7
""",
    """
UPDATE loyalty_account a SET last_purchase_at = m.at FROM (
    SELECT account_id, max(created_at) AS at FROM pos_receipt WHERE account_id IS NOT NULL GROUP BY account_id
) m WHERE m.account_id = a.id
""",
    """
UPDATE loyalty_account a SET points_balance = s.remaining FROM (
    SELECT account_id, sum(remaining) AS remaining FROM loyalty_pointslot GROUP BY account_id
) s WHERE s.account_id = a.id
""",
)


def next_id(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")  # noqa: S608 - a fixed table name
        return cursor.fetchone()[0]


def reset_sequences() -> None:
    for table in ("pos_receipt", "pos_receiptline", "loyalty_pointsentry"):
        sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")


def build() -> None:
    started = time.monotonic()
    build_demo()
    stores_and_cashiers()
    cards_and_customers()
    print(f"  cards and customers: {time.monotonic() - started:.1f} s", flush=True)
    params = {"rid": next_id("pos_receipt"), "lid": next_id("pos_receiptline"), "eid": next_id("loyalty_pointsentry"),
              "receipts": RECEIPTS, "stores": STORES, "cashiers": CASHIERS_PER_STORE, "active": ACTIVE,
              "lines": LINES}  # fmt: skip
    with transaction.atomic():  # no receipts without their ledgers: built() trusts a database with receipts
        script(RECEIPTS_SQL, params)
        print(f"  receipts, lines, discount register: {time.monotonic() - started:.1f} s", flush=True)
        script(LEDGER_SQL, params)
        reset_sequences()
    sql("VACUUM ANALYZE")  # the visibility map lets the reports read covering indexes alone
    print(f"built in {time.monotonic() - started:.1f} s", flush=True)


def counts() -> str:
    with connection.cursor() as cursor:
        tables = ["pos_receipt", "pos_receiptline", "pos_discountentry", "loyalty_pointsentry", "loyalty_pointslot",
                  "loyalty_spendentry", "pos_refund", "cards_card"]  # fmt: skip
        out = []
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names
            out.append(f"{table} {cursor.fetchone()[0]:,}")
        return ", ".join(out)


# --- timing -------------------------------------------------------------------------------------


def time_page(client: Client, url: str) -> float:
    """Median of REPEATS requests after one warm-up, in milliseconds."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def time_pages() -> None:
    client = Client()
    client.force_login(User.objects.get(username="manager"))
    today = timezone.localdate()
    periods = {
        "full year": f"from={today - timedelta(days=364)}&to={today}",
        "last 30 days": f"from={today - timedelta(days=29)}&to={today}",
    }
    print("| page | full year (target 1,000 ms) | last 30 days (target 200 ms) |")
    print("|---|---|---|")
    for path in PAGES:
        year, month = (time_page(client, f"{path}?{query}") for query in periods.values())
        print(f"| `{path}` | {year:,.0f} ms | {month:,.0f} ms |", flush=True)


def time_whatif() -> None:
    programme = Programme.objects.get(code="default")
    data = whatif.Proposal.from_json({
        "programme_id": programme.pk, "months": 12, "kind": "cumulative", "base_percent": "0",
        "ceiling_percent": "20", "earn_percent": "4", "point_value": "1.00", "excluded": ["tobacco", "baby-food"],
        "levels": [["Silver", "500", "3"], ["Gold", "1000", "5"], ["Platinum", "2500", "8"]],
    }).to_json()  # fmt: skip
    started = time.monotonic()
    result = whatif.run("bench", data)
    print(f"what-if over 12 months: {time.monotonic() - started:.1f} s for {result['receipts']:,} receipts "
          f"of {result['cards']:,} cards (target 30 s)")  # fmt: skip


def built() -> bool:
    """Whether the database holds a completed build (asked before Django connects to it)."""
    if not pg.exists(DB):
        return False
    with psycopg.connect(DB) as conn:
        try:
            return conn.execute("SELECT 1 FROM pos_receipt LIMIT 1").fetchone() is not None
        except psycopg.errors.UndefinedTable:
            return False


def main() -> None:
    build_it = pg.fresh_requested() or not built()
    if build_it:  # a build stopped halfway left cards and customers behind: start from an empty database
        pg.ensure(DB, fresh=True)
    print(f"database: {pg.name(DB)}", flush=True)
    call_command("migrate", "--noinput", verbosity=0)
    if build_it:
        build()
    print(counts(), flush=True)
    print(f"receipts: {Receipt.objects.count():,}", flush=True)
    time_pages()
    time_whatif()


if __name__ == "__main__":
    main()
