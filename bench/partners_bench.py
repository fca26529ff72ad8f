"""A month's settlement on PostgreSQL: 10,000 business customers and 100 partners, 1,000,000 receipts in the month.

    .venv/bin/python bench/partners_bench.py                 # builds the data once, then times
    BENCH_FRESH=1 BENCH_RECEIPTS=200000 .venv/bin/python bench/partners_bench.py
    BENCH_SMOKE=1 .venv/bin/python bench/partners_bench.py   # a tiny shop, the same code path

The data is built with set-based SQL: 10,000 companies with 2 staff accounts each and a monthly retro-bonus
agreement (plan, paid on time, chosen line dairy; every tenth also with marginal tiers, a per-unit rate and a
growth condition), 100 partners with 100 customers each and a tiered commission (a key account each) and a
postcode area with a regional order limit of 50.00 (the staff of every tenth company live in one),
1,000,000 receipts in October 2026 (90 % on company cards, 10 % of partners' customers), one line each, 1 %
refunded in the month, half of the company receipts on account with their payments (a few late; booked by
the build: the nightly booking job is not part of the timing).

Then `settle_period --period 2026-10` runs twice: the first makes a statement per agreement (timed, with its
SQL statements counted), the second must write nothing (every table's row count and highest id unchanged).
The statements are deleted afterwards so that the next run times the same work again.
"""

import os
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import pg  # noqa: E402

DB = pg.database_url("loyalty_partners_bench")
os.environ["DATABASE_URL"] = DB
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-secret-key-not-for-production-0123")
os.environ.setdefault("CARD_PIN_SECRET", "bench-pin-secret-not-for-production-0123")
os.environ.setdefault("DJANGO_HTTPS", "false")
os.environ.setdefault("DJANGO_STATIC_MANIFEST", "false")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from datetime import UTC, date, datetime  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from partners.periods import Period  # noqa: E402
from partners.services import settle_period  # noqa: E402
from pos.demo import build_demo  # noqa: E402

RECEIPTS = pg.sized("BENCH_RECEIPTS", 1_000_000, 3000)
COMPANIES = pg.sized("BENCH_COMPANIES", 10_000, 30)
PARTNERS = pg.sized("BENCH_PARTNERS", 100, 3)
PER_PARTNER = 100 if not pg.smoke() else 5
MONTH = "2026-10"
SETTLED_AT = datetime(2026, 11, 2, 4, 30, tzinfo=UTC)
TABLES = ["partners_statement", "partners_statementline", "partners_statementitem", "partners_statementevent"]

BUILD_SQL = (
    """
INSERT INTO loyalty_company (name, vat_id, address, days_to_pay, prepayment_discount_percent,
    deferral_surcharge_percent, earns_points, pays_on_account, created_at)
SELECT 'Company ' || g, 'DE' || lpad(g::text, 9, '0'), '', 14, 0, 0, false, false, now()
FROM generate_series(1, %(companies)s) g
""",
    """
INSERT INTO loyalty_partner (code, name, kind, created_at)
SELECT 'P-' || g, 'Partner ' || g, 'agent', now() FROM generate_series(1, %(partners)s) g
""",
    """
INSERT INTO loyalty_customer (name, phone, email, marketing_consent, created_at)
SELECT 'Staff ' || g, '+4940' || lpad(g::text, 9, '0'), '', false, now()
FROM generate_series(1, 2 * %(companies)s + %(partners)s * %(per_partner)s) g
""",
    """
CREATE TEMP TABLE b_acct AS
SELECT row_number() OVER (ORDER BY id) AS idx, id AS customer_id FROM loyalty_customer WHERE phone LIKE '+4940%%'
""",
    """
INSERT INTO loyalty_account (programme_id, customer_id, company_id, spend, points_balance, created_at)
SELECT %(programme)s, b.customer_id,
       CASE WHEN b.idx <= 2 * %(companies)s THEN (SELECT min(id) FROM loyalty_company) + (b.idx - 1) / 2 END,
       0, 0, now()
FROM b_acct b
""",
    """
INSERT INTO loyalty_partnerassignment (customer_id, partner_id, source, assigned_at)
SELECT b.customer_id, (SELECT min(id) FROM loyalty_partner) + (b.idx - 2 * %(companies)s - 1) / %(per_partner)s,
       'manager', timestamptz '2026-01-01'
FROM b_acct b WHERE b.idx > 2 * %(companies)s
""",
    """
INSERT INTO partners_keyaccount (partner_id, customer_id, percent, note)
SELECT pa.partner_id, min(pa.customer_id), 1, '' FROM loyalty_partnerassignment pa GROUP BY pa.partner_id
""",
    """
INSERT INTO partners_agreement (name, company_id, partner_id, period, valid_from, tier_mode, created_at)
SELECT 'Retro-bonus ' || c.name, c.id, NULL, 'month', date '2026-01-01',
       CASE WHEN c.id %% 10 = 0 THEN 'marginal' ELSE 'retroactive' END, now()
FROM loyalty_company c
UNION ALL
SELECT 'Commission ' || p.code, NULL, p.id, 'month', date '2026-01-01', 'retroactive', now() FROM loyalty_partner p
""",
    """
INSERT INTO partners_condition (agreement_id, kind, percent, plan, minimum, growth_percent)
SELECT a.id, k.kind, k.percent, k.plan, 0, 0 FROM partners_agreement a
CROSS JOIN (VALUES ('plan', 3, 4000), ('on_time', 3, 0), ('product_line', 2, 0)) k(kind, percent, plan)
WHERE a.company_id IS NOT NULL
UNION ALL
SELECT a.id, 'growth', 1, 0, 0, 5 FROM partners_agreement a WHERE a.company_id %% 10 = 0
""",
    # Channel protection: each partner covers a postcode area ('1' + its number; the first also the wider '1',
    # so the longest prefix decides), the staff of every tenth company live in one, and receipts below 50.00
    # there count for that partner as bypassed sales.
    """
INSERT INTO partners_regioncover (partner_id, prefix, note)
SELECT p.id, '1' || lpad((p.id - (SELECT min(id) FROM loyalty_partner) + 1)::text, 3, '0'), ''
FROM loyalty_partner p
UNION ALL
SELECT min(id), '1', '' FROM loyalty_partner
""",
    """
INSERT INTO partners_customerregion (customer_id, postcode)
SELECT b.customer_id, '1' || lpad((1 + b.idx %% %(partners)s)::text, 3, '0') || (b.idx %% 10)::text
FROM b_acct b WHERE b.idx <= 2 * %(companies)s AND ((b.idx - 1) / 2 + 1) %% 10 = 0
""",
    """
UPDATE partners_agreement SET region_order_limit = 50 WHERE partner_id IS NOT NULL
""",
    """
INSERT INTO partners_chosenline (agreement_id, category_id, sku)
SELECT a.id, (SELECT id FROM loyalty_category WHERE code = 'dairy'), '' FROM partners_agreement a
WHERE a.company_id IS NOT NULL
""",
    """
INSERT INTO partners_tier (agreement_id, threshold, percent)
SELECT a.id, t.threshold, t.percent FROM partners_agreement a
CROSS JOIN (VALUES (0, 1), (5000, 2), (20000, 4)) t(threshold, percent)
WHERE a.partner_id IS NOT NULL OR a.company_id %% 10 = 0
""",
    """
INSERT INTO partners_unitrate (agreement_id, sku, amount)
SELECT a.id, 'SKU-DAIRY', 0.10 FROM partners_agreement a WHERE a.company_id %% 10 = 0
""",
    """
CREATE TEMP TABLE b_receipt AS
SELECT g AS n,
       %(since)s + (g::float8 / %(receipts)s) * (%(until)s - %(since)s - interval '1 minute') AS created_at,
       CASE WHEN g %% 10 = 0 THEN 2 * %(companies)s + 1 + (g / 10) %% (%(partners)s * %(per_partner)s)
            ELSE 1 + g %% (2 * %(companies)s) END AS acct_idx,
       round((5 + random() * 95)::numeric, 2) AS total,
       g %% 5 = 0 AS dairy
FROM generate_series(1, %(receipts)s) g
""",
    """
INSERT INTO pos_receipt (store_id, account_id, created_at, subtotal, discount_total, points_redeemed,
    points_redeemed_amount, total_due, points_earned, max_redeemable_points, card_percent, level_before,
    level_after, refunded_amount, points_returned, points_reversed)
SELECT (SELECT min(id) FROM pos_store), a.id, r.created_at, r.total, 0, 0, 0, r.total, 0, 0, 0, '', '', 0, 0, 0
FROM b_receipt r JOIN b_acct b ON b.idx = r.acct_idx JOIN loyalty_account a ON a.customer_id = b.customer_id
ORDER BY r.n
""",
    """
INSERT INTO pos_receiptline (receipt_id, position, sku, name, category_id, quantity, unit_price, subtotal,
    discount_percent, discount_amount, total, earns_points, refunded_quantity, refunded_amount)
SELECT p.id, 1, CASE WHEN p.id %% 5 = 0 THEN 'SKU-DAIRY' ELSE 'SKU-BREAD' END, '',
       (SELECT id FROM loyalty_category WHERE code = CASE WHEN p.id %% 5 = 0 THEN 'dairy' ELSE 'bakery' END),
       1, p.total_due, p.total_due, 0, 0, p.total_due, true, 0, 0
FROM pos_receipt p
""",
    """
INSERT INTO pos_refund (receipt_id, created_at, goods_amount, amount_refunded, points_returned, points_reversed,
    points_shortfall)
SELECT p.id, p.created_at + interval '1 hour', p.total_due, p.total_due, 0, 0, 0
FROM pos_receipt p WHERE p.id %% 100 = 7
""",
    """
INSERT INTO pos_refundline (refund_id, line_id, quantity, amount)
SELECT f.id, l.id, 1, f.goods_amount FROM pos_refund f JOIN pos_receiptline l ON l.receipt_id = f.receipt_id
""",
    """
INSERT INTO partners_receiptonaccount (receipt_id, company_id, amount, due_on, days_to_pay,
    prepayment_discount_percent, deferral_surcharge_percent, paid, paid_in_full_on, created_at)
SELECT p.id, a.company_id, p.total_due, (p.created_at + interval '14 days')::date, 14, 0, 0, p.total_due,
       (p.created_at + CASE WHEN p.id %% 997 = 0 THEN interval '20 days' ELSE interval '10 days' END)::date,
       p.created_at
FROM pos_receipt p JOIN loyalty_account a ON a.id = p.account_id
WHERE a.company_id IS NOT NULL AND p.id %% 2 = 0
""",
)


def sql(statement: str, params=None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def build() -> None:
    started = time.monotonic()
    build_demo()
    month = Period(date(2026, 10, 1), date(2026, 10, 31))  # in the chain's time zone, as the settlement counts
    params = {"companies": COMPANIES, "partners": PARTNERS, "per_partner": PER_PARTNER, "receipts": RECEIPTS,
              "since": month.since(), "until": month.until()}  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM loyalty_programme WHERE is_default")
        params["programme"] = cursor.fetchone()[0]
    with transaction.atomic():  # all or nothing: built() trusts a database with receipts
        for statement in BUILD_SQL:
            sql(statement, params)
    sql("VACUUM ANALYZE")
    print(f"built in {time.monotonic() - started:.1f} s", flush=True)


def built() -> bool:
    if not pg.exists(DB):
        return False
    with psycopg.connect(DB) as conn:
        try:
            return conn.execute("SELECT 1 FROM partners_receiptonaccount LIMIT 1").fetchone() is not None
        except psycopg.errors.UndefinedTable:
            return False


def table_state() -> dict[str, tuple[int, int]]:
    with connection.cursor() as cursor:
        state = {}
        for table in TABLES:
            cursor.execute(f"SELECT count(*), coalesce(max(id), 0) FROM {table}")  # noqa: S608 - fixed names
            state[table] = cursor.fetchone()
        return state


def counted(fn):
    """Run `fn`, counting the SQL statements it sends."""
    statements = []

    def count(execute, sql_text, params, many, context):
        statements.append(sql_text)
        return execute(sql_text, params, many, context)

    with connection.execute_wrapper(count):
        started = time.monotonic()
        result = fn()
        return result, time.monotonic() - started, len(statements)


def clear() -> None:
    """The statements of earlier bench runs, so each run times the first settlement again."""
    with transaction.atomic():
        for table in (
            "partners_statementline",
            "partners_statementitem",
            "partners_statementevent",
            "partners_statement",
        ):
            sql(f"DELETE FROM {table}")  # noqa: S608 - fixed names


def main() -> None:
    build_it = pg.fresh_requested() or not built()
    if build_it:
        pg.ensure(DB, fresh=True)
    print(f"database: {pg.name(DB)}", flush=True)
    call_command("migrate", "--noinput", verbosity=0)
    if build_it:
        build()
    clear()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pos_receipt")
        receipts = cursor.fetchone()[0]
    print(f"{COMPANIES:,} companies, {PARTNERS:,} partners, {receipts:,} receipts in {MONTH}", flush=True)
    run, seconds, statements = counted(lambda: settle_period(month=MONTH, at=SETTLED_AT))
    state = table_state()
    print(f"first run: {run.summary()}: {seconds:.1f} s, {statements} SQL statements (target 60 s)", flush=True)
    print(f"  rows: {', '.join(f'{t} {n:,}' for t, (n, _) in state.items())}", flush=True)
    again, seconds, statements = counted(lambda: settle_period(month=MONTH, at=SETTLED_AT))
    unchanged = table_state() == state
    print(f"second run: {again.summary()}: {seconds:.1f} s, {statements} SQL statements, "
          f"{'wrote nothing' if unchanged else 'CHANGED ROWS'}", flush=True)  # fmt: skip
    if not unchanged or again.statements:
        raise SystemExit("the second run wrote something")


if __name__ == "__main__":
    main()
