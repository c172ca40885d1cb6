"""A volunteer's own page: what they did this week and this month, their goals and how far
they are, their referral link and their fundraising pages. For any login linked to a
supporter record (volunteers, leaders, staff who also act)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from ladder.actions.forms import GoalForm
from ladder.actions.leaderboards import METRICS, person_progress
from ladder.actions.models import FundraisingPage, PersonalGoal
from ladder.actions.services import PageError, goal_set, referral_code_for
from ladder.core.access import current_user
from ladder.people.models import Person

SHOWN = ("doors", "calls", "shifts", "hours", "recruits", "raised")


@require_http_methods(["GET", "POST"])
@login_required
def me_view(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    person = Person.objects.filter(user=user, merged_into__isnull=True).first()
    if person is None:
        return render(request, "actions/me.html", {"person": None}, status=200)
    form = GoalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            goal_set(person=person, metric=data["metric"], target=data["target"],
                     days=data["days"])  # fmt: skip
        except PageError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(request, "Goal set. Go get it!")
            return redirect("actions:me")
    now = timezone.now()
    week, month = now - dt.timedelta(days=7), now - dt.timedelta(days=30)
    totals = [(METRICS[m], person_progress(person, m, week), person_progress(person, m, month))
              for m in SHOWN]  # fmt: skip
    goals = []
    for goal in PersonalGoal.objects.filter(person=person, ends_at__gte=now)[:10]:
        done = person_progress(person, goal.metric, goal.starts_at, goal.ends_at)
        goals.append((goal, done, min(100, round(100 * float(done) / goal.target))))
    code = referral_code_for(person)
    context = {
        "person": person,
        "form": form,
        "totals": totals,
        "goals": goals,
        "code": code,
        "fundraisers": FundraisingPage.objects.filter(owner=person).select_related("campaign"),
        "refer_note": request.build_absolute_uri(reverse("web:home")) + f"?ref={code}",
    }
    return render(request, "actions/me.html", context)
