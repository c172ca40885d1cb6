"""The review queue (one pair at a time, keyboard-friendly: m merges, n says not a duplicate,
s skips) and the list of merges, each with its undo. Staff only: a merge reaches across
groups."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ladder.core.access import staff_user
from ladder.identity.finding import find_run_progress, find_run_start
from ladder.identity.merging import merge_undo, not_duplicate_mark, person_merge
from ladder.identity.models import Candidate, FindRun
from ladder.identity.selectors import SHOWN_FIELDS, merges_undoable, review_for, review_queue
from ladder.web.htmx import progress_fragment


def _run_context(run: FindRun | None) -> dict[str, object]:
    return {"run": run, "progress": find_run_progress(run) if run else None}


@login_required
def review_view(request: HttpRequest, candidate_id: int | None = None) -> HttpResponse:
    user = staff_user(request)
    review = review_for(user, candidate_id)
    return render(
        request, "identity/review.html", {"review": review, **_run_context(FindRun.objects.first())}
    )


@login_required
@require_POST
def find_view(request: HttpRequest) -> HttpResponse:
    """Look for duplicates in the worker; the review page shows how far it is."""
    find_run_start(actor=staff_user(request))
    return HttpResponseRedirect(reverse("identity:review"))


@login_required
def find_progress_view(request: HttpRequest, run_id: int) -> HttpResponse:
    staff_user(request)
    run = FindRun.objects.filter(pk=run_id).first()
    if run is None:
        raise Http404("No such search")
    return progress_fragment(request, "identity/_find.html", _run_context(run),
                             finished=not run.running)  # fmt: skip


@login_required
@require_POST
def decide_view(request: HttpRequest, candidate_id: int) -> HttpResponse:
    user = staff_user(request)
    candidate = review_queue(user).select_related("low", "high").filter(pk=candidate_id).first()
    if candidate is None:
        raise Http404("No such pair waiting")
    decision = request.POST.get("decision", "")
    now = timezone.now()
    if decision == "merge":
        keep = request.POST.get("survivor", "low")
        if keep not in ("low", "high"):
            messages.error(request, "Choose which record survives.")
            return HttpResponseRedirect(reverse("identity:pair", args=[candidate.pk]))
        survivor, merged = (
            (candidate.low, candidate.high) if keep == "low" else (candidate.high, candidate.low)
        )
        choices = {}
        for name in SHOWN_FIELDS:
            side = request.POST.get(f"f_{name}")
            if side in ("low", "high"):
                choices[name] = "survivor" if side == keep else "merged"
        try:
            with transaction.atomic():
                merge = person_merge(
                    actor=user, survivor=survivor, merged=merged, choices=choices,
                    score=candidate.probability, now=now,
                )  # fmt: skip
                Candidate.objects.filter(pk=candidate.pk).update(
                    status=Candidate.Status.MERGED, decided_at=now, decided_by=user
                )
        except ValidationError as problem:
            messages.error(request, " ".join(problem.messages))
            return HttpResponseRedirect(reverse("identity:pair", args=[candidate.pk]))
        messages.success(request, f"Merged {merged} into {survivor} (merge #{merge.pk}).")
    elif decision == "not_duplicate":
        not_duplicate_mark(actor=user, one=candidate.low, other=candidate.high)
        Candidate.objects.filter(pk=candidate.pk).update(
            status=Candidate.Status.NOT_DUPLICATE, decided_at=now, decided_by=user
        )
        messages.info(request, "Noted: not the same person. This pair will not come back.")
    elif decision == "skip":
        Candidate.objects.filter(pk=candidate.pk).update(
            status=Candidate.Status.SKIPPED, decided_at=now, decided_by=user
        )
    else:
        messages.error(request, "Choose merge, not a duplicate, or skip.")
        return HttpResponseRedirect(reverse("identity:pair", args=[candidate.pk]))
    return HttpResponseRedirect(reverse("identity:review"))


@login_required
def merges_view(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    return render(request, "identity/merges.html", {"merges": merges_undoable(user)[:100]})


@login_required
@require_POST
def undo_view(request: HttpRequest, merge_id: int) -> HttpResponse:
    user = staff_user(request)
    merge = merges_undoable(user).filter(pk=merge_id).first()
    if merge is None:
        raise Http404("No such merge to undo")
    try:
        merge_undo(actor=user, merge=merge)
    except ValidationError as problem:
        messages.error(request, " ".join(problem.messages))
    else:
        messages.success(
            request, f"Undone: {merge.survivor} and {merge.merged} are two records again."
        )
    return HttpResponseRedirect(reverse("identity:merges"))
