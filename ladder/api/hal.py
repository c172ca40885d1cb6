"""HAL+JSON as Action Network serves it: absolute links, OSDI curies, collections with
``page``/``per_page``/totals/``next`` and ``_embedded`` holding exactly one ``osdi:<plural>``.

Pages are numbered because that is what clients send (Parsons counts pages until one comes
back empty, and a page past the end answers 200 with an empty list). The ``next`` link also
carries ``after=<last id>``, so a client that follows links reads by keyset, never by OFFSET;
totals are cached for a short while per token and query, so paging a million people counts
them once, not on every page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse

MEDIA_TYPE = "application/hal+json"
MAX_PER_PAGE = 25
TOTAL_SECONDS = 30
CURIES = [
    {"name": "osdi", "href": "https://actionnetwork.org/docs/v2/{rel}", "templated": True},
    {
        "name": "action_network",
        "href": "https://actionnetwork.org/docs/v2/{rel}",
        "templated": True,
    },
]


class ApiError(Exception):
    """An answer other than success: ``{"error": message}`` with ``status``."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def not_found(what: str) -> ApiError:
    return ApiError(404, f"Couldn't find {what}.")


class Hal(HttpResponse):
    def __init__(self, data: Any, status: int = 200, headers: dict[str, str] | None = None):
        super().__init__(
            json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False),
            content_type=MEDIA_TYPE,
            status=status,
            headers=headers,
        )


def stamp(moment: dt.datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, as Action Network writes dates."""
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def base(request: HttpRequest) -> str:
    """The API root as this request reached it: ``https://host/api/v2``."""
    return request.build_absolute_uri("/api/v2").rstrip("/")


def href(request: HttpRequest, path: str) -> dict[str, str]:
    return {"href": f"{base(request)}/{path.strip('/')}"}


def page_params(request: HttpRequest) -> tuple[int, int, int | None]:
    """(page, per_page, after) from the query string; bad values are a 400."""
    values = []
    for name, default, low in (("page", 1, 1), ("per_page", MAX_PER_PAGE, 1), ("after", 0, 0)):
        raw = request.GET.get(name, "")
        if raw == "":
            values.append(default)
            continue
        try:
            number = int(raw)
        except ValueError:
            raise ApiError(400, f"{name} must be a whole number, not “{raw[:40]}”.") from None
        if number < low or number > 2**62:
            raise ApiError(400, f"{name} must be at least {low}.")
        values.append(number)
    page, per_page, after = values
    return page, min(per_page, MAX_PER_PAGE), after or None


def _total(request: HttpRequest, rows: QuerySet[Any], scope: str) -> int:
    query = (
        f"{scope}|{request.path}|{request.GET.get('filter', '')}|{request.GET.get('$filter', '')}"
    )
    key = "api-total:" + hashlib.sha256(query.encode()).hexdigest()
    total = cache.get(key)
    if total is None:
        total = rows.count()
        cache.set(key, total, TOTAL_SECONDS)
    return int(total)


def collection[M: Model](
    request: HttpRequest,
    rows: QuerySet[M],
    *,
    plural: str,
    path: str,
    render: Callable[[Sequence[M]], list[dict[str, Any]]],
    scope: str,
) -> tuple[Hal, list[M]]:
    """One page of ``rows`` (already scoped and filtered) as a HAL collection, newest last by
    primary key; returns the response and the rows on it."""
    page, per_page, after = page_params(request)
    ordered = rows.order_by("pk")
    if after is not None:
        chosen = list(ordered.filter(pk__gt=after)[:per_page])
    else:
        start = (page - 1) * per_page
        chosen = list(ordered[start : start + per_page])
    total = _total(request, rows, scope)
    pages = max(1, -(-total // per_page))
    items = render(chosen)
    here = f"{base(request)}/{path}"
    kept = {k: v for k, v in request.GET.items() if k not in ("page", "after", "per_page")}
    links: dict[str, Any] = {
        "self": {"href": f"{here}?{urlencode({**kept, 'page': page, 'per_page': per_page})}"}
    }
    if chosen and len(chosen) == per_page and page < pages:
        after_id = chosen[-1].pk
        query = urlencode({**kept, "page": page + 1, "per_page": per_page, "after": after_id})
        links["next"] = {"href": f"{here}?{query}"}
    if page > 1:
        links["previous"] = {
            "href": f"{here}?{urlencode({**kept, 'page': page - 1, 'per_page': per_page})}"
        }
    links[f"osdi:{plural}"] = [{"href": item["_links"]["self"]["href"]} for item in items]
    links["curies"] = CURIES
    body = {
        "total_pages": pages,
        "per_page": per_page,
        "page": page,
        "total_records": total,
        "_links": links,
        "_embedded": {f"osdi:{plural}": items},
    }
    return Hal(body), chosen


def resource(data: dict[str, Any], status: int = 200) -> Hal:
    data.setdefault("_links", {})["curies"] = CURIES
    return Hal(data, status=status)
