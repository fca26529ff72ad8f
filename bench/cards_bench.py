"""Card batch figures: issue 100,000 cards, export them as PDF, PNG rate.

Run on PostgreSQL (the issue's figures are for it):

    .venv/bin/python bench/cards_bench.py
    BENCH_SMOKE=1 .venv/bin/python bench/cards_bench.py   # 200 cards, 20 PNGs: the path in seconds

The database (BENCH_DATABASE_URL, default loyalty_cards_bench on 127.0.0.1) is made and migrated if it
is missing; BENCH_FRESH=1 starts from an empty one. BENCH_CARDS and BENCH_PNG_CARDS set the sizes.
Each step runs `manage.py` in a child process so its peak memory (max RSS)
is measured on its own. Files land in bench/out/ (BENCH_OUT).
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: bench/ is on the path, the project root is not

from bench import pg  # noqa: E402

OUT = Path(os.environ.get("BENCH_OUT") or ROOT / "bench" / "out")
COUNT = pg.sized("BENCH_CARDS", 100_000, 200)
PNG_SAMPLE = pg.sized("BENCH_PNG_CARDS", 2000, 20)
DB = pg.database_url("loyalty_cards_bench")
ENV = {**os.environ, "DATABASE_URL": DB}


def manage(*args: str) -> tuple[float, float, str]:
    """Run a management command; return (seconds, its own peak RSS in MiB, the last line of its stdout)."""
    command = [sys.executable, "manage.py", *args]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=ROOT, env=ENV, stdout=out, stderr=err, text=True)
        # This child's own rusage (RUSAGE_CHILDREN would be the largest of all children so far: the migrate).
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if child.returncode:
        print(stderr, file=sys.stderr)
        raise subprocess.CalledProcessError(child.returncode, command, stdout, stderr)
    return seconds, usage.ru_maxrss / 1024, (stdout.strip().splitlines() or [""])[-1]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    pg.ensure(DB, fresh=pg.fresh_requested())
    print(f"database: {pg.name(DB)}")
    manage("migrate", "--noinput", "-v", "0")

    seconds, rss, batch = manage("cards_issue", "--count", str(COUNT), "--verbosity", "0")
    print(f"issue {COUNT:,} cards: {seconds:.2f} s ({COUNT / seconds:,.0f} cards/s), peak RSS {rss:.0f} MiB")

    pdf = OUT / f"batch-{batch}.pdf"
    seconds, rss, _ = manage("cards_export", batch, "--format", "pdf", "--out", str(pdf))
    size = pdf.stat().st_size / 1024 / 1024
    print(f"PDF of {COUNT:,} cards: {seconds:.2f} s, {size:.1f} MB, peak RSS {rss:.0f} MiB")

    seconds, rss, small = manage("cards_issue", "--count", str(PNG_SAMPLE), "--verbosity", "0")
    png = OUT / f"batch-{small}.zip"
    seconds, rss, _ = manage("cards_export", small, "--format", "png", "--out", str(png))
    print(f"PNG zip of {PNG_SAMPLE:,} cards: {seconds:.2f} s ({PNG_SAMPLE / seconds:,.0f} images/s)")

    seconds, rss, _ = manage("cards_export", batch, "--format", "csv", "--out", str(OUT / f"batch-{batch}.csv"))
    print(f"CSV of {COUNT:,} cards: {seconds:.2f} s")


if __name__ == "__main__":
    main()
