"""Python's cost of one request in instructions, which, unlike seconds, repeat from run to run on this VM.

    apt-get install valgrind
    .venv/bin/python bench/instructions.py checkout card stack/terminal
    .venv/bin/python bench/instructions.py checkout checkout-gift   # the checkout paying 1.00 by gift card
    BENCH_SMOKE=1 .venv/bin/python bench/instructions.py checkout card   # the path in seconds, no count

Requests go straight to the WSGI application in one process (no gunicorn, no HTTP), against the bench
database of bench/pos_bench.py (BENCH_DATABASE_URL, default loyalty_bench; prepared as pos_bench.py does
if it is not there yet): a 5-line checkout on the bench cards, a card scan, or one of the
stack-floor views of bench/stack/ (`stack/django`, `stack/drf`, `stack/terminal`). Each kind runs under
callgrind twice, with FEW and MANY requests; the difference divided by MANY - FEW is what one request
costs, start-up and warm-up cancelled out. PostgreSQL's own work is not counted (another process).
On the 2-core VM, CPU seconds of the same code vary by half from one minute to the next; instruction
counts of the same code vary by about 2 % (the database grows as checkouts run), so a change of 5 % or
more is a real one.

Smoke mode (BENCH_SMOKE=1) runs the same two callgrind processes per kind with 1 and 3 requests and
callgrind's instrumentation off: Django's start-up alone is 2.6 G instructions, about 25 s under callgrind,
and only that start-up would be counted. It checks the path (database, valgrind, the answers), not the cost.
"""

import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: bench/ is on the path, the project root is not

from bench import pg  # noqa: E402
from bench.pos_bench import CARD, ENV, TOKEN, ensure_prepared  # noqa: E402  (the bench's database, token, hot card)

FEW, MANY = pg.sized("BENCH_FEW", 20, 1), pg.sized("BENCH_MANY", 80, 3)


def requests(kind: str, count: int) -> None:
    """Send `count` requests of `kind` to the application in this process; every answer must be a success."""
    os.environ.setdefault(
        "DJANGO_SETTINGS_MODULE", "bench.stack.settings" if kind.startswith("stack/") else "config.settings"
    )
    import django

    django.setup()
    from bench.capture_sql import LINES, active_card_numbers  # the basket bench/checkout.lua sends
    from config.wsgi import application

    basket = [{"sku": sku, "category": category, "quantity": q, "unit_price": p} for sku, category, q, p in LINES]
    cards = active_card_numbers() if kind.startswith("checkout") else []
    # checkout-gift: the same checkout paying 1.00 with one of the bench's gift cards (pos_bench.prepare).
    gifts = _bench_gift_cards() if kind == "checkout-gift" else []
    path = f"/{kind}/" if kind.startswith("stack/") else f"/api/v1/cards/{CARD}/"
    for n in range(count):
        environ = {
            "REQUEST_METHOD": "GET", "PATH_INFO": path,
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8100", "HTTP_HOST": "127.0.0.1", "QUERY_STRING": "",
            "HTTP_AUTHORIZATION": f"Token {TOKEN}", "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
            "wsgi.input": io.BytesIO(b""),
        }  # fmt: skip
        if kind.startswith("checkout"):
            sale = {"card_number": random.choice(cards), "lines": basket}
            if gifts:
                sale["gift_card_payments"] = [{"number": random.choice(gifts), "amount": "1.00"}]
            body = json.dumps(sale).encode()
            environ.update(
                REQUEST_METHOD="POST", PATH_INFO="/api/v1/checkout/", CONTENT_TYPE="application/json",
                CONTENT_LENGTH=str(len(body)), HTTP_IDEMPOTENCY_KEY=f"instructions-{time.time()}-{n}",
            )  # fmt: skip
            environ["wsgi.input"] = io.BytesIO(body)
        answer = _Answer()
        b"".join(application(environ, answer.start))
        assert answer.status[:3] in ("200", "201"), answer.status


def _bench_gift_cards() -> list[str]:
    from giftcards.models import GiftCard

    return list(GiftCard.objects.filter(batch__name="Bench gift cards").values_list("number", flat=True))


class _Answer:
    status = ""

    def start(self, status: str, headers, *exc_info) -> None:
        self.status = status


def instructions(kind: str, count: int) -> int:
    quick = ["--instr-atstart=no"] if pg.smoke() else []  # smoke: nothing counted (see the docstring)
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", *quick, "--callgrind-out-file=/dev/null", sys.executable, __file__, "--run",
         kind, str(count)],
        cwd=ROOT, env=ENV, capture_output=True, text=True,
    )  # fmt: skip
    collected = re.search(r"Collected : (\d+)", out.stderr)
    if out.returncode or not collected:
        sys.exit(f"{kind}: the run failed: {out.stderr.strip().splitlines()[-1]}")
    return int(collected.group(1))


def main(kinds: list[str]) -> None:
    if not shutil.which("valgrind"):
        sys.exit("instructions.py needs valgrind (Debian: apt-get install valgrind)")
    ensure_prepared()
    for kind in kinds:
        per_request = (instructions(kind, MANY) - instructions(kind, FEW)) / (MANY - FEW)
        if pg.smoke():
            print(f"{kind}: {FEW} and {MANY} requests answered under callgrind (smoke: nothing counted)", flush=True)
        else:
            print(f"{kind}: {per_request / 1e6:.2f} M instructions per request", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--run"]:
        requests(sys.argv[2], int(sys.argv[3]))
    else:
        main(sys.argv[1:] or ["checkout", "card"])
