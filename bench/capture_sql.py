"""Record the SQL one checkout sends to PostgreSQL, as a pgbench script.

Literal values stay as captured, except: the idempotency key is made unique
per transaction, the new receipt's id is taken from its INSERT (\\gset) for the
rows that follow, and the transaction ends in ROLLBACK, not COMMIT — the
discount-register rows point at the captured receipt's line ids, which are
unique. So the floor does the same statements under the same row locks, minus
the commit's WAL flush: an optimistic floor. Run it on a bench database only
(it deletes the captured receipt's register rows).
"""

import re
import uuid
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from loyalty.rules import Line
from pos.actors import PosActor
from pos.models import DiscountEntry, Receipt, Terminal
from pos.services import Basket, checkout

LINES = [
    ("MILK-1L", "dairy", "2", "1.49"),
    ("BREAD-RYE", "bakery", "1", "2.79"),
    ("APPLE-KG", "produce", "1.235", "2.49"),
    ("CIG-20", "tobacco", "1", "8.20"),
    ("COFFEE-PROMO", "promo", "1", "5.99"),
]


def write_checkout_sql(path: str) -> None:
    terminal = Terminal.objects.select_related("store").get(store__code="central")
    actor = PosActor(store=terminal.store, terminal=terminal)
    basket = Basket(
        lines=tuple(Line(sku=s, category=c, quantity=Decimal(q), unit_price=Decimal(p)) for s, c, q, p in LINES),
        card_number="2000000000015",
    )
    key = f"capture-sql-{uuid.uuid4()}"
    with CaptureQueriesContext(connection) as captured:
        checkout(actor=actor, key=key, basket=basket, payload={"capture": True}, at=timezone.now())
    receipt = Receipt.objects.latest("pk")
    DiscountEntry.objects.filter(receipt=receipt).delete()
    statements = ["\\set k random(1, 1000000000)"]
    for query in captured.captured_queries:
        sql = query["sql"].replace(f"'{key}'", "'pgb-' || :client_id || '-' || :k || '-' || random()")
        sql = sql.replace("\n", " ")
        if sql.startswith('INSERT INTO "pos_receipt" '):
            statements.append(sql + " \\gset receipt_")
            continue
        sql = re.sub(rf"\b{receipt.pk}\b", ":receipt_id", sql)
        statements.append("ROLLBACK;" if sql == "COMMIT" else sql + ";")
    with open(path, "w") as handle:
        handle.write("\n".join(statements) + "\n")
    print(f"{len(captured.captured_queries)} statements")
