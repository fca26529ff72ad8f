"""The nightly job: inactive cards step down, points past their date burn.

Set-based on purpose: a million cards must be swept in seconds, so each batch
is a handful of INSERT … SELECT / UPDATE statements, never a query per card.

Why it is safe to run twice, or to kill midway:
- a batch is one short transaction (at most `batch` accounts locked), so a
  killed run keeps the batches it committed and loses the one in flight whole;
- what a batch changes takes it out of any later listing: a stepped card gets
  `stepped_down_at = at` (its inactivity clock restarts), a burned lot gets
  `remaining = 0`, and `PointsEntry.burned_lot` is unique, so a lot can burn
  only once, whatever runs twice; each batch re-checks its rows under lock.

The work is listed once up front (ids only, from an index), not re-searched
per batch: re-searching "the next 5,000 idle cards" rescanned the table's
idle part each time and took 48 s for a million cards.

Locks: accounts are locked in primary-key order before anything is read for
writing; checkout locks one account, so the two never deadlock, and a
checkout waits at most one batch.
"""

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from loyalty import rules
from loyalty.models import Account, JobRun, LotConsumption, PointsEntry, PointsLot, Programme, SpendEntry
from loyalty.selectors import programme_levels, programme_rules

JOB = "nightly"
BATCH = 5_000  # accounts per transaction: a fraction of a second of locks, so a checkout never waits long

ACCOUNT = Account._meta.db_table
ENTRY = PointsEntry._meta.db_table
LOT = PointsLot._meta.db_table
SPEND = SpendEntry._meta.db_table
CONSUMPTION = LotConsumption._meta.db_table


def nightly_run(*, at: datetime, trigger: str, batch: int = BATCH) -> JobRun:
    """Run both sweeps as of `at` and record the run. Safe to repeat: a rerun does only what is left."""
    run = JobRun.objects.create(job=JOB, as_of=at, trigger=trigger, started_at=timezone.now())
    try:
        stepped = sum(inactivity_sweep(run=run, programme=p, at=at, batch=batch) for p in _inactivity_programmes())
        lots, points = points_burn_sweep(run=run, at=at, batch=batch)
    except BaseException as error:  # noqa: BLE001 - recorded, then raised again (KeyboardInterrupt too)
        JobRun.objects.filter(pk=run.pk).update(
            status=JobRun.Status.FAILED, finished_at=timezone.now(), error=repr(error)[:2000]
        )
        raise
    JobRun.objects.filter(pk=run.pk).update(
        status=JobRun.Status.FINISHED, finished_at=timezone.now(),
        cards_stepped_down=stepped, lots_burned=lots, points_burned=points,
    )  # fmt: skip
    run.refresh_from_db()
    return run


def _inactivity_programmes():
    return Programme.objects.filter(inactivity_days__isnull=False, inactivity_days__gt=0).order_by("pk")


# --- inactivity ----------------------------------------------------------------------------------


# An idle card: its last purchase and its last step-down are both older than the cutoff, and it
# has something to lose (a level, or spend towards one).
IDLE = (
    "programme_id = %s AND last_purchase_at < %s AND (stepped_down_at IS NULL OR stepped_down_at < %s)"
    " AND (level_id IS NOT NULL OR spend <> 0)"
)


def inactivity_sweep(*, run: JobRun, programme: Programme, at: datetime, batch: int = BATCH) -> int:
    """Step down every card of `programme` idle for its period; one spend entry per card. Returns the count."""
    cutoff = at - timedelta(days=programme.inactivity_days)
    idle = [programme.pk, _when(cutoff), _when(cutoff)]
    moves = _level_moves(programme)
    stepped = 0
    for chunk in _chunks(_ids(f"SELECT id FROM {ACCOUNT} WHERE {IDLE} ORDER BY id", idle), batch):
        with transaction.atomic(durable=True):
            _relax_commit()
            by_level = defaultdict(list)
            for pk, level_id in _lock_idle(chunk, idle):
                by_level[level_id].append(pk)
            for level_id, pks in by_level.items():
                stepped += _step_down(pks, moves[level_id], at=at, label=run.label)
    return stepped


def _lock_idle(chunk: list[int], idle: list) -> list[tuple[int, int | None]]:
    """Lock the chunk's accounts that are still idle: a purchase since the listing takes a card out."""
    among, ids = _among("id", chunk)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, level_id FROM {ACCOUNT} WHERE {among} AND {IDLE} ORDER BY id{_for_update()}",
                       [*ids, *idle])  # fmt: skip
        return cursor.fetchall()


def _level_moves(programme: Programme) -> dict:
    """level id (None = base) -> (name before, level after, spend after), from the published rule."""
    levels = programme_levels(programme)
    by_name = {lv.name: lv for lv in levels}
    moves = {}
    for current in [None, *levels]:
        name_after, spend_after = rules.inactivity_step(programme_rules(programme), current and current.name)
        moves[current and current.pk] = (current.name if current else "", by_name.get(name_after), spend_after)
    return moves


def _step_down(pks: list[int], move, *, at: datetime, label: str) -> int:
    name_before, level_after, spend_after = move
    name_after, when = (level_after.name if level_after else ""), _when(at)
    among, ids = _among("id", pks)
    with connection.cursor() as cursor:
        # The entry records the spend taken away (new − old), so Σ entries still equals the spend.
        cursor.execute(
            f"INSERT INTO {SPEND} (account_id, kind, amount, created_at, receipt_id, job_run, level_before,"
            f" level_after) SELECT id, %s, ROUND(%s - spend, 2), %s, NULL, %s, %s, %s FROM {ACCOUNT} WHERE {among}",
            [SpendEntry.Kind.INACTIVITY, spend_after, when, label, name_before, name_after, *ids],
        )
        cursor.execute(
            f"UPDATE {ACCOUNT} SET level_id = %s, spend = %s, stepped_down_at = %s WHERE {among}",
            [level_after and level_after.pk, spend_after, when, *ids],
        )
        return cursor.rowcount


# --- points burn ---------------------------------------------------------------------------------


def points_burn_sweep(*, run: JobRun, at: datetime, batch: int = BATCH) -> tuple[int, Decimal]:
    """Burn every lot past its date: one expire entry per lot, oldest first. Returns (lots, points)."""
    due = PointsLot.objects.filter(remaining__gt=0, expires_at__lte=at)  # the partial index `live_lot_expiry`
    lots, points = 0, Decimal("0.00")
    for chunk in _chunks(list(due.order_by("pk").values_list("pk", "account_id")), batch):
        with transaction.atomic(durable=True):
            _relax_commit()
            _lock_accounts(sorted({account_id for _, account_id in chunk}))
            burned, burned_points = _burn([pk for pk, _ in chunk], at=at, label=run.label)
            lots, points = lots + burned, points + burned_points
    return lots, points


def _lock_accounts(account_ids: list[int]) -> None:
    among, ids = _among("id", account_ids)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {ACCOUNT} WHERE {among} ORDER BY id{_for_update()}", ids)
        cursor.fetchall()


def _burn(lot_ids: list[int], *, at: datetime, label: str) -> tuple[int, Decimal]:
    """Burn what is still due among `lot_ids`; the caller holds their accounts' locks."""
    at = _when(at)
    lots_among, lot_params = _among("id", lot_ids)
    burned_among, burned_params = _among("burned_lot_id", lot_ids)
    this_run = f"{burned_among} AND job_run = %s"
    with connection.cursor() as cursor:
        # Re-checked under the locks: a checkout may have burned or spent a lot since it was listed.
        cursor.execute(
            f"INSERT INTO {ENTRY} (account_id, kind, points, created_at, receipt_id, refund_id, job_run,"
            f" created_by_id, reason, burned_lot_id)"
            f" SELECT account_id, %s, -remaining, %s, NULL, NULL, %s, NULL, '', id FROM {LOT}"
            f" WHERE {lots_among} AND remaining > 0 AND expires_at <= %s ORDER BY account_id, expires_at, id",
            [PointsEntry.Kind.EXPIRE, at, label, *lot_params, at],
        )
        burned = cursor.rowcount
        if not burned:
            return 0, Decimal("0.00")
        cursor.execute(
            f"INSERT INTO {CONSUMPTION} (entry_id, lot_id, points)"
            f" SELECT id, burned_lot_id, -points FROM {ENTRY} WHERE {this_run}",
            [*burned_params, label],
        )
        cursor.execute(f"UPDATE {LOT} SET remaining = 0 WHERE {lots_among} AND remaining > 0 AND expires_at <= %s",
                       [*lot_params, at])  # fmt: skip
        cursor.execute(
            f"UPDATE {ACCOUNT} SET points_balance = ROUND({ACCOUNT}.points_balance + b.points, 2)"
            f" FROM (SELECT account_id, SUM(points) AS points FROM {ENTRY} WHERE {this_run} GROUP BY account_id) b"
            f" WHERE {ACCOUNT}.id = b.account_id",
            [*burned_params, label],
        )
        cursor.execute(f"SELECT ROUND(SUM(points), 2) FROM {ENTRY} WHERE {this_run}", [*burned_params, label])
        return burned, -Decimal(str(cursor.fetchone()[0]))


# --- SQL helpers ---------------------------------------------------------------------------------


def _chunks(items: list, size: int):
    """The work listed once up front (ids only, one indexed query), then done in short transactions."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _among(column: str, ids: list[int]) -> tuple[str, list]:
    """`column` is one of `ids`: one array parameter on PostgreSQL, a plain IN list elsewhere (SQLite)."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(ids)]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def _when(moment: datetime):
    """A moment as the ORM would store it: SQLite compares date-times as text, so the format must match."""
    return connection.ops.adapt_datetimefield_value(moment)


def _ids(sql: str, params: list) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _relax_commit() -> None:
    """Don't wait for the disk at each batch's commit (PostgreSQL).

    A crash may lose the last batches the server acknowledged; the job is idempotent, so the
    next run redoes exactly those. Waiting for the flush took a quarter of the sweep.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _for_update() -> str:
    # SQLite has no row locks: its one writer at a time already serialises the sweep and checkout.
    return " FOR UPDATE" if connection.features.has_select_for_update else ""
