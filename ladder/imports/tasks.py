"""Background work for imports (thin: look the job up, call the service)."""

from __future__ import annotations

from django.tasks import task

from ladder.imports.models import ImportJob
from ladder.imports.services import import_apply, import_stage


@task()
def import_stage_task(job_id: int) -> None:
    import_stage(job=ImportJob.objects.get(pk=job_id))


@task()
def import_apply_task(job_id: int) -> None:
    import_apply(job=ImportJob.objects.get(pk=job_id))
