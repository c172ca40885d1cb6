"""``/tags`` and their ``taggings``, and ``/people/{id}/taggings``.

Tags are one list for the whole organization (anyone with a token sees their names); a
tagging shows only when its person is within the token's reach."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Router

from ladder.api import hal, ids, odata
from ladder.api.auth import writable
from ladder.api.resources.common import (
    dated,
    filtered,
    linked_person,
    not_partner,
    people_of,
    pk_from,
    scope_key,
)
from ladder.api.resources.people import person_path
from ladder.api.schemas import (
    READ_ERRORS,
    WRITE_ERRORS,
    Collection,
    LinkedPersonIn,
    TaggingOut,
    TagIn,
    TagOut,
)
from ladder.people.models import Tag, Tagging
from ladder.people.services import tag_add, tag_get_or_create, tag_remove

router = Router(tags=["tags"])

TAG_FILTERS = {**dated("created_at", "created_at"), "name": odata.text_field("name")}
TAGGING_FILTERS = dated("created_at", "created_at")


def tag_json(request: HttpRequest, tag: Tag) -> dict[str, Any]:
    path = f"tags/{ids.encode('tag', tag.pk)}"
    return {
        "identifiers": [ids.identifier("tag", tag.pk)],
        "created_date": hal.stamp(tag.created_at),
        "modified_date": hal.stamp(tag.created_at),
        "name": tag.name,
        "_links": {
            "self": hal.href(request, path),
            "osdi:taggings": hal.href(request, f"{path}/taggings"),
        },
    }


def tagging_json(request: HttpRequest, tagging: Tagging) -> dict[str, Any]:
    tag_path = f"tags/{ids.encode('tag', tagging.tag_id)}"
    return {
        "identifiers": [ids.identifier("tagging", tagging.pk)],
        "created_date": hal.stamp(tagging.created_at),
        "modified_date": hal.stamp(tagging.created_at),
        "item_type": "osdi:person",
        "_links": {
            "self": hal.href(request, f"{tag_path}/taggings/{ids.encode('tagging', tagging.pk)}"),
            "osdi:tag": hal.href(request, tag_path),
            "osdi:person": hal.href(request, person_path(tagging.person_id)),
        },
    }


def _tag(pk_text: str) -> Tag:
    tag = Tag.objects.filter(pk=pk_from("tag", pk_text, "tag")).first()
    if tag is None:
        raise hal.not_found(f"tag with id = {pk_text[:80]}")
    return tag


def taggings_page(request: HttpRequest, rows: QuerySet[Tagging], path: str) -> HttpResponse:
    rows = filtered(request, rows.filter(person__in=people_of(request)), TAGGING_FILTERS)

    def render(items: Sequence[Tagging]) -> list[dict[str, Any]]:
        return [tagging_json(request, t) for t in items]

    response, _ = hal.collection(
        request, rows, plural="taggings", path=path, render=render, scope=scope_key(request)
    )
    return response


@router.get("/tags", response={200: Collection, **READ_ERRORS}, summary="List tags")
def tags_list(request: HttpRequest, filter: str | None = None) -> HttpResponse:
    not_partner(request)
    rows = filtered(request, Tag.objects.all(), TAG_FILTERS)
    response, _ = hal.collection(
        request, rows, plural="tags", path="tags",
        render=lambda tags: [tag_json(request, t) for t in tags], scope="tags",
    )  # fmt: skip
    return response


@router.post("/tags", response={200: TagOut, **WRITE_ERRORS}, summary="Create a tag")
def tag_create(request: HttpRequest, payload: TagIn) -> HttpResponse:
    writable(request)
    try:
        tag = tag_get_or_create(payload.name)
    except ValidationError:
        raise hal.ApiError(400, "name: a tag needs a name.") from None
    return hal.resource(tag_json(request, tag))


@router.get("/tags/{tag_id}", response={200: TagOut, **READ_ERRORS}, summary="One tag")
def tag_get(request: HttpRequest, tag_id: str) -> HttpResponse:
    not_partner(request)
    return hal.resource(tag_json(request, _tag(tag_id)))


@router.get(
    "/tags/{tag_id}/taggings", response={200: Collection, **READ_ERRORS}, summary="A tag's taggings"
)
def taggings_list(request: HttpRequest, tag_id: str, filter: str | None = None) -> HttpResponse:
    not_partner(request)
    tag = _tag(tag_id)
    return taggings_page(
        request, Tagging.objects.filter(tag=tag), f"tags/{ids.encode('tag', tag.pk)}/taggings"
    )


@router.post(
    "/tags/{tag_id}/taggings", response={200: TaggingOut, **WRITE_ERRORS}, summary="Tag a person"
)
def tagging_create(request: HttpRequest, tag_id: str, payload: LinkedPersonIn) -> HttpResponse:
    token = writable(request)
    tag = _tag(tag_id)
    person = linked_person(request, payload)
    tagging = tag_add(actor=token.user, person=person, name=tag.name)
    return hal.resource(tagging_json(request, tagging))


def _tagging(request: HttpRequest, tag: Tag, tagging_id: str) -> Tagging:
    pk = pk_from("tagging", tagging_id, "tagging")
    tagging = (
        Tagging.objects.filter(pk=pk, tag=tag, person__in=people_of(request))
        .select_related("tag")
        .first()
    )
    if tagging is None:
        raise hal.not_found(f"tagging with id = {tagging_id[:80]}")
    return tagging


@router.get(
    "/tags/{tag_id}/taggings/{tagging_id}",
    response={200: TaggingOut, **READ_ERRORS},
    summary="One tagging",
)
def tagging_get(request: HttpRequest, tag_id: str, tagging_id: str) -> HttpResponse:
    not_partner(request)
    return hal.resource(tagging_json(request, _tagging(request, _tag(tag_id), tagging_id)))


@router.delete(
    "/tags/{tag_id}/taggings/{tagging_id}",
    response={200: dict[str, str], **WRITE_ERRORS},
    summary="Remove a tagging",
)
def tagging_delete(request: HttpRequest, tag_id: str, tagging_id: str) -> HttpResponse:
    token = writable(request)
    tagging = _tagging(request, _tag(tag_id), tagging_id)
    tag_remove(actor=token.user, person=tagging.person, tag=tagging.tag)
    return hal.Hal({"notice": "This tagging was successfully deleted."})


@router.get(
    "/people/{person_id}/taggings",
    response={200: Collection, **READ_ERRORS},
    summary="A person's taggings",
)
def person_taggings(
    request: HttpRequest, person_id: str, filter: str | None = None
) -> HttpResponse:
    not_partner(request)
    pk = pk_from("person", person_id, "person")
    if not people_of(request).filter(pk=pk).exists():
        raise hal.not_found(f"person with id = {person_id[:80]}")
    return taggings_page(
        request, Tagging.objects.filter(person_id=pk), f"{person_path(pk)}/taggings"
    )
