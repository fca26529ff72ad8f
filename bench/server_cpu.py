"""PostgreSQL's own CPU per request, one connection, no concurrency: the server's side of a checkout or a
card scan, apart from the load's (lock waits, context switches, four workers on two cores).

    .venv/bin/python bench/server_cpu.py checkout card floor     # floor needs pgbench (postgresql-client)

Each line runs in a fresh process: requests go to the WSGI application in that process (as
bench/instructions.py sends them), first WARMUP of them (so that what the connection repeats is prepared,
as in a long-running worker), then COUNT measured; the CPU is the backend process's own run time from
/proc/<pid>/schedstat (nanoseconds, not ticks), so other processes on the machine do not count. Each kind is
measured under the three plan_cache_modes, since the connections force generic plans
(`DATABASE_PLAN_CACHE_MODE`, config/settings.py) and pgbench's floor plans its literal values. `floor` is
the same for pgbench replaying a checkout's captured statements on one connection (pos_bench's SQL floor,
without its four clients).
"""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: bench/ is on the path, the project root is not

from bench import pg  # noqa: E402
from bench.pos_bench import ENV, ensure_prepared  # noqa: E402  (the bench's own database, made if missing)

WARMUP, COUNT = pg.sized("BENCH_WARMUP", 30, 6), pg.sized("BENCH_COUNT", 300, 5)
MODES = ("force_generic_plan", "auto", "force_custom_plan")


def backend_ns(pid: int) -> int:
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])


def measure(kind: str) -> None:
    """In this process: print the backend's CPU and this process's CPU per request, in microseconds."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.db import connection

    from bench.instructions import requests

    requests(kind, WARMUP)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        [pid] = cursor.fetchone()
    server, python = backend_ns(pid), time.process_time_ns()
    requests(kind, COUNT)
    server, python = backend_ns(pid) - server, time.process_time_ns() - python
    print(f"{server / COUNT / 1000:.0f} {python / COUNT / 1000:.0f}")


def floor(seconds: int = 1 if pg.smoke() else 6) -> None:
    """pgbench replaying one card's captured checkout (bench/capture_sql.py), one client, prepared: its
    backend's CPU over `seconds`, divided by the receipts it wrote meanwhile."""
    import psycopg

    directory = Path(os.environ.get("BENCH_OUT") or ROOT / "bench" / "out") / "server_cpu"
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from bench.capture_sql import active_card_numbers, write_checkout_scripts\n"
         f"write_checkout_scripts('{directory}', active_card_numbers()[:1])"],
        cwd=ROOT, env=ENV, check=True, capture_output=True,
    )  # fmt: skip
    [script] = directory.glob("checkout-*.sql")
    database = ENV["DATABASE_URL"]
    run = subprocess.Popen(
        ["pgbench", "-n", "-c", "1", "-T", str(seconds + 4), "-M", "prepared", "-f", str(script), database],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    with psycopg.connect(database, autocommit=True) as db:
        time.sleep(1 if pg.smoke() else 2)  # past pgbench's start and its first, unprepared transactions
        [pid] = db.execute("SELECT pid FROM pg_stat_activity WHERE application_name = 'pgbench'").fetchone()
        receipts, server = db.execute("SELECT count(*) FROM pos_receipt").fetchone()[0], backend_ns(pid)
        time.sleep(seconds)
        receipts = db.execute("SELECT count(*) FROM pos_receipt").fetchone()[0] - receipts
        server = backend_ns(pid) - server
    run.wait()
    print(f"floor     pgbench, one client     PostgreSQL {server / receipts / 1000:>5.0f} µs per checkout")


def main(kinds: list[str]) -> None:
    ensure_prepared()
    for kind in kinds:
        if kind == "floor":
            floor()
            continue
        for mode in MODES:
            out = subprocess.run(
                [sys.executable, __file__, "--run", kind],
                cwd=ROOT, env={**ENV, "DATABASE_PLAN_CACHE_MODE": mode}, capture_output=True, text=True, check=True,
            ).stdout.split()  # fmt: skip
            print(f"{kind:<9} {mode:<19} PostgreSQL {out[-2]:>5} µs, Python {out[-1]:>5} µs per request", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--run"]:
        measure(sys.argv[2])
    else:
        main(sys.argv[1:] or ["checkout", "card", "floor"])
