"""Loading normalised frames into the staging tables: COPY on PostgreSQL, large executemany
batches on SQLite. Frames are written in slices so that no more than a slice of CSV text is in
memory at once."""

from __future__ import annotations

import polars as pl
from django.db import connection, transaction

from ladder.imports.normalise import ISSUE_COLUMNS, STAGE_COLUMNS, Staged
from ladder.imports.sql import T, is_postgres, run

SLICE_ROWS = 20_000
TABLE_COLUMNS = {
    "row": STAGE_COLUMNS,
    "iext": ["row_number", "system", "value"],
    "issue": ISSUE_COLUMNS,
}


def stage_chunk(job_id: int, staged: Staged) -> None:
    """Write one chunk's rows, external ids and issues in one transaction."""
    with transaction.atomic():
        for table, frame in (
            ("row", staged.rows),
            ("iext", staged.externals),
            ("issue", staged.issues),
        ):
            if frame.height:
                _load(T[table], TABLE_COLUMNS[table], job_id, frame.select(TABLE_COLUMNS[table]))


def clear(job_id: int) -> None:
    """Forget everything staged for a job (before staging it again)."""
    for table in ("row", "iext", "issue"):
        run(f"DELETE FROM {T[table]} WHERE job_id = %(job)s", {"job": job_id})


def _load(table: str, columns: list[str], job_id: int, frame: pl.DataFrame) -> None:
    # Columns that are NULL throughout (most of them, in most files) are left to their
    # default NULL: half the bytes to send and bind.
    nulls = frame.null_count().row(0)
    present = [c for c, n in zip(frame.columns, nulls, strict=True) if n < frame.height]
    columns = [c for c in columns if c in present]
    frame = frame.with_columns(pl.lit(job_id, dtype=pl.Int64).alias("job_id")).select(
        ["job_id", *columns]
    )
    names = ", ".join(f'"{c}"' for c in ["job_id", *columns])
    if is_postgres():
        _copy(table, names, frame)
    else:
        _insert_many(table, names, frame)


def _copy(table: str, names: str, frame: pl.DataFrame) -> None:
    # CSV mode: an unquoted empty field is NULL and "" is an empty string — polars writes
    # exactly that, so NULLs survive the trip.
    frame = frame.with_columns(
        [
            pl.col(c).dt.strftime("%Y-%m-%d %H:%M:%S%.f+00")
            for c, t in frame.schema.items()
            if isinstance(t, pl.Datetime)
        ]
    )
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg 3 cursor under Django's wrapper
        with raw.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT csv)") as copy:
            for offset in range(0, frame.height, SLICE_ROWS):
                part = frame.slice(offset, SLICE_ROWS)
                copy.write(part.write_csv(include_header=False).encode())


def _insert_many(table: str, names: str, frame: pl.DataFrame) -> None:
    # SQLite stores datetimes as naive UTC text and dates as ISO text, like Django does.
    frame = frame.with_columns(
        [
            pl.col(c).dt.strftime("%Y-%m-%d %H:%M:%S")
            if isinstance(t, pl.Datetime)
            else pl.col(c).dt.strftime("%Y-%m-%d")
            for c, t in frame.schema.items()
            if isinstance(t, pl.Datetime | pl.Date)
        ]
    )
    marks = ", ".join(["?"] * frame.width)
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
    # The driver's own executemany: Django's wrapper rewrites the query and tees the rows,
    # a sixth of the load time here. The transaction is Django's (stage_chunk's atomic).
    connection.ensure_connection()
    raw = connection.connection
    for offset in range(0, frame.height, SLICE_ROWS):
        raw.executemany(sql, frame.slice(offset, SLICE_ROWS).rows())
