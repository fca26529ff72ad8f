# Indexes the manager's reports need (bench/README.md has the figures with and without them).
#
# Written as SQL, not as Meta.indexes, for two reasons: two of them sit on the loyalty ledgers, which
# the reports read but the loyalty app does not need indexed this way; and on PostgreSQL they are
# built CONCURRENTLY, so adding them to a live shop does not stop the tills (hence atomic = False).
# Django's model state does not know them, so makemigrations never proposes to drop them.

from django.db import migrations

INDEXES = [
    # One card's receipts in time order: "one card in two stores within minutes" walks it without a sort.
    ("receipt_card_time", "pos_receipt", "(card_id, created_at, id)", "INCLUDE (store_id)", "card_id IS NOT NULL"),
    # The points ledger by period (earned, redeemed, burned per day / week / month).
    ("points_entry_time", "loyalty_pointsentry", "(created_at)", "", ""),
    # The few spend entries where a card changed level: the flow between levels.
    ("spend_level_change_time", "loyalty_spendentry", "(created_at)", "", "level_before <> level_after"),
]


def create(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for name, table, columns, include, where in INDEXES:
        how = "CONCURRENTLY IF NOT EXISTS" if postgres else "IF NOT EXISTS"
        include = include if postgres else ""
        where = f"WHERE {where}" if where else ""
        schema_editor.execute(f"CREATE INDEX {how} {name} ON {table} {columns} {include} {where}")


def drop(apps, schema_editor):
    for name, *_ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("pos", "0001_initial"),
        ("loyalty", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, drop)]
