"""Exporting people to CSV: chosen columns, streamed, scoped, safe to open in a spreadsheet.

Every export starts from `visible_people(user)` with the same search and filters as the people
list, and walks it by id in keyset chunks (never OFFSET), each chunk a constant number of
queries. On PostgreSQL the database writes each chunk's CSV itself (`copy.py`, COPY TO STDOUT);
elsewhere the ORM fetches it and Python formats it (`rows.py`). Both produce the same bytes.

Formula injection. A cell that starts with ``= + - @``, a tab or a carriage return is prefixed
with a single quote, so that Excel, LibreOffice and Google Sheets show it as text instead of
running it. The exceptions are columns whose values Ladder itself produces and that cannot
carry a formula — ids, counts, amounts and dates (a net refund of "-5.00" stays a number) — and
the phone column, whose values are validated E.164 numbers like "+15155550134": we write them
unchanged and accept that a spreadsheet may read one as a number (losing the "+"), because a
quote in front would break every tool that reads the file as data. A phone value that is not
E.164 is neutralised like any other cell.

The CSV uses "\\n" line endings (PostgreSQL's COPY writes no other; every spreadsheet reads
them), UTF-8, and optionally a byte-order mark for Excel.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator

from django.db import connection
from django.db.models import QuerySet

from ladder.core.models import User
from ladder.people.export.columns import (
    CHUNK_SIZE,
    COPY_CHUNK_SIZE,
    DEFAULT_COLUMNS,
    EXPORT_COLUMNS,
    Column,
    ExportError,
    export_columns_parse,
    neutralise,
    people_export_queryset,
)
from ladder.people.export.rows import row_chunks
from ladder.people.models import Person


def people_export_rows(
    user: User,
    *,
    columns: list[str],
    query: str = "",
    tag_id: int | None = None,
    group_id: int | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[list[str]]:
    """The header row, then one row of cells per person, in id order.

    Raises ExportError at once (not on first iteration) for an unknown column.
    """
    parsed = export_columns_parse(columns)
    people = people_export_queryset(user, query=query, tag_id=tag_id, group_id=group_id)

    def rows() -> Iterator[list[str]]:
        yield [c.name for c in parsed]
        for chunk in row_chunks(people, parsed, chunk_size):
            yield from chunk

    return rows()


def people_export_csv(
    user: User,
    *,
    columns: list[str],
    query: str = "",
    tag_id: int | None = None,
    group_id: int | None = None,
    bom: bool = False,
    progress: Callable[[int], None] | None = None,
    chunk_size: int | None = None,
    use_copy: bool | None = None,
    people: QuerySet[Person] | None = None,
) -> Iterator[str]:
    """The export as CSV text: the header first, then one piece per chunk of people.

    ``bom`` starts the text with a UTF-8 byte-order mark, which Excel needs to read accented
    names correctly; ``progress`` is called with the number of people in each chunk written;
    ``use_copy`` forces (True) or avoids (False) the PostgreSQL COPY path, which is otherwise
    used whenever the database is PostgreSQL; ``chunk_size`` is people per chunk (by default
    CHUNK_SIZE, or COPY_CHUNK_SIZE with COPY). ``people``, when given, is the set to export
    instead of the searched and filtered one — a segment or a list, already scoped to ``user``
    by its caller. Raises ExportError at once for an unknown column.
    """
    parsed = export_columns_parse(columns)
    if people is None:
        people = people_export_queryset(user, query=query, tag_id=tag_id, group_id=group_id)
    if use_copy is None:
        use_copy = connection.vendor == "postgresql"
    size = chunk_size or (COPY_CHUNK_SIZE if use_copy else CHUNK_SIZE)

    def pieces() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([c.name for c in parsed])
        yield ("\ufeff" if bom else "") + buffer.getvalue()
        if use_copy:
            from ladder.people.export.copy import copy_chunks

            for text, count in copy_chunks(people, parsed, size):
                yield text
                if progress is not None:
                    progress(count)
            return
        for chunk in row_chunks(people, parsed, size):
            buffer.seek(0)
            buffer.truncate()
            writer.writerows(chunk)
            yield buffer.getvalue()
            if progress is not None:
                progress(len(chunk))

    return pieces()


__all__ = [
    "CHUNK_SIZE",
    "COPY_CHUNK_SIZE",
    "DEFAULT_COLUMNS",
    "EXPORT_COLUMNS",
    "Column",
    "ExportError",
    "export_columns_parse",
    "neutralise",
    "people_export_csv",
    "people_export_queryset",
    "people_export_rows",
]
