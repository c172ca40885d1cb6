"""Reads of imports. Imports act on the whole database, so only admins and staff see them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from ladder.core.access import can_import
from ladder.imports.models import ImportIssue, ImportJob

REPORT_CHUNK = 5_000
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
OUTCOMES = {"too_long": "value shortened", "bad_consent": "consent left unchanged"}


def import_jobs_for(user: Any) -> QuerySet[ImportJob]:
    if not can_import(user):
        return ImportJob.objects.none()
    return ImportJob.objects.select_related("created_by")


def import_progress(job: ImportJob) -> dict[str, Any]:
    """Where a job is, read fresh from the database (another process may be doing the work)."""
    row = (
        ImportJob.objects.filter(pk=job.pk)
        .values("phase", "status", "rows_done", "rows_total", "counts", "error")
        .first()
    )
    if row is None:
        return {"phase": "missing", "status": "missing", "done": 0, "total": 0, "percent": 0,
                "counts": {}, "error": ""}  # fmt: skip
    total, done = row["rows_total"] or 0, row["rows_done"] or 0
    finished = row["phase"] in ("staged", "done", "undone")
    percent = 100 if finished else min(99, int(done * 100 / total)) if total else 0
    counts = row["counts"] or {}
    if counts:
        counts = {"new": 0, "updated": 0, "unchanged": 0, "rejected": 0} | counts
    return {
        "phase": row["phase"],
        "status": row["status"],
        "done": done,
        "total": total,
        "percent": percent,
        "counts": counts,
        "error": row["error"],
    }


def import_sample(job: ImportJob, n: int = 5) -> list[dict[str, str]]:
    """The first rows of the file as header → value, for the mapping screen."""
    return [
        {header: (row[i] if i < len(row) else "") for i, header in enumerate(job.headers)}
        for row in (job.sample or [])[:n]
    ]


def _safe(value: str) -> str:
    # The report opens in spreadsheets: a cell starting like a formula is shown as text.
    return "'" + value if value.startswith(FORMULA_START) else value


def import_rejections_csv(job: ImportJob) -> Iterator[str]:
    """The per-row error report, streamed: rows rejected and values left out, by row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(["row", "column", "value", "reason", "outcome"])
    yield flush()
    after = (0, 0)
    issues = ImportIssue.objects.filter(job_id=job.pk).order_by("row_number", "id")
    while True:
        chunk = list(
            issues.filter(row_number__gte=after[0])
            .exclude(row_number=after[0], id__lte=after[1])
            .values_list("row_number", "id", "column", "value", "reason", "rejected", "code")[
                :REPORT_CHUNK
            ]
        )
        if not chunk:
            return
        for row_number, _id, column, value, reason, rejected, code in chunk:
            outcome = OUTCOMES.get(code, "value left out") if not rejected else "row rejected"
            writer.writerow([row_number, _safe(column), _safe(value), reason, outcome])
        after = (chunk[-1][0], chunk[-1][1])
        yield flush()
