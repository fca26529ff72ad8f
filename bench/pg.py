"""The benchmarks' own PostgreSQL databases: made when missing, so every bench runs from a fresh clone.

Each bench names its database by a URL (`BENCH_DATABASE_URL`, with a default per bench) and calls
`ensure()` before anything connects to it. Talks to the server through psycopg (the project's own
driver), so no `psql` is needed for this. Only databases whose name says they belong to a bench are
ever dropped.
"""

import os

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"


def smoke() -> bool:
    """BENCH_SMOKE=1: every bench runs its real code path at a tiny size, in seconds (tests/test_bench_smoke.py)."""
    return os.environ.get("BENCH_SMOKE") == "1"


def sized(name: str, full: int, tiny: int) -> int:
    """The env variable `name` if set, else the bench's full size, or its tiny size in smoke mode."""
    return int(os.environ.get(name) or (tiny if smoke() else full))


def database_url(default_name: str) -> str:
    """BENCH_DATABASE_URL, or `default_name` on the local server."""
    return os.environ.get("BENCH_DATABASE_URL") or f"{DEFAULT_SERVER}/{default_name}"


def name(url: str) -> str:
    return conninfo_to_dict(url)["dbname"]


def renamed(url: str, dbname: str) -> str:
    """`url` with another database name (the form django-environ reads: postgres://user@host:port/name)."""
    server, _, rest = url.rpartition("/")
    _, query, tail = rest.partition("?")
    return f"{server}/{dbname}{query}{tail}"


def _server(url: str) -> psycopg.Connection:
    return psycopg.connect(renamed(url, "postgres"), autocommit=True)


def exists(url: str) -> bool:
    with _server(url) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name(url)]).fetchone() is not None


def ensure(url: str, *, fresh: bool = False, template: str | None = None) -> bool:
    """Create the database of `url` if it is missing (from `template`, a database name, if given); with
    `fresh`, drop it first. Returns whether it was created. Safe to call again and again."""
    if fresh:
        drop(url)
    with _server(url) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name(url)]).fetchone():
            return False
        create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name(url)))
        if template:
            create = sql.SQL("{} TEMPLATE {}").format(create, sql.Identifier(template))
        try:
            conn.execute(create)
        except psycopg.errors.DuplicateDatabase:  # made by a run that started at the same moment
            return False
        return True


def drop(url: str) -> None:
    """Drop a bench database (closing its connections, e.g. a gunicorn left behind by a killed run)."""
    dbname = name(url)
    if "bench" not in dbname and "sweep" not in dbname:
        raise SystemExit(f"bench: refusing to drop {dbname!r}: not a bench database (its name has no 'bench')")
    with _server(url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))


def run(url: str, statement: str) -> None:
    """One statement outside a transaction (VACUUM ANALYZE)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement)


def fresh_requested() -> bool:
    """BENCH_FRESH=1: start from an empty database (dropped and made again)."""
    return os.environ.get("BENCH_FRESH") == "1"
