"""Card batch figures: issue 100,000 cards, export them as PDF, PNG rate.

Run on PostgreSQL (the issue's figures are for it):

    createdb -h 127.0.0.1 -U postgres loyalty_bench   # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/loyalty_bench .venv/bin/python bench/cards_bench.py

Each step runs `manage.py` in a child process so its peak memory (max RSS)
is measured on its own. Files land in bench/out/.
"""

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
COUNT = int(os.environ.get("BENCH_CARDS", "100000"))
PNG_SAMPLE = int(os.environ.get("BENCH_PNG_CARDS", "2000"))


def manage(*args: str) -> tuple[float, float, str]:
    """Run a management command; return (seconds, peak RSS in MiB, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the max over all children so far: report it only if it grew.
    return seconds, max(peak, before) / 1024, (done.stdout.strip().splitlines() or [""])[-1]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"database: {os.environ.get('DATABASE_URL', 'sqlite (default)')}")
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
