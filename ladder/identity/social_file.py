"""Reading a file of social engagement (a platform's export, a listening tool's CSV) into the
rows `ladder.identity.social.social_rows_add` takes, with its columns found by their usual
names and every problem placed at a row and a column."""

from __future__ import annotations

import csv
import io
from typing import Any

from ladder.identity.social import RowProblem

# Our column → the headers it goes by in exports, lower-cased.
COLUMNS: dict[str, tuple[str, ...]] = {
    "platform": ("platform", "network", "source"),
    "handle": ("handle", "username", "user", "screen_name", "account"),
    "email": ("email", "email address", "email_address"),
    "name": ("name", "display name", "display_name", "author"),
    "action": ("action", "engagement", "type", "kind"),
    "text": ("text", "message", "content", "comment", "body"),
    "url": ("url", "link", "permalink"),
    "occurred_at": ("occurred_at", "date", "time", "timestamp", "created_at", "when"),
    "id": ("id", "engagement_id", "engagement id"),
}
MAX_ROWS = 200_000


def social_csv_rows(
    data: bytes, *, platform: str = ""
) -> tuple[list[tuple[int, dict[str, Any]]], list[RowProblem]]:
    """``(row number, row)`` for each data row (the header is row 1), and what stops the file
    being read at all. ``platform`` fills rows that name none."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as bad:
        return [], [RowProblem(1, "file", f"not UTF-8 text (byte {bad.start + 1})")]
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header:
        return [], [RowProblem(1, "file", "the file is empty")]
    names = [h.strip().lower() for h in header]
    where = {ours: next((names.index(a) for a in aliases if a in names), None)
             for ours, aliases in COLUMNS.items()}  # fmt: skip
    problems = [RowProblem(1, c, f"no {c} column (or one called {', '.join(COLUMNS[c][1:3])})")
                for c in ("action", "occurred_at") if where[c] is None]  # fmt: skip
    if where["platform"] is None and not platform:
        problems.append(RowProblem(1, "platform", "no platform column: say which platform"))
    if where["handle"] is None and where["email"] is None:
        problems.append(RowProblem(1, "handle", "a handle or an email column says who it was"))
    if problems:
        return [], problems
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(rows) >= MAX_ROWS:
            return [], [RowProblem(number, "file", f"more than {MAX_ROWS:,} rows: split it")]
        row = {ours: values[k] if k is not None and k < len(values) else ""
               for ours, k in where.items()}  # fmt: skip
        row["platform"] = row["platform"] or platform
        rows.append((number, row))
    return rows, []


__all__ = ["COLUMNS", "social_csv_rows"]
