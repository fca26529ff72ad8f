"""The nightly job: idle cards step down, old points burn, exactly once."""

import itertools
from datetime import datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Sum

from loyalty import expiry, rules
from loyalty.locks import account_lock
from loyalty.models import Account, JobRun, LotConsumption, PointsEntry, PointsLot, Programme, SpendEntry
from loyalty.selectors import card_state, category_rules, programme_rules
from loyalty.services import account_purchase_record, points_adjust
from loyalty.tasks import nightly_expiry
from tests.factories import T0, active_card

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)
receipts = itertools.count(1)  # a purchase names its receipt; the ledger keeps only the id


def buy(account_id: int, amount: str, at) -> None:
    """A purchase of `amount` as checkout records it (spend, level by the rules, last purchase time): one
    line of tobacco, which the demo programme neither discounts nor rewards with points."""
    with transaction.atomic():
        account = account_lock(account_id, at=at)
        tobacco = rules.Line(sku="CIG-20", category="tobacco", quantity=D("1"), unit_price=D(amount))
        quote = rules.quote(
            programme_rules(account.programme), card_state(account, at), [tobacco], category_rules(), at
        )
        assert (quote.total_due, quote.points_earned) == (D(amount), D("0"))
        account_purchase_record(account=account, receipt_id=next(receipts), quote=quote, at=at)


def adjust(account_id: int, points: str, at) -> None:
    points_adjust(account_id=account_id, points=D(points), reason="test", by=None, at=at)


def card_at(amount: str, at=T0) -> int:
    account_id = active_card().account_id
    buy(account_id, amount, at)
    return account_id


def level_and_spend(account_id: int):
    account = Account.objects.select_related("level").get(pk=account_id)
    return (account.level.name if account.level else None), account.spend


def spend_ledger(account_id: int) -> D:
    total = SpendEntry.objects.filter(account_id=account_id).aggregate(s=Sum("amount"))["s"] or D("0")
    return total.quantize(D("0.01"))  # SQLite sums decimals as floats


def points_ledger(account_id: int) -> D:
    total = PointsEntry.objects.filter(account_id=account_id).aggregate(s=Sum("points"))["s"] or D("0")
    return total.quantize(D("0.01"))


# --- inactivity ----------------------------------------------------------------------------------


def test_idle_gold_card_steps_down_to_silver_with_one_entry_naming_the_run():
    gold = card_at("800.00")
    run = expiry.nightly_run(at=T0 + 181 * DAY, trigger="test")
    assert level_and_spend(gold) == ("Silver", D("300.00"))
    entry = SpendEntry.objects.get(account_id=gold, kind="inactivity")
    assert (entry.amount, entry.level_before, entry.level_after, entry.job_run, entry.created_at) == (
        D("-500.00"), "Gold", "Silver", f"nightly-{run.pk}", T0 + 181 * DAY,
    )  # fmt: skip
    assert spend_ledger(gold) == D("300.00")
    assert (run.status, run.trigger, run.cards_stepped_down, run.lots_burned) == ("finished", "test", 1, 0)
    assert Account.objects.get(pk=gold).stepped_down_at == T0 + 181 * DAY


def test_each_level_steps_one_down_and_the_lowest_falls_to_base():
    platinum, gold, silver = card_at("1600.00"), card_at("750.00"), card_at("320.00")
    expiry.nightly_run(at=T0 + 181 * DAY, trigger="test")
    assert [level_and_spend(a) for a in (platinum, gold, silver)] == [
        ("Gold", D("700.00")), ("Silver", D("300.00")), (None, D("0.00")),
    ]  # fmt: skip


def test_a_card_idle_exactly_the_period_keeps_its_level_until_the_period_has_passed():
    gold = card_at("800.00")
    assert expiry.nightly_run(at=T0 + 180 * DAY, trigger="test").cards_stepped_down == 0
    assert level_and_spend(gold) == ("Gold", D("800.00"))


def test_running_twice_the_same_night_changes_nothing_the_second_time():
    gold = card_at("800.00")
    expiry.nightly_run(at=T0 + 181 * DAY, trigger="test")
    entries = SpendEntry.objects.count()
    second = expiry.nightly_run(at=T0 + 181 * DAY + timedelta(hours=2), trigger="test")
    assert (second.cards_stepped_down, SpendEntry.objects.count()) == (0, entries)
    assert level_and_spend(gold) == ("Silver", D("300.00"))


def test_a_card_steps_again_only_after_another_idle_period():
    gold = card_at("800.00")
    expiry.nightly_run(at=T0 + 181 * DAY, trigger="test")
    expiry.nightly_run(at=T0 + 300 * DAY, trigger="test")
    assert level_and_spend(gold) == ("Silver", D("300.00"))
    expiry.nightly_run(at=T0 + 362 * DAY, trigger="test")
    assert level_and_spend(gold) == (None, D("0.00"))
    assert spend_ledger(gold) == D("0.00")


def test_a_recent_purchase_keeps_the_level_and_the_next_purchase_climbs_from_the_stepped_spend():
    kept, stepped = card_at("800.00"), card_at("800.00")
    buy(kept, "10.00", T0 + 10 * DAY)
    expiry.nightly_run(at=T0 + 181 * DAY, trigger="test")
    assert level_and_spend(kept) == ("Gold", D("810.00"))
    buy(stepped, "450.00", T0 + 182 * DAY)  # 300 + 450 = 750: Gold again
    assert level_and_spend(stepped) == ("Gold", D("750.00"))


def test_reset_programme_sends_any_level_back_to_base():
    gold = card_at("800.00")
    Programme.objects.filter(code="default").update(inactivity_action="reset")
    expiry.nightly_run(at=T0 + 181 * DAY, trigger="test")
    assert level_and_spend(gold) == (None, D("0.00"))
    entry = SpendEntry.objects.get(account_id=gold, kind="inactivity")
    assert (entry.amount, entry.level_before, entry.level_after) == (D("-800.00"), "Gold", "")


def test_base_card_with_no_spend_gets_no_row_and_a_programme_without_the_rule_is_left_alone():
    base = card_at("0.00")
    Programme.objects.filter(code="default").update(inactivity_days=None)
    gold = card_at("800.00")
    run = expiry.nightly_run(at=T0 + 400 * DAY, trigger="test")
    assert run.cards_stepped_down == 0
    assert level_and_spend(gold) == ("Gold", D("800.00"))
    assert SpendEntry.objects.filter(account_id=base, kind="inactivity").count() == 0


def test_small_batches_sweep_every_card_once():
    cards = [card_at("800.00") for _ in range(7)]
    run = expiry.nightly_run(at=T0 + 181 * DAY, trigger="test", batch=3)
    assert run.cards_stepped_down == 7
    assert [level_and_spend(a) for a in cards] == [("Silver", D("300.00"))] * 7


# --- points burn ---------------------------------------------------------------------------------


def test_points_past_their_date_burn_one_entry_per_lot_oldest_first():
    account_id = active_card().account_id
    adjust(account_id, "10.00", at=T0)
    adjust(account_id, "4.00", at=T0 + DAY)
    adjust(account_id, "3.00", at=T0 + 30 * DAY)  # not due yet
    adjust(account_id, "-6.00", at=T0 + 2 * DAY)  # leaves 4.00 of the first lot
    run = expiry.nightly_run(at=T0 + 366 * DAY, trigger="test")
    burns = PointsEntry.objects.filter(kind="expire").order_by("id")
    assert [(e.points, e.job_run, e.burned_lot.points) for e in burns] == [
        (D("-4.00"), run.label, D("10.00")), (D("-4.00"), run.label, D("4.00")),
    ]  # fmt: skip
    assert (run.lots_burned, run.points_burned) == (2, D("8.00"))
    assert Account.objects.get(pk=account_id).points_balance == D("3.00") == points_ledger(account_id)
    assert list(PointsLot.objects.order_by("id").values_list("remaining", flat=True)) == [D("0"), D("0"), D("3.00")]
    for lot in PointsLot.objects.all():
        taken = lot.consumptions.aggregate(s=Sum("points"))["s"] or D("0")
        assert taken.quantize(D("0.01")) == lot.points - lot.remaining  # no lot spent twice


def test_burning_twice_the_same_night_changes_nothing():
    account_id = active_card().account_id
    adjust(account_id, "10.00", at=T0)
    expiry.nightly_run(at=T0 + 366 * DAY, trigger="test")
    before = (PointsEntry.objects.count(), LotConsumption.objects.count(), points_ledger(account_id))
    second = expiry.nightly_run(at=T0 + 366 * DAY, trigger="test")
    assert (second.lots_burned, second.points_burned) == (0, D("0.00"))
    assert (PointsEntry.objects.count(), LotConsumption.objects.count(), points_ledger(account_id)) == before


def test_a_lot_a_checkout_already_burned_is_not_burned_again():
    account_id = active_card().account_id
    adjust(account_id, "10.00", at=T0)
    adjust(account_id, "5.00", at=T0 + 100 * DAY)
    buy(account_id, "1.00", T0 + 366 * DAY)  # burns the first lot on its way
    run = expiry.nightly_run(at=T0 + 367 * DAY, trigger="test")
    assert run.lots_burned == 0
    assert PointsEntry.objects.filter(kind="expire").count() == 1
    assert Account.objects.get(pk=account_id).points_balance == D("5.00") == points_ledger(account_id)


def test_a_lot_a_debit_already_burned_is_not_burned_again():
    account_id = active_card().account_id
    adjust(account_id, "10.00", at=T0)
    adjust(account_id, "5.00", at=T0 + 100 * DAY)
    adjust(account_id, "-1.00", at=T0 + 366 * DAY)  # burns the first lot on its way
    run = expiry.nightly_run(at=T0 + 367 * DAY, trigger="test")
    assert run.lots_burned == 0
    assert PointsEntry.objects.filter(kind="expire").count() == 1
    assert Account.objects.get(pk=account_id).points_balance == D("4.00") == points_ledger(account_id)


def test_killed_midway_a_rerun_finishes_the_job_and_never_doubles_it(monkeypatch):
    accounts = [active_card().account_id for _ in range(5)]
    for account_id in accounts:
        adjust(account_id, "2.50", at=T0)
    real_burn, calls = expiry._burn, []

    def burn_then_die(*args, **kwargs):
        if len(calls) == 2:
            raise KeyboardInterrupt("worker killed")
        calls.append(1)
        return real_burn(*args, **kwargs)

    monkeypatch.setattr(expiry, "_burn", burn_then_die)
    with pytest.raises(KeyboardInterrupt):
        expiry.nightly_run(at=T0 + 366 * DAY, trigger="test", batch=2)
    assert JobRun.objects.get().status == "failed"
    assert PointsEntry.objects.filter(kind="expire").count() == 4  # two whole batches landed
    monkeypatch.setattr(expiry, "_burn", real_burn)
    rerun = expiry.nightly_run(at=T0 + 366 * DAY, trigger="test", batch=2)
    assert (rerun.lots_burned, rerun.points_burned) == (1, D("2.50"))
    assert [Account.objects.get(pk=a).points_balance for a in accounts] == [D("0.00")] * 5
    assert [points_ledger(a) for a in accounts] == [D("0.00")] * 5


# --- the command and the task --------------------------------------------------------------------


def test_expire_inactive_runs_as_of_the_given_moment_and_prints_one_line(capsys):
    gold = card_at("800.00")
    adjust(gold, "12.00", at=T0)
    call_command("expire_inactive", "--at", "2027-03-03T03:00:00+00:00")
    run = JobRun.objects.get()
    assert capsys.readouterr().out == (
        f"nightly-{run.pk} as of 2027-03-03T03:00:00+00:00: 1 cards stepped down, 1 lots burned (12.00 points)\n"
    )
    assert (run.trigger, level_and_spend(gold)) == ("command", ("Silver", D("300.00")))


def test_expire_inactive_rejects_a_bad_date_and_changes_nothing():
    card_at("800.00")
    with pytest.raises(CommandError) as error:
        call_command("expire_inactive", "--at", "next tuesday")
    assert str(error.value) == "--at must be an ISO date-time such as 2026-11-23T03:00, not 'next tuesday'."
    assert (JobRun.objects.count(), SpendEntry.objects.filter(kind="inactivity").count()) == (0, 0)


@pytest.mark.parametrize("at", ["0001-01-01T00:00", "9999-12-31T23:59", "1999-12-31T23:59"])
def test_expire_inactive_refuses_a_day_off_the_calendar_and_changes_nothing(at):
    card_at("800.00")
    with pytest.raises(CommandError) as error:
        call_command("expire_inactive", "--at", at)
    assert str(error.value) == f"--at {at}: Choose a day from 2000-01-01 to 2099-12-31."
    assert (JobRun.objects.count(), SpendEntry.objects.filter(kind="inactivity").count()) == (0, 0)


def test_the_scheduled_task_runs_the_job_as_of_now(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    gold = card_at("800.00", at=T0)  # T0 is in March 2026: long idle by the clock of any test run
    run_id = nightly_expiry.delay().get()
    run = JobRun.objects.get(pk=run_id)
    assert (run.trigger, run.status, run.cards_stepped_down) == ("schedule", "finished", 1)
    assert level_and_spend(gold)[0] == "Silver"


# --- whole days on the chain's clock --------------------------------------------------------------


@pytest.fixture
def berlin_chain(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    return ZoneInfo("Europe/Berlin")


def stepped(run) -> int:
    return run.cards_stepped_down


def test_inactivity_counts_whole_days_in_the_chains_zone_not_hours(berlin_chain):
    # Bought Saturday 10 January 2026 at 02:00 in Berlin; 180 days: 11 January - 9 July are the idle days.
    gold = card_at("800.00", at=datetime(2026, 1, 10, 2, 0, tzinfo=berlin_chain))
    assert stepped(expiry.nightly_run(at=datetime(2026, 7, 9, 3, 0, tzinfo=berlin_chain), trigger="test")) == 0
    assert level_and_spend(gold) == ("Gold", D("800.00"))
    assert stepped(expiry.nightly_run(at=datetime(2026, 7, 10, 3, 0, tzinfo=berlin_chain), trigger="test")) == 1
    assert level_and_spend(gold) == ("Silver", D("300.00"))


def test_a_purchase_just_after_midnight_in_berlin_counts_to_that_berlin_day(berlin_chain):
    # 00:30 on 10 January in Berlin is 23:30 on 9 January in UTC: the day is Berlin's 10 January.
    gold = card_at("800.00", at=datetime(2026, 1, 10, 0, 30, tzinfo=berlin_chain))
    assert stepped(expiry.nightly_run(at=datetime(2026, 7, 9, 3, 0, tzinfo=berlin_chain), trigger="test")) == 0
    assert level_and_spend(gold) == ("Gold", D("800.00"))


def test_a_purchase_late_in_the_evening_is_idle_from_the_first_minute_of_day_181(berlin_chain):
    gold = card_at("800.00", at=datetime(2026, 1, 10, 23, 30, tzinfo=berlin_chain))
    # 00:30 on 10 July in Berlin is still 9 July in UTC.
    assert stepped(expiry.nightly_run(at=datetime(2026, 7, 10, 0, 30, tzinfo=berlin_chain), trigger="test")) == 1
    assert level_and_spend(gold) == ("Silver", D("300.00"))
