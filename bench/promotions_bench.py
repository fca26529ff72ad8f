"""A checkout with promotions against the plain one, in the app's own process on pos_bench's database:
the same 5-line basket on the bench's cards (bench/capture_sql.py's LINES), as

- plain: no campaign in force;
- two campaigns: 10 % on dairy for card holders and 0.10 off each line of fruit & vegetables, automatic;
- two campaigns and a coupon: the same, and a single-use 1.00 coupon (a fresh code each checkout).

Per case: the statements one checkout sends (counted, SAVEPOINTs aside), and the time per checkout over
alternating rounds (the median round), so the other cases' noise on a shared machine hits all alike.
The campaigns are ended afterwards (their receipts keep them), so pos_bench's other runs see none.

    .venv/bin/python bench/promotions_bench.py            # BENCH_CHECKOUTS per round (300), 5 rounds
    BENCH_SMOKE=1 .venv/bin/python bench/promotions_bench.py
"""

import os
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from itertools import count
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":  # run as a script: Django set up on pos_bench's database before the imports below
    sys.path.insert(0, str(ROOT))
    from bench import pos_bench

    pos_bench.ensure_prepared()
    os.environ.update(pos_bench.ENV)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench import pg  # noqa: E402
from bench.capture_sql import LINES, active_card_numbers  # noqa: E402
from loyalty.models import Category  # noqa: E402
from loyalty.rules import Line  # noqa: E402
from pos.actors import PosActor  # noqa: E402
from pos.models import Terminal  # noqa: E402
from pos.services import Basket, checkout  # noqa: E402
from promotions.models import Campaign  # noqa: E402
from promotions.services import coupon_batch_issue  # noqa: E402

CHECKOUTS = pg.sized("BENCH_CHECKOUTS", 300, 10)
ROUNDS = pg.sized("BENCH_ROUNDS", 5, 1)
_keys = count()


def basket(card: str, coupon: str | None) -> Basket:
    lines = tuple(
        Line(sku=sku, name=sku, category=category, quantity=Decimal(qty), unit_price=Decimal(price))
        for sku, category, qty, price in LINES
    )
    return Basket(lines=lines, card_number=card, coupons=(coupon,) if coupon else ())


def one(actor: PosActor, card: str, coupon: str | None) -> None:
    key = f"promo-bench-{os.getpid()}-{time.time_ns()}-{next(_keys)}"
    status, body, _ = checkout(actor=actor, key=key, basket=basket(card, coupon), payload={"k": key}, at=timezone.now())
    assert status == 201, body


def statements(actor, card, coupon) -> int:
    with CaptureQueriesContext(connection) as captured:
        one(actor, card, coupon)
    return sum(1 for q in captured.captured_queries if "SAVEPOINT" not in q["sql"])


def campaigns_start() -> tuple[list[Campaign], list[str]]:
    today = timezone.localdate()
    days = {"starts_on": today - timedelta(days=1), "ends_on": today + timedelta(days=1)}
    dairy = Campaign.objects.create(name="Bench dairy", value=Decimal("10"), scope="categories",
                                    audience="card_holders", **days)  # fmt: skip
    dairy.categories.set([Category.objects.get(code="dairy")])
    produce = Campaign.objects.create(name="Bench produce", benefit="amount_line", value=Decimal("0.10"),
                                      scope="categories", **days)  # fmt: skip
    produce.categories.set([Category.objects.get(code="produce")])
    coupons = Campaign.objects.create(name="Bench coupon", benefit="amount_receipt", value=Decimal("1.00"),
                                      needs_coupon=True, **days)  # fmt: skip
    batch = coupon_batch_issue(campaign=coupons, count=CHECKOUTS * ROUNDS + 10, name="bench")
    return [dairy, produce, coupons], list(batch.coupons.values_list("code", flat=True))


def campaigns_end(campaigns: list[Campaign]) -> None:
    past = timezone.localdate() - timedelta(days=10)
    for c in campaigns:  # saved one by one: each save renews the terms stamp (promotions/signals.py)
        c.starts_on, c.ends_on = past - timedelta(days=1), past
        c.save()


def timed(actor, cards, coupons) -> tuple[float, float]:
    """(wall ms, this process's CPU ms) per checkout: the CPU is the app's own work, steadier than the wall
    clock on a machine other jobs share."""
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(CHECKOUTS):
        one(actor, cards[i % len(cards)], next(coupons) if coupons else None)
    return (time.perf_counter() - started) / CHECKOUTS * 1000, (time.process_time() - cpu) / CHECKOUTS * 1000


def main() -> None:
    terminal = Terminal.objects.select_related("store").order_by("id").first()
    actor = PosActor(store=terminal.store, terminal=terminal)
    cards = active_card_numbers()
    one(actor, cards[0], None)  # warm: the programme's terms read and kept
    plain_statements = statements(actor, cards[0], None)
    plain = [timed(actor, cards, None) for _ in range(ROUNDS)]
    campaigns, codes = campaigns_start()
    try:
        fresh = iter(codes)
        one(actor, cards[0], None)  # the campaigns read and kept under the new stamp
        with_campaigns = statements(actor, cards[0], None)
        with_coupon = statements(actor, cards[0], next(fresh))
        rounds = {"plain": [], "campaigns": [], "coupon": []}
        for _ in range(ROUNDS):
            rounds["campaigns"].append(timed(actor, cards, None))
            rounds["coupon"].append(timed(actor, cards, fresh))
    finally:
        campaigns_end(campaigns)
    rounds["plain"] = plain + [timed(actor, cards, None) for _ in range(ROUNDS)]
    base = [statistics.median(r[k] for r in rounds["plain"]) for k in (0, 1)]
    print(f"{CHECKOUTS} checkouts x {ROUNDS} rounds; per checkout: median wall ms, app CPU ms, statements")
    for name, label, sent in (
        ("plain", "plain (no campaign in force)", plain_statements),
        ("campaigns", "two campaigns", with_campaigns),
        ("coupon", "two campaigns + a single-use coupon", with_coupon),
    ):
        wall, cpu = (statistics.median(r[k] for r in rounds[name]) for k in (0, 1))
        print(f"  {label}: wall {wall:.2f} ms (x{wall / base[0]:.2f}), CPU {cpu:.2f} ms (x{cpu / base[1]:.2f}), "
              f"{sent} statements ({sent - plain_statements:+d})")  # fmt: skip


if __name__ == "__main__":
    main()
