"""Every benchmark still runs: each bench script as a subprocess in its smoke mode (BENCH_SMOKE=1), the real
code path at a tiny size, on a database of its own on the test run's PostgreSQL server (loyalty_bench_smoke_*,
never the test database), made by the bench itself as from a fresh clone. No timings are checked.

A bench whose tool is missing (wrk, pgbench, valgrind) is skipped with the reason; nothing is installed here.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

from bench import pg

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 180  # seconds per bench: a hung bench fails the test instead of stopping the suite
# Named after the run's own database too, so that two test runs on one server (two engineers, two
# branches) never drop each other's bench databases mid-run.
RUN = re.sub(r"[^a-z0-9_]", "_", str(settings.DATABASES["default"]["NAME"]).lower())[:20]
NAMES = {
    "cards": f"loyalty_bench_smoke_{RUN}_cards",
    "pos": f"loyalty_bench_smoke_{RUN}_pos",  # pos_bench.py, capture_sql.py and instructions.py share it
    "sweep": f"loyalty_bench_smoke_{RUN}_sweep",  # the sweep's seed and run: …_sweep_seed, …_sweep_run
    "reports": f"loyalty_bench_smoke_{RUN}_reports",
    "partners": f"loyalty_bench_smoke_{RUN}_partners",
}


def _server() -> str:
    """The test run's PostgreSQL server (DATABASE_URL), as a URL without a database name."""
    db = settings.DATABASES["default"]
    auth = quote(db["USER"] or "postgres") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"


def _databases() -> list[str]:
    server = _server()
    names = [*NAMES.values(), f"{NAMES['sweep']}_seed", f"{NAMES['sweep']}_run"]
    return [f"{server}/{name}" for name in names]


@pytest.fixture(scope="module", autouse=True)
def _no_smoke_databases():
    """Each bench starts without its database, as on a fresh clone, and none is left behind."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        yield  # skipped on SQLite (the postgres marker)
        return
    for url in _databases():
        pg.drop(url)
    yield
    for url in _databases():
        pg.drop(url)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _needs(*tools: str) -> None:
    missing = [tool for tool in tools if not shutil.which(tool)]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} on PATH (Debian: {', '.join(_PACKAGES[t] for t in missing)})")


_PACKAGES = {"wrk": "apt-get install wrk", "pgbench": "postgresql, the server package", "valgrind": "valgrind"}


def run_bench(script: str, database: str, tmp_path: Path, *args: str) -> str:
    """Run bench/`script` in smoke mode on `database`; it must exit 0. Returns its stdout."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        # The bench's own settings only: not the tests' database, not a Redis (tasks run in-process without it),
        # no sizes or switches of a developer's shell.
        if key not in ("DATABASE_URL", "REDIS_URL") and not key.startswith(("BENCH_", "SWEEP_"))
    }
    env = {
        **inherited,
        "BENCH_SMOKE": "1",
        "BENCH_DATABASE_URL": f"{_server()}/{database}",
        "BENCH_PORT": str(_free_port()),
        "BENCH_OUT": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, f"bench/{script}", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, f"bench/{script} exited {done.returncode}\n{done.stdout}\n{done.stderr[-4000:]}"
    return done.stdout


def printed(out: str, *patterns: str) -> None:
    for pattern in patterns:
        assert re.search(pattern, out, re.MULTILINE), f"no line matching {pattern!r} in:\n{out}"


def test_cards_bench(tmp_path):
    out = run_bench("cards_bench.py", NAMES["cards"], tmp_path)
    printed(
        out,
        r"^issue 200 cards: [\d.]+ s \([\d,]+ cards/s\), peak RSS \d+ MiB$",
        r"^PDF of 200 cards: [\d.]+ s, [\d.]+ MB, peak RSS \d+ MiB$",
        r"^PNG zip of 20 cards: [\d.]+ s \([\d,]+ images/s\)$",
        r"^CSV of 200 cards: [\d.]+ s$",
    )
    assert {path.suffix for path in tmp_path.iterdir()} == {".pdf", ".zip", ".csv"}


def test_pos_bench(tmp_path):
    _needs("wrk", "pgbench")
    out = run_bench("pos_bench.py", NAMES["pos"], tmp_path)
    rate = r": \d+/s, p99 [\d.]+ ms, non-2xx 0; CPU per request [\d.]+ ms"
    printed(
        out,
        rf"^GET /cards/\{{number\}}/{rate}",
        rf"^checkout, 5 lines, one hot card{rate}",
        rf"^checkout, 5 lines, \d+ customers{rate}",
        rf"^checkout, 5 lines, spread \(plain\){rate}",
        rf"^checkout, 5 lines, spread, 1.00 paid by one of \d+ gift cards{rate}",
        r"^  with gift card / plain = [\d.]+ \(rate\), [\d.]+ \(CPU per request\)$",
        rf"^textbook DRF checkout, same load{rate}",
        r"^  ours / textbook = [\d.]+$",
        rf"^stack floor: gunicorn, no Django{rate}",
        rf"^stack floor: a Django view{rate}",
        rf"^stack floor: a DRF view{rate}",
        rf"^stack floor: DRF \+ terminal token{rate}",
        r"^pgbench floor, the checkouts' SQL on every card: \d+/s; CPU per request [\d.]+ ms$",
        r"^pgbench floor, the checkout's SQL on the hot card: \d+/s; CPU per request [\d.]+ ms$",
        r"^  app / floor: [\d.]+ \(every card\), [\d.]+ \(hot card\)$",
    )


def test_capture_sql(tmp_path):
    out = run_bench("capture_sql.py", NAMES["pos"], tmp_path, str(tmp_path))
    printed(out, r"^wrote 3 pgbench scripts to .+ \(\d+ statements each\)$")
    scripts = sorted(tmp_path.glob("checkout-*.sql"))
    assert len(scripts) == 3
    assert all("COMMIT;" in path.read_text() for path in scripts)


def test_instructions(tmp_path):
    _needs("valgrind")
    out = run_bench("instructions.py", NAMES["pos"], tmp_path, "checkout", "checkout-gift")
    printed(out, r"^checkout: 1 and 3 requests answered under callgrind", r"^checkout-gift: 1 and 3 requests answered")


def test_round_trips(tmp_path):
    out = run_bench("round_trips.py", NAMES["pos"], tmp_path, "checkout", "card", "-v")
    printed(out, r"^checkout: .*round trips \d", r"^card: .*round trips 2\b", r"^\s+simple\s+\"COMMIT\"")


def test_server_cpu(tmp_path):
    _needs("pgbench")
    out = run_bench("server_cpu.py", NAMES["pos"], tmp_path, "checkout", "floor")
    printed(out, r"^checkout  force_generic_plan  PostgreSQL +\d+ µs, Python +\d+ µs per request$")
    printed(out, r"^floor     pgbench, one client     PostgreSQL +\d+ µs per checkout$")


def test_sweep_bench(tmp_path):
    _needs("wrk")
    out = run_bench("sweep_bench.py", NAMES["sweep"], tmp_path)
    printed(
        out,
        r"^sweep alone: [\d.]+ s — nightly-\d+ .*: \d+ cards stepped down, \d+ lots burned",
        r"^checkout without the sweep: \d+ /s, p99 [\d.]+ ms$",
        r"^sweep under checkout load: [\d.]+ s — nightly-\d+ .*: \d+ cards stepped down",
        r"^checkout during the sweep: \d+ /s, p99 [\d.]+ ms$",
    )
    stepped = [int(n) for n in re.findall(r"(\d+) cards stepped down", out)]
    assert len(stepped) == 2 and min(stepped) >= 400, out  # 40 % of the seed's 1,000 cards, both times


def test_reports_bench(tmp_path):
    out = run_bench("reports_bench.py", NAMES["reports"], tmp_path)
    printed(out, r"^receipts: 2,000$", r"^what-if over 12 months: [\d.]+ s for [\d,]+ receipts of [\d,]+ cards")
    pages = re.findall(r"^\| `(/manager/[^`]*)` \| [\d,]+ ms \| [\d,]+ ms \|$", out, re.MULTILINE)
    assert len(pages) == 16, out  # with /manager/stores/


def test_partners_bench(tmp_path):
    out = run_bench("partners_bench.py", NAMES["partners"], tmp_path)
    printed(
        out,
        r"^30 companies, 3 partners, 3,000 receipts in 2026-10$",
        r"^first run: 33 statements made for 2026-10, total [\d.]+: [\d.]+ s, \d+ SQL statements \(target 60 s\)$",
        r"^second run: 0 statements made for 2026-10, total 0.00: [\d.]+ s, \d+ SQL statements, wrote nothing$",
    )
