"""What one request says to PostgreSQL, message by message: round trips, statements run prepared or parsed
afresh, transaction control. The app's side of the gap between PostgreSQL's CPU per checkout under the app
and under pgbench's replay of the same statements (bench/README.md, "Point of sale").

    .venv/bin/python bench/round_trips.py checkout card [-v]     # -v: the statements of one request

Requests go to the WSGI application in this process (as bench/instructions.py sends them) against the bench
database; after a warm-up (so that what a worker repeats is prepared, as in a long-running gunicorn worker),
libpq's own trace of the connection records every message of COUNT requests. Per request it prints:
round trips (a Sync or a simple Query, each waits for the server), statements run from a prepared plan,
statements parsed and planned afresh (unnamed Parse), statements prepared now, and the simple queries
(transaction control) with their text.
"""

import collections
import os
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: bench/ is on the path, the project root is not

from bench import pg  # noqa: E402
from bench.pos_bench import ENV, ensure_prepared  # noqa: E402  (the bench's own database, made if missing)

WARMUP, COUNT = pg.sized("BENCH_WARMUP", 20, 6), pg.sized("BENCH_COUNT", 20, 2)


def traced(kind: str) -> str:
    os.environ.update(ENV)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.db import connection
    from psycopg import pq

    from bench.instructions import requests

    requests(kind, WARMUP)
    with tempfile.NamedTemporaryFile("w+", suffix=".trace") as out:
        pgconn = connection.connection.pgconn
        pgconn.trace(out.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
        requests(kind, COUNT)
        pgconn.untrace()
        with connection.cursor() as cursor:
            cursor.execute("SELECT name, statement FROM pg_prepared_statements")
            PREPARED.update(cursor.fetchall())
        out.seek(0)
        return out.read()


PREPARED: dict[str, str] = {}


def one_request(trace: str) -> list[str]:
    """The statements of the last request, in order: prepared ones by their text, the others as sent."""
    steps = []
    for line in trace.splitlines():
        parts = line.split("\t")
        if len(parts) < 4 or parts[0] != "F":
            continue
        message, text = parts[2], parts[3].strip()
        if message == "Query":
            steps.append(("simple", text))
        elif message == "Parse":
            name, _, sql = text.partition(" ")
            steps.append(("parse " + name, sql))
        elif message == "Bind":
            name = text.split(" ")[1].strip('"')
            if name:
                steps.append(("prepared", PREPARED.get(name, name)))
    start = len(steps) - len(steps) // COUNT  # every request sends the same sequence: show the last one
    return [f"{kind:<12} {' '.join(text.split())[:110]}" for kind, text in steps[start:]]


def summary(trace: str) -> dict:
    sent = [line.split("\t") for line in trace.splitlines() if line.startswith("F\t")]
    counts = collections.Counter()
    queries = collections.Counter()
    for _, _, message, *rest in sent:
        text = rest[0].strip() if rest else ""
        if message in ("Sync", "Query"):
            counts["round trips"] += 1
        if message == "Query":
            queries[re.sub(r'"s\w+"', '"s…"', text.strip('"'))] += 1
        elif message == "Parse":
            counts["parsed afresh" if text.startswith('""') else "prepared now"] += 1
        elif message == "Bind":
            counts["run prepared" if not re.match(r'"" ""', text) else "unnamed bind"] += 1
    return {"per request": {k: v / COUNT for k, v in sorted(counts.items())}, "simple queries": queries}


LAST: dict[str, str] = {}


def main(kinds: list[str]) -> None:
    ensure_prepared()
    for kind in kinds:
        LAST[kind] = trace = traced(kind)
        found = summary(trace)
        print(f"{kind}: " + ", ".join(f"{k} {v:g}" for k, v in found["per request"].items()))
        for text, n in found["simple queries"].most_common():
            print(f"    {n / COUNT:g} × {text[:100]}")
        if "-v" in sys.argv:
            print("\n".join("    " + step for step in one_request(LAST[kind])))


if __name__ == "__main__":
    main([a for a in sys.argv[1:] if a != "-v"] or ["checkout", "card"])
