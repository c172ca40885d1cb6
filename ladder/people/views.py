"""People downloads. The screens live in `ladder.web`; this module serves the CSV export."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from ladder.core.models import User
from ladder.people.export import DEFAULT_COLUMNS, ExportError, people_export_csv
from ladder.people.models import Group, Tag


def _lookup(model: type[Tag] | type[Group], raw: str, by: str, label: str) -> int | None:
    """A tag or group given as an id (what the people list links with) or by name/slug."""
    raw = raw.strip()
    if not raw:
        return None
    if raw.isdigit():
        found = model.objects.filter(pk=int(raw)).values_list("pk", flat=True).first()
    else:
        found = model.objects.filter(**{f"{by}__iexact": raw}).values_list("pk", flat=True).first()
    if found is None:
        raise ExportError(f"There is no {label} “{raw}”.")
    return found


@require_GET
@login_required
def people_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """``GET /export/people.csv?columns=id,email&q=…&tag=…&group=…`` — a streamed CSV of the
    people the user may see. Unknown columns, tags or groups answer 400 with the reason."""
    user = request.user
    assert isinstance(user, User)
    raw_columns = request.GET.get("columns", "")
    columns = raw_columns.split(",") if raw_columns.strip() else DEFAULT_COLUMNS
    try:
        pieces = people_export_csv(
            user,
            columns=columns,
            query=request.GET.get("q", ""),
            tag_id=_lookup(Tag, request.GET.get("tag", ""), "name", "tag"),
            group_id=_lookup(Group, request.GET.get("group", ""), "slug", "group"),
            bom=True,
        )
    except ExportError as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    response = StreamingHttpResponse(pieces, content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="people-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response
