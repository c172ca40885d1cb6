"""Home and the people search."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers

from ladder.core.access import current_user
from ladder.people.models import Tag
from ladder.people.selectors import SearchPage, groups_visible, people_search
from ladder.web.forms import PeopleFilterForm

EXPORT_URL = "/export/people.csv"
EXPORT_COLUMNS = "id,first_name,last_name,email,phone,postal_code,tags"
PAGE_SIZE = 50


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("web:people")


def _is_partial(request: HttpRequest) -> bool:
    """An htmx swap wants only the results; a history restore (cache miss) wants the page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request and not htmx.boosted  # type: ignore[union-attr]


@login_required
def people_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    # Both lists are small (tags are labels, groups are chapters), so one query each.
    tags = list(Tag.objects.order_by("name").values_list("id", "name"))
    groups = list(groups_visible(user).order_by("name").values_list("id", "name"))
    form = PeopleFilterForm(request.GET, tags=tags, groups=groups)
    page: SearchPage | None = None
    filters: dict[str, str] = {}
    if form.is_valid():
        data = form.cleaned_data
        page = people_search(
            user,
            query=data["q"],
            tag_id=data["tag"],
            group_id=data["group"],
            after=data["after"],
            limit=PAGE_SIZE,
        )
        filters = {k: str(data[k]) for k in ("q", "tag", "group") if data[k] not in (None, "")}
    context = {
        "form": form,
        "page": page,
        "filters": filters,
        "paged": bool(form.is_valid() and form.cleaned_data["after"]),
        "export_url": f"{EXPORT_URL}?{urlencode({**filters, 'columns': EXPORT_COLUMNS})}",
        "page_size": PAGE_SIZE,
    }
    template = "web/people_list.html#results" if _is_partial(request) else "web/people_list.html"
    response = render(request, template, context)
    # The same URL answers with a fragment or a page; caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})
