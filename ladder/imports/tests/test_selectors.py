"""Reads of imports (scoped to staff), progress, samples, the error report, and the tasks."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import ValidationError

from ladder.imports.models import ImportJob
from ladder.imports.selectors import (
    import_jobs_for,
    import_progress,
    import_rejections_csv,
    import_sample,
)
from ladder.imports.services import (
    import_apply,
    import_create,
    import_set_mapping,
    import_stage,
)
from ladder.imports.tasks import import_apply_task, import_stage_task
from ladder.imports.tests.conftest import run_import, stage, write_csv
from ladder.people.models import Person

pytestmark = pytest.mark.django_db


def test_only_admins_and_staff_see_imports(tmp_path, admin_user, staff_user, leader_a, leader_b):
    job = stage(write_csv(tmp_path / "p.csv", [["Email"], ["a@example.org"]]), actor=staff_user)
    assert list(import_jobs_for(admin_user)) == [job]
    assert list(import_jobs_for(staff_user)) == [job]
    assert import_jobs_for(leader_a).count() == 0
    assert import_jobs_for(leader_b).count() == 0


def test_progress_reports_phase_rows_and_counts(tmp_path):
    path = write_csv(tmp_path / "p.csv", [["Email"], ["a@example.org"], ["b@example.org"], ["x"]])
    job = import_create(actor=None, path_or_file=path, original_name="p.csv")
    assert import_progress(job)["phase"] == "uploaded"
    import_set_mapping(actor=None, job=job, mapping=job.mapping)
    assert import_progress(job)["phase"] == "queued"
    seen: list[tuple[int, int]] = []
    import_stage(job=job, progress=lambda done, total: seen.append((done, total)))
    progress = import_progress(job)
    assert seen[-1] == (3, 3)
    assert (progress["phase"], progress["done"], progress["total"], progress["percent"]) == (
        "staged", 3, 3, 100)  # fmt: skip
    assert {k: progress["counts"][k] for k in ("new", "updated", "unchanged", "rejected")} == {
        "new": 2, "updated": 0, "unchanged": 0, "rejected": 1}  # fmt: skip


def test_the_sample_pairs_headers_with_values(tmp_path):
    path = write_csv(tmp_path / "p.csv", [["Email", "Name"], ["a@example.org", "Ana"], ["b@x.org"]])
    job = import_create(actor=None, path_or_file=path, original_name="p.csv")
    assert import_sample(job, 2) == [
        {"Email": "a@example.org", "Name": "Ana"}, {"Email": "b@x.org", "Name": ""}]  # fmt: skip


def test_the_error_report_neutralises_formulas(tmp_path):
    path = write_csv(tmp_path / "p.csv", [
        ["Email", "Name"], ["ok@example.org", "Al"], ["=cmd|'/c calc'!A1", "Eve"]])  # fmt: skip
    job = run_import(path)
    rows = list(csv.reader(io.StringIO("".join(import_rejections_csv(job)))))
    assert rows[0] == ["row", "column", "value", "reason", "outcome"]
    assert rows[1][:3] == ["3", "Email", "'=cmd|'/c calc'!A1"]
    assert rows[1][4] == "row rejected"


def test_the_tasks_stage_and_apply_a_job(tmp_path):
    path = write_csv(tmp_path / "p.csv", [["Email"], ["a@example.org"]])
    job = import_create(actor=None, path_or_file=path, original_name="p.csv")
    import_set_mapping(actor=None, job=job, mapping=job.mapping)
    import_stage_task.enqueue(job.pk)
    assert ImportJob.objects.get(pk=job.pk).status == "staged"
    import_apply_task.enqueue(job.pk)
    assert ImportJob.objects.get(pk=job.pk).status == "done"
    assert Person.objects.count() == 1


def test_an_applied_import_cannot_be_remapped_or_restaged(tmp_path):
    job = run_import(write_csv(tmp_path / "p.csv", [["Email"], ["a@example.org"]]))
    with pytest.raises(ValidationError, match="already been applied"):
        import_set_mapping(actor=None, job=job, mapping=job.mapping)
    with pytest.raises(ValidationError, match="already been applied"):
        import_stage(job=job)


def test_a_file_that_breaks_while_staging_fails_clearly_and_cannot_be_applied(tmp_path):
    path = write_csv(tmp_path / "p.csv", [["Email"], ["a@example.org"], ["b@example.org"]])
    job = import_create(actor=None, path_or_file=path, original_name="p.csv")
    import_set_mapping(actor=None, job=job, mapping=job.mapping)
    (tmp_path / "data" / job.file_path).write_bytes(b'Email\n"unterminated, quote\n' * 3)
    with pytest.raises(ValidationError):
        import_stage(job=job)
    progress = import_progress(job)
    assert progress["phase"] == "failed" and progress["error"]
    with pytest.raises(ValidationError, match="Only a checked"):
        import_apply(job=job)
