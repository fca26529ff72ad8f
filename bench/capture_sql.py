"""Record the SQL checkouts send to PostgreSQL, as pgbench scripts: the floor of bench/pos_bench.py.

One script per card: a real checkout of the bench basket on that card is run through the service and
its statements are captured as sent (the programme's terms are read once before, as a warm worker has
them). Each script then replays exactly those statements, committing, with three changes that let it
run again and again:

- the idempotency key is made unique per transaction;
- the new receipt's id is taken from its INSERT (`\\gset`) for the rows that follow;
- the receipt lines get their ids from one `SELECT nextval(...)` first (one cheap statement more than
  the checkout sends), because each discount-register row names its line and a line has one row;
- where rows go as one array per column (core/rows.py), the arrays of the receipt's id and of its
  line ids become arrays of those variables.

pgbench runs the scripts with `-M prepared`, as the app's connections run their statements (prepared
after five uses). Run on a bench database only: every transaction adds a receipt.

bench/pos_bench.py writes them for its floor; on their own, for every active card of that bench's database
(prepared first if it is not there yet), into DIRECTORY (default: BENCH_OUT or bench/out/):

    .venv/bin/python bench/capture_sql.py [DIRECTORY]
    BENCH_SMOKE=1 .venv/bin/python bench/capture_sql.py /tmp/scripts   # three cards only
"""

import os
import re
import sys
import uuid
from decimal import Decimal
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

from cards.models import Card  # noqa: E402
from loyalty.rules import Line  # noqa: E402
from pos.actors import PosActor  # noqa: E402
from pos.models import Receipt, ReceiptLine, Terminal  # noqa: E402
from pos.services import Basket, checkout  # noqa: E402

LINES = [
    ("MILK-1L", "dairy", "2", "1.49"),
    ("BREAD-RYE", "bakery", "1", "2.79"),
    ("APPLE-KG", "produce", "1.235", "2.49"),
    ("CIG-20", "tobacco", "1", "8.20"),
    ("COFFEE-PROMO", "promo", "1", "5.99"),
]


def write_checkout_scripts(directory: str, numbers: list[str]) -> list[str]:
    """One committing pgbench script per card number; returns their paths."""
    terminal = Terminal.objects.select_related("store").get(store__code="central")
    actor = PosActor(store=terminal.store, terminal=terminal)
    _checkout(actor, numbers[0])  # read the programme's terms now, as a warm worker holds them
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in numbers:
        key, statements = _checkout(actor, number)
        path = out / f"checkout-{number}.sql"
        path.write_text("\n".join(_script(key, statements, Receipt.objects.latest("pk"))) + "\n")
        paths.append(str(path))
    return paths


def _checkout(actor: PosActor, number: str) -> tuple[str, list[str]]:
    basket = Basket(
        lines=tuple(Line(sku=s, category=c, quantity=Decimal(q), unit_price=Decimal(p)) for s, c, q, p in LINES),
        card_number=number,
    )
    key = f"capture-sql-{uuid.uuid4()}"
    with CaptureQueriesContext(connection) as captured:
        checkout(actor=actor, key=key, basket=basket, payload={"capture": number}, at=timezone.now())
    return key, [query["sql"].replace("\n", " ") for query in captured.captured_queries]


def _script(key: str, statements: list[str], receipt: Receipt) -> list[str]:
    line_ids = list(ReceiptLine.objects.filter(receipt=receipt).order_by("position").values_list("id", flat=True))
    script = ["\\set k random(1, 1000000000)"]
    for sql in statements:
        sql = sql.replace(f"'{key}'", "'pgb-' || :client_id || '-' || :k || '-' || random()")
        if sql == "BEGIN":
            script.append("BEGIN;")
        elif sql == "COMMIT":
            script.append("COMMIT;")
        elif sql.startswith('INSERT INTO "pos_receipt" '):
            script.append(sql + " \\gset receipt_")
        elif sql.startswith('INSERT INTO "pos_receiptline" '):
            script.append(_line_ids_statement(len(line_ids)))
            script.append(_with_line_ids(_arrays(_outside_quotes(sql, receipt.pk), receipt.pk, line_ids), line_ids))
        else:
            sql = _arrays(_outside_quotes(sql, receipt.pk), receipt.pk, line_ids)
            for n, line_id in enumerate(line_ids, start=1):
                sql = re.sub(rf"\(:receipt_id, {line_id}, ", f"(:receipt_id, :line{n}, ", sql)
            script.append(sql + ";")
    return script


def _arrays(sql: str, receipt_id: int, line_ids: list[int]) -> str:
    """In a statement sent as one array per column (core/rows.py, UNNEST), the array of the receipt's id
    and the array of its line ids as pgbench variables."""
    lines = {str(line_id): f":line{n}" for n, line_id in enumerate(line_ids, start=1)}

    def variables(array: re.Match) -> str:
        items = array.group(1).split(",")
        if set(items) == {str(receipt_id)}:
            return f"ARRAY[{', '.join([':receipt_id'] * len(items))}]::bigint[]"
        if all(item in lines for item in items):
            return f"ARRAY[{', '.join(lines[item] for item in items)}]::bigint[]"
        return array.group(0)

    return re.sub(r"'\{([\d,]+)\}'::int\d\[\]", variables, sql)


def _outside_quotes(sql: str, receipt_id: int) -> str:
    """The captured receipt id as :receipt_id, except inside string literals (the stored JSON answer):
    pgbench cannot bind a parameter there."""
    parts = sql.split("'")
    for i in range(0, len(parts), 2):
        parts[i] = re.sub(rf"\b{receipt_id}\b", ":receipt_id", parts[i])
    return "'".join(parts)


def _line_ids_statement(count: int) -> str:
    sequence = "pg_get_serial_sequence('pos_receiptline', 'id')"
    return "SELECT " + ", ".join(f"nextval({sequence}) AS line{n}" for n in range(1, count + 1)) + " \\gset"


def _with_line_ids(sql: str, line_ids: list[int]) -> str:
    """The lines' INSERT with their ids given (:line1 …), as rows of VALUES or as a first UNNEST array."""
    sql = sql.replace('INSERT INTO "pos_receiptline" (', 'INSERT INTO "pos_receiptline" ("id", ', 1)
    ids = [f":line{n}" for n in range(1, len(line_ids) + 1)]
    if " FROM UNNEST(" in sql:
        return sql.replace(" FROM UNNEST(", f" FROM UNNEST(ARRAY[{', '.join(ids)}]::bigint[], ", 1) + ";"
    head, values = sql.split(" VALUES ", 1)
    for line in ids:
        values = values.replace("(:receipt_id, ", f"({line}, :RECEIPT, ", 1)
    return f"{head} VALUES {values.replace(':RECEIPT', ':receipt_id')};"


def active_card_numbers() -> list[str]:
    return list(Card.objects.filter(status=Card.Status.ACTIVE).order_by("number").values_list("number", flat=True))


def main(directory: str) -> None:
    from bench import pg

    numbers = active_card_numbers()[: 3 if pg.smoke() else None]
    paths = write_checkout_scripts(directory, numbers)
    statements = sum(1 for line in Path(paths[0]).read_text().splitlines() if not line.startswith("\\set"))
    print(f"wrote {len(paths)} pgbench scripts to {directory} ({statements} statements each)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("BENCH_OUT") or str(ROOT / "bench" / "out"))
