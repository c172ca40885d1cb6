"""The staff screens of mailings: the list, compose (new and edit), and the report with its
controls (cancel, resume). Admins and staff see every mailing; a leader their own and their
groups'. Out of scope answers 404 (`mailing_for`)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ladder.core.access import current_user
from ladder.core.models import User
from ladder.mailings import merge, services, stats
from ladder.mailings.forms import BODIES, SUBJECTS, MailingForm
from ladder.mailings.models import Mailing
from ladder.mailings.selectors import (
    can_manage_mailings,
    mailing_for,
    mailing_rows,
    mailing_timeline,
    mailing_totals,
    preview_person,
    templates_visible,
    variant_sent,
)
from ladder.mailings.transport import InDoubt, Refused, Retry
from ladder.mailings.views.chart import timeline_chart

ACTIONS = ("save", "test", "schedule", "send")
_MULTI = ("senders", "include_segments", "include_lists", "exclude_segments", "exclude_lists")


def staff_user(request: HttpRequest) -> User:
    user = current_user(request)
    if not can_manage_mailings(user):
        raise PermissionDenied
    return user


@require_GET
@login_required
def mailing_list(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    return render(request, "mailings/staff/list.html", {"mailings": mailing_rows(user)})


def _compose_context(form: MailingForm, mailing: Mailing | None) -> dict[str, Any]:
    return {
        "form": form,
        "mailing": mailing,
        "subject_fields": [form[n] for n in SUBJECTS],
        "body_fields": [form[n] for n in BODIES],
        "merge_fields": merge.FIELDS,
        "merge_tests": merge.TESTS,
        "has_templates": form.fields["template"].queryset.exists(),  # type: ignore[attr-defined]
    }


def _with_template(request: HttpRequest, user: User, mailing: Mailing | None) -> MailingForm:
    """The form as posted, with the chosen template's subject and body in the first slots;
    nothing is saved and no errors are shown (the user has not asked to save)."""
    initial: dict[str, Any] = {
        key: values if key in _MULTI else values[-1] for key, values in request.POST.lists()
    }
    raw = str(request.POST.get("template", "")).strip()
    template = templates_visible(user).filter(pk=int(raw)).first() if raw.isdigit() else None
    form = MailingForm(user=user, mailing=None)
    form.initial = initial
    if template is None:
        form.template_message = "Choose a template to load."  # type: ignore[attr-defined]
        return form
    if template.subject:
        initial["subject_1"] = template.subject
    initial["body_1"] = template.body
    if not initial.get("name"):
        initial["name"] = template.name
    form.template_message = f"Loaded “{template.name}”."  # type: ignore[attr-defined]
    return form


@require_http_methods(["GET", "POST"])
@login_required
def mailing_compose(request: HttpRequest, mailing_id: int | None = None) -> HttpResponse:
    user = staff_user(request)
    mailing = mailing_for(user, mailing_id) if mailing_id is not None else None
    if mailing is not None and not mailing.is_editable:
        messages.info(request, "This mailing has started; it can no longer be changed.")
        return redirect("mailings:report", mailing.pk)
    if request.method == "POST" and request.POST.get("action") == "template":
        form = _with_template(request, user, mailing)
        return render(request, "mailings/staff/compose.html", _compose_context(form, mailing))
    form = MailingForm(request.POST or None, user=user, mailing=mailing)
    action = request.POST.get("action", "save")
    if request.method == "POST" and action in ACTIONS and form.is_valid():
        form.check_content()
        when = form.cleaned_data.get("scheduled_at")
        if action == "schedule" and when is None:
            form.add_error("scheduled_at", "Choose when to send it.")
        if action == "test" and not user.email:
            form.add_error(None, "Your login has no email address to send a test to.")
        if form.is_valid():
            saved = _save(request, user, form, mailing, action, when)
            if saved is not None:
                if action in ("schedule", "send"):
                    return redirect("mailings:report", saved.pk)
                return redirect("mailings:edit", saved.pk)
    return render(request, "mailings/staff/compose.html", _compose_context(form, mailing))


def _save(
    request: HttpRequest,
    user: User,
    form: MailingForm,
    mailing: Mailing | None,
    action: str,
    when: Any,
) -> Mailing | None:
    """Save, then schedule or send a test, as one step: when scheduling fails nothing is
    saved, and the errors go next to their fields."""
    try:
        with transaction.atomic():
            values = form.values()
            if mailing is None:
                saved = services.mailing_create(actor=user, **values)
            else:
                saved = services.mailing_update(actor=user, mailing=mailing, **values)
            if action == "schedule":
                services.mailing_schedule(actor=user, mailing=saved, when=when)
            elif action == "send":
                services.mailing_schedule(actor=user, mailing=saved, when=None)
    except ValidationError as error:
        form.add_service_errors(error)
        return None
    if action == "test":
        who = preview_person(user, request.POST.get("preview_as", ""))
        try:
            sent = services.send_test(actor=user, mailing=saved, to=user.email, person=who)
        except (ValidationError, Retry, Refused, InDoubt, OSError) as error:
            messages.error(request, f"Saved, but the test could not be sent: {_reason(error)}")
        else:
            plural = "message" if sent == 1 else "messages"
            messages.success(request, f"Saved. Sent {sent} test {plural} to {user.email}.")
    elif action == "schedule":
        messages.success(request, "Scheduled. It goes out at the time you chose.")
    elif action == "send":
        messages.success(request, "On its way: the worker starts sending within a minute.")
    else:
        messages.success(request, "Saved as a draft.")
    return saved


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or error.__class__.__name__


@require_GET
@login_required
def mailing_report(request: HttpRequest, mailing_id: int) -> HttpResponse:
    user = staff_user(request)
    mailing = mailing_for(user, mailing_id)
    totals = mailing_totals(mailing)
    results = stats.variant_report(mailing) if mailing.variants.exists() else []
    sent_by_variant = variant_sent(mailing)
    bodies = list(mailing.bodies)
    variants = [
        (r, sent_by_variant.get(r.variant.pk, 0), _body_number(bodies, r.variant.body))
        for r in results
    ]
    timeline = mailing_timeline(mailing)
    context = {
        "mailing": mailing,
        "totals": totals,
        "variants": variants,
        "timeline": timeline,
        "chart": timeline_chart(timeline),
        "live": mailing.status in (*Mailing.ACTIVE, Mailing.Status.PAUSED),
        "cancellable": mailing.status not in (Mailing.Status.SENT, Mailing.Status.CANCELLED),
        "audience": mailing.include_segments.all(),
        "audience_lists": mailing.include_lists.all(),
        "minus": mailing.exclude_segments.all(),
        "minus_lists": mailing.exclude_lists.all(),
        "senders": mailing.senders.all(),
    }
    return render(request, "mailings/staff/report.html", context)


def _body_number(bodies: list[str], body: str) -> int | str:
    return bodies.index(body) + 1 if body in bodies else "?"


@require_POST
@login_required
def mailing_status(request: HttpRequest, mailing_id: int, action: str) -> HttpResponse:
    user = staff_user(request)
    mailing = mailing_for(user, mailing_id)
    if action == "cancel":
        services.mailing_cancel(actor=user, mailing=mailing)
        messages.success(request, "Cancelled: nothing more goes out.")
    elif action == "resume":
        services.mailing_resume(actor=user, mailing=mailing)
        messages.success(request, "Resumed: sending goes on.")
    else:
        raise PermissionDenied
    return redirect("mailings:report", mailing.pk)
