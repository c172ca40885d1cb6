"""Quick actions on a profile. Each one: scope (404 outside it), permission, validate, call the
service with ``actor=request.user``, then either redirect with a message or show the form again
with the error next to its field (status 200, never 500).

Tags, notes and contacts answer htmx requests with just the panel they changed, plus the
timeline and the message swapped out-of-band; the other forms are plain POSTs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from ladder.activity.catalogue import ActivityType, ContactResult
from ladder.activity.services import contact_log, note_add
from ladder.core.access import current_user
from ladder.core.models import User
from ladder.people.models import CustomField, Person
from ladder.people.normalize import InvalidContact, format_phone
from ladder.people.selectors import person_for
from ladder.people.services import (
    custom_fields_set,
    email_add,
    person_update,
    phone_add,
    tag_add,
    tag_remove,
)
from ladder.web.forms import (
    ContactLogForm,
    CustomFieldsForm,
    EmailAddForm,
    NoteForm,
    PersonEditForm,
    PhoneAddForm,
    TagAddForm,
    TagRemoveForm,
)
from ladder.web.permissions import require_edit
from ladder.web.views.profile import profile_context

# The profile section each form lives in: the anchor to return to, and the htmx panel.
ANCHORS = {
    "note": "log", "contact": "log", "tag": "tags", "untag": "tags",
    "edit": "details", "cf": "fields", "email": "contact-points", "phone": "contact-points",
}  # fmt: skip
HTMX_PANELS = {
    "note": "log-panel", "contact": "log-panel", "tag": "tags-panel", "untag": "tags-panel",
}  # fmt: skip


def _target(request: HttpRequest, person_id: int, *, edit: bool) -> tuple[User, Person]:
    user = current_user(request)
    person = person_for(user, person_id)  # 404 before 403: nothing about out-of-scope people
    if edit:
        require_edit(user)
    return user, person


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _apply_errors(form: forms.Form, exc: ValidationError | ValueError, field: str | None) -> None:
    """Put a service's complaint on the form: per field when it names one we have."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else field, errors)
    elif isinstance(exc, ValidationError):
        form.add_error(field, exc.messages)
    else:
        form.add_error(field, str(exc))


def _answer(
    request: HttpRequest, user: User, person_id: int, key: str, form: forms.Form | None
) -> HttpResponse:
    """After an action: the changed panel for htmx, else the redirect or the page with errors."""
    if _htmx(request) and key in HTMX_PANELS:
        person = person_for(user, person_id)  # fresh: tags and contact points changed
        context = profile_context(request, user, person, bound={key: form} if form else None)
        context["timeline_oob"] = True
        html = render_to_string(f"web/profile.html#{HTMX_PANELS[key]}", context, request=request)
        if form is None:  # success: the timeline gained a row
            html += render_to_string("web/profile.html#timeline", context, request=request)
        html += render_to_string("web/_messages.html", {"oob": True}, request=request)
        return HttpResponse(html)
    if form is None:
        return redirect(f"/people/{person_id}/#{ANCHORS[key]}")
    person = person_for(user, person_id)
    context = profile_context(request, user, person, bound={key: form})
    return render(request, "web/profile.html", context)


def _action(
    key: str, form_class: Callable[..., forms.Form], *, edit: bool
) -> Callable[[Callable[..., str]], Callable[..., HttpResponse]]:
    """Wrap ``run(user, person, form) -> success message`` into a POST view.

    ``run`` raises ValidationError/ValueError (including InvalidContact) for bad input; the
    message lands next to the field named by ``run.error_field`` (set with `_error_field`), or
    at the top of the form."""

    def decorate(run: Callable[..., str]) -> Callable[..., HttpResponse]:
        @login_required
        @require_POST
        def view(request: HttpRequest, person_id: int) -> HttpResponse:
            user, person = _target(request, person_id, edit=edit)
            form = form_class(request.POST, **_form_kwargs(key, person))
            if form.is_valid():
                try:
                    message = run(user, person, form)
                except (ValidationError, ValueError) as exc:
                    _apply_errors(form, exc, getattr(run, "error_field", None))
                else:
                    messages.success(request, message)
                    return _answer(request, user, person_id, key, None)
            return _answer(request, user, person_id, key, form)

        view.__name__ = run.__name__
        view.__doc__ = run.__doc__
        return view

    return decorate


def _form_kwargs(key: str, person: Person) -> dict[str, Any]:
    if key == "untag":
        return {"person": person}
    if key == "cf":
        return {"person": person, "definitions": list(CustomField.objects.all())}
    return {}


def _error_field(name: str) -> Callable[[Callable[..., str]], Callable[..., str]]:
    def mark(run: Callable[..., str]) -> Callable[..., str]:
        run.error_field = name  # type: ignore[attr-defined]
        return run

    return mark


@_action("note", NoteForm, edit=False)
@_error_field("text")
def note_add_view(user: User, person: Person, form: forms.Form) -> str:
    """POST /people/<id>/notes/ — note-text."""
    note_add(actor=user, person=person, text=form.cleaned_data["text"])
    return "Note added."


@_action("contact", ContactLogForm, edit=False)
def contact_log_view(user: User, person: Person, form: forms.Form) -> str:
    """POST /people/<id>/contacts/ — contact-kind, contact-result, contact-occurred_at,
    contact-notes."""
    data = form.cleaned_data
    contact_log(
        actor=user,
        person=person,
        kind=data["kind"],
        result=data["result"],
        notes=data["notes"],
        occurred_at=data["occurred_at"],
    )
    label = ActivityType(data["kind"]).label
    result = f": {ContactResult(data['result']).label.lower()}" if data["result"] else ""
    return f"{label} logged{result}."


@_action("tag", TagAddForm, edit=True)
@_error_field("name")
def tag_add_view(user: User, person: Person, form: forms.Form) -> str:
    """POST /people/<id>/tags/ — tag-name."""
    tagging = tag_add(actor=user, person=person, name=form.cleaned_data["name"])
    return f"Tagged “{tagging.tag.name}”."


@_action("untag", TagRemoveForm, edit=True)
def tag_remove_view(user: User, person: Person, form: forms.Form) -> str:
    """POST /people/<id>/tags/remove/ — untag-tag (a tag id on this person)."""
    tag = form.cleaned_data["tag"]
    tag_remove(actor=user, person=person, tag=tag)
    return f"Removed the tag “{tag.name}”."


@_action("edit", PersonEditForm, edit=True)
def person_edit_view(user: User, person: Person, form: forms.Form) -> str:
    """POST /people/<id>/edit/ — edit-first_name … edit-occupation."""
    person_update(actor=user, person=person, **form.cleaned_data)
    return "Saved."


@_action("cf", CustomFieldsForm, edit=True)
def custom_fields_view(user: User, person: Person, form: forms.Form) -> str:
    """POST /people/<id>/fields/ — cf-<key> for each defined custom field."""
    values = cast(CustomFieldsForm, form).values()
    custom_fields_set(actor=user, person=person, values=values)
    return "Custom fields saved."


@_action("email", EmailAddForm, edit=True)
@_error_field("address")
def email_add_view(user: User, person: Person, form: forms.Form) -> str:
    """POST /people/<id>/emails/ — email-address, email-is_primary."""
    data = form.cleaned_data
    try:
        email = email_add(
            actor=user, person=person, address=data["address"], is_primary=data["is_primary"]
        )
    except InvalidContact as exc:
        raise ValidationError({"address": f"Not a usable email address: {exc}"}) from None
    return f"Added {email.address}."


@_action("phone", PhoneAddForm, edit=True)
@_error_field("number")
def phone_add_view(user: User, person: Person, form: forms.Form) -> str:
    """POST /people/<id>/phones/ — phone-number, phone-kind, phone-is_primary,
    phone-do_not_call."""
    data = form.cleaned_data
    try:
        phone = phone_add(
            actor=user,
            person=person,
            number=data["number"],
            kind=data["kind"],
            is_primary=data["is_primary"],
            do_not_call=data["do_not_call"],
        )
    except InvalidContact as exc:
        raise ValidationError({"number": f"Not a usable phone number: {exc}"}) from None
    return f"Added {format_phone(phone.number)}."
