"""The write paths of partners: a period's settlement, approving, paying out and reversing statements."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction

from core.errors import InvalidInput
from core.local_time import day_start, local_date
from core.money import ZERO, round_money
from partners import payments, payouts, rules, selectors
from partners.models import Agreement, Statement, StatementEvent, StatementItem, StatementLine
from partners.payouts import StatementRefused
from partners.periods import Period, ending_with, parse_month

# Rows per INSERT or UPDATE: PostgreSQL takes at most 65,535 parameters in one statement.
BATCH = 1000


@dataclass(frozen=True)
class SettlementRun:
    period: str
    statements: int
    total: Decimal
    dry_run: bool

    def summary(self) -> str:
        verb = "would be made" if self.dry_run else "made"
        noun = "statement" if self.statements == 1 else "statements"
        return f"{self.statements} {noun} {verb} for {self.period}, total {self.total}"


def agreements_due(year: int, month: int) -> list[tuple[Agreement, Period]]:
    """Agreements whose month, quarter or year ends with this month and whose term overlaps it."""
    due = []
    for agreement in Agreement.objects.order_by("pk").prefetch_related("conditions", "tiers", "unit_rates"):
        period = ending_with(agreement.period, year, month, agreement.year_starts_in)
        ends_ok = agreement.valid_to is None or agreement.valid_to >= period.start if period else False
        if period and agreement.valid_from <= period.end and ends_ok:
            due.append((agreement, period))
    return due


def counted_window(agreement: Agreement, period: Period) -> tuple[datetime, datetime]:
    """The period in the chain's time zone, cut to the agreement's term."""
    since = day_start(max(period.start, agreement.valid_from))
    end = period.end if agreement.valid_to is None else min(period.end, agreement.valid_to)
    return since, day_start(end + timedelta(days=1))


def settle_period(*, month: str, at: datetime, dry_run: bool = False) -> SettlementRun:
    """Every agreement ending a period with `month` gets its statement, once: agreements are locked in key
    order, and those already holding a live statement for the period are left as they are. A dry run does
    the same work and rolls it back, so it shows exactly what the real run would make."""
    year, mo = parse_month(month)
    if ending_with("month", year, mo).until() > at:
        raise InvalidInput(f"{month} has not ended yet: a period is settled once it is over.")
    with transaction.atomic(durable=True):
        selectors.commit_lazily()
        payments.book_receipts_on_account(at=at)
        due = agreements_due(year, mo)
        # Locked in key order before anything is read for writing: a concurrent run waits here, then finds
        # the statements this one made and leaves them be.
        rows = Agreement.objects.select_for_update().filter(pk__in=[a.pk for a, _ in due]).order_by("pk")
        locked = set(rows.values_list("pk", flat=True))
        settled = set(
            Statement.objects.filter(
                agreement__in=locked, kind=Statement.Kind.SETTLEMENT, reversed_flag=False,
                period_start__in={p.start for _, p in due},
            ).values_list("agreement_id", "period_start")
        )  # fmt: skip
        todo = [(a, p) for a, p in due if a.pk in locked and (a.pk, p.start) not in settled]
        made = _settle(todo, at=at)
        total = sum((s.net_bonus for s in made), ZERO)
        if dry_run:
            transaction.set_rollback(True)
    return SettlementRun(month, len(made), total, dry_run)


def _settle(todo: list[tuple[Agreement, Period]], *, at: datetime) -> list[Statement]:
    placeholders = [
        Statement(
            agreement=a, period_start=p.start, period_end=p.end, counted_from=w[0], counted_until=w[1],
            volume=ZERO, bonus=ZERO, created_at=at,
        )
        for a, p in todo
        for w in [counted_window(a, p)]
    ]  # fmt: skip
    statements = Statement.objects.bulk_create(placeholders, batch_size=BATCH)
    selectors.analyse_statements()
    by_window = defaultdict(list)
    for statement in statements:
        by_window[(statement.period_start, statement.counted_until)].append(statement)
    for (period_start, until), group in by_window.items():
        _fill(group, period_start=period_start, until=until, at=at)
    StatementEvent.objects.bulk_create(
        (StatementEvent(statement=s, action="made", at=at) for s in statements), batch_size=BATCH
    )
    return statements


def _fill(group: list[Statement], *, period_start, until: datetime, at: datetime) -> None:
    """Count the receipts of one window, judge each statement's figures, write its lines and totals."""
    since = min(s.counted_from for s in group)
    window = {"at": at, "period_start": period_start, "until": until}
    selectors.insert_receipts(since=since, **window)
    adjustments = _take_back_late_refunds(**window)
    for statement_id, kept in _take_back_kept(group).items():
        adjustments[statement_id].extend(kept)
    volumes = selectors.volumes(**window)
    keys = selectors.key_account_volumes(**window)
    bypassed = selectors.bypassed_figures(**window)
    line_volumes, units = selectors.line_figures(since=since, **window)
    payments = selectors.payment_figures(today=local_date(at), **window)
    last_year = _last_year(group)
    lines = []
    for statement in group:
        agreement = statement.agreement
        volume, statement.receipts = volumes.get(statement.pk, (ZERO, 0))
        late, pending = payments.get(statement.pk, (0, 0))
        key_lines = [_key_account_line(*k) for k in keys.get(statement.pk, [])]
        figures = rules.Figures(
            volume=volume - sum((k[2] for k in keys.get(statement.pk, [])), ZERO),
            late_receipts=late, line_volume=line_volumes.get(statement.pk, ZERO),
            last_year_volume=last_year.get(agreement.pk, ZERO), unit_quantities=units.get(statement.pk, {}),
        )  # fmt: skip
        result = rules.settle(terms_of(agreement), figures)
        statement.volume = volume
        statement.last_year_volume = figures.last_year_volume
        statement.bonus = result.bonus + sum((k.amount for k in key_lines), ZERO)
        statement.adjustment = sum((a.amount for a in adjustments.get(statement.pk, [])), ZERO)
        region = [
            rules.bypassed_line(*bypassed[statement.pk], bonus=result.bonus, total_volume=figures.volume)
        ] if statement.pk in bypassed else []  # fmt: skip
        judged = [*result.lines, *key_lines, *region, *adjustments.get(statement.pk, [])]
        if pending:
            judged = [_note_pending(ln, pending) for ln in judged]
        lines += [_line(statement, i, ln) for i, ln in enumerate(judged, start=1)]
    selectors.write_totals([(s.volume, s.last_year_volume, s.bonus, s.adjustment, s.receipts, s.pk) for s in group])
    StatementLine.objects.bulk_create(lines, batch_size=BATCH)


def terms_of(agreement: Agreement) -> rules.Terms:
    return rules.Terms(
        conditions=tuple(c.as_rule() for c in agreement.conditions.all()),
        tiers=tuple(rules.Tier(t.threshold, t.percent) for t in agreement.tiers.all()),
        tier_mode=agreement.tier_mode,
        unit_rates=tuple(rules.UnitRate(u.sku, u.amount) for u in agreement.unit_rates.all()),
        cap=agreement.cap,
    )


def _last_year(group: list[Statement]) -> dict[int, Decimal]:
    """The same window a year before, for every statement: the growth condition judges it, and the manager's
    dashboard weighs each bonus against the volume added since."""
    found: dict[int, Decimal] = {}
    by_period = defaultdict(list)
    for s in group:
        by_period[Period(s.period_start, s.period_end).a_year_before()].append(s.agreement_id)
    for before, ids in by_period.items():
        found.update(selectors.last_year_volumes(agreement_ids=ids, since=before.since(), until=before.until()))
    return found


def _key_account_line(name: str, percent: Decimal, volume: Decimal) -> rules.Line:
    amount = rules.percent_of(volume, percent)
    return rules.line(
        "key_account", f"Key account {name}", "own_rate", {"volume": volume, "name": name}, True, percent, amount
    )


def _note_pending(line: rules.Line, pending: int) -> rules.Line:
    if line.kind != rules.ON_TIME:
        return line
    figure = rules.PENDING % {"figure": line.figure, "pending": pending}
    args = {**line.args, "pending": pending}
    return rules.Line(line.kind, line.label, figure, line.met, line.percent, line.amount, line.figure_code, args)


def _take_back_late_refunds(*, at, period_start, until) -> dict[int, list[rules.Line]]:
    """A refund after its period closed takes back, here, the bonus its goods earned there: at the rate that
    statement paid. The closed statement is never touched."""
    found = defaultdict(list)
    items = []
    for sid, refund_id, receipt_id, made, goods, old_bonus, old_volume in selectors.refunds_after_close(
        at=at, period_start=period_start, until=until
    ):
        bonus = -round_money(goods * old_bonus / old_volume) if old_volume > ZERO else ZERO
        items.append(
            StatementItem(
                statement_id=sid,
                receipt_id=receipt_id,
                refund_id=refund_id,
                created_at=made,
                amount=-goods,
                bonus=bonus,
            )
        )
        args = {"receipt": receipt_id, "goods": goods}
        found[sid].append(rules.line("late_refund", "Refund after close", "late_refund", args, True, ZERO, bonus))
    StatementItem.objects.bulk_create(items, batch_size=BATCH)
    return found


def _take_back_kept(group: list[Statement]) -> dict[int, list[rules.Line]]:
    """What a reversed payout left with the company (points or a coupon already spent) is taken back by the
    agreement's next statement, once: the reversal names it. The agreements are locked, as a reversal locks
    its agreement, so no reversal slips in between."""
    statements = {s.agreement_id: s for s in group}
    kept = [
        r
        for r in Statement.objects.filter(kind=Statement.Kind.REVERSAL, kept__gt=ZERO, kept_taken_by__isnull=True)
        if r.agreement_id in statements
    ]
    found = defaultdict(list)
    for reversal in kept:
        statement = statements[reversal.agreement_id]
        args = {"statement": reversal.reverses_id, "kept": reversal.kept}
        found[statement.pk].append(
            rules.line(
                "reversal_kept", "Reversed payout already spent", "reversal_kept", args, True, ZERO, -reversal.kept
            )
        )
        reversal.kept_taken_by = statement
    Statement.objects.bulk_update(kept, ["kept_taken_by"])
    return found


def _line(statement: Statement, position: int, line: rules.Line) -> StatementLine:
    return StatementLine(
        statement=statement, position=position, kind=line.kind, label=line.label, figure=line.figure,
        met=line.met, percent=line.percent, amount=line.amount, figure_code=line.figure_code, args=line.args,
    )  # fmt: skip


def _locked(statement_id: int) -> Statement:
    return Statement.objects.select_for_update().get(pk=statement_id)


def _refuse_reversed(statement: Statement) -> None:
    if statement.reversed_flag:
        raise StatementRefused(f"Statement {statement.pk} has been reversed: settle the period again instead.")


def statement_approve(*, statement_id: int, by, at: datetime) -> Statement:
    """A manager approves a statement before anything is paid out."""
    with transaction.atomic(durable=True):
        statement = _locked(statement_id)
        _refuse_reversed(statement)
        if statement.status != Statement.Status.DRAFT:
            raise StatementRefused(f"Statement {statement.pk} is already {statement.get_status_display().lower()}.")
        statement.status, statement.approved_by, statement.approved_at = Statement.Status.APPROVED, by, at
        statement.save(update_fields=["status", "approved_by", "approved_at"])
        StatementEvent.objects.create(statement=statement, action="approved", at=at, by=by)
        return statement


PAYING = {Statement.Payout.CREDIT: payouts.credit, Statement.Payout.DISCOUNT: payouts.discount}


def statement_pay_out(*, statement_id: int, by, at: datetime, payout: str) -> Statement:
    """An approved statement paid out one way (credit, discount, export); paid once: the status is read and
    changed under the statement's row lock, and the points or the coupon are written in the same transaction."""
    if payout not in Statement.Payout.values:
        raise StatementRefused(f"Unknown payout {payout!r}.")
    with transaction.atomic(durable=True):
        statement = _locked(statement_id)
        _refuse_reversed(statement)
        if statement.status != Statement.Status.APPROVED:
            raise StatementRefused(f"Statement {statement.pk} must be approved, and not paid yet, to be paid out.")
        paid = PAYING[payout](statement, by=by, at=at) if payout in PAYING else payouts.Paid()
        statement.status, statement.payout, statement.paid_at = Statement.Status.PAID, payout, at
        statement.payout_points, statement.payout_entry_id, statement.payout_coupon = (
            paid.points,
            paid.entry_id,
            paid.coupon,
        )
        statement.save(
            update_fields=["status", "payout", "paid_at", "payout_points", "payout_entry_id", "payout_coupon"]
        )
        StatementEvent.objects.create(statement=statement, action="paid", at=at, by=by, note=_paid_note(payout, paid))
        return statement


def _paid_note(payout: str, paid: payouts.Paid) -> str:
    if paid.points is not None:
        return f"credit: {paid.points} points"
    if paid.coupon is not None:
        return f"discount: coupon {paid.coupon}"
    return payout


def statement_reverse(*, statement_id: int, by, at: datetime, reason: str) -> Statement:
    """A correction: a new statement with every amount negated; the period may then be settled again. A payout
    made as points or a coupon is taken back in the same transaction (payouts.take_back); what the company has
    already spent of it is kept on the reversal, for the agreement's next statement to take back. A reversal
    of a payout exported to accounting waits for approval and its own export; one of a statement never paid
    has nothing to pay."""
    if not reason.strip():
        raise StatementRefused("Say why the statement is reversed.")
    with transaction.atomic(durable=True):
        # The agreement first, as a settlement locks it: the next statement and this reversal's `kept` never cross.
        Agreement.objects.select_for_update().filter(statements=statement_id).first()
        original = _locked(statement_id)
        if original.kind != Statement.Kind.SETTLEMENT or original.reversed_flag:
            raise StatementRefused(f"Statement {original.pk} is a reversal or already reversed.")
        reversal = Statement.objects.create(
            agreement=original.agreement, kind=Statement.Kind.REVERSAL, reverses=original,
            period_start=original.period_start, period_end=original.period_end,
            counted_from=original.counted_from, counted_until=original.counted_until,
            volume=-original.volume, last_year_volume=-original.last_year_volume, adjustment=-original.adjustment,
            bonus=-original.bonus,
            receipts=original.receipts, created_at=at,
        )  # fmt: skip
        StatementLine.objects.bulk_create(
            StatementLine(
                statement=reversal, position=ln.position, kind=ln.kind, label=ln.label, figure=ln.figure,
                met=ln.met, percent=ln.percent, amount=-ln.amount, figure_code=ln.figure_code, args=ln.args,
            )
            for ln in original.lines.all()
        )  # fmt: skip
        original.reversed_flag = True
        original.save(update_fields=["reversed_flag"])
        StatementEvent.objects.create(statement=original, action="reversed", at=at, by=by, note=reason[:200])
        StatementEvent.objects.create(statement=reversal, action="made", at=at, by=by, note=reason[:200])
        _settle_reversal(original, reversal, by=by, at=at)
        return reversal


def _settle_reversal(original: Statement, reversal: Statement, *, by, at: datetime) -> None:
    if original.status != Statement.Status.PAID:
        reversal.status = Statement.Status.CLOSED
        reversal.save(update_fields=["status"])
        StatementEvent.objects.create(statement=reversal, action="closed", at=at, by=by, note="nothing was paid out")
        return
    if original.payout not in (Statement.Payout.CREDIT, Statement.Payout.DISCOUNT):
        return  # exported: accounting pays it back; the reversal is approved and exported like any statement
    back = payouts.take_back(original, reversal, by=by, at=at)
    reversal.status, reversal.payout, reversal.paid_at = Statement.Status.PAID, original.payout, at
    reversal.approved_by, reversal.approved_at = by, at
    reversal.payout_points, reversal.payout_entry_id, reversal.kept = back.points, back.entry_id, back.kept
    reversal.save(
        update_fields=[
            "status", "payout", "paid_at", "approved_by", "approved_at", "payout_points", "payout_entry_id", "kept"
        ]
    )  # fmt: skip
    StatementEvent.objects.create(statement=reversal, action="taken back", at=at, by=by, note=back.note)
