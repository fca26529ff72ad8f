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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from core.local_time import days_back_start
from loyalty import rules
from loyalty.models import Account, JobRun, LotConsumption, PointsEntry, PointsLot, Programme, SpendEntry
from loyalty.selectors import NIGHTLY_JOB, programme_levels, programme_rules

JOB = NIGHTLY_JOB
BATCH = 5_000  # accounts per transaction: a fraction of a second of locks, so a checkout never waits long

ACCOUNT = Account._meta.db_table
ENTRY = PointsEntry._meta.db_table
LOT = PointsLot._meta.db_table
SPEND = SpendEntry._meta.db_table
CONSUMPTION = LotConsumption._meta.db_table


@dataclass
class Chunk:
    """Up to `batch` accounts and the work due on them: one short transaction."""

    accounts: list[int]  # sorted: the lock order
    idle: dict[int, list[int]]  # programme id -> its idle accounts in this chunk
    lots: list[int]  # lots past their date held by these accounts


@dataclass
class Tally:
    stepped: int = 0
    lots: int = 0
    points: Decimal = Decimal("0.00")

    def __add__(self, other: "Tally") -> "Tally":
        return Tally(self.stepped + other.stepped, self.lots + other.lots, self.points + other.points)


def nightly_run(*, at: datetime, trigger: str, batch: int = BATCH, workers: int = 1) -> JobRun:
    """Step idle cards down and burn due points as of `at`; record the run. A rerun does only what is left.

    `workers` > 1 sweeps disjoint chunks of accounts on that many connections at once (PostgreSQL).
    """
    run = JobRun.objects.create(job=JOB, as_of=at, trigger=trigger, started_at=timezone.now())
    try:
        programmes = {p.pk: p for p in _inactivity_programmes()}
        chunks = _plan(programmes, at, batch)
        tally = _sweep_all(chunks, workers, lambda chunk: _sweep(chunk, programmes, at=at, label=run.label))
    except BaseException as error:  # noqa: BLE001 - recorded, then raised again (KeyboardInterrupt too)
        JobRun.objects.filter(pk=run.pk).update(
            status=JobRun.Status.FAILED, finished_at=timezone.now(), error=repr(error)[:2000]
        )
        raise
    JobRun.objects.filter(pk=run.pk).update(
        status=JobRun.Status.FINISHED, finished_at=timezone.now(),
        cards_stepped_down=tally.stepped, lots_burned=tally.lots, points_burned=tally.points,
    )  # fmt: skip
    run.refresh_from_db()
    return run


def _inactivity_programmes():
    return Programme.objects.filter(inactivity_days__isnull=False, inactivity_days__gt=0).order_by("pk")


# An idle card: its last purchase and its last step-down are both older than the cutoff, and it
# has something to lose (a level, or spend towards one).
IDLE = (
    "programme_id = %s AND last_purchase_at < %s AND (stepped_down_at IS NULL OR stepped_down_at < %s)"
    " AND (level_id IS NOT NULL OR spend <> 0)"
)


def _idle_params(programme: Programme, at: datetime) -> list:
    """Idle = no purchase (nor step-down) for `inactivity_days` whole calendar days, on the chain's clock
    (settings.TIME_ZONE): a card last used on 10 January, with 180 days, has 11 January to 9 July without
    a purchase and steps down in the first run on 10 July, whatever the hour of either and across a DST
    change. Hours (at - 180 x 24 h) stepped a card bought at 02:00 down on the night of 9 July already,
    and made the answer depend on when the job ran."""
    cutoff = _when(days_back_start(at, programme.inactivity_days))
    return [programme.pk, cutoff, cutoff]


def _plan(programmes: dict[int, Programme], at: datetime, batch: int) -> list[Chunk]:
    """List the night's work once (ids only, from indexes) and cut it into chunks of accounts.

    Listing once matters: re-searching "the next 5,000 idle cards" per batch rescanned the idle
    part of the table each time (48 s for a million cards). Chunking by account, not by task,
    lets one transaction lock each account once for both its step-down and its burn.
    """
    idle = {}
    for programme in programmes.values():
        sql = f"SELECT id FROM {ACCOUNT} WHERE {IDLE} ORDER BY id"
        idle.update(dict.fromkeys(_ids(sql, _idle_params(programme, at)), programme.pk))
    lots = defaultdict(list)
    for lot, account in PointsLot.objects.filter(remaining__gt=0, expires_at__lte=at).values_list("pk", "account_id"):
        lots[account].append(lot)  # the partial index `live_lot_expiry` finds them
    chunks = []
    for accounts in _chunks(sorted(idle.keys() | lots.keys()), batch):
        by_programme = defaultdict(list)
        for account in accounts:
            if account in idle:
                by_programme[idle[account]].append(account)
        chunks.append(Chunk(accounts, dict(by_programme), [lot for a in accounts for lot in lots.get(a, ())]))
    return chunks


def _sweep_all(chunks: list[Chunk], workers: int, sweep) -> Tally:
    """Chunks hold disjoint accounts, so workers never wait on each other's locks."""
    if workers <= 1 or connection.vendor != "postgresql" or len(chunks) <= 1:
        return sum((sweep(chunk) for chunk in chunks), Tally())  # SQLite writes one at a time anyway

    def worker(share: list[Chunk]) -> Tally:
        try:
            return sum((sweep(chunk) for chunk in share), Tally())
        finally:
            connection.close()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=workers) as pool:
        tallies = list(pool.map(worker, [chunks[i::workers] for i in range(workers)]))
    return sum(tallies, Tally())


def _sweep(chunk: Chunk, programmes: dict[int, Programme], *, at: datetime, label: str) -> Tally:
    with transaction.atomic(durable=True):
        _relax_commit()
        _lock_accounts(chunk.accounts)
        stepped = sum(
            _step_idle(ids, programmes[programme], at=at, label=label) for programme, ids in chunk.idle.items()
        )
        burned, points = _burn(chunk.lots, at=at, label=label) if chunk.lots else (0, Decimal("0.00"))
    return Tally(stepped, burned, points)


# --- inactivity ----------------------------------------------------------------------------------


def _step_idle(ids: list[int], programme: Programme, *, at: datetime, label: str) -> int:
    """Step down those of `ids` still idle (a purchase since the listing takes a card out); locks are held."""
    moves = _level_moves(programme)
    by_level = defaultdict(list)
    for pk, level_id in _still_idle(ids, programme, at):
        by_level[level_id].append(pk)
    return sum(_step_down(pks, moves[level_id], at=at, label=label) for level_id, pks in by_level.items())


def _still_idle(chunk: list[int], programme: Programme, at: datetime) -> list[tuple[int, int | None]]:
    among, ids = _among("id", chunk)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, level_id FROM {ACCOUNT} WHERE {among} AND {IDLE}",
                       [*ids, *_idle_params(programme, at)])  # fmt: skip
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
    """Don't wait for the disk at each batch's commit (PostgreSQL), and plan each batch's statements for it.

    A crash may lose the last batches the server acknowledged; the job is idempotent, so the
    next run redoes exactly those. Waiting for the flush took a quarter of the sweep.
    The connections keep one generic plan for what they repeat (config/settings.py, for the till's key
    lookups); a batch's statements take arrays of thousands of ids, and the sweep was measured with a
    plan made for each batch, so it keeps that.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            cursor.execute("SET LOCAL plan_cache_mode = force_custom_plan")


def _for_update() -> str:
    # SQLite has no row locks: its one writer at a time already serialises the sweep and checkout.
    return " FOR UPDATE" if connection.features.has_select_for_update else ""
