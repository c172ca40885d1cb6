"""The counts a dry run or a finished import reports, from one aggregate over staged rows."""

from __future__ import annotations

from typing import Any

from ladder.imports.sql import T, fetch

REASON_LABELS = {
    "no_identifier": "no email, phone or external id",
    "invalid_email": "malformed email address",
    "invalid_phone": "malformed phone number",
    "bad_date": "missing or unreadable date",
}


def summarise(job_id: int, *, kind: str) -> dict[str, Any]:
    counts: dict[str, Any] = {
        "rows": 0, "new": 0, "updated": 0, "unchanged": 0, "rejected": 0, "duplicates": 0,
    }  # fmt: skip
    for status, unmatched, leads, n in fetch(
        f"""SELECT status, person_id IS NULL, canonical_row = row_number, COUNT(*)
        FROM {T["row"]} WHERE job_id = %(job)s GROUP BY 1, 2, 3""",
        {"job": job_id},
    ):
        counts["rows"] += n
        if status == "ok":
            # Not applied yet: an unmatched group leader will be a new person.
            key = "new" if unmatched and leads else "duplicates" if unmatched else "updated"
        else:
            key = {"new": "new", "duplicate": "duplicates", "update": "updated",
                   "unchanged": "unchanged", "rejected": "rejected"}[status]  # fmt: skip
        counts[key] += n
    reasons = fetch(
        f"""SELECT code, COUNT(DISTINCT row_number) FROM {T["issue"]}
        WHERE job_id = %(job)s AND rejected GROUP BY code ORDER BY 2 DESC""",
        {"job": job_id},
    )
    counts["rejected_reasons"] = {REASON_LABELS.get(code, code): n for code, n in reasons}
    counts["warnings"] = fetch(
        f"SELECT COUNT(*) FROM {T['issue']} WHERE job_id = %(job)s AND NOT rejected",
        {"job": job_id},
    )[0][0]
    if kind == "activities":
        counts["activities"] = fetch(
            f"SELECT COUNT(*) FROM {T['activity']} WHERE import_job_id = %(job)s",
            {"job": job_id},
        )[0][0]
    return counts
