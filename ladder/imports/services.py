"""Every write of the import pipeline: upload → mapping → stage (dry run) → apply → undo.

Progress (phase, rows done) is saved in small separate updates outside the work's own
transactions, so that a browser polling `import_progress` or a second terminal sees it move.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ladder.core.models import User
from ladder.imports import apply as applying
from ladder.imports import matching, reader, staging, undo
from ladder.imports.mapping import activity_type_problem, propose_mapping, validate_mapping
from ladder.imports.models import ImportBatch, ImportJob
from ladder.imports.normalise import Plan, normalise_chunk
from ladder.imports.sql import T, analyze, fetch, no_jit, prepare_connection
from ladder.imports.summary import summarise
from ladder.people.models import CustomField, Suppression

Progress = Callable[[int, int], None] | None
READ_CHUNK_ROWS = 50_000
Status = ImportJob.Status


def _save(job: ImportJob, **fields: Any) -> None:
    """Write progress fields at once (autocommit outside any transaction)."""
    for name, value in fields.items():
        setattr(job, name, value)
    ImportJob.objects.filter(pk=job.pk).update(**fields)


def import_dir(job: ImportJob) -> Path:
    return Path(settings.DATA_DIR) / "imports" / str(job.pk)


def import_create(
    *,
    actor: User | None,
    path_or_file: str | Path | IO[bytes] | Any,
    original_name: str,
    kind: str = "people",
    activity_type: str | None = None,
) -> ImportJob:
    """Keep a copy of the upload, detect its format, encoding and delimiter, read its header
    and first rows, and propose a mapping. ValidationError for a file that cannot be imported."""
    problem = activity_type_problem(kind, activity_type)
    if problem:
        raise ValidationError(problem)
    name = Path(original_name or "upload.csv").name[:255]
    job = ImportJob.objects.create(
        kind=kind,
        activity_type=(activity_type or "") if kind == "activities" else "",
        original_name=name,
        created_by=actor,
    )
    folder = import_dir(job)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / ("upload" + (Path(name).suffix.lower() or ".csv"))
        _copy_upload(path_or_file, target)
        info = reader.sniff(target)
    except ValidationError:
        shutil.rmtree(folder, ignore_errors=True)
        job.delete()
        raise
    mapping = propose_mapping(info.headers, kind=kind)
    mapping = _drop_unlikely(mapping, info.headers, info.sample)
    _save(
        job,
        file_path=str(target.relative_to(settings.DATA_DIR)),
        file_format=info.format,
        file_size=target.stat().st_size,
        encoding=info.encoding,
        delimiter=info.delimiter,
        headers=info.headers,
        sample=info.sample,
        mapping=mapping,
        rows_total=info.estimated_rows,
    )
    return job


def _copy_upload(source: Any, target: Path) -> None:
    if isinstance(source, str | Path):
        shutil.copyfile(source, target)
        return
    with target.open("wb") as out:
        if hasattr(source, "chunks"):  # Django's UploadedFile streams from its temp file
            for chunk in source.chunks():
                out.write(chunk)
        else:
            shutil.copyfileobj(source, out, length=1 << 20)


def _drop_unlikely(mapping: dict[str, str], headers: list[str], sample: list[list[str]]) -> dict:
    """Headers can lie: ActBlue's "Mobile" column says yes/no, not a number. A proposed email
    or phone column whose sample holds no address or number is left unmapped."""
    checks = {"email": lambda s: "@" in s, "phone": lambda s: sum(c.isdigit() for c in s) >= 7}
    for index, header in enumerate(headers):
        target = mapping.get(header, "ignore")
        kind = "email" if target == "email" else "phone" if target.endswith("phone") else ""
        values = [row[index] for row in sample if index < len(row) and row[index].strip()]
        if kind and values and not any(checks[kind](v) for v in values):
            mapping[header] = "ignore"
    return mapping


def _editable(job: ImportJob) -> None:
    if job.status in (Status.APPLYING, Status.DONE, Status.UNDOING, Status.UNDONE) or (
        ImportBatch.objects.filter(job=job).exists()
    ):
        raise ValidationError("This import has already been applied; start a new one.")


def import_set_mapping(
    *, actor: User | None, job: ImportJob, mapping: dict[str, str], extra_tag: str | None = None
) -> ImportJob:
    """Confirm which column goes where. ValidationError if no column identifies a person, a
    target is unknown, or a custom field does not exist."""
    _editable(job)
    custom_keys = set(CustomField.objects.values_list("key", flat=True))
    complete = validate_mapping(
        mapping, headers=job.headers, kind=job.kind, custom_keys=custom_keys
    )
    tag = " ".join((extra_tag if extra_tag is not None else job.extra_tag).split())
    if len(tag) > 100:
        raise ValidationError("The tag name is longer than 100 characters.")
    _save(job, mapping=complete, extra_tag=tag, status=Status.UPLOADED, phase="queued",
          counts={}, error="", staged_at=None)  # fmt: skip
    return job


def import_stage(*, job: ImportJob, progress: Progress = None) -> ImportJob:
    """Read, normalise and stage the file, then match it: afterwards ``job.counts`` is the dry
    run (new / updated / unchanged / rejected) and nothing outside the staging tables changed."""
    _editable(job)
    custom_keys = set(CustomField.objects.values_list("key", flat=True))
    validate_mapping(job.mapping, headers=job.headers, kind=job.kind, custom_keys=custom_keys)
    try:
        # staged_at marks a complete dry run; apply refuses a job without one.
        _save(job, status=Status.STAGING, phase="reading", rows_done=0, error="", counts={},
              staged_at=None)  # fmt: skip
        staging.clear(job.pk)
        plan = Plan.build(headers=job.headers, mapping=job.mapping, kind=job.kind,
                          activity_type=job.activity_type, extra_tag=job.extra_tag)  # fmt: skip
        frames = reader.iter_frames(
            Path(settings.DATA_DIR) / job.file_path,
            file_format=job.file_format,
            encoding=job.encoding,
            delimiter=job.delimiter,
            width=len(job.headers),
            chunk_rows=READ_CHUNK_ROWS,
        )
        done = 0
        for raw in frames:
            staged = normalise_chunk(raw, plan)
            staging.stage_chunk(job.pk, staged)
            done += staged.rows.height
            total = max(job.rows_total, done)
            _save(job, phase="staging", rows_done=done, rows_total=total)
            if progress:
                progress(done, total)
        _save(job, phase="matching", rows_total=done)
        analyze("row", "iext", "person", "email", "phone", "extid")
        prepare_connection()
        with transaction.atomic():
            no_jit()
            matching.group_duplicates(job.pk)
            span = matching.Span(job.pk)
            matching.match_existing(span)
            matching.spread_matches(job.pk)
            matching.classify(span, _features(job), any_suppressions=Suppression.objects.exists())
        _save(job, status=Status.STAGED, phase="staged", counts=summarise(job.pk, kind=job.kind),
              batch_size=settings.LADDER_IMPORT_BATCH_SIZE, staged_at=timezone.now())  # fmt: skip
        if progress:
            progress(done, done)
    except Exception as exc:
        _fail(job, exc)
        raise
    return job


def _features(job: ImportJob) -> matching.Features:
    return matching.Features.of(mapping=job.mapping, kind=job.kind, extra_tag=job.extra_tag)


def _fail(job: ImportJob, exc: Exception) -> None:
    message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
    _save(job, status=Status.FAILED, phase="failed", error=message[:2000] or type(exc).__name__)


def _batches(job: ImportJob) -> list[tuple[int, int, int]]:
    last = fetch(f"SELECT MAX(row_number) FROM {T['row']} WHERE job_id = %(job)s", {"job": job.pk})
    last_row = last[0][0] or 1
    size = job.batch_size or settings.LADDER_IMPORT_BATCH_SIZE
    return [(n, lo, min(lo + size - 1, last_row))
            for n, lo in enumerate(range(2, last_row + 1, size))]  # fmt: skip


def _rows_between(job: ImportJob, lo: int, hi: int) -> int:
    sql = (
        f"SELECT COUNT(*) FROM {T['row']} "
        "WHERE job_id = %(job)s AND row_number BETWEEN %(lo)s AND %(hi)s"
    )
    return fetch(sql, {"job": job.pk, "lo": lo, "hi": hi})[0][0]


def import_apply(*, job: ImportJob, progress: Progress = None) -> ImportJob:
    """Apply the staged rows in batches of ``job.batch_size``. Each batch is one transaction that
    also records the batch as applied, so after a crash this resumes at the first batch not
    applied — re-matching it first, so that nobody is created twice."""
    if job.status not in (Status.STAGED, Status.APPLYING, Status.FAILED) or not job.staged_at:
        raise ValidationError("Only a checked (dry-run) import can be applied.")
    batches = _batches(job)
    applied = set(ImportBatch.objects.filter(job=job).values_list("number", flat=True))
    done = sum(_rows_between(job, lo, hi) for n, lo, hi in batches if n in applied)
    _save(job, status=Status.APPLYING, phase="applying", rows_done=done, error="")
    features = _features(job)
    try:
        prepare_connection()
        # No ANALYZE between batches: batch statements are written to probe indexes whatever
        # the statistics say (see `ladder.imports.apply.apply_batch`), and re-analyzing the
        # growing people tables cost a fifth of the apply time.
        for number, lo, hi in batches:
            if number in applied:
                continue
            with transaction.atomic():
                locked = ImportJob.objects.select_for_update().get(pk=job.pk)
                if ImportBatch.objects.filter(job=locked, number=number).exists():
                    continue  # another worker applied it meanwhile
                ctx = applying.BatchContext(
                    job=job, span=matching.Span(job.pk, lo, hi), features=features,
                    any_suppressions=Suppression.objects.exists(),
                )  # fmt: skip
                created = applying.apply_batch(ctx)
                if applying.before_commit_hook:
                    applying.before_commit_hook(job, number)
                ImportBatch.objects.create(job=job, number=number, first_row=lo, last_row=hi,
                                           created=created)  # fmt: skip
            done += _rows_between(job, lo, hi)
            _save(job, rows_done=done)
            if progress:
                progress(done, job.rows_total)
        _save(job, status=Status.DONE, phase="done", finished_at=timezone.now(),
              counts=summarise(job.pk, kind=job.kind))  # fmt: skip
    except Exception as exc:
        _fail(job, exc)
        raise
    return job


def import_undo(*, actor: User | None, job: ImportJob) -> ImportJob:
    """Take the import back: people it created are deleted, what it added to others removed,
    fields it overwrote restored. Opt-outs it recorded stay (consent is sticky)."""
    if job.status == Status.UNDONE:
        raise ValidationError("This import was already undone.")
    if not ImportBatch.objects.filter(job=job).exists():
        raise ValidationError(
            "Nothing of this import has been applied, so there is nothing to undo."
        )
    if job.status == Status.APPLYING:
        raise ValidationError("This import is still being applied; undo it when it has finished.")
    _save(job, status=Status.UNDOING, phase="undoing", error="")
    try:
        prepare_connection()
        undo.restore_and_remove(job.pk)
        undo.delete_created_people(job.pk)
    except Exception as exc:
        # Status stays "undoing": the undo can be run again (every step is idempotent), and
        # the job cannot be applied again meanwhile.
        _save(job, phase="failed", error=f"Undo failed: {exc}"[:2000])
        raise
    _save(job, status=Status.UNDONE, phase="undone", undone_at=timezone.now())
    return job
