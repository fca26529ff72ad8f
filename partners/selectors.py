"""Set-based reads and inserts of a period settlement: a statement's receipts are listed with one
INSERT … SELECT per period window and every figure is one GROUP BY over them, never a query per customer
(10,000 companies and a million receipts settle in seconds: bench/partners_bench.py).

Statements here are the ones a settlement run just made (same `created_at`, same period); their
agreements are locked by the run (services.py), so nothing else writes their items meanwhile.
"""

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q, Sum

from core.money import CENT, ZERO
from partners.models import Statement, StatementLine

MILLI = Decimal("0.001")

ST = "partners_statement"
ITEM = "partners_statementitem"

# This run's statements with the window being filled: `s` below.
THIS_RUN = "s.created_at = %(at)s AND s.period_start = %(period_start)s AND s.counted_until = %(until)s"

# A receipt's (a line's) refunds made before the window closed. Correlated, through the refund's receipt (line)
# index: one probe per receipt whatever the planner thinks of a statement table it has not analysed yet (a joined
# aggregate was nested-looped a million times).
REFUNDED = """COALESCE((SELECT SUM(f.goods_amount) FROM pos_refund f
    WHERE f.receipt_id = r.id AND f.created_at < %(until)s), 0)"""

LINE_REFUNDED = """COALESCE((SELECT SUM(rl.{column}) FROM pos_refundline rl JOIN pos_refund f ON f.id = rl.refund_id
    WHERE rl.line_id = l.id AND f.created_at < %(until)s), 0)"""

# Whose receipts an agreement counts: a company's staff cards, or a partner's customers from the moment they
# became its customers, less the key accounts it excludes. `{agreement}` is the agreement's id in the query
# around (a statement's `s.agreement_id`, or an agreement's own id for last year's figures).
COMPANY_RECEIPTS = """
    JOIN partners_agreement ag ON ag.id = {agreement} AND ag.company_id IS NOT NULL
    JOIN loyalty_account a ON a.company_id = ag.company_id
    JOIN pos_receipt r ON r.account_id = a.id AND r.created_at >= {start} AND r.created_at < {end}"""

PARTNER_RECEIPTS = """
    JOIN partners_agreement ag ON ag.id = {agreement} AND ag.partner_id IS NOT NULL
    JOIN loyalty_partnerassignment pa ON pa.partner_id = ag.partner_id
    JOIN loyalty_account a ON a.customer_id = pa.customer_id
    JOIN pos_receipt r ON r.account_id = a.id AND r.created_at >= {start} AND r.created_at < {end}
        AND r.created_at >= pa.assigned_at
    LEFT JOIN partners_keyaccount k ON k.partner_id = ag.partner_id AND k.customer_id = pa.customer_id"""
PARTNER_FILTER = "(k.id IS NULL OR k.percent IS NOT NULL)"

# Channel protection: a direct receipt below the agreement's regional order limit, of a customer no partner had
# registered by then and no partner names as a key account, whose postcode is in the partner's region, is the
# partner's sale (the bypassed dealer is compensated). Of nested prefixes the longest decides; a prefix has one
# partner (unique). `r.total_due` is the order's size as rung up, before any later refund. A business customer's
# account (a company's) is the chain's own direct customer with its own agreement, never a dealer's bypassed sale.
IN_REGION = """
    JOIN partners_customerregion cr ON cr.postcode LIKE rc.prefix || '%%'
    JOIN loyalty_account a ON a.customer_id = cr.customer_id AND a.company_id IS NULL
    JOIN pos_receipt r ON r.account_id = a.id AND r.created_at >= {start} AND r.created_at < {end}
        AND r.total_due < {limit}"""
BYPASSED_RECEIPTS = (
    """
    JOIN partners_agreement ag ON ag.id = {agreement} AND ag.partner_id IS NOT NULL
        AND ag.region_order_limit IS NOT NULL
    JOIN partners_regioncover rc ON rc.partner_id = ag.partner_id"""
    + IN_REGION
)
BYPASSED_FILTER = """NOT EXISTS (SELECT 1 FROM partners_regioncover longer
        WHERE cr.postcode LIKE longer.prefix || '%%' AND LENGTH(longer.prefix) > LENGTH(rc.prefix))
    AND NOT EXISTS (SELECT 1 FROM loyalty_partnerassignment pa
        WHERE pa.customer_id = cr.customer_id AND pa.assigned_at <= r.created_at)
    AND NOT EXISTS (SELECT 1 FROM partners_keyaccount k WHERE k.customer_id = cr.customer_id)"""

# Every receipt an agreement counts: (source, its condition, counted as a bypassed sale). The settlement and
# last year's figures read the same ones, so growth compares like with like.
SOURCES = (
    (COMPANY_RECEIPTS, "TRUE", "FALSE"),
    (PARTNER_RECEIPTS, PARTNER_FILTER, "FALSE"),
    (BYPASSED_RECEIPTS, BYPASSED_FILTER, "TRUE"),
)


def _params(**values) -> dict:
    adapt = connection.ops.adapt_datetimefield_value
    return {k: adapt(v) if isinstance(v, datetime) else v for k, v in values.items()}


def _run(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def insert_receipts(*, at: datetime, period_start: date, since: datetime, until: datetime) -> None:
    """Every receipt counted by this run's statements ending at `until`, net of the refunds made by then."""
    params = _params(at=at, period_start=period_start, since=since, until=until)
    window = {
        "agreement": "s.agreement_id", "start": "s.counted_from", "end": "s.counted_until",
        "limit": "ag.region_order_limit",
    }  # fmt: skip
    for source, extra, bypassed in SOURCES:
        _run(
            f"""
            INSERT INTO {ITEM} (statement_id, receipt_id, refund_id, created_at, amount, bonus, bypassed)
            SELECT s.id, r.id, NULL, r.created_at, r.total_due - {REFUNDED}, 0, {bypassed}
            FROM {ST} s {source.format(**window)}
            WHERE {THIS_RUN} AND {extra}""",
            params,
        )


def refunds_after_close(*, at: datetime, period_start: date, until: datetime) -> list[tuple]:
    """Refunds made in this window on receipts an earlier live statement of the same agreement counted, and
    not yet taken back: (statement, refund, receipt, made at, goods, earlier bonus, earlier volume)."""
    rows = _run(
        f"""
        SELECT s.id, f.id, f.receipt_id, f.created_at, f.goods_amount, old.bonus, old.volume
        FROM {ST} s
        JOIN {ST} old ON old.agreement_id = s.agreement_id AND old.kind = 'settlement'
            AND NOT old.reversed_flag AND old.period_start < s.period_start
        JOIN {ITEM} oi ON oi.statement_id = old.id AND oi.refund_id IS NULL
        JOIN pos_refund f ON f.receipt_id = oi.receipt_id
            AND f.created_at >= old.counted_until AND f.created_at < s.counted_until
        WHERE {THIS_RUN} AND NOT EXISTS (
            SELECT 1 FROM {ITEM} done JOIN {ST} ds ON ds.id = done.statement_id
            WHERE done.refund_id = f.id AND ds.agreement_id = s.agreement_id AND NOT ds.reversed_flag)
        ORDER BY s.id, f.id""",
        _params(at=at, period_start=period_start, until=until),
    )
    made = connection.ops.convert_datetimefield_value if connection.vendor == "sqlite" else (lambda v, *a: v)
    return [
        (sid, fid, rid, made(when, None, connection), _money(goods), _money(bonus), _money(volume))
        for sid, fid, rid, when, goods, bonus, volume in rows
    ]


def volumes(*, at: datetime, period_start: date, until: datetime) -> dict[int, tuple[Decimal, int, Decimal]]:
    """Per statement: volume, receipts counted, and the part bought by key accounts at their own percent."""
    rows = _run(
        f"""
        SELECT s.id, COALESCE(SUM(i.amount), 0), COUNT(i.id)
        FROM {ST} s LEFT JOIN {ITEM} i ON i.statement_id = s.id AND i.refund_id IS NULL
        WHERE {THIS_RUN} GROUP BY s.id""",
        _params(at=at, period_start=period_start, until=until),
    )
    return {sid: (_money(volume), count) for sid, volume, count in rows}


def bypassed_figures(*, at: datetime, period_start: date, until: datetime) -> dict[int, tuple[int, Decimal]]:
    """Per partner statement: the bypassed sales in its region it counted (receipts, volume net of refunds)."""
    rows = _run(
        f"""
        SELECT s.id, COUNT(i.id), SUM(i.amount)
        FROM {ST} s JOIN {ITEM} i ON i.statement_id = s.id AND i.refund_id IS NULL AND i.bypassed
        WHERE {THIS_RUN} GROUP BY s.id""",
        _params(at=at, period_start=period_start, until=until),
    )
    return {sid: (count, _money(volume)) for sid, count, volume in rows}


def key_account_volumes(*, at: datetime, period_start: date, until: datetime) -> dict[int, list]:
    """Per partner statement: [(customer name, own percent, volume)] of key accounts paid by their own rule."""
    rows = _run(
        f"""
        SELECT s.id, c.name, k.percent, SUM(i.amount)
        FROM {ST} s
        JOIN partners_agreement ag ON ag.id = s.agreement_id
        JOIN {ITEM} i ON i.statement_id = s.id AND i.refund_id IS NULL
        JOIN pos_receipt r ON r.id = i.receipt_id
        JOIN loyalty_account a ON a.id = r.account_id
        JOIN partners_keyaccount k ON k.partner_id = ag.partner_id AND k.customer_id = a.customer_id
        JOIN loyalty_customer c ON c.id = a.customer_id
        WHERE {THIS_RUN} AND k.percent IS NOT NULL
        GROUP BY s.id, c.name, k.percent ORDER BY s.id, c.name""",
        _params(at=at, period_start=period_start, until=until),
    )
    found = defaultdict(list)
    for sid, name, percent, volume in rows:
        found[sid].append((name, Decimal(str(percent)).quantize(CENT), _money(volume)))
    return found


def line_figures(*, at: datetime, period_start: date, since: datetime, until: datetime):
    """Per statement: what the chosen product line brought, and the units of each SKU paid per unit (both
    net of the window's refunds)."""
    params = _params(at=at, period_start=period_start, since=since, until=until)
    line_rows = _run(
        f"""
        SELECT s.id, SUM(l.total - {LINE_REFUNDED.format(column="amount")})
        FROM {ST} s JOIN {ITEM} i ON i.statement_id = s.id AND i.refund_id IS NULL
        JOIN pos_receiptline l ON l.receipt_id = i.receipt_id
        WHERE {THIS_RUN} AND EXISTS (
            SELECT 1 FROM partners_chosenline c WHERE c.agreement_id = s.agreement_id
            AND (c.category_id = l.category_id OR c.sku = l.sku))
        GROUP BY s.id""",
        params,
    )
    unit_rows = _run(
        f"""
        SELECT s.id, u.sku, SUM(l.quantity - {LINE_REFUNDED.format(column="quantity")})
        FROM {ST} s JOIN partners_unitrate u ON u.agreement_id = s.agreement_id
        JOIN {ITEM} i ON i.statement_id = s.id AND i.refund_id IS NULL
        JOIN pos_receiptline l ON l.receipt_id = i.receipt_id AND l.sku = u.sku
        WHERE {THIS_RUN} GROUP BY s.id, u.sku""",
        params,
    )
    units = defaultdict(dict)
    for sid, sku, quantity in unit_rows:
        units[sid][sku] = _quantity(quantity)
    return {sid: _money(v) for sid, v in line_rows}, units


def payment_figures(*, at: datetime, period_start: date, until: datetime, today: date) -> dict[int, tuple]:
    """Per statement: receipts on account paid late (or overdue today), and those not due yet."""
    rows = _run(
        f"""
        SELECT s.id,
            SUM(CASE WHEN c.paid_in_full_on > c.due_on OR (c.paid_in_full_on IS NULL AND c.due_on < %(today)s)
                THEN 1 ELSE 0 END),
            SUM(CASE WHEN c.paid_in_full_on IS NULL AND c.due_on >= %(today)s THEN 1 ELSE 0 END)
        FROM {ST} s JOIN {ITEM} i ON i.statement_id = s.id AND i.refund_id IS NULL
        JOIN partners_receiptonaccount c ON c.receipt_id = i.receipt_id
        WHERE {THIS_RUN} GROUP BY s.id""",
        _params(at=at, period_start=period_start, until=until, today=today),
    )
    return {sid: (int(late), int(pending)) for sid, late, pending in rows}


def last_year_volumes(*, agreement_ids: list[int], since: datetime, until: datetime) -> dict[int, Decimal]:
    """Per agreement: what its company or partner bought in the same window a year before (net of the
    refunds made in it), counted as the settlement counts this year's: with a regional order limit, the
    bypassed sales in the partner's region too. Read from the receipts, not last year's statement: there may
    have been none."""
    if not agreement_ids:
        return {}
    window = {"agreement": "s.id", "start": "%(since)s", "end": "%(until)s", "limit": "ag.region_order_limit"}
    found: dict[int, Decimal] = {}
    ids = ", ".join(str(int(i)) for i in agreement_ids)
    for source, extra, _bypassed in SOURCES:
        if extra == PARTNER_FILTER:
            # A key account at its own rate leaves this year's volume before growth is judged (services._fill):
            # last year's leaves it out too. Excluded key accounts are out of both already.
            extra = "k.id IS NULL"
        rows = _run(
            f"""
            SELECT ag.id, SUM(r.total_due - {REFUNDED})
            FROM partners_agreement s {source.format(**window)}
            WHERE s.id IN ({ids}) AND {extra} GROUP BY ag.id""",
            _params(since=since, until=until),
        )
        for aid, volume in rows:
            found[aid] = found.get(aid, ZERO) + _money(volume)
    return found


def _money(value) -> Decimal:
    """SQLite sums numbers as floats: back to cents (PostgreSQL's numeric is exact already)."""
    return ZERO if value is None else Decimal(str(value)).quantize(CENT)


def _quantity(value) -> Decimal:
    return Decimal(str(value)).quantize(MILLI)


def partner_volume_so_far(
    *, partner_id: int, since: datetime, until: datetime, region_order_limit: Decimal | None = None
) -> Decimal:
    """What a partner's customers bought in the window so far, net of its refunds, as the settlement counts it
    (from each customer's assignment on, excluded key accounts left out), and with a regional order limit the
    bypassed sales in its region too."""
    params = _params(partner=partner_id, since=since, until=until, limit=region_order_limit)
    rows = _run(
        f"""
        SELECT COALESCE(SUM(r.total_due - {REFUNDED}), 0)
        FROM loyalty_partnerassignment pa
        JOIN loyalty_account a ON a.customer_id = pa.customer_id
        JOIN pos_receipt r ON r.account_id = a.id AND r.created_at >= %(since)s AND r.created_at < %(until)s
            AND r.created_at >= pa.assigned_at
        LEFT JOIN partners_keyaccount k ON k.partner_id = pa.partner_id AND k.customer_id = pa.customer_id
        WHERE pa.partner_id = %(partner)s AND k.id IS NULL""",
        params,
    )
    volume = _money(rows[0][0])
    if region_order_limit is None:
        return volume
    in_region = IN_REGION.format(start="%(since)s", end="%(until)s", limit="%(limit)s")
    bypassed = _run(
        f"""
        SELECT COALESCE(SUM(r.total_due - {REFUNDED}), 0)
        FROM partners_regioncover rc {in_region}
        WHERE rc.partner_id = %(partner)s AND {BYPASSED_FILTER}""",
        params,
    )
    return volume + _money(bypassed[0][0])


def programme_costs(*, since: date, until: date) -> list[dict]:
    """Per agreement, statements of periods starting in [since, until]: what its bonuses cost against the volume
    it brought beyond the same periods a year before (a partner's customers are all extra: it brought them).
    Reversals are statements too, with negated amounts, so sums are net of corrections."""
    rows = (
        Statement.objects.filter(period_start__gte=since, period_start__lte=until)
        .values("agreement_id", "agreement__name", "agreement__company__name", "agreement__partner__name")
        .annotate(
            statements=Count("id", filter=Q(kind="settlement", reversed_flag=False)),
            volume=Sum("volume"),
            last_year=Sum("last_year_volume"),
            cost=Sum("bonus") + Sum("adjustment") + Sum("kept"),
        )  # fmt: skip
        .order_by("-cost", "agreement__name")
    )
    found = []
    for row in rows:
        partner = row["agreement__partner__name"] is not None
        extra = row["volume"] if partner else row["volume"] - row["last_year"]
        party = row["agreement__partner__name"] or row["agreement__company__name"]
        kind = "partner" if partner else "company"
        found.append({**row, "party": party, "kind": kind, "extra": extra, "share": _share(row["cost"], extra)})
    return found


def tier_costs(*, since: date, until: date) -> list[dict]:
    """Per agreement and tier reached: how many periods ended there, their volume and what the tier paid."""
    rows = (
        StatementLine.objects.filter(
            kind="tier", statement__period_start__gte=since, statement__period_start__lte=until
        )
        .values("statement__agreement__name", "percent")
        .annotate(periods=Count("id", filter=Q(amount__gt=0)), volume=Sum("statement__volume"), cost=Sum("amount"))
        .order_by("statement__agreement__name", "percent")
    )
    return [{**row, "share": _share(row["cost"], row["volume"])} for row in rows]


def _share(cost: Decimal, volume: Decimal) -> Decimal | None:
    """Cost as a percentage of the volume; None when there is no volume to weigh it against."""
    return (cost * 100 / volume).quantize(CENT) if volume and volume > 0 else None


def analyse_statements() -> None:
    """A run adds thousands of statements in its own transaction: tell PostgreSQL's planner, so it joins them to a
    million receipts by hash, not row by row."""
    if connection.vendor == "postgresql":
        _run(f"ANALYZE {ST}", {})


def write_totals(rows: list[tuple[Decimal, Decimal, Decimal, Decimal, int, int]]) -> None:
    """(volume, last year, bonus, adjustment, receipts, statement id) per statement: one prepared UPDATE sent for
    each row in a pipeline. Django's bulk_update built a CASE expression per row and field: 40 s for 10,000."""
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {ST} SET volume = %s, last_year_volume = %s, bonus = %s, adjustment = %s, receipts = %s "
            "WHERE id = %s",
            rows,
        )


def commit_lazily() -> None:
    """A settlement writes a million rows and is safe to run again: its commit need not wait for the disk
    (PostgreSQL still commits it whole or not at all; a crash in the next moment loses the run, not half of it,
    and the rerun makes it again). Only for this transaction."""
    if connection.vendor == "postgresql":
        _run("SET LOCAL synchronous_commit = off", {})
