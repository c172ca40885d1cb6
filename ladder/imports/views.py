"""The import screens: upload → confirm the mapping → dry run → apply → (undo).

Long work runs in the worker; these pages poll its progress with htmx, so a reload or a second
tab shows the same state.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ladder.core.access import can_import, current_user
from ladder.imports import services, tasks
from ladder.imports.forms import UploadForm
from ladder.imports.mapping import targets_for
from ladder.imports.models import ImportJob
from ladder.imports.selectors import (
    import_jobs_for,
    import_progress,
    import_rejections_csv,
    import_sample,
)
from ladder.web.htmx import progress_fragment

RUNNING = {"reading", "staging", "matching", "applying", "undoing", "queued"}


def _job(request: HttpRequest, job_id: int) -> ImportJob:
    if not can_import(request.user):
        raise PermissionDenied
    job = import_jobs_for(request.user).filter(pk=job_id).first()
    if job is None:
        raise Http404("No such import")
    return job


def _message(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@login_required
def import_list(request: HttpRequest) -> HttpResponse:
    if not can_import(request.user):
        raise PermissionDenied
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.import_create(
                actor=current_user(request),
                path_or_file=form.cleaned_data["file"],
                original_name=form.cleaned_data["file"].name,
                kind=form.cleaned_data["kind"],
                activity_type=form.cleaned_data["activity_type"] or None,
            )
        except ValidationError as exc:
            form.add_error("file", _message(exc))
        else:
            return redirect("imports:mapping", job_id=job.pk)
    jobs = import_jobs_for(request.user).order_by("-pk")[:50]
    return render(request, "imports/list.html", {"form": form, "jobs": jobs})


def _mapping_rows(job: ImportJob, mapping: dict[str, str]) -> list[dict]:
    samples = import_sample(job, 3)
    return [
        {
            "index": i,
            "header": header,
            "target": mapping.get(header, "ignore"),
            "samples": [row[header] for row in samples if row.get(header)],
        }
        for i, header in enumerate(job.headers)
    ]


@login_required
def import_mapping(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    mapping = dict(job.mapping or {})
    error = ""
    if request.method == "POST":
        mapping = {
            header: request.POST.get(f"col-{i}", "ignore") for i, header in enumerate(job.headers)
        }
        try:
            with transaction.atomic():
                services.import_set_mapping(actor=current_user(request), job=job, mapping=mapping)
                transaction.on_commit(lambda: tasks.import_stage_task.enqueue(job.pk))
        except ValidationError as exc:
            error = _message(exc)
        else:
            return redirect("imports:detail", job_id=job.pk)
    return render(
        request,
        "imports/mapping.html",
        {
            "job": job,
            "rows": _mapping_rows(job, mapping),
            "target_groups": _grouped(targets_for(job.kind, mapping)),
            "error": error,
        },
    )


def _grouped(targets: list) -> list[tuple[str, list]]:
    """Targets in <optgroup>s, in the order the mapping module lists them."""
    groups: dict[str, list] = {}
    for target in targets:
        groups.setdefault(target.group, []).append(target)
    return list(groups.items())


def _progress_context(job: ImportJob) -> dict:
    progress = import_progress(job)
    return {"job": job, "progress": progress, "running": progress["phase"] in RUNNING}


@login_required
def import_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    return render(request, "imports/detail.html", _progress_context(job))


@login_required
def import_progress_fragment(request: HttpRequest, job_id: int) -> HttpResponse:
    context = _progress_context(_job(request, job_id))
    return progress_fragment(request, "imports/_progress.html", context,
                             finished=not context["running"])  # fmt: skip


@login_required
@require_POST
def import_apply_view(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    if import_progress(job)["phase"] != "staged":
        messages.error(request, "Only a checked (dry-run) import can be applied.")
    else:
        transaction.on_commit(lambda: tasks.import_apply_task.enqueue(job.pk))
        messages.success(request, "Applying the import…")
    return redirect("imports:detail", job_id=job.pk)


@login_required
@require_POST
def import_undo_view(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    try:
        services.import_undo(actor=current_user(request), job=job)
    except ValidationError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, "The import was undone.")
    return redirect("imports:detail", job_id=job.pk)


@login_required
def import_errors_csv(request: HttpRequest, job_id: int) -> StreamingHttpResponse:
    job = _job(request, job_id)
    response = StreamingHttpResponse(import_rejections_csv(job), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response
