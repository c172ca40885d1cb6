"""``/lists`` (and their ``items``) and ``/queries``.

Action Network's lists are fixed sets of people; its queries are saved searches. Ladder has
both: static lists (`StaticList`, kind ``list``) and saved segments (`Segment`, kind
``segment``). ``/lists`` shows the static lists first, then the saved segments, because a
segment can be a message's target just as a list can and Action Network clients look for
targets among the lists; ``/queries`` shows the saved segments alone, read-only.

A segment has no member rows: its items are the people it matches now. An item id of a static
list carries the member row's key; an item id of a segment carries the person's key with
`SEGMENT_ITEM` set, so the two can never be mistaken for each other. Items are only ever the
people the token may reach (`people_of`), whoever built the list.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Router

from ladder.api import hal, ids, odata
from ladder.api.auth import token_of
from ladder.api.resources.common import (
    dated,
    filtered,
    not_partner,
    people_of,
    pk_from,
    scope_key,
)
from ladder.api.resources.people import person_path
from ladder.api.schemas import READ_ERRORS, Collection
from ladder.api.schemas_lists import ItemOut, ListOut, QueryOut
from ladder.people.models import Person
from ladder.segments.filters.schema import FilterError
from ladder.segments.models import ListMember, Segment, StaticList
from ladder.segments.selectors import lists_visible, segment_people, segments_visible

router = Router(tags=["lists"])

SEGMENT_ITEM = 1 << 61
LIST_FILTERS = {**dated("created_at", "created_at"), "name": odata.text_field("name")}
SEGMENT_FILTERS = {**dated("created_at", "updated_at"), "name": odata.text_field("name")}
MEMBER_FILTERS = dated("added_at", "added_at")
PERSON_ITEM_FILTERS = dated("created_at", "updated_at")


def list_path(row: StaticList | Segment) -> str:
    kind = "list" if isinstance(row, StaticList) else "segment"
    return f"lists/{ids.encode(kind, row.pk)}"


def query_path(segment_pk: int) -> str:
    return f"queries/{ids.encode('segment', segment_pk)}"


def static_list_json(request: HttpRequest, row: StaticList) -> dict[str, Any]:
    path = list_path(row)
    return {
        "identifiers": [ids.identifier("list", row.pk)],
        "created_date": hal.stamp(row.created_at),
        "modified_date": hal.stamp(row.created_at),
        "name": row.name,
        "description": row.description,
        "origin": row.origin,
        "origin_system": "Ladder",
        "_links": {
            "self": hal.href(request, path),
            "osdi:items": hal.href(request, f"{path}/items"),
        },
    }


def segment_list_json(request: HttpRequest, row: Segment) -> dict[str, Any]:
    path = list_path(row)
    return {
        "identifiers": [ids.identifier("segment", row.pk)],
        "created_date": hal.stamp(row.created_at),
        "modified_date": hal.stamp(row.updated_at),
        "name": row.name,
        "description": row.description,
        "origin": "query",
        "origin_system": "Ladder",
        "_links": {
            "self": hal.href(request, path),
            "osdi:items": hal.href(request, f"{path}/items"),
            "osdi:query": hal.href(request, query_path(row.pk)),
        },
    }


def query_json(request: HttpRequest, row: Segment) -> dict[str, Any]:
    return {
        "identifiers": [ids.identifier("segment", row.pk)],
        "created_date": hal.stamp(row.created_at),
        "modified_date": hal.stamp(row.updated_at),
        "name": row.name,
        "description": row.description,
        "origin_system": "Ladder",
        "definition": row.definition,
        "_links": {
            "self": hal.href(request, query_path(row.pk)),
            "osdi:list": hal.href(request, list_path(row)),
        },
    }


def _two_sources(
    request: HttpRequest,
    sources: Sequence[tuple[QuerySet[Any], Callable[[Sequence[Any]], list[dict[str, Any]]]]],
    *,
    plural: str,
    path: str,
    scope: str,
) -> HttpResponse:
    """One page over several querysets read one after another (each by primary key), with
    the totals of all of them: the shape of `hal.collection`, numbered pages only (a keyset
    over two tables has no one key; both tables are small)."""
    page, per_page, _after = hal.page_params(request)
    counts = [hal._total(request, rows, f"{scope}:{n}") for n, (rows, _) in enumerate(sources)]
    total = sum(counts)
    pages = max(1, -(-total // per_page))
    start, end = (page - 1) * per_page, page * per_page
    items: list[dict[str, Any]] = []
    offset = 0
    for (rows, render), count in zip(sources, counts, strict=True):
        low, high = max(start - offset, 0), min(end - offset, count)
        if low < high:
            chosen: list[Model] = list(rows.order_by("pk")[low:high])
            items.extend(render(chosen))
        offset += count
    here = f"{hal.base(request)}/{path}"
    kept = {k: v for k, v in request.GET.items() if k not in ("page", "after", "per_page")}
    links: dict[str, Any] = {
        "self": {"href": f"{here}?{urlencode({**kept, 'page': page, 'per_page': per_page})}"}
    }
    if items and page < pages:
        query = urlencode({**kept, "page": page + 1, "per_page": per_page})
        links["next"] = {"href": f"{here}?{query}"}
    if page > 1:
        query = urlencode({**kept, "page": page - 1, "per_page": per_page})
        links["previous"] = {"href": f"{here}?{query}"}
    links[f"osdi:{plural}"] = [{"href": item["_links"]["self"]["href"]} for item in items]
    links["curies"] = hal.CURIES
    return hal.Hal(
        {
            "total_pages": pages,
            "per_page": per_page,
            "page": page,
            "total_records": total,
            "_links": links,
            "_embedded": {f"osdi:{plural}": items},
        }
    )


@router.get(
    "/lists",
    response={200: Collection, **READ_ERRORS},
    summary="List lists",
    description="Static lists, then saved segments. Filter on created_date, modified_date "
    "and name.",
)
def lists_list(request: HttpRequest, filter: str | None = None) -> HttpResponse:
    user = not_partner(request).user
    lists = filtered(request, lists_visible(user), LIST_FILTERS)
    segments = filtered(request, segments_visible(user), SEGMENT_FILTERS)
    return _two_sources(
        request,
        [
            (lists, lambda rows: [static_list_json(request, r) for r in rows]),
            (segments, lambda rows: [segment_list_json(request, r) for r in rows]),
        ],
        plural="lists", path="lists", scope=scope_key(request),
    )  # fmt: skip


def _list_or_segment(request: HttpRequest, list_id: str) -> StaticList | Segment:
    user = token_of(request).user
    pk = pk_from(("list", "segment"), list_id, "list")
    found: StaticList | Segment | None
    if ids.kind_of(list_id) == "list":
        found = lists_visible(user).filter(pk=pk).first()
    else:
        found = segments_visible(user).filter(pk=pk).first()
    if found is None:
        raise hal.not_found(f"list with id = {list_id[:80]}")
    return found


def _list_json(request: HttpRequest, row: StaticList | Segment) -> dict[str, Any]:
    if isinstance(row, StaticList):
        return static_list_json(request, row)
    return segment_list_json(request, row)


@router.get("/lists/{list_id}", response={200: ListOut, **READ_ERRORS}, summary="One list")
def list_get(request: HttpRequest, list_id: str) -> HttpResponse:
    not_partner(request)
    return hal.resource(_list_json(request, _list_or_segment(request, list_id)))


def _matched(request: HttpRequest, segment: Segment) -> QuerySet[Person]:
    """The people a segment matches now, within the token's reach."""
    try:
        people = segment_people(token_of(request).user, segment.definition)
    except FilterError as problem:
        raise hal.ApiError(400, f"This segment's definition no longer works: {problem}") from None
    return people.filter(pk__in=people_of(request).values("pk"))


def member_json(request: HttpRequest, static_list: StaticList, row: ListMember) -> dict[str, Any]:
    return _item_json(request, list_path(static_list), row.pk, row.person_id, row.added_at, None)


def person_item_json(request: HttpRequest, segment: Segment, person: Person) -> dict[str, Any]:
    return _item_json(
        request, list_path(segment), SEGMENT_ITEM | person.pk, person.pk,
        person.created_at, person.updated_at,
    )  # fmt: skip


def _item_json(
    request: HttpRequest, path: str, item_pk: int, person_pk: int, created: Any, modified: Any
) -> dict[str, Any]:
    return {
        "identifiers": [ids.identifier("item", item_pk)],
        "created_date": hal.stamp(created),
        "modified_date": hal.stamp(modified or created),
        "item_type": "osdi:person",
        "_links": {
            "self": hal.href(request, f"{path}/items/{ids.encode('item', item_pk)}"),
            "osdi:list": hal.href(request, path),
            "osdi:person": hal.href(request, person_path(person_pk)),
        },
    }


@router.get(
    "/lists/{list_id}/items",
    response={200: Collection, **READ_ERRORS},
    summary="A list's items",
    description="The people on a list (or matched by a saved segment now) whom the token "
    "may reach. Filter on created_date and modified_date.",
)
def items_list(request: HttpRequest, list_id: str, filter: str | None = None) -> HttpResponse:
    not_partner(request)
    row = _list_or_segment(request, list_id)
    path = f"{list_path(row)}/items"
    if isinstance(row, StaticList):
        members = ListMember.objects.filter(static_list=row, person__in=people_of(request))
        members = filtered(request, members, MEMBER_FILTERS)
        response, _ = hal.collection(
            request, members, plural="items", path=path,
            render=lambda items: [member_json(request, row, m) for m in items],
            scope=scope_key(request),
        )  # fmt: skip
        return response
    segment = row
    people = filtered(request, _matched(request, segment), PERSON_ITEM_FILTERS)
    response, _ = hal.collection(
        request, people.only("pk", "created_at", "updated_at"), plural="items", path=path,
        render=lambda items: [person_item_json(request, segment, p) for p in items],
        scope=scope_key(request),
    )  # fmt: skip
    return response


@router.get(
    "/lists/{list_id}/items/{item_id}", response={200: ItemOut, **READ_ERRORS}, summary="One item"
)
def item_get(request: HttpRequest, list_id: str, item_id: str) -> HttpResponse:
    not_partner(request)
    row = _list_or_segment(request, list_id)
    pk = pk_from("item", item_id, "item")
    missing = hal.not_found(f"item with id = {item_id[:80]}")
    if isinstance(row, StaticList):
        if pk & SEGMENT_ITEM:
            raise missing
        member = ListMember.objects.filter(
            pk=pk, static_list=row, person__in=people_of(request)
        ).first()
        if member is None:
            raise missing
        return hal.resource(member_json(request, row, member))
    if not pk & SEGMENT_ITEM:
        raise missing
    person = _matched(request, row).filter(pk=pk & ~SEGMENT_ITEM).first()
    if person is None:
        raise missing
    return hal.resource(person_item_json(request, row, person))


@router.get(
    "/queries",
    response={200: Collection, **READ_ERRORS},
    summary="List queries",
    description="Saved segments. Filter on created_date, modified_date and name.",
)
def queries_list(request: HttpRequest, filter: str | None = None) -> HttpResponse:
    user = not_partner(request).user
    rows = filtered(request, segments_visible(user), SEGMENT_FILTERS)
    response, _ = hal.collection(
        request, rows, plural="queries", path="queries",
        render=lambda items: [query_json(request, s) for s in items], scope=scope_key(request),
    )  # fmt: skip
    return response


@router.get("/queries/{query_id}", response={200: QueryOut, **READ_ERRORS}, summary="One query")
def query_get(request: HttpRequest, query_id: str) -> HttpResponse:
    user = not_partner(request).user
    pk = pk_from("segment", query_id, "query")
    segment = segments_visible(user).filter(pk=pk).first()
    if segment is None:
        raise hal.not_found(f"query with id = {query_id[:80]}")
    return hal.resource(query_json(request, segment))
