"""The compose form's live parts (htmx): the audience count with the number of variants, and
the preview of one subject and body as a chosen person. Both read the form as it stands,
unsaved; both are scoped like everything else (the count is of people the user may see, the
preview person is found among them)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from ladder.mailings import audience, merge, services
from ladder.mailings.forms import BODIES, SUBJECTS, MailingForm, combinations
from ladder.mailings.selectors import mailing_for, preview_person, senders_visible
from ladder.mailings.views.staff import staff_user

_AUDIENCE = ("include_segments", "include_lists", "exclude_segments", "exclude_lists")


def _form(request: HttpRequest) -> MailingForm:
    user = staff_user(request)
    form = MailingForm(request.POST, user=user)
    form.is_valid()  # field by field: what is valid is in cleaned_data, the rest has errors
    return form


@require_POST
@login_required
def compose_summary(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    data = form.cleaned_data
    subjects, bodies, senders = combinations(form)
    count: int | None = None
    problem = ""
    if any(name in form.errors for name in (*_AUDIENCE, "frequency_cap", "topic")):
        problem = "Fix the audience fields to see the count."
    elif not (data.get("include_segments") or data.get("include_lists")):
        problem = "Choose a segment or a list to see how many people it reaches."
    else:
        criteria: dict[str, Any] = {name: list(data.get(name) or []) for name in _AUDIENCE}
        count = audience.audience_count_for(
            form.user,
            topic=data.get("topic") or "news",
            frequency_cap=data.get("frequency_cap"),
            **criteria,
        )
    share = data.get("test_share") or 0
    variants = subjects * bodies * senders
    tested = round(count * share / 100) if count is not None and variants > 1 else None
    context = {
        "count": count,
        "problem": problem,
        "subjects": subjects,
        "bodies": bodies,
        "senders": senders,
        "variants": variants,
        "tested": tested,
        "rest": count - tested if count is not None and tested is not None else None,
        "share": share,
    }
    return render(request, "mailings/staff/_summary.html", context)


def _index(request: HttpRequest, name: str, choices: list[str]) -> int:
    raw = request.POST.get(name, "1")
    number = int(raw) if raw.isdigit() else 1
    return number if 1 <= number <= len(choices) else 1


@require_POST
@login_required
def compose_preview(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    post = request.POST
    subject_n = _index(request, "preview_subject", SUBJECTS)
    body_n = _index(request, "preview_body", BODIES)
    subject = post.get(SUBJECTS[subject_n - 1], "")
    body = post.get(BODIES[body_n - 1], "")
    chosen = [v for v in post.getlist("senders") if v.isdigit()]
    sender = senders_visible(user).filter(pk__in=chosen).order_by("pk").first() if chosen else None
    query = post.get("preview_as", "").strip()
    person = preview_person(user, query) if query else None
    mailing_id = post.get("mailing", "")
    mailing = mailing_for(user, int(mailing_id)) if mailing_id.isdigit() else None
    context: dict[str, Any] = {
        "subject_n": subject_n,
        "body_n": body_n,
        "person": person,
        "query": query,
        "not_found": bool(query) and person is None,
        "sender": sender,
    }
    if not body.strip() and not subject.strip():
        context["empty"] = True
    else:
        try:
            context["rendered"] = services.preview(
                mailing, subject=subject, body=body, sender=sender, person=person
            )
        except merge.MergeError as error:
            context["error"] = str(error)
    return render(request, "mailings/staff/_preview.html", context)
