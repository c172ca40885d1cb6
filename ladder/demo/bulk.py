"""Fast bulk inserts for the demo loader: COPY on PostgreSQL, executemany on SQLite.

Django's ``bulk_create`` spends most of its time preparing values field by field in Python
(about 0.2 ms a row here, against a few µs for the insert itself), so the loader writes rows
through these two functions instead. They insert into every concrete column: columns the
caller leaves out get the field's default (``auto_now``/``auto_now_add`` fields get "now"), so
a field someone adds to a model later, with a default, does not break the demo.

Ids are reserved up front (`reserve_ids`), so rows that others point at (people) can be
referred to before they are written, without reading them back.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from typing import Any

from django.db import connection, models
from django.utils import timezone

BATCH = 5000


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` fresh primary keys for ``model``, safe against concurrent inserts.

    PostgreSQL hands them out from the table's identity sequence. On SQLite the caller must be
    inside ``transaction.atomic()``: Ladder opens SQLite transactions with BEGIN IMMEDIATE, so
    the write lock is held and nobody else can take the ids between reading and inserting.
    """
    if count <= 0:
        return []
    table = model._meta.db_table
    column = str(model._meta.pk.column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [connection.ops.quote_name(table), column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        quoted = connection.ops.quote_name(table)
        cursor.execute(
            f"SELECT COALESCE(MAX({connection.ops.quote_name(column)}), 0) FROM {quoted}"
        )
        highest = cursor.fetchone()[0]
        # AUTOINCREMENT tables never reuse the ids of deleted rows: start above those too.
        cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = %s", [table])
        highest = max(highest, cursor.fetchone()[0])
    return list(range(highest + 1, highest + 1 + count))


def _adapter(field: models.Field) -> Callable[[Any], Any] | None:
    """How a Python value becomes a parameter for this column (None: as it is)."""
    kind = field.get_internal_type()
    if kind == "JSONField":
        return lambda v: None if v is None else json.dumps(v)
    if connection.vendor == "postgresql":
        return None  # psycopg adapts dates, aware datetimes, decimals and booleans itself
    if kind == "DateTimeField":
        # As Django's SQLite backend stores them: naive UTC, "YYYY-MM-DD HH:MM:SS[.ffffff]".
        return lambda v: None if v is None else str(v.astimezone(dt.UTC).replace(tzinfo=None))
    if kind == "DateField":
        return lambda v: None if v is None else v.isoformat()
    if isinstance(field, models.DecimalField):
        ops = connection.ops
        digits, places = field.max_digits, field.decimal_places
        return lambda v: None if v is None else ops.adapt_decimalfield_value(v, digits, places)
    return None


def insert(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Insert ``rows`` (tuples of values for ``fields``, by attribute name such as
    ``person_id``) into ``model``'s table; returns the number of rows written."""
    now = timezone.now()
    by_name = {f.attname: f for f in model._meta.concrete_fields}
    unknown = set(fields) - set(by_name)
    if unknown:
        raise ValueError(f"{model.__name__} has no column {', '.join(sorted(unknown))}")
    given = [by_name[name] for name in fields]
    rest = [
        f
        for f in model._meta.concrete_fields
        if f.attname not in fields and not (f.primary_key and isinstance(f, models.AutoField))
    ]
    constants = tuple(
        now
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        else f.get_default()
        for f in rest
    )
    columns = [*given, *rest]
    adapters = [_adapter(f) for f in columns]
    fixed = tuple(a(c) if a else c for a, c in zip(adapters[len(given) :], constants, strict=True))
    live = [(k, a) for k, a in enumerate(adapters[: len(given)]) if a is not None]

    def adapt(row: Sequence[Any]) -> tuple[Any, ...]:
        if live:
            row = list(row)
            for k, a in live:
                row[k] = a(row[k])
        return (*row, *fixed)

    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(str(f.column)) for f in columns)
    written = 0
    it = iter(rows)
    with connection.cursor() as cursor:
        while batch := [adapt(row) for row in islice(it, BATCH)]:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", batch)
            written += len(batch)
            if progress:
                progress(written)
    return written
