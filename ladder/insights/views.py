"""Goal screens: the list with a form to set one, and one goal with its trend."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ladder.core.access import current_user, require
from ladder.core.models import Role
from ladder.insights import works
from ladder.insights.charts import dashboard_figures, goal_figure
from ladder.insights.dashboard import dashboard, scope_for
from ladder.insights.digests import digest_for, digest_set
from ladder.insights.forms import DashboardForm, GoalForm
from ladder.insights.goals import goal_archive, goal_create, goal_progress, goals_visible
from ladder.insights.health import groups_health, quiet_days
from ladder.insights.models import Digest
from ladder.insights.today import my_day


def _organizer(request: HttpRequest):  # type: ignore[no-untyped-def]
    user = current_user(request)
    require(user.sees_everyone or user.role == Role.LEADER)
    return user


@login_required
def goals_view(request: HttpRequest) -> HttpResponse:
    user = _organizer(request)
    form = GoalForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            goal = goal_create(actor=user, **form.cleaned_data)
        except ValidationError as problem:
            for field, errors in problem.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Goal set: {goal.name}.")
            return HttpResponseRedirect(reverse("insights:goal", args=[goal.pk]))
    progress = [goal_progress(goal) for goal in goals_visible(user)]
    status = 400 if request.method == "POST" else 200
    return render(request, "insights/goals.html", {"form": form, "progress": progress},
                  status=status)  # fmt: skip


@login_required
def goal_view(request: HttpRequest, goal_id: int) -> HttpResponse:
    user = _organizer(request)
    goal = goals_visible(user).filter(pk=goal_id).first()
    if goal is None:
        raise Http404("No such goal")
    progress = goal_progress(goal)
    return render(request, "insights/goal.html",
                  {"p": progress, "figure": goal_figure(progress)})  # fmt: skip


@login_required
@require_POST
def goal_archive_view(request: HttpRequest, goal_id: int) -> HttpResponse:
    user = _organizer(request)
    goal = goals_visible(user).filter(pk=goal_id).first()
    if goal is None or (goal.group_id is None and not user.sees_everyone):
        raise Http404("No such goal")
    goal_archive(actor=user, goal=goal)
    messages.info(request, f"Archived: {goal.name}.")
    return HttpResponseRedirect(reverse("insights:goals"))


@login_required
def groups_health_view(request: HttpRequest) -> HttpResponse:
    user = _organizer(request)
    health = groups_health(user)
    context = {"health": health, "flagged": [h for h in health if h.flags],
               "quiet_days": quiet_days()}  # fmt: skip
    return render(request, "insights/groups.html", context)


@login_required
def my_day_view(request: HttpRequest) -> HttpResponse:
    """Anyone with a login: what needs them today (see `ladder.insights.today`), and how often
    they hear about their people by email."""
    user = current_user(request)
    if request.method == "POST":
        choice = request.POST.get("frequency", "")
        if choice not in Digest.Frequency.values:
            messages.error(request, "Choose every morning, every Monday or never.")
        else:
            digest_set(user=user, frequency=choice)
            messages.success(request, "Saved: " + Digest.Frequency(choice).label.lower() + ".")
        return HttpResponseRedirect(reverse("insights:today"))
    context = {"day": my_day(user), "digest": digest_for(user),
               "frequencies": Digest.Frequency.choices}  # fmt: skip
    return render(request, "insights/today.html", context)


def _dashboard_context(request: HttpRequest) -> dict[str, object]:
    user = _organizer(request)
    form = DashboardForm(request.GET or None, user=user)
    days, group = 30, None
    if form.is_valid():
        days = int(form.cleaned_data.get("days") or 30)
        group = form.cleaned_data.get("group")
    board = dashboard(scope_for(user, days=days, group=group))
    return {"board": board, "form": form, "figures": dashboard_figures(board),
            "query": request.GET.urlencode()}  # fmt: skip


@login_required
def dashboard_view(request: HttpRequest) -> HttpResponse:
    return render(request, "insights/dashboard.html", _dashboard_context(request))


@login_required
def dashboard_tiles_view(request: HttpRequest) -> HttpResponse:
    """The tiles alone, for the page's live refresh."""
    return render(request, "insights/_tiles.html", _dashboard_context(request))


@login_required
def works_view(request: HttpRequest) -> HttpResponse:
    """What works: asks, mailings, pages and channels by what they produced."""
    user = _organizer(request)
    choices = {"7": 7, "30": 30, "90": 90, "365": 365}
    days = choices.get(request.GET.get("days", ""), 90)
    context = {
        "days": days,
        "mailings": works.mailings_compared(user, days),
        "asks": works.asks_compared(user),
        "pages": works.pages_compared(user, days),
        "channels": works.channels_credited(user, days),
    }
    return render(request, "insights/works.html", context)
