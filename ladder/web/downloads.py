"""CSV downloads of people, shared by every screen that exports a set of them (segments, lists,
action pages): streamed by the people export, scoped by the caller, formula-safe."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify

from ladder.core.models import User
from ladder.people.export import DEFAULT_COLUMNS, ExportError, people_export_csv

EXPORT_COLUMNS = [*DEFAULT_COLUMNS, "city", "engagement_score"]


def people_csv_download(
    user: User,
    request: HttpRequest,
    people: Any,
    name: str,
    columns: Sequence[str] = EXPORT_COLUMNS,
) -> HttpResponse | StreamingHttpResponse:
    """``people`` (already scoped to ``user``) as a CSV attachment named after ``name``;
    ``?columns=a,b`` picks the columns, and an unknown one is a 400 that names it."""
    raw = request.GET.get("columns", "")
    chosen = raw.split(",") if raw.strip() else list(columns)
    try:
        pieces = people_export_csv(user, columns=chosen, people=people, bom=True)
    except ExportError as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    response = StreamingHttpResponse(pieces, content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = f"{slugify(name)[:60] or 'people'}-{stamp}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
