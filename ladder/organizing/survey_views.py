"""Screens for what callers and canvassers read and ask: surveys (built question by question,
with what each answer sets), their results, scripts, and the contact policy (staff)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.forms import Form, formset_factory
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ladder.core.access import current_user, require
from ladder.organizing.forms import PolicyForm, QuestionForm, ScriptForm, SurveyForm
from ladder.organizing.selectors import (
    can_build_lists,
    policy,
    scripts_visible,
    survey_results,
    surveys_visible,
)
from ladder.organizing.services import QuestionPlan, policy_set, script_create, survey_create


def _errors_to(form: Form, problem: ValidationError) -> None:
    for name, errors in problem.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def _scripts_page(
    request: HttpRequest, policy_form: PolicyForm | None = None, status: int = 200
) -> HttpResponse:
    user = current_user(request)
    require(can_build_lists(user))
    current = policy()
    if policy_form is None and user.sees_everyone:
        policy_form = PolicyForm(
            initial={
                "same_channel_days": current.same_channel_days,
                "other_channel_days": current.other_channel_days,
            }
        )
    context: dict[str, Any] = {
        "surveys": surveys_visible(user).annotate(n=Count("questions")).order_by("name")[:200],
        "scripts": scripts_visible(user).select_related("survey").order_by("name")[:200],
        "policy": current,
        "policy_form": policy_form,
    }
    return render(request, "organizing/scripts.html", context, status=status)


@login_required
def scripts_view(request: HttpRequest) -> HttpResponse:
    return _scripts_page(request)


@login_required
def survey_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(can_build_lists(user))
    form = SurveyForm(request.POST or None, user=user)
    rows = request.GET.get("rows", "")
    extra = min(int(rows), 30) if rows.isdigit() and int(rows) > 0 else 3
    questions = formset_factory(QuestionForm, extra=extra, max_num=30)(
        request.POST or None, prefix="q"
    )
    if request.method == "POST":
        if form.is_valid() and questions.is_valid():
            plans = [
                QuestionPlan(
                    prompt=q["prompt"],
                    kind=q["kind"],
                    choices=q["choices"],
                    effects=q["effects"],
                    scale=(q.get("scale_min") or 1, q.get("scale_max") or 5),
                )
                for q in questions.cleaned_data
                if q and q.get("prompt")
            ]
            try:
                made = survey_create(
                    actor=user, name=form.cleaned_data["name"], questions=plans,
                    group=form.cleaned_data["group"],
                )  # fmt: skip
            except ValidationError as problem:
                _question_errors(form, questions, problem)
            else:
                messages.success(request, f"“{made.name}” is ready to go on a script or a page.")
                return HttpResponseRedirect(reverse("organizing:survey", args=[made.pk]))
        return render(
            request,
            "organizing/survey_new.html",
            {"form": form, "questions": questions},
            status=400,
        )
    return render(request, "organizing/survey_new.html", {"form": form, "questions": questions})


def _question_errors(form: Form, questions: Any, problem: ValidationError) -> None:
    """The service names a question by its number among those asked: put the message on it."""
    asked = [f for f in questions.forms if f.cleaned_data.get("prompt")]
    for name, errors in problem.message_dict.items():
        if name.startswith("question "):
            number = int(name.split()[1])
            if 1 <= number <= len(asked):
                asked[number - 1].add_error("prompt", errors)
                continue
        form.add_error(name if name in form.fields else None, errors)


@login_required
def survey_view(request: HttpRequest, survey_id: int) -> HttpResponse:
    user = current_user(request)
    survey = get_object_or_404(surveys_visible(user), pk=survey_id)
    return render(
        request,
        "organizing/survey.html",
        {"survey": survey, "results": survey_results(user, survey)},
    )


@login_required
def script_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(can_build_lists(user))
    form = ScriptForm(request.POST or None, user=user)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                script_create(
                    actor=user, name=data["name"], body=data["body"], survey=data["survey"],
                    result_codes=data["result_codes"], group=data["group"],
                )  # fmt: skip
            except ValidationError as problem:
                _errors_to(form, problem)
            else:
                messages.success(request, f"“{data['name']}” can now be chosen for a list.")
                return HttpResponseRedirect(reverse("organizing:scripts"))
        return render(request, "organizing/script_new.html", {"form": form}, status=400)
    return render(request, "organizing/script_new.html", {"form": form})


@login_required
@require_POST
def policy_view(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user.sees_everyone)
    form = PolicyForm(request.POST)
    if not form.is_valid():
        return _scripts_page(request, policy_form=form, status=400)
    policy_set(actor=user, **form.cleaned_data)
    messages.success(request, "The contact policy is saved; lists built from now on follow it.")
    return HttpResponseRedirect(reverse("organizing:scripts") + "#policy")
