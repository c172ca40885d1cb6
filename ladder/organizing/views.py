"""The organizing screens: the lists one may build or work, building one, the organizer's live
progress, and the volunteer's calling (or door) screen — one household at a time, on a phone."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ladder.activity.catalogue import CONTACT_TYPES, ActivityType, ContactResult
from ladder.activity.models import Activity
from ladder.core.access import current_user, require
from ladder.mailings.merge import MergeError, Recipient, compile_subject
from ladder.organizing.forms import AnswersForm, ContactListForm, ContactsUploadForm
from ladder.organizing.models import ContactList, ListEntry
from ladder.organizing.selectors import (
    can_build_lists,
    contact_list_for,
    contact_lists_visible,
    entry_for,
    list_progress,
    manages,
    organizing_metrics,
)
from ladder.organizing.services import (
    contact_list_create,
    entry_next,
    entry_record,
    entry_release,
)
from ladder.people.models import Address, Person, Phone, Tagging


@login_required
def lists_view(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    lists = list(contact_lists_visible(user).order_by("-created_at")[:200])
    rows = [(c, list_progress(c), manages(user, c)) for c in lists]
    context = {
        "rows": rows,
        "can_build": can_build_lists(user),
        # Organization-wide figures: staff only.
        "metrics": organizing_metrics() if user.sees_everyone else None,
    }
    return render(request, "organizing/lists.html", context)


@login_required
def list_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(can_build_lists(user))
    form = ContactListForm(request.POST or None, user=user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                built = contact_list_create(
                    actor=user, name=data["name"], kind=data["kind"], segment=data["segment"],
                    static_list=data["static_list"], script=data["script"], group=data["group"],
                    volunteers=data["volunteers"], open_to_group=data["open_to_group"],
                )  # fmt: skip
            except ValidationError as problem:
                for name, messages in problem.message_dict.items():
                    form.add_error(name if name in form.fields else None, messages)
            else:
                return HttpResponseRedirect(reverse("organizing:list", args=[built.pk]))
        status = 400
    return render(request, "organizing/list_new.html", {"form": form}, status=status)


def _progress_context(contact_list: ContactList) -> dict[str, Any]:
    progress = list_progress(contact_list)
    labels = dict(ContactResult.choices)
    results = sorted(progress.results.items(), key=lambda kv: -kv[1])
    callers = (
        contact_list.entries.filter(state__in=[ListEntry.State.DONE, ListEntry.State.SERVED])  # type: ignore[attr-defined]
        .exclude(served_to=None)
        .values("served_to__username")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    return {
        "contact_list": contact_list,
        "progress": progress,
        "share": round(100 * (progress.done + progress.skipped) / progress.total)
        if progress.total
        else 0,
        "results": [
            (labels.get(code, code), n, round(100 * n / progress.done)) for code, n in results
        ]
        if progress.done
        else [],
        "callers": list(callers),
    }


@login_required
def list_view(request: HttpRequest, list_id: int) -> HttpResponse:
    user = current_user(request)
    contact_list = contact_list_for(user, list_id)
    if not manages(user, contact_list):
        return HttpResponseRedirect(reverse("organizing:work", args=[contact_list.pk]))
    context = _progress_context(contact_list)
    template = (
        "organizing/_progress.html" if request.htmx else "organizing/list.html"  # type: ignore[attr-defined]
    )
    return render(request, template, context)


def _known_for(people: list[Person]) -> dict[int, dict[str, Any]]:
    """What a caller should know before saying hello — the last contact, the last answers,
    tags, the number to call and the door — for every person on the screen at once (a walk
    packet holds 20 households): five queries, not five per person."""
    pks = [p.pk for p in people]
    known: dict[int, dict[str, Any]] = {
        pk: {"last": None, "answers": [], "tags": [], "phone": None, "address": None} for pk in pks
    }
    lately = (
        Activity.objects.filter(
            person_id__in=pks, type__in=[*CONTACT_TYPES, ActivityType.SURVEY_RESPONSE]
        )
        .select_related("actor")
        .order_by("-occurred_at", "-id")[: 40 * len(pks)]
    )
    for activity in lately:
        mine = known[activity.person_id]
        if activity.type == ActivityType.SURVEY_RESPONSE:
            if len(mine["answers"]) < 3:
                mine["answers"].append(activity)
        elif mine["last"] is None:
            mine["last"] = activity
    for tagging in Tagging.objects.filter(person_id__in=pks).select_related("tag"):
        if len(known[tagging.person_id]["tags"]) < 6:
            known[tagging.person_id]["tags"].append(tagging.tag.name)
    phones = Phone.objects.filter(person_id__in=pks, do_not_call=False)
    for phone in phones.order_by("-is_primary", "id"):  # the primary first
        if known[phone.person_id]["phone"] is None:
            known[phone.person_id]["phone"] = phone
    for address in Address.objects.filter(person_id__in=pks).order_by("-is_primary", "id"):
        if known[address.person_id]["address"] is None:
            known[address.person_id]["address"] = address
    return known


def _script_text(contact_list: ContactList, person: Person) -> str:
    if contact_list.script is None:
        return ""
    try:
        template = compile_subject(contact_list.script.body)
    except MergeError:
        return contact_list.script.body
    return template.render(Recipient(first_name=person.first_name, last_name=person.last_name))


WALK_PACKET = 20  # households a canvasser takes out at once (answers queue on the phone)


def _record(request: HttpRequest, user: Any, contact_list: ContactList) -> tuple[AnswersForm, bool]:
    """Record the posted answers for one entry; (form, recorded). Errors land on the form."""
    entry = entry_for(user, int(request.POST.get("entry", "0") or 0))
    if entry.contact_list_id != contact_list.pk:
        raise Http404("No such entry")
    form = AnswersForm(request.POST, script=contact_list.script, prefix=f"e{entry.pk}")
    if not form.is_valid():
        return form, False
    try:
        entry_record(
            actor=user, entry=entry, result=form.cleaned_data["result"],
            answers=form.answers(), notes=form.cleaned_data["notes"],
        )  # fmt: skip
    except ValidationError as problem:
        for key, messages in problem.message_dict.items():
            name = f"q_{key}" if f"q_{key}" in form.fields else key
            form.add_error(name if name in form.fields else None, messages)
        return form, False
    return form, True


@login_required
def work_view(request: HttpRequest, list_id: int) -> HttpResponse:
    """The next household for this volunteer (a packet of them on a walk), with a form per
    person; a POST records one and moves on."""
    user = current_user(request)
    contact_list = contact_list_for(user, list_id)
    script = contact_list.script
    status = 200
    forms_by_entry: dict[int, AnswersForm] = {}
    if request.method == "POST":
        form, recorded = _record(request, user, contact_list)
        if recorded:
            return HttpResponseRedirect(reverse("organizing:work", args=[contact_list.pk]))
        forms_by_entry[int(request.POST["entry"])] = form
        status = 400
    walking = contact_list.kind == ContactList.Kind.WALK
    household = entry_next(
        actor=user, contact_list=contact_list, households=WALK_PACKET if walking else 1
    )
    known = _known_for([entry.person for entry in household])
    cards = [
        {
            "entry": entry,
            "person": entry.person,
            "phone": known[entry.person_id]["phone"],
            "address": known[entry.person_id]["address"],
            "known": known[entry.person_id],
            "script": _script_text(contact_list, entry.person),
            "form": forms_by_entry.get(entry.pk)
            or AnswersForm(script=script, prefix=f"e{entry.pk}"),
        }
        for entry in household
    ]
    context = {
        "contact_list": contact_list,
        "cards": cards,
        "progress": list_progress(contact_list),
        "walking": walking,
    }
    return render(request, "organizing/work.html", context, status=status)


@login_required
@require_POST
def record_view(request: HttpRequest, list_id: int) -> JsonResponse:
    """One answer sent from a phone's queue: 200 when recorded (or recorded before — a resend
    after a lost reply), 400 with the errors by field, 404 for an entry not the sender's."""
    user = current_user(request)
    contact_list = contact_list_for(user, list_id)
    form, recorded = _record(request, user, contact_list)
    if recorded:
        return JsonResponse({"recorded": int(request.POST["entry"])})
    errors = {name: [str(m) for m in messages] for name, messages in form.errors.items()}
    return JsonResponse({"error": "The answer was not recorded.", "fields": errors}, status=400)


@login_required
@require_POST
def release_view(request: HttpRequest, list_id: int) -> HttpResponse:
    user = current_user(request)
    contact_list = contact_list_for(user, list_id)
    for entry in ListEntry.objects.filter(
        contact_list=contact_list, served_to=user, state=ListEntry.State.SERVED
    ):
        entry_release(actor=user, entry=entry)
    return HttpResponseRedirect(reverse("organizing:lists"))


@login_required
def contacts_view(request: HttpRequest) -> HttpResponse:
    """The people a volunteer knows, and uploading more of them."""
    from ladder.organizing.relational import contacts_add, contacts_parse
    from ladder.people.models import Relationship

    user = current_user(request)
    form = ContactsUploadForm(request.POST or None, request.FILES or None)
    uploaded = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                contacts = contacts_parse(upload.read(), upload.name)
                uploaded = contacts_add(actor=user, contacts=contacts)
            except ValidationError as problem:
                form.add_error("file", problem.message_dict.get("file", problem.messages))
        if uploaded is None:
            status = 400
    knower = Person.objects.filter(user=user).first()
    known = (
        Relationship.objects.filter(knower=knower).select_related("person").order_by("-id")[:500]
        if knower
        else []
    )
    context = {"form": form, "uploaded": uploaded, "known": known}
    return render(request, "organizing/contacts.html", context, status=status)
