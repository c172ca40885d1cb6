"""The group pages: the groups a leader runs, one group's page, handing part of it to a new
team, and saying yes or "not now" to a responsibility a rung suggested."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ladder.core.access import current_user
from ladder.ladders.models import Responsibility
from ladder.ladders.pathways import (
    responsibilities_waiting,
    responsibility_decline,
    responsibility_grant,
)
from ladder.organizing.forms import TeamForm
from ladder.organizing.group_page import group_for, group_page, group_people, groups_led
from ladder.organizing.selectors import universe_people
from ladder.organizing.teams import team_create


@login_required
def groups_view(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    groups = list(
        groups_led(user)
        .select_related("parent")
        .annotate(n=Count("memberships", distinct=True))
        .order_by("name")[:500]
    )
    if len(groups) == 1 and not user.sees_everyone:
        return HttpResponseRedirect(reverse("organizing:group", args=[groups[0].pk]))
    return render(request, "organizing/groups.html", {"groups": groups})


def _render_group(
    request: HttpRequest, group_id: int, form: TeamForm | None = None, status: int = 200
) -> HttpResponse:
    user = current_user(request)
    group = group_for(user, group_id)
    page = group_page(user, group)
    form = form or TeamForm(user=user, candidates=page.candidates)
    return render(
        request, "organizing/group.html", {"page": page, "team_form": form}, status=status
    )


@login_required
def group_view(request: HttpRequest, group_id: int) -> HttpResponse:
    return _render_group(request, group_id)


@login_required
@require_POST
def team_new_view(request: HttpRequest, group_id: int) -> HttpResponse:
    user = current_user(request)
    group = group_for(user, group_id)
    page = group_page(user, group)
    form = TeamForm(request.POST, user=user, candidates=page.candidates)
    if form.is_valid():
        data = form.cleaned_data
        members = group_people(user, group)
        if data["segment"] or data["static_list"]:
            chosen = universe_people(user, data["segment"], data["static_list"])
            members = members.filter(pk__in=chosen.values("pk"))
        try:
            team = team_create(
                actor=user, parent=group, name=data["name"], leader=data["leader"],
                members=list(members[:5000]) if data["segment"] or data["static_list"] else [],
            )  # fmt: skip
        except ValidationError as problem:
            for name, errors in problem.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(request, f"{team.name} is ready, led by {data['leader'].username}.")
            return HttpResponseRedirect(reverse("organizing:group", args=[team.pk]))
    return _render_group(request, group_id, form=form, status=400)


@login_required
@require_POST
def responsibility_view(
    request: HttpRequest, group_id: int, responsibility_id: int
) -> HttpResponse:
    user = current_user(request)
    group_for(user, group_id)
    found = responsibilities_waiting(user).filter(pk=responsibility_id).first()
    if found is None:
        raise Http404("No such suggestion")
    decision = request.POST.get("decision", "")
    if decision not in ("grant", "decline"):
        messages.error(request, "Choose grant or not now.")
    elif decision == "decline":
        responsibility_decline(actor=user, responsibility=found)
        messages.info(request, f"Not now: {found.get_kind_display()} for {found.person}.")
    else:
        try:
            responsibility_grant(actor=user, responsibility=found)
        except ValidationError as problem:
            messages.error(request, " ".join(problem.messages))
        else:
            granted = Responsibility.objects.get(pk=found.pk)
            messages.success(request, f"{found.person} is now {granted.get_kind_display()}.")
    return HttpResponseRedirect(reverse("organizing:group", args=[group_id]) + "#waiting")
