"""Checkout and card-lookup throughput through gunicorn on PostgreSQL, plus the
pgbench floor (the same SQL a checkout issues, without Python).

    psql -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS loyalty_bench" -c "CREATE DATABASE loyalty_bench"
    .venv/bin/python bench/pos_bench.py   # needs wrk and pgbench (Debian: wrk, postgresql-client)

Load generator and server share the machine's 2 cores, as the issue asks.
"""

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/loyalty_bench")
PORT = 8100
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
CLIENTS = 4
SECONDS = int(os.environ.get("BENCH_SECONDS", "20"))
TOKEN = "demo-token-central-till-1"
CARD = "2000000000015"
ENV = {
    **os.environ,
    "DATABASE_URL": DB,
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "bench-secret",
    "CARD_PIN_SECRET": "bench-pin-secret",
    "BENCH_TOKEN": TOKEN,
    "BENCH_CARD": CARD,
}


def manage(*args: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=ENV, check=True, capture_output=True, text=True
    ).stdout


CUSTOMERS = 40  # the demo batch has 50 cards


def prepare() -> None:
    manage("migrate", "--noinput", "-v", "0")
    manage("loyalty_demo")
    manage("shell", "-c", (
        "from cards.lifecycle import card_activate; from cards.models import Card\n"
        f"for i, c in enumerate(Card.objects.filter(status='issued').order_by('number')[:{CUSTOMERS}]):\n"
        "    card_activate(number=c.number, name=f'Bench Customer {i}', phone=f'+4910000{i:04d}')"
    ))  # fmt: skip
    manage("shell", "-c", (
        "from cards.lifecycle import card_activate; from cards.models import Card\n"
        f"c = Card.objects.get(number='{CARD}')\n"
        f"card_activate(number='{CARD}', name='Bench Customer', phone='+49000000001') if c.status == 'issued' else None"
    ))  # fmt: skip


WARMUP = int(os.environ.get("BENCH_WARMUP_SECONDS", "3"))


def wrk(script: str, env: dict | None = None) -> dict:
    """Rate and p99 of `script` with CLIENTS connections, after a warm-up that is not counted: each worker's
    first requests open its database connection and read the programme's terms, which is start-up, not load."""
    for seconds, latency in ((WARMUP, []), (SECONDS, ["--latency"])):
        out = subprocess.run(
            ["wrk", "-t", "2", "-c", str(CLIENTS), "-d", f"{seconds}s", *latency, "-s", str(ROOT / "bench" / script),
             f"http://127.0.0.1:{PORT}"],
            env=env or ENV, check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    factor = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rate": rate, "p99_ms": float(p99.group(1)) * factor, "errors": int(non2xx.group(1)) if non2xx else 0}


def active_cards() -> list[str]:
    out = manage(
        "shell",
        "-c",
        "from cards.models import Card; print(*Card.objects.filter(status='active').values_list('number', flat=True))",
    )
    return re.findall(r"\b2\d{12}\b", out)  # the shell also prints its own banner


def pgbench_floor() -> dict:
    """Capture the SQL of one checkout and replay it with pgbench (4 clients)."""
    script = ROOT / "bench" / "out" / "checkout.sql"
    script.parent.mkdir(exist_ok=True)
    manage("shell", "-c", f"from bench.capture_sql import write_checkout_sql; write_checkout_sql('{script}')")
    out = subprocess.run(
        ["pgbench", "-n", "-c", str(CLIENTS), "-j", "2", "-T", str(SECONDS), "-f", str(script), "-M", "simple",
         "-h", "127.0.0.1", "-U", "postgres", DB.rsplit("/", 1)[1]],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return {"rate": float(re.search(r"tps = ([\d.]+)", out).group(1))}


def start_server(env: dict | None = None) -> subprocess.Popen:
    """gunicorn on the bench database, answering before this returns."""
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", str(WORKERS), "--bind", f"127.0.0.1:{PORT}",
         "--log-level", "warning"],
        cwd=ROOT, env=env or ENV,
    )  # fmt: skip
    for _ in range(50):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/api/v1/schema/", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    return server


def stop_server(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    server.wait()


def main() -> None:
    prepare()
    server = start_server()
    try:
        card = wrk("card.lua")
        print(
            f"GET /cards/{{number}}/: {card['rate']:.0f} req/s, p99 {card['p99_ms']:.1f} ms, non-2xx {card['errors']}"
        )
        checkout = wrk("checkout.lua")
        print(
            f"checkout (5 lines, one hot card): {checkout['rate']:.0f} /s, p99 {checkout['p99_ms']:.1f} ms, "
            f"non-2xx {checkout['errors']}"
        )
        spread = wrk("checkout.lua", {**ENV, "BENCH_CARDS": " ".join(active_cards())})
        print(
            f"checkout (5 lines, {CUSTOMERS + 1} customers): {spread['rate']:.0f} /s, p99 {spread['p99_ms']:.1f} ms, "
            f"non-2xx {spread['errors']}"
        )
    finally:
        stop_server(server)
    # The yardstick: a plain ModelSerializer checkout (bench/textbook/), Django's defaults
    # (client-side parameter binding), the same gunicorn, body, cards and wrk load.
    textbook_env = {**ENV, "DJANGO_SETTINGS_MODULE": "bench.textbook.settings", "DATABASE_SERVER_SIDE_BINDING": "false"}
    server = start_server(textbook_env)
    try:
        cards = " ".join(active_cards())
        textbook = wrk("checkout.lua", {**ENV, "BENCH_CARDS": cards, "BENCH_PATH": "/textbook/checkout/"})
        print(
            f"textbook DRF checkout (5 lines, {CUSTOMERS + 1} customers): {textbook['rate']:.0f} /s, "
            f"p99 {textbook['p99_ms']:.1f} ms, non-2xx {textbook['errors']}; ours / textbook = "
            f"{spread['rate'] / textbook['rate']:.2f}"
        )
    finally:
        stop_server(server)
    floor = pgbench_floor()
    print(f"pgbench floor (same SQL, no Python): {floor['rate']:.0f} checkouts/s; "
          f"ratio app/floor = {checkout['rate'] / floor['rate']:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
