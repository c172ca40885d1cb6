"""The social engagement screen (staff: matching reaches across groups): upload a platform's
export, see what matched, and link each handle nobody is known by to the person it is."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ladder.core.access import staff_user
from ladder.identity.models import SocialEngagement
from ladder.identity.social import Ingested, social_handle_link, social_rows_add, social_waiting
from ladder.identity.social_file import social_csv_rows
from ladder.people.models import Person
from ladder.people.normalize import InvalidContact, normalise_email
from ladder.people.selectors import person_match, survivor_id

MAX_UPLOAD = 20 * 1024 * 1024
SHOWN_PROBLEMS = 50


def _page(request: HttpRequest, status: int = 200, **extra: object) -> HttpResponse:
    rows = SocialEngagement.objects
    context = {
        "waiting": social_waiting()[:200],
        "counts": {
            "matched": rows.filter(person__isnull=False).count(),
            "waiting": rows.filter(person__isnull=True).count(),
        },
        "recent": rows.filter(person__isnull=False).select_related("person")[:10],
        **extra,
    }
    return render(request, "identity/social.html", context, status=status)


@login_required
def social_view(request: HttpRequest) -> HttpResponse:
    staff_user(request)
    return _page(request)


@login_required
@require_POST
def social_upload_view(request: HttpRequest) -> HttpResponse:
    staff_user(request)
    upload = request.FILES.get("file")
    platform = request.POST.get("platform", "").strip().lower()
    if upload is None:
        return _page(request, upload_error="Choose a CSV file.", status=400)
    if upload.size is not None and upload.size > MAX_UPLOAD:
        return _page(request, upload_error="At most 20 MB in one file: split it.", status=400)
    rows, problems = social_csv_rows(upload.read(), platform=platform)
    result = social_rows_add(rows, source=f"file: {upload.name}") if rows else Ingested()
    problems = problems + result.problems
    if not problems:
        messages.success(request, _summary(result))
        return HttpResponseRedirect(reverse("identity:social"))
    return _page(
        request, result=result, summary=_summary(result), problems=problems[:SHOWN_PROBLEMS],
        more_problems=max(0, len(problems) - SHOWN_PROBLEMS), status=400 if not rows else 200,
    )  # fmt: skip


def _summary(result: Ingested) -> str:
    return (
        f"Added {result.added:,} rows: {result.matched:,} matched to people, {result.waiting:,} "
        f"waiting for someone to be known by their handle"
        + (f"; {result.repeated:,} seen before" if result.repeated else "")
        + "."
    )


def _person(text: str) -> Person | None:
    """A person by their id (#123 or 123) or one of their email addresses (the one a merged
    record answers as)."""
    value = text.strip().lstrip("#")
    if value.isdigit():
        return Person.objects.filter(pk=survivor_id(int(value))).first()
    try:
        return person_match(email=normalise_email(value))
    except InvalidContact:
        return None


@login_required
@require_POST
def social_link_view(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    platform, handle = request.POST.get("platform", ""), request.POST.get("handle", "")
    person = _person(request.POST.get("person", ""))
    if person is None:
        error = "No one has that id or email address."
        return _page(request, link_error=(platform, handle, error), status=400)
    try:
        matched = social_handle_link(actor=user, person=person, platform=platform, handle=handle)
    except (ValidationError, ValueError) as problem:
        text = " ".join(problem.messages) if isinstance(problem, ValidationError) else str(problem)
        return _page(request, link_error=(platform, handle, text), status=400)
    messages.success(request, f"{person} is known as {handle} on {platform}: {matched} matched.")
    return HttpResponseRedirect(reverse("identity:social"))
