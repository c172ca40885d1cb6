"""``/metadata`` with its custom fields, and the Action Network collections Ladder has no
counterpart for.

Why these are empty rather than missing: Parsons' connector (and other Action Network clients)
read every collection the same way — page after page until one comes back empty — and stop with
an error on anything that is not a collection. So each answers a valid, empty collection
(filters and paging are still checked, so a bad one is a 400), and one of its records answers
404, because none exists:

* ``campaigns`` — Action Network's campaigns group actions under one landing page; Ladder
  groups work into ladders, which are not actions and have no public page.
* ``event_campaigns`` and their ``events`` — Ladder's events stand alone (``/events``).
* ``advocacy_campaigns`` and ``outreaches`` (also ``/people/{id}/outreaches``) — Ladder sends
  no letters or calls to decision makers.
* ``surveys`` — Ladder has no survey resource on its action pages.
* ``unique_id_lists`` — lists of external ids are Ladder's uploaded static lists (``/lists``).

``/{petitions|events|forms|fundraising_pages}/{id}/embed`` answers Action Network's embed codes
for a page the token may see. Ladder embeds a page as an iframe of its public page (which
carries its own styles), so every style variant is that one iframe; the page frames itself only
on the sites its "may be embedded on" setting lists.

A sub-collection of a campaign answers empty for any id, so that listing "the events of every
event campaign" never fails half way; ``/people/{id}/outreaches`` is 404 for a person the token
cannot reach, like every other person sub-collection.
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Router

from ladder.api import hal, odata
from ladder.api.resources.action_pages import PLURALS, page_of, page_path
from ladder.api.resources.common import dated, not_partner, people_of, pk_from
from ladder.api.resources.people import person_path
from ladder.api.schemas import READ_ERRORS, Collection, Resource
from ladder.api.schemas_lists import CustomFieldsOut, MetadataOut
from ladder.people.models import CustomField

router = Router(tags=["misc"])

TITLED = {**dated(), "title": odata.text_field("title")}
NAMED = {**dated(), "name": odata.text_field("name")}
DATED = dated()


def empty_collection(
    request: HttpRequest, key: str, path: str, fields: dict[str, odata.Field]
) -> HttpResponse:
    """A collection with nothing in it, in `hal.collection`'s shape, after checking the
    paging and the filter as any collection would."""
    page, per_page, _after = hal.page_params(request)
    text = request.GET.get("filter") or request.GET.get("$filter") or ""
    if text.strip():
        try:
            odata.parse(text, fields)
        except odata.FilterError as problem:
            raise hal.ApiError(400, f"filter: {problem}") from None
    here = f"{hal.base(request)}/{path}"
    kept = {k: v for k, v in request.GET.items() if k not in ("page", "after", "per_page")}
    links: dict[str, Any] = {
        "self": {"href": f"{here}?{urlencode({**kept, 'page': page, 'per_page': per_page})}"},
        key: [],
        "curies": hal.CURIES,
    }
    if page > 1:
        query = urlencode({**kept, "page": page - 1, "per_page": per_page})
        links["previous"] = {"href": f"{here}?{query}"}
    return hal.Hal(
        {
            "total_pages": 1,
            "per_page": per_page,
            "page": page,
            "total_records": 0,
            "_links": links,
            "_embedded": {key: []},
        }
    )


def _none(what: str, text: str) -> hal.ApiError:
    return hal.not_found(f"{what} with id = {text[:80]}")


@router.get("/metadata", response={200: MetadataOut, **READ_ERRORS}, summary="Metadata")
def metadata(request: HttpRequest) -> HttpResponse:
    not_partner(request)
    from django.conf import settings

    fields = hal.href(request, "metadata/custom_fields")
    return hal.resource(
        {
            "name": settings.LADDER_ORG_NAME,
            "_links": {
                "self": hal.href(request, "metadata"),
                "osdi:custom_fields": fields,
                "action_network:custom_fields": fields,
            },
        }
    )


@router.get(
    "/metadata/custom_fields",
    response={200: CustomFieldsOut, **READ_ERRORS},
    summary="Custom fields",
    description="The custom fields people carry: name is the key in a person's "
    "custom_fields, notes its label and type.",
)
def custom_fields(request: HttpRequest) -> HttpResponse:
    not_partner(request)
    rows = CustomField.objects.order_by("key")
    return hal.resource(
        {
            "action_network:custom_fields": [
                {
                    "name": field.key,
                    "created_date": hal.stamp(field.created_at),
                    "modified_date": hal.stamp(field.created_at),
                    "notes": f"{field.label} ({field.get_type_display()})",
                    "label": field.label,
                    "type": field.type,
                    **({"choices": field.choices} if field.choices else {}),
                }
                for field in rows
            ],
            "_links": {
                "self": hal.href(request, "metadata/custom_fields"),
                "osdi:metadata": hal.href(request, "metadata"),
            },
        }
    )


def _empty(path: str, key: str, fields: dict[str, odata.Field], summary: str) -> None:
    def handler(request: HttpRequest, filter: str | None = None) -> HttpResponse:
        not_partner(request)
        return empty_collection(request, key, path, fields)

    handler.__name__ = f"{path.replace('/', '_')}_list"
    router.get(
        f"/{path}",
        response={200: Collection, **READ_ERRORS},
        summary=summary,
        description="Always empty: Ladder has no such records (see the API's notes).",
        operation_id=f"{path.replace('/', '_')}_list",
    )(handler)


_empty("campaigns", "osdi:campaigns", TITLED, "List campaigns")
_empty("event_campaigns", "osdi:event_campaigns", TITLED, "List event campaigns")
_empty("advocacy_campaigns", "osdi:advocacy_campaigns", TITLED, "List advocacy campaigns")
_empty("surveys", "osdi:surveys", TITLED, "List surveys")
_empty("unique_id_lists", "action_network:unique_id_lists", NAMED, "List unique id lists")


def _absent(path: str, what: str) -> None:
    """``/<path>/{record_id}`` for a kind Ladder does not have: always a 404."""

    def handler(request: HttpRequest, record_id: str) -> HttpResponse:
        not_partner(request)
        raise _none(what, record_id)

    handler.__name__ = f"{path}_get"
    router.get(
        f"/{path}/{{record_id}}",
        response={200: Resource, **READ_ERRORS},
        summary=f"One {what}",
        operation_id=f"{path}_get",
    )(handler)


for _path, _what in (
    ("campaigns", "campaign"),
    ("event_campaigns", "event campaign"),
    ("advocacy_campaigns", "advocacy campaign"),
    ("surveys", "survey"),
    ("unique_id_lists", "unique id list"),
):
    _absent(_path, _what)


@router.get(
    "/event_campaigns/{event_campaign_id}/events",
    response={200: Collection, **READ_ERRORS},
    summary="An event campaign's events",
    description="Always empty: Ladder has no event campaigns.",
)
def event_campaign_events(
    request: HttpRequest, event_campaign_id: str, filter: str | None = None
) -> HttpResponse:
    not_partner(request)
    return empty_collection(
        request, "osdi:events", f"event_campaigns/{event_campaign_id[:80]}/events", TITLED
    )


@router.get(
    "/advocacy_campaigns/{advocacy_campaign_id}/outreaches",
    response={200: Collection, **READ_ERRORS},
    summary="An advocacy campaign's outreaches",
    description="Always empty: Ladder has no advocacy campaigns.",
)
def advocacy_campaign_outreaches(
    request: HttpRequest, advocacy_campaign_id: str, filter: str | None = None
) -> HttpResponse:
    not_partner(request)
    path = f"advocacy_campaigns/{advocacy_campaign_id[:80]}/outreaches"
    return empty_collection(request, "osdi:outreaches", path, DATED)


@router.get(
    "/advocacy_campaigns/{advocacy_campaign_id}/outreaches/{outreach_id}",
    response={200: Resource, **READ_ERRORS},
    summary="One outreach of an advocacy campaign",
)
def advocacy_campaign_outreach(
    request: HttpRequest, advocacy_campaign_id: str, outreach_id: str
) -> HttpResponse:
    not_partner(request)
    raise _none("outreach", outreach_id)


def _reachable(request: HttpRequest, person_id: str) -> int:
    pk = pk_from("person", person_id, "person")
    if not people_of(request).filter(pk=pk).exists():
        raise _none("person", person_id)
    return pk


@router.get(
    "/people/{person_id}/outreaches",
    response={200: Collection, **READ_ERRORS},
    summary="A person's outreaches",
    description="Always empty (Ladder has no advocacy campaigns); 404 for a person the token "
    "cannot reach.",
)
def person_outreaches(
    request: HttpRequest, person_id: str, filter: str | None = None
) -> HttpResponse:
    not_partner(request)
    pk = _reachable(request, person_id)
    return empty_collection(request, "osdi:outreaches", f"{person_path(pk)}/outreaches", DATED)


@router.get(
    "/people/{person_id}/outreaches/{outreach_id}",
    response={200: Resource, **READ_ERRORS},
    summary="One outreach of a person",
)
def person_outreach(request: HttpRequest, person_id: str, outreach_id: str) -> HttpResponse:
    not_partner(request)
    _reachable(request, person_id)
    raise _none("outreach", outreach_id)


EMBED_KEYS = (
    "embed_standard_default_styles",
    "embed_standard_layout_only_styles",
    "embed_standard_no_styles",
    "embed_full_default_styles",
    "embed_full_layout_only_styles",
    "embed_full_no_styles",
)


def _embed(kind: str) -> None:
    plural = PLURALS[kind]

    def handler(request: HttpRequest, action_id: str) -> HttpResponse:
        not_partner(request)
        page = page_of(request, kind, action_id)
        url = request.build_absolute_uri(reverse("actions:page", args=[page.slug]))
        frame = (
            f'<iframe src="{html.escape(url)}" title="{html.escape(page.title)}" width="100%" '
            'height="900" style="border:0" loading="lazy"></iframe>'
        )
        path = page_path(kind, page.pk)
        return hal.resource(
            {
                **dict.fromkeys(EMBED_KEYS, frame),
                "ladder:allowed_origins": list(page.origins),
                "_links": {
                    "self": hal.href(request, f"{path}/embed"),
                    f"osdi:{kind}": hal.href(request, path),
                },
            }
        )

    handler.__name__ = f"{kind}_embed"
    router.get(
        f"/{plural}/{{action_id}}/embed",
        response={200: dict[str, Any], **READ_ERRORS},
        summary=f"Embed codes of a {kind.replace('_', ' ')}",
        operation_id=f"{kind}_embed",
    )(handler)


for _kind in PLURALS:
    _embed(_kind)


@router.get(
    "/event_campaigns/{event_campaign_id}/embed",
    response={200: dict[str, Any], **READ_ERRORS},
    summary="Embed codes of an event campaign",
)
def event_campaign_embed(request: HttpRequest, event_campaign_id: str) -> HttpResponse:
    not_partner(request)
    raise _none("event campaign", event_campaign_id)


@router.get(
    "/advocacy_campaigns/{advocacy_campaign_id}/embed",
    response={200: dict[str, Any], **READ_ERRORS},
    summary="Embed codes of an advocacy campaign",
)
def advocacy_campaign_embed(request: HttpRequest, advocacy_campaign_id: str) -> HttpResponse:
    not_partner(request)
    raise _none("advocacy campaign", advocacy_campaign_id)
