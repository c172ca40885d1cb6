"""Small pieces of vendor-specific SQL shared by matching, apply and undo.

Everything else in the import SQL is written once for both SQLite (≥ 3.33: UPDATE … FROM,
window functions, ON CONFLICT) and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.utils import timezone

from ladder.activity.models import Activity
from ladder.imports.models import ImportExternalId, ImportIssue, ImportRow
from ladder.people.models import (
    Address,
    ConsentEvent,
    EmailAddress,
    ExternalId,
    Group,
    Membership,
    Person,
    Phone,
    Suppression,
    Tag,
    Tagging,
)

# Table names, for f-string SQL. They come from model metadata, never from input.
T = {
    "row": ImportRow._meta.db_table,
    "iext": ImportExternalId._meta.db_table,
    "issue": ImportIssue._meta.db_table,
    "person": Person._meta.db_table,
    "email": EmailAddress._meta.db_table,
    "phone": Phone._meta.db_table,
    "address": Address._meta.db_table,
    "extid": ExternalId._meta.db_table,
    "tag": Tag._meta.db_table,
    "tagging": Tagging._meta.db_table,
    "group": Group._meta.db_table,
    "membership": Membership._meta.db_table,
    "consent": ConsentEvent._meta.db_table,
    "suppression": Suppression._meta.db_table,
    "activity": Activity._meta.db_table,
}


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def run(sql: str, params: dict[str, Any] | None = None) -> int:
    """Execute one statement; the number of rows it touched."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        return max(cursor.rowcount, 0)


def analyze(*names: str) -> None:
    """Refresh the planner's statistics on tables an import just filled.

    Without this, a freshly loaded staging table still looks empty to the planner, which then
    picks nested loops and turns a 5k-row self-join into seconds (rows x rows). Autovacuum
    would catch up, but only after the import is over.
    """
    # SQLite is left alone: its planner's defaults assume indexes are selective, which is what
    # the import's statements rely on, and a bare ANALYZE reads every index in the database.
    if is_postgres():
        run(f"ANALYZE {', '.join(T[name] for name in names)}")


def fetch(sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        return list(cursor.fetchall())


def now_param() -> Any:
    """The current time as a parameter the vendor stores like Django does."""
    return db_datetime(timezone.now())


def db_datetime(value: dt.datetime) -> Any:
    if is_postgres():
        return value
    return connection.ops.adapt_datetimefield_value(value)


def no_hash() -> str:
    """Ends an EXISTS subquery so that PostgreSQL probes the index once per outer row.

    Without it PostgreSQL may turn a correlated EXISTS into a *hashed* subplan: it reads the
    whole inner table (every email, every phone) into a hash, once per statement — once per
    batch, growing with the table. ``OFFSET 0`` keeps the subquery as written. SQLite never
    hashes (and rejects OFFSET without LIMIT).
    """
    return " OFFSET 0" if is_postgres() else ""


def no_jit() -> None:
    """Turn PostgreSQL's JIT off for the current transaction. Import statements are short, but
    their (stale) cost estimates pass ``jit_above_cost`` and compiling them takes longer —
    1.6 s per statement measured — than running them."""
    if is_postgres():
        run("SET LOCAL jit = off")


def jsonb(expr: str) -> str:
    """A JSON text expression as the type Django's JSONField uses on this database."""
    return f"CAST({expr} AS jsonb)" if is_postgres() else expr


def json_merge(target: str, patch: str) -> str:
    """``target`` with the keys of the JSON text ``patch`` set (custom fields)."""
    return (
        f"({target} || CAST({patch} AS jsonb))"
        if is_postgres()
        else f"json_patch({target}, {patch})"
    )


def json_contains(target: str, patch: str) -> str:
    """True when every key of the JSON text ``patch`` already has that value in ``target``."""
    if is_postgres():
        return f"({target} @> CAST({patch} AS jsonb))"
    return (
        f"NOT EXISTS (SELECT 1 FROM json_each({patch}) AS j WHERE "
        f"json_extract({target}, '$.\"' || j.key || '\"') IS NOT j.value)"
    )


def json_items(expr: str, alias: str) -> str:
    """A FROM item yielding ``alias.value`` for each element of the JSON array text ``expr``."""
    if is_postgres():
        return f"jsonb_array_elements_text(CAST({expr} AS jsonb)) AS {alias}(value)"
    return f"json_each({expr}) AS {alias}"


def date_from_text(expr: str) -> str:
    return f"CAST({expr} AS date)" if is_postgres() else expr


def sha256_hex(channel: str, expr: str) -> str:
    """SQL for `ladder.people.normalize.address_hash(channel, <expr>)`."""
    assert channel.isalpha()
    if is_postgres():
        return f"encode(sha256(convert_to('{channel}:' || {expr}, 'UTF8')), 'hex')"
    return f"ladder_sha256('{channel}:' || {expr})"


def _sha256(text: str | None) -> str | None:
    return None if text is None else hashlib.sha256(text.encode()).hexdigest()


def prepare_connection() -> None:
    """SQLite has no sha256(); give this connection one (PostgreSQL has it built in)."""
    if is_postgres():
        return
    connection.ensure_connection()
    connection.connection.create_function("ladder_sha256", 1, _sha256, deterministic=True)


def suppressed(channel: str, expr: str, *, any_suppressions: bool) -> str:
    """SQL true when the address in ``expr`` is on the suppression list for ``channel``.

    Skipped (FALSE) when the list is empty, which spares a hash per row on most imports.
    """
    if not any_suppressions:
        return "FALSE"
    return (
        f"EXISTS (SELECT 1 FROM {T['suppression']} AS sup WHERE sup.channel = '{channel}' "
        f"AND sup.address_hash = {sha256_hex(channel, expr)})"
    )


@contextmanager
def derived(name: str, select_sql: str, params: dict[str, Any], *, key: str) -> Iterator[str]:
    """A derived table to join against, as a FROM item.

    PostgreSQL gets the subquery inline and hash-joins it. SQLite only has nested loops, so
    joining a large subquery on an unindexed column costs rows × rows; there it becomes a
    TEMP table with an index on ``key``.
    """
    if is_postgres():
        yield f"({select_sql})"
        return
    assert name.isidentifier()
    run(f"DROP TABLE IF EXISTS temp.{name}")
    run(f"CREATE TEMP TABLE {name} AS {select_sql}", params)
    run(f"CREATE INDEX temp.{name}_key ON {name} ({key})")
    try:
        yield f"temp.{name}"
    finally:
        run(f"DROP TABLE IF EXISTS temp.{name}")
