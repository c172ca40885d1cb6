from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from ladder.activity.models import Activity
from ladder.people.selectors import people_search, person_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("web:people")


@login_required
def people_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    after = request.GET.get("after")
    page = people_search(
        request.user,  # type: ignore[arg-type]
        query=query,
        after=int(after) if after and after.isdigit() else None,
    )
    return render(request, "web/people_list.html", {"page": page, "query": query})


@login_required
def profile(request: HttpRequest, person_id: int) -> HttpResponse:
    person = person_for(request.user, person_id)  # type: ignore[arg-type]
    timeline = Activity.objects.filter(person=person).order_by("-occurred_at", "-id")[:100]
    return render(request, "web/profile.html", {"person": person, "timeline": timeline})


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})
