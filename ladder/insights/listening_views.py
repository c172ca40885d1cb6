"""The listening screens (staff: themes are drawn from everyone's words): the themes with their
top words, examples and trend; one theme's texts and the people who said them; and one click
to turn a theme's people into a list and a segment."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ladder.core.access import staff_user
from ladder.insights.listening import listening_latest, listening_run_start
from ladder.insights.models import ListeningRun, Theme
from ladder.segments.services import list_of_people, segment_create
from ladder.web.htmx import progress_fragment

SHOWN_TEXTS = 200


def _bars(theme: Theme) -> list[tuple[str, int, int]]:
    """(week, count, height %) for the theme's last 12 weeks with texts."""
    weeks = list(theme.weekly.items())[-12:]
    top = max((n for _, n in weeks), default=0)
    return [(week, n, round(100 * n / top) if top else 0) for week, n in weeks]


@login_required
def listening_view(request: HttpRequest) -> HttpResponse:
    staff_user(request)
    run = listening_latest()
    done = ListeningRun.objects.filter(status=ListeningRun.Status.DONE).first()
    themes = list(done.themes.all()) if done else []
    context = {"run": run, "done": done, "themes": [(t, _bars(t)) for t in themes]}
    return render(request, "insights/listening.html", context)


@login_required
@require_POST
def listening_start_view(request: HttpRequest) -> HttpResponse:
    listening_run_start(actor=staff_user(request))
    return HttpResponseRedirect(reverse("insights:listening"))


@login_required
def listening_progress_view(request: HttpRequest, run_id: int) -> HttpResponse:
    staff_user(request)
    run = ListeningRun.objects.filter(pk=run_id).first()
    if run is None:
        raise Http404("No such run")
    return progress_fragment(request, "insights/_listening_run.html", {"run": run},
                             finished=not run.running)  # fmt: skip


def _theme(theme_id: int) -> Theme:
    theme = Theme.objects.select_related("run").filter(pk=theme_id).first()
    if theme is None:
        raise Http404("No such theme")
    return theme


@login_required
def theme_view(request: HttpRequest, theme_id: int) -> HttpResponse:
    staff_user(request)
    theme = _theme(theme_id)
    texts = theme.texts.select_related("person").order_by("-score")[:SHOWN_TEXTS]
    return render(request, "insights/theme.html",
                  {"theme": theme, "texts": texts, "bars": _bars(theme)})  # fmt: skip


@login_required
@require_POST
def theme_segment_view(request: HttpRequest, theme_id: int) -> HttpResponse:
    """The theme's people as a list, and a segment of that list to build on."""
    user = staff_user(request)
    theme = _theme(theme_id)
    people = set(theme.texts.values_list("person_id", flat=True))
    name = f"Said: {theme.label}"
    with transaction.atomic():
        static_list = list_of_people(
            actor=user, name=name, person_ids=people,
            description=f"People whose words fell in the theme “{theme.label}” "
                        f"(listening run #{theme.run_id}).",
        )  # fmt: skip
        segment = segment_create(
            actor=user, name=name,
            definition={"version": 1, "match": {"kind": "list", "id": static_list.pk}},
            description=static_list.description,
        )  # fmt: skip
    messages.success(request, f"{static_list.size:,} people are in the segment “{name}”.")
    return HttpResponseRedirect(reverse("segments:detail", args=[segment.pk]))
