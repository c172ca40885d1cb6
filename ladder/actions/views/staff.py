"""The staff side of action pages: list, create, edit, publish, close, results, export.
Staff see every page; a leader the pages of the groups they lead. Out of scope answers 404."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ladder.actions.events import ShiftPlan, event_create, event_review
from ladder.actions.forms import BoardFilterForm, EventForm, PageForm, ShiftFormSet
from ladder.actions.leaderboards import METRICS, WINDOWS, leaderboard
from ladder.actions.models import ActionPage
from ladder.actions.selectors import (
    can_manage_pages,
    event_summary,
    page_for,
    page_people,
    page_results,
    pages_visible,
)
from ladder.actions.services import PageError, page_close, page_create, page_publish, page_update
from ladder.core.access import current_user
from ladder.core.models import User
from ladder.people.services import supporter_upsert
from ladder.web.downloads import people_csv_download


def _user(request: HttpRequest) -> User:
    user = current_user(request)
    if not can_manage_pages(user):
        raise PermissionDenied
    return user


def _errors_to_form(form: PageForm | EventForm, error: PageError) -> None:
    for field, problems in error.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)


@require_GET
@login_required
def page_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    pages = pages_visible(user).select_related("group", "event").order_by("-created_at")[:200]
    return render(request, "actions/staff/list.html", {"pages": pages})


@require_http_methods(["GET", "POST"])
@login_required
def page_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = PageForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        values = form.values()
        try:
            page = page_create(
                actor=user, kind=form.cleaned_data["kind"], **{k: v for k, v in values.items()
                                                              if k != "title"},
                title=values["title"],
            )  # fmt: skip
        except PageError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, "Saved as a draft. Publish it when it is ready.")
            return redirect("actions:staff_detail", page.pk)
    return render(request, "actions/staff/edit.html", {"form": form, "page": None})


@require_http_methods(["GET", "POST"])
@login_required
def event_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = EventForm(request.POST or None, user=user)
    shifts = ShiftFormSet(request.POST or None, prefix="shift")
    if request.method == "POST" and form.is_valid() and shifts.is_valid():
        data = form.cleaned_data
        plans = [
            ShiftPlan(s["starts_at"], s["ends_at"], s.get("capacity"), s.get("name") or "")
            for s in shifts.cleaned_data
            if s.get("starts_at") and s.get("ends_at")
        ]
        hosts = [
            supporter_upsert(actor=user, email=email, source=f"host: {data['title']}")[0]
            for email in data["host_emails"]
        ]
        try:
            page = event_create(
                actor=user, title=data["title"], starts_at=data["starts_at"],
                ends_at=data["ends_at"], shifts=plans, venue=data["venue"],
                address=data["address"], is_online=data["is_online"],
                online_url=data["online_url"], volunteer_shifts=data["volunteer_shifts"],
                hosts=hosts, body=data["body"], consent_wording=data["consent_wording"],
                group=data["group"],
            )  # fmt: skip
        except PageError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, "Saved as a draft. Publish it when it is ready.")
            return redirect("actions:staff_detail", page.pk)
    return render(request, "actions/staff/event_new.html", {"form": form, "shifts": shifts})


@require_http_methods(["GET", "POST"])
@login_required
def page_edit(request: HttpRequest, page_id: int) -> HttpResponse:
    user = _user(request)
    page = page_for(user, page_id)
    form = PageForm(request.POST or None, user=user, page=page)
    if request.method == "POST" and form.is_valid():
        try:
            page_update(actor=user, page=page, **form.values())
        except PageError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("actions:staff_detail", page.pk)
    return render(request, "actions/staff/edit.html", {"form": form, "page": page})


@require_GET
@login_required
def page_detail(request: HttpRequest, page_id: int) -> HttpResponse:
    user = _user(request)
    page = page_for(user, page_id)
    public_url = request.build_absolute_uri(reverse("actions:page", args=[page.slug]))
    context = {
        "page": page,
        "event": event_summary(page),
        "results": page_results(user, page),
        "public_url": public_url,
        "embed": f'<iframe src="{public_url}" title="{page.title}" width="100%" height="900" '
        'style="border:0" loading="lazy"></iframe>',
    }
    if getattr(request, "htmx", False):  # the live "recent actions" panel polls itself
        return render(request, "actions/staff/_recent.html", context)
    return render(request, "actions/staff/detail.html", context)


@require_POST
@login_required
def page_status(request: HttpRequest, page_id: int, action: str) -> HttpResponse:
    user = _user(request)
    page = page_for(user, page_id)
    if action == "publish":
        page_publish(actor=user, page=page)
        messages.success(request, "Published: the page is live.")
    elif action == "close":
        page_close(actor=user, page=page)
        messages.success(request, "Closed: the page stays up and takes no more actions.")
    else:
        raise PermissionDenied
    return redirect("actions:staff_detail", page.pk)


@require_GET
@login_required
def page_export(request: HttpRequest, page_id: int) -> HttpResponse | StreamingHttpResponse:
    user = _user(request)
    page = page_for(user, page_id)
    return people_csv_download(user, request, page_people(user, page), page.title)


@require_GET
@login_required
def leaderboards_view(request: HttpRequest) -> HttpResponse:
    """Who recruited, raised and volunteered most, in a group and a window — among the people
    the viewer may see."""
    user = _user(request)
    form = BoardFilterForm(request.GET or None, user=user)
    metric, window, group = "recruits", "month", None
    if form.is_valid():
        metric = form.cleaned_data["metric"] or metric
        window = form.cleaned_data["window"] or window
        group = form.cleaned_data["group"]
    days = WINDOWS.get(window)
    since = timezone.now() - dt.timedelta(days=days) if days else None
    rows = leaderboard(metric, user=user, group=group, since=since)
    top = max((float(r.value) for r in rows), default=0.0)
    bars = [(r, round(100 * float(r.value) / top) if top else 0) for r in rows]
    context = {"form": form, "metric": METRICS[metric], "metric_key": metric, "bars": bars}
    return render(request, "actions/staff/leaderboards.html", context)


@require_POST
@login_required
def event_review_view(request: HttpRequest, page_id: int) -> HttpResponse:
    """Approve (and publish) or decline an event a supporter proposed."""
    user = _user(request)
    page = page_for(user, page_id)
    if page.kind != ActionPage.Kind.EVENT:
        raise PermissionDenied
    approve = request.POST.get("decision") == "approve"
    event_review(actor=user, event=page.event, approve=approve)
    messages.success(request, "Approved and published." if approve else "Declined.")
    return redirect("actions:staff_detail", page.pk)
