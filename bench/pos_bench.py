"""Checkout and card-lookup throughput through gunicorn on PostgreSQL, the CPU each request costs and
where, the textbook checkout the issue compares against, what the stack costs before any product code,
and the pgbench floor (the SQL real checkouts issue, without Python).

    .venv/bin/python bench/pos_bench.py                # needs wrk and pgbench (Debian: wrk, postgresql)
    BENCH_FRESH=1 .venv/bin/python bench/pos_bench.py  # on a new database (the last one dropped first)
    BENCH_SMOKE=1 .venv/bin/python bench/pos_bench.py  # the whole path at a tiny size, in seconds
    .venv/bin/python bench/pos_bench.py promotions     # only: checkouts with campaigns and a coupon vs plain

The bench database (BENCH_DATABASE_URL, default loyalty_bench on 127.0.0.1) is made if it is missing;
a rerun keeps it (and vacuums it). Load generator and server share the machine's 2 cores, as the issue asks.
gunicorn listens on 127.0.0.1:BENCH_PORT (8100).
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: bench/ is on the path, the project root is not

from bench import pg  # noqa: E402
from bench.cpu import measured  # noqa: E402

DB = pg.database_url("loyalty_bench")
PORT = int(os.environ.get("BENCH_PORT") or 8100)
WORKERS = pg.sized("BENCH_WORKERS", 4, 2)
CLIENTS = 4
SECONDS = pg.sized("BENCH_SECONDS", 20, 1)
TOKEN = "demo-token-central-till-1"
CARD = "2000000000015"


def bench_env(database_url: str) -> dict:
    """The environment of every process the bench starts (manage.py, gunicorn, wrk) on `database_url`."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "bench-secret-key-not-for-production-0123",
        "CARD_PIN_SECRET": "bench-pin-secret-not-for-production-0123",
        # Plain HTTP on loopback, and static names without collectstatic's manifest: the bench measures the API.
        "DJANGO_HTTPS": "false",
        "DJANGO_STATIC_MANIFEST": "false",
        "BENCH_TOKEN": TOKEN,
        "BENCH_CARD": CARD,
        # One token, four wrk clients, thousands of requests a second: far past any till's throttle, which
        # still runs (its cache round trip is part of every request's cost) but never refuses one here.
        "API_THROTTLE_BURST": "1000000000",
        "API_THROTTLE_PER_SECOND": "1000000000",
    }


ENV = bench_env(DB)


def manage(*args: str) -> str:
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=ENV, capture_output=True, text=True)
    if done.returncode:
        print(done.stderr, file=sys.stderr)  # what went wrong, not only that it did
        done.check_returncode()
    return done.stdout


CUSTOMERS = 40  # the demo batch has 50 cards
GIFT_CARDS = 40


def prepare() -> None:
    """The bench database (made if missing), migrated, with the demo and the bench's customers. Safe to rerun."""
    url = ENV["DATABASE_URL"]
    pg.ensure(url)
    manage("migrate", "--noinput", "-v", "0")
    manage("loyalty_demo", "--allow-production")  # the bench runs with DEBUG off, as production does
    manage("shell", "-c", (
        "from cards.lifecycle import card_activate; from cards.models import Card\n"
        f"for i, c in enumerate(Card.objects.filter(status='issued').order_by('number')[:{CUSTOMERS}]):\n"
        "    card_activate(number=c.number, name=f'Bench Customer {i}', phone=f'+4910000{i:04d}')\n"
        f"c = Card.objects.get(number='{CARD}')\n"
        f"card_activate(number='{CARD}', name='Bench Customer', phone='+49000000001') if c.status == 'issued' else None"
    ))  # fmt: skip
    # Gift cards for the checkouts that pay 1.00 of each basket with one (bench/README.md, "Gift cards").
    manage("shell", "-c", (
        "from decimal import Decimal; from django.db import transaction; from django.utils import timezone\n"
        "from giftcards.models import GiftCardBatch; from giftcards.services import *\n"
        "if not GiftCardBatch.objects.filter(name='Bench gift cards').exists():\n"
        f"    b = gift_cards_issue(count={GIFT_CARDS}, name='Bench gift cards', max_balance='100000000.00')\n"
        "    for n in b.cards.values_list('number', flat=True):\n"
        "        with transaction.atomic():\n"
        "            gift_card_load(number=n, amount=Decimal('1000000.00'), where=Where(), at=timezone.now())"
    ))  # fmt: skip
    # A rerun meets the rows of the runs before it; where autovacuum is off (as on the project's machine) their
    # dead versions and stale statistics would cost the next run a third of its checkouts.
    pg.run(url, "VACUUM ANALYZE")


def prepared() -> bool:
    """Whether the bench database is there with the bench's hot card in use (prepare() has run on it)."""
    url = ENV["DATABASE_URL"]
    if not pg.exists(url):
        return False
    with psycopg.connect(url) as conn:
        try:
            found = conn.execute("SELECT 1 FROM cards_card WHERE number = %s AND status = 'active'", [CARD])
            return found.fetchone() is not None
        except psycopg.errors.UndefinedTable:
            return False


def ensure_prepared() -> None:
    """For the scripts that use this bench's database (capture_sql.py, instructions.py): prepare it if needed."""
    if not prepared():
        print(f"preparing the bench database {pg.name(ENV['DATABASE_URL'])}", file=sys.stderr, flush=True)
        prepare()


WARMUP = pg.sized("BENCH_WARMUP_SECONDS", 3, 0)


def wrk(script: str, env: dict | None = None) -> dict:
    """Rate, p99 and CPU per request of `script` with CLIENTS connections, after a warm-up that is not counted:
    each worker's first requests open its database connection and prepare its statements, which is start-up,
    not load."""
    if WARMUP:
        subprocess.run(_wrk_command(script, WARMUP, []), env=env or ENV, check=True, capture_output=True)

    def run() -> dict:
        out = subprocess.run(
            _wrk_command(script, SECONDS, ["--latency"]), env=env or ENV, check=True, capture_output=True, text=True
        ).stdout
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
        factor = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        return {
            "rate": rate, "seconds": SECONDS, "p99_ms": float(p99.group(1)) * factor,
            "errors": int(non2xx.group(1)) if non2xx else 0,
        }  # fmt: skip

    return measured(run)


def _wrk_command(script: str, seconds: int, extra: list[str]) -> list[str]:
    return ["wrk", "-t", "2", "-c", str(CLIENTS), "-d", f"{seconds}s", *extra, "-s", str(ROOT / "bench" / script),
            f"http://127.0.0.1:{PORT}"]  # fmt: skip


def bench_gift_cards() -> list[str]:
    out = manage("shell", "-c", (
        "from giftcards.models import GiftCard\n"
        "print(*GiftCard.objects.filter(batch__name='Bench gift cards').values_list('number', flat=True))"
    ))  # fmt: skip
    return re.findall(r"\b29\d{11}\b", out)


def gift_card_checkouts(cards: dict) -> None:
    """The same spread checkout, plain and paying 1.00 of it with one of GIFT_CARDS gift cards, back to back."""
    with_gift = {**cards, "BENCH_GIFT_CARDS": " ".join(bench_gift_cards())}
    plain = wrk("checkout.lua", cards)
    report("checkout, 5 lines, spread (plain)", plain)
    paid = wrk("checkout.lua", with_gift)
    report(f"checkout, 5 lines, spread, 1.00 paid by one of {GIFT_CARDS} gift cards", paid)
    print(f"  with gift card / plain = {paid['rate'] / plain['rate']:.2f} (rate), "
          f"{paid['cpu_ms'] / plain['cpu_ms']:.2f} (CPU per request)", flush=True)  # fmt: skip


def active_cards() -> list[str]:
    out = manage("shell", "-c", "from bench.capture_sql import active_card_numbers; print(*active_card_numbers())")
    return re.findall(r"\b2\d{12}\b", out)  # the shell also prints its own banner


def pgbench_floor() -> tuple[dict, dict]:
    """The SQL of real checkouts, one script per card (bench/capture_sql.py), replayed by pgbench with CLIENTS
    clients, prepared and committing: spread over every card, and all on the hot card."""
    directory = Path(os.environ.get("BENCH_OUT") or ROOT / "bench" / "out")
    for old in directory.glob("checkout*.sql"):
        old.unlink()
    manage("shell", "-c", (
        "from bench.capture_sql import active_card_numbers, write_checkout_scripts\n"
        f"write_checkout_scripts('{directory}', active_card_numbers())"
    ))  # fmt: skip
    every = sorted(str(path) for path in directory.glob("checkout-*.sql"))
    hot = [str(directory / f"checkout-{CARD}.sql")]
    return _pgbench(every), _pgbench(hot)


def _pgbench(scripts: list[str]) -> dict:
    where = conninfo_to_dict(ENV["DATABASE_URL"])
    server = [arg for key, flag in (("host", "-h"), ("port", "-p"), ("user", "-U")) if key in where
              for arg in (flag, where[key])]  # fmt: skip
    password = {"PGPASSWORD": where["password"]} if "password" in where else {}

    def run() -> dict:
        out = subprocess.run(
            ["pgbench", "-n", "-c", str(CLIENTS), "-j", "2", "-T", str(SECONDS), "-M", "prepared",
             *[arg for script in scripts for arg in ("-f", script)], *server, where["dbname"]],
            check=True, capture_output=True, text=True, env={**os.environ, **password},
        ).stdout  # fmt: skip
        return {"rate": float(re.search(r"tps = ([\d.]+)", out).group(1)), "seconds": SECONDS}

    return measured(run, groups=())  # pgbench's backends come and go within the run: the machine's figure only


def start_server(env: dict | None = None, app: str = "config.wsgi", probe: str = "/api/v1/schema/") -> subprocess.Popen:
    """gunicorn serving `app` on the bench database, answering `probe` before this returns."""
    with socket.socket() as taken:  # else wrk would measure whatever else listens there
        if taken.connect_ex(("127.0.0.1", PORT)) == 0:
            sys.exit(f"bench: something already listens on 127.0.0.1:{PORT}; set BENCH_PORT to a free port")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", app, "--workers", str(WORKERS), "--bind", f"127.0.0.1:{PORT}",
         "--log-level", "warning"],
        cwd=ROOT, env=env or ENV,
    )  # fmt: skip
    for _ in range(150):
        if server.poll() is not None:
            sys.exit(f"bench: gunicorn ({app}) exited with {server.returncode} before answering")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}{probe}", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    sys.exit(f"bench: gunicorn ({app}) did not answer {probe} within 30 s")


def stop_server(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    server.wait()


def report(label: str, result: dict) -> None:
    line = f"{label}: {result['rate']:.0f}/s"
    if "p99_ms" in result:
        line += f", p99 {result['p99_ms']:.1f} ms, non-2xx {result['errors']}"
    line += f"; CPU per request {result['cpu_ms']:.2f} ms"
    if "gunicorn_ms" in result:
        line += f" (gunicorn {result['gunicorn_ms']:.2f}, PostgreSQL {result['postgres_ms']:.2f}"
        line += ", the rest wrk and the kernel)"
    print(line, flush=True)


def promotions() -> None:
    """Two campaigns and a coupon against the plain checkout, in process (bench/promotions_bench.py)."""
    subprocess.run([sys.executable, str(ROOT / "bench" / "promotions_bench.py")], cwd=ROOT, env=ENV, check=True)


def main() -> None:
    if pg.fresh_requested():
        pg.drop(DB)
    prepare()
    if sys.argv[1:] == ["promotions"]:
        promotions()
        return
    cards = {**ENV, "BENCH_CARDS": " ".join(active_cards())}
    server = start_server()
    try:
        report("GET /cards/{number}/", wrk("card.lua"))
        hot = wrk("checkout.lua")
        report("checkout, 5 lines, one hot card", hot)
        spread = wrk("checkout.lua", cards)
        report(f"checkout, 5 lines, {len(cards['BENCH_CARDS'].split())} customers", spread)
        gift_card_checkouts(cards)
    finally:
        stop_server(server)
    # The yardstick: a plain ModelSerializer checkout (bench/textbook/) with Django's database defaults
    # (client-side parameter binding, no prepared statements), the same gunicorn, body, cards and wrk load.
    textbook_env = {
        **ENV, "DJANGO_SETTINGS_MODULE": "bench.textbook.settings", "DATABASE_SERVER_SIDE_BINDING": "false",
        "DATABASE_PREPARE_THRESHOLD": "0", "DATABASE_PLAN_CACHE_MODE": "auto",
    }  # fmt: skip
    server = start_server(textbook_env)
    try:
        textbook = wrk("checkout.lua", {**cards, "BENCH_PATH": "/textbook/checkout/"})
        report("textbook DRF checkout, same load", textbook)
        print(f"  ours / textbook = {spread['rate'] / textbook['rate']:.2f}")
    finally:
        stop_server(server)
    stack_floor()
    spread_floor, hot_floor = pgbench_floor()
    report("pgbench floor, the checkouts' SQL on every card", spread_floor)
    report("pgbench floor, the checkout's SQL on the hot card", hot_floor)
    print(f"  app / floor: {spread['rate'] / spread_floor['rate']:.2f} (every card), "
          f"{hot['rate'] / hot_floor['rate']:.2f} (hot card)")  # fmt: skip


def stack_floor() -> None:
    """What answering `{}` costs before any product code: gunicorn alone, then Django, DRF and the terminal token."""
    server = start_server(ENV, app="bench.stack.raw_wsgi", probe="/")
    try:
        report("stack floor: gunicorn, no Django", wrk("get.lua", {**ENV, "BENCH_PATH": "/"}))
    finally:
        stop_server(server)
    server = start_server({**ENV, "DJANGO_SETTINGS_MODULE": "bench.stack.settings"}, probe="/stack/django/")
    try:
        for path, label in (("django", "a Django view"), ("drf", "a DRF view"), ("terminal", "DRF + terminal token")):
            report(f"stack floor: {label}", wrk("get.lua", {**ENV, "BENCH_PATH": f"/stack/{path}/"}))
    finally:
        stop_server(server)


def main_gift_cards() -> None:
    """`pos_bench.py giftcards`: only the plain and the gift card checkout, back to back."""
    prepare()
    server = start_server()
    try:
        gift_card_checkouts({**ENV, "BENCH_CARDS": " ".join(active_cards())})
    finally:
        stop_server(server)


if __name__ == "__main__":
    main_gift_cards() if sys.argv[1:] == ["giftcards"] else main()
