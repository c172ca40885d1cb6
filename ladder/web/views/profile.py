"""The profile: everything about one person, and their timeline."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django_htmx.http import reswap, retarget

from ladder.activity.catalogue import ActivityChannel, ActivityType
from ladder.activity.selectors import TimelinePage
from ladder.core.access import current_user
from ladder.core.models import User
from ladder.ladders.selectors import profile_panel
from ladder.mailings.selectors import deliveries_for_person
from ladder.organizing.selectors import touch_history
from ladder.people.models import CustomField, Person, Tag
from ladder.people.selectors import person_for, survivor_id, visible_people
from ladder.web.forms import (
    ContactLogForm,
    CustomFieldsForm,
    EmailAddForm,
    NoteForm,
    PersonEditForm,
    PhoneAddForm,
    TagAddForm,
    TimelineFilterForm,
)
from ladder.web.permissions import can_edit_person
from ladder.web.timeline import encode_cursor, timeline_page

TYPE_CHOICES = [("", "All types"), *ActivityType.choices]
CHANNEL_CHOICES = [("", "Any channel"), *ActivityChannel.choices]


def _timeline(request: HttpRequest, user: User, person: Person) -> dict[str, Any]:
    """The timeline page the query string asks for; bad filters are reported, not obeyed."""
    form = TimelineFilterForm(request.GET)
    if form.is_valid():
        data = form.cleaned_data
        kind = data["type"] or None
        channel = data["channel"] or None
        before = data["before"]
    else:
        kind = channel = before = None
    page: TimelinePage = timeline_page(
        user, person, types=[kind] if kind else None, channel=channel, before=before
    )
    cursor = encode_cursor(page.next_before)
    more = {"type": kind, "channel": channel, "before": cursor}
    return {
        "timeline": page,
        "timeline_form": form,
        "timeline_type": kind or "",
        "timeline_channel": channel or "",
        "next_cursor": cursor,
        "more_query": urlencode({k: v for k, v in more.items() if v}),
        "type_choices": TYPE_CHOICES,
        "channel_choices": CHANNEL_CHOICES,
    }


def profile_context(
    request: HttpRequest,
    user: User,
    person: Person,
    *,
    bound: dict[str, forms.Form] | None = None,
) -> dict[str, Any]:
    """Everything the profile template and its partials read. ``bound`` replaces blank forms
    with submitted ones, so their errors show next to their fields."""
    definitions = list(CustomField.objects.all())
    blank: dict[str, forms.Form] = {
        "note": NoteForm(),
        "contact": ContactLogForm(),
        "tag": TagAddForm(),
        "edit": PersonEditForm.for_person(person),
        "cf": CustomFieldsForm(definitions=definitions, person=person),
        "email": EmailAddForm(),
        "phone": PhoneAddForm(),
    }
    all_forms = {**blank, **(bound or {})}
    stored = person.custom_fields or {}
    recruiter = person.recruited_by
    # The recruiter is a person too: name them only to someone who may see them.
    recruiter_visible = (
        recruiter is not None and visible_people(user).filter(pk=recruiter.pk).exists()
    )
    return {
        "person": person,
        "stats": getattr(person, "stats", None),
        "taggings": sorted(person.taggings.all(), key=lambda t: t.tag.name.lower()),
        "groups": list(person.groups.all()),
        "custom_values": [(d, stored.get(d.key)) for d in definitions],
        "recruiter": recruiter if recruiter_visible else None,
        "recruiter_hidden": recruiter is not None and not recruiter_visible,
        "can_edit": can_edit_person(user),
        "tag_names": list(Tag.objects.order_by("name").values_list("name", flat=True)[:500]),
        "forms": all_forms,
        "open_panel": next(iter(bound), "") if bound else "",
        # Rungs, the engagement score explained, and the next step (ladders app).
        "ladder_panel": profile_panel(person),
        # Every message the person got, from the mailings the viewer may see (mailings app).
        "mail_deliveries": deliveries_for_person(user, person),
        # Calls, knocks, texts and relational touches, and who knows them (organizing app).
        "touches": touch_history(person),
        **_timeline(request, user, person),
    }


@login_required
def profile(request: HttpRequest, person_id: int) -> HttpResponse:
    user = current_user(request)
    try:
        person = person_for(user, person_id)
    except Http404:
        survivor = survivor_id(person_id)
        if survivor == person_id:
            raise
        # Merged away: the id still answers, with the survivor (if the user may see them).
        person_for(user, survivor)
        messages.info(request, f"Record {person_id} was merged into this one.")
        return redirect("web:profile", person_id=survivor)
    return render(request, "web/profile.html", profile_context(request, user, person))


@login_required
def timeline(request: HttpRequest, person_id: int) -> HttpResponse:
    """htmx: a filter change swaps the list; "Load more" appends the next page's rows."""
    user = current_user(request)
    person = person_for(user, person_id)
    if not getattr(request, "htmx", False):
        return render(request, "web/profile.html", profile_context(request, user, person))
    context = {"person": person, **_timeline(request, user, person)}
    appending = bool(request.GET.get("before")) and context["timeline_form"].is_valid()
    partial = "timeline-rows" if appending else "timeline-list"
    response = HttpResponse(
        render_to_string(f"web/profile.html#{partial}", context, request=request)
    )
    if request.GET.get("before") and not appending:
        # A broken "load more" cursor: replace the whole list (with the error) instead of
        # appending page one again under what is already shown.
        retarget(response, "#timeline-items")
        reswap(response, "outerHTML")
    return response
