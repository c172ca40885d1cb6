"""The ladder screens: the list of ladders, one ladder's funnel, and the people on a rung.

Staff see everyone; leaders see the same screens counted over their own people
(`visible_people`); volunteers work lists and do not get these screens.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ladder.core.access import current_user
from ladder.core.models import Role, User
from ladder.ladders.selectors import (
    ladder_get,
    ladder_report,
    ladders_overview,
    rung_get,
    rung_people,
)


def _viewer(request: HttpRequest) -> User:
    user = current_user(request)
    if not (user.sees_everyone or user.role == Role.LEADER):
        raise PermissionDenied("Ladders are for staff and leaders.")
    return user


@login_required
def ladder_list(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    return render(
        request,
        "ladders/ladder_list.html",
        {"summaries": ladders_overview(user), "scoped": not user.sees_everyone},
    )


@login_required
def ladder_detail(request: HttpRequest, ladder_id: int) -> HttpResponse:
    user = _viewer(request)
    ladder = ladder_get(ladder_id)
    report = ladder_report(user, ladder)
    return render(
        request,
        "ladders/ladder_detail.html",
        {"ladder": ladder, "report": report, "scoped": not user.sees_everyone},
    )


@login_required
def rung_people_view(request: HttpRequest, ladder_id: int, rung_id: int) -> HttpResponse:
    user = _viewer(request)
    ladder = ladder_get(ladder_id)
    rung = rung_get(ladder, rung_id)
    raw_after = request.GET.get("after", "")
    after: int | None = None
    if raw_after:
        if not raw_after.isdigit():
            context = {"ladder": ladder, "rung": rung, "error": "That page link is not valid."}
            return render(request, "ladders/rung_people.html", context, status=400)
        after = int(raw_after)
    page = rung_people(user, rung, after=after)
    return render(
        request,
        "ladders/rung_people.html",
        {"ladder": ladder, "rung": rung, "page": page, "paged": after is not None},
    )
