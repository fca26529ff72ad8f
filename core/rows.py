"""Hand-written SQL for the till's hot statements: reads that give model instances, inserts and updates of
rows given by field name.

The ORM spends more CPU building a five-table select_related query (or a model instance per
inserted row) than PostgreSQL spends answering it. These helpers let a hot statement be fixed
SQL, written once, whose columns still come from the models (a new field needs no change) and
whose values are converted exactly as the ORM would convert them (SQLite hands back datetimes as
text). The SQL strings are built once per process (per model, field list and row count).
"""

import functools
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone


def columns(model, alias: str) -> str:
    """`alias.col, …` for every concrete field, in the order `instance` expects."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(f.column)}" for f in model._meta.concrete_fields)


def width(model) -> int:
    return len(model._meta.concrete_fields)


def database():
    """The default connection itself. `django.db.connection` is a proxy that looks the connection up in a
    thread-local on every attribute read, and the ORM's field methods read it once per value: resolved
    once per statement instead."""
    return connections[DEFAULT_DB_ALIAS]


def instance(model, values, db=None):
    """An instance of `model` from its columns as the driver returned them, or None for a missed LEFT JOIN."""
    db = db or database()
    pk_index, converters = _reading(model, db.vendor)
    if values[pk_index] is None:
        return None
    converted = list(values)
    for i, convert in converters:
        converted[i] = convert(converted[i], db)
    return model.from_db(db.alias, None, converted)


@functools.cache
def _reading(model, vendor: str) -> tuple[int, list]:
    """Where the primary key is, and the ORM's converters for the columns that have any (per backend)."""
    fields = model._meta.concrete_fields
    converters = []
    for i, field in enumerate(fields):
        col = field.get_col(model._meta.db_table)
        chain = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
        if chain:
            converters.append((i, functools.partial(_apply, chain, col)))
    return fields.index(model._meta.pk), converters


def _apply(chain, col, value, db):
    for converter in chain:
        value = converter(value, col, db)
    return value


def split(row, *models) -> list:
    """Cut a row of `columns(m1, …), columns(m2, …), …` into one instance (or None) per model."""
    db = database()
    out, start = [], 0
    for model in models:
        out.append(instance(model, row[start : start + width(model)], db))
        start += width(model)
    return out


def one(sql: str, params: Sequence, *models) -> list | None:
    """The one row `sql` finds, cut into an instance (or None) per model as `split` does; None without a row.
    `sql` selects `columns(m1, …), columns(m2, …), …` in the order of `models`."""
    with database().cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else split(row, *models)


def table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def column(model, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


def insert(
    model, rows: Sequence[Mapping[str, Any]], *, skip_taken: tuple[str, ...] = (),
    along: tuple[Any, Sequence[Mapping[str, Any]]] | None = None,
) -> list[int]:  # fmt: skip
    """INSERT `rows` into `model`'s table, each a mapping of field name to value (every row naming the same
    fields); returns the new ids in row order.

    With `skip_taken` (the fields of a unique constraint), a row whose values are already taken is skipped
    (ON CONFLICT DO NOTHING, which waits for a concurrent insert of the same values like a plain INSERT
    would) and has no id in the answer.

    With `along` (another model and its rows), those rows are written by the same statement on PostgreSQL
    (a data-modifying WITH ahead of this INSERT: one round trip for two tables), first and apart on SQLite,
    which has no such WITH. Their ids are not returned.

    For the till's own rows, where the ORM's create()/bulk_create() (an instance per row, the statement
    compiled each time) cost more CPU than the database spends storing them. Values go through each
    field's get_db_prep_save, as the ORM would send them (but for those it would send unchanged: NATIVE);
    every field a row does not name gets what a new instance would hold (its default, "" for text, None
    where nullable, now for auto_now_add). No signals are sent and no model validation runs: callers pass
    values their own rules have already checked, and the database's constraints still hold."""
    db = database()
    if along is not None and along[1] and (db.vendor != "postgresql" or not rows):
        insert(*along)
        along = None
    if not rows:
        return []
    sql, params = _insert_statement(model, rows, skip_taken, db)
    if along is not None and along[1]:
        before, before_params = _insert_statement(along[0], along[1], (), db)
        sql, params = f"WITH along AS ({before}) {sql}", [*before_params, *params]
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _insert_statement(model, rows, skip_taken: tuple[str, ...], db) -> tuple[str, list]:
    names = tuple(rows[0])
    fields, fill = _inserting(model, names)
    extra = [field.get_db_prep_save(value(), db) for field, value in zip(fields[len(names) :], fill, strict=True)]
    named = tuple(zip(names, _preparers(model, names, db.vendor), strict=True))
    try:
        prepared = [[prepare(row[name], db) for name, prepare in named] for row in rows]
    except KeyError as missing:
        raise _other_fields(names, rows) from missing
    if sum(map(len, rows)) != len(rows) * len(names):  # every row holds every name: none may hold more
        raise _other_fields(names, rows)
    arrays = len(rows) * len(fields) > UNCACHED_ABOVE and db.vendor == "postgresql"
    if arrays:  # one array per column, as Django's own bulk_create does on PostgreSQL
        params = [list(column) for column in zip(*prepared, strict=True)] + [[value] * len(rows) for value in extra]
    else:
        params = [value for row in prepared for value in (*row, *extra)]
    return _insert_sql(model, names, 0 if arrays else len(rows), skip_taken, db.vendor), params


def _other_fields(names: tuple[str, ...], rows) -> ValueError:
    named = next(sorted(row) for row in rows if row.keys() != set(names))
    return ValueError(f"Every row of one insert names the same fields: {sorted(names)}, not {named}.")


# psycopg keeps the parse of a statement with up to 50 parameters (psycopg._queries.MAX_CACHED_STATEMENT_PARAMS)
# and parses a longer one anew every time. Above that, PostgreSQL gets one array per column
# (INSERT … SELECT * FROM UNNEST(…)): a statement of the same text for any number of rows, with one
# parameter per column. Below it the arrays cost more to send than they save (bench/README.md, "Point of sale").
UNCACHED_ABOVE = 50


def update(model, pk, changes: Mapping[str, Any]) -> None:
    """UPDATE one row's fields to the values in `changes` (field name to value, prepared by the fields as the
    ORM would): for rows the till writes on every sale, where compiling a QuerySet.update() cost more than
    running it."""
    db = database()
    names = tuple(changes)
    preparers = _preparers(model, names, db.vendor)
    params = [prepare(changes[name], db) for name, prepare in zip(names, preparers, strict=True)]
    with db.cursor() as cursor:
        cursor.execute(_update_sql(model, names, db.vendor), [*params, pk])


@functools.cache
def _preparers(model, names: tuple[str, ...], vendor: str) -> list:
    """For each named field (cached per model and field names), how a value goes to the driver: the field's
    get_db_prep_save, except for the values that it would hand over unchanged anyway (see NATIVE), which
    skip it: a checkout sends every value of its rows through here (what that saves: bench/README.md)."""
    preparers = []
    for name in names:
        field = model._meta.get_field(name)
        native = NATIVE.get(vendor, {}).get(field.get_internal_type())
        preparers.append(_passing(native, field.get_db_prep_save) if native else field.get_db_prep_save)
    return preparers


def _passing(native, prepare):
    def prepare_unless_native(value, db):
        return value if native(value) else prepare(value, db)

    return prepare_unless_native


def _decimal(value) -> bool:
    return type(value) is Decimal and value.is_finite()  # the field refuses NaN and infinities: let it say so


def _aware(value) -> bool:
    return type(value) is datetime and value.tzinfo is not None  # the field warns of (and converts) naive ones


def _of(*types):
    return lambda value: type(value) in types


# Values that Django's get_db_prep_save returns unchanged on PostgreSQL (psycopg adapts them itself), by the
# field's internal type. Not small integers: Django wraps those as psycopg's Int2, so that the server sees a
# smallint. tests/core/test_rows.py holds every field the till writes to this, value by value, against the
# field's own preparation: a Django upgrade that changes it fails there, not in the till.
NATIVE = {
    "postgresql": {
        "AutoField": _of(int, type(None)),
        "BigAutoField": _of(int, type(None)),
        "ForeignKey": _of(int, type(None)),
        "OneToOneField": _of(int, type(None)),
        "IntegerField": _of(int, type(None)),
        "PositiveIntegerField": _of(int, type(None)),
        "BooleanField": _of(bool),
        "CharField": _of(str),
        "TextField": _of(str),
        "DecimalField": lambda value: value is None or _decimal(value),
        "DateTimeField": lambda value: value is None or _aware(value),
    }
}


@functools.cache
def _update_sql(model, names: tuple[str, ...], vendor: str) -> str:
    assignments = ", ".join(f"{column(model, name)} = %s" for name in names)
    return f"UPDATE {table(model)} SET {assignments} WHERE {connection.ops.quote_name(model._meta.pk.column)} = %s"


@functools.cache
def _inserting(model, names: tuple[str, ...]) -> tuple[list, list]:
    """The named fields, then every other non-key field with how a new instance fills it."""
    named = [model._meta.get_field(name) for name in names]
    rest = [f for f in model._meta.concrete_fields if f not in named and not f.primary_key]
    return named + rest, [timezone.now if getattr(f, "auto_now_add", False) else f.get_default for f in rest]


@functools.cache
def _insert_sql(model, names: tuple[str, ...], count: int, skip_taken: tuple[str, ...], vendor: str) -> str:
    """The INSERT of `count` rows as VALUES, or (count 0) of one array per column through UNNEST."""
    quote = connection.ops.quote_name
    fields, _ = _inserting(model, names)
    if count:
        one = "(" + ", ".join(["%s"] * len(fields)) + ")"
        rows = f"VALUES {', '.join([one] * count)}"
    else:  # the array types without their length or precision, as Django's bulk_create does: nothing truncated
        arrays = [f"(%s)::{f.db_type(connection).split('(')[0]}[]" for f in fields]
        rows = f"SELECT * FROM UNNEST({', '.join(arrays)})"
    skip = f" ON CONFLICT ({', '.join(column(model, name) for name in skip_taken)}) DO NOTHING" if skip_taken else ""
    return (
        f"INSERT INTO {table(model)} ({', '.join(quote(f.column) for f in fields)}) "
        f"{rows}{skip} RETURNING {quote(model._meta.pk.column)}"
    )


def subtract(model, field: str, amount, *, where: Mapping[str, Any]):
    """`field -= amount` on the one row whose columns equal `where`, only if it holds at least `amount`: one
    conditional UPDATE … RETURNING, the row as an instance, or None when no row qualifies (not there, too
    little, another state). The row stays locked to the end of the transaction; a concurrent taker waits,
    then PostgreSQL re-checks the condition on the new value, so two takers never overdraw it."""
    db = database()
    names = tuple(where)
    preparers = _preparers(model, (field, *names), db.vendor)
    value = preparers[0](amount, db)
    params = [value, value, *(prepare(where[n], db) for n, prepare in zip(names, preparers[1:], strict=True))]
    with db.cursor() as cursor:
        cursor.execute(_subtract_sql(model, field, names, db.vendor), params)
        row = cursor.fetchone()
    return None if row is None else instance(model, row, db)


@functools.cache
def _subtract_sql(model, field: str, names: tuple[str, ...], vendor: str) -> str:
    quote = connection.ops.quote_name
    target = column(model, field)
    conditions = "".join(f" AND {column(model, name)} = %s" for name in names)
    returning = ", ".join(quote(f.column) for f in model._meta.concrete_fields)
    return f"UPDATE {table(model)} SET {target} = {target} - %s WHERE {target} >= %s{conditions} RETURNING {returning}"
