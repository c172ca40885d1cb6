"""What the action resources share: their pages (scoped by `pages_visible`, one Action Network
kind per Ladder page kind), the person a posted record is for, and the records'
sub-collections (always narrowed to the people the token may reach).

A page's ``modified_date`` is the latest of when it was made, published and closed: Ladder
keeps no edit time on pages, so an edit of a title or text does not move it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.db.models.functions import Coalesce, Greatest
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Router, Schema
from pydantic import ValidationError as PydanticError

from ladder.actions.models import ActionPage
from ladder.actions.selectors import pages_visible
from ladder.api import hal, ids, odata
from ladder.api.auth import token_of
from ladder.api.hal import ApiError
from ladder.api.models import ApiToken
from ladder.api.resources.common import (
    dated,
    filtered,
    linked_person,
    not_partner,
    people_of,
    pk_from,
    scope_key,
)
from ladder.api.schemas import READ_ERRORS, Collection
from ladder.api.schemas_actions import RecordIn
from ladder.api.services import person_signup
from ladder.people.models import Person

K = ActionPage.Kind
KINDS = {"event": K.EVENT, "petition": K.PETITION, "form": K.FORM, "fundraising_page": K.DONATION}
PLURALS = {
    "event": "events",
    "petition": "petitions",
    "form": "forms",
    "fundraising_page": "fundraising_pages",
}
WHAT = {"event": "event", "petition": "petition", "form": "form", "fundraising_page": "page"}
# Ladder's page statuses, and the words clients may use for them.
STATUS_WORDS = {
    "draft": ActionPage.Status.DRAFT,
    "tentative": ActionPage.Status.DRAFT,
    "published": ActionPage.Status.PUBLISHED,
    "confirmed": ActionPage.Status.PUBLISHED,
    "closed": ActionPage.Status.CLOSED,
    "cancelled": ActionPage.Status.CLOSED,
}
PAGE_FILTERS: dict[str, odata.Field] = {
    **dated("created_at", "api_modified"),
    "title": odata.text_field("title"),
}


def page_path(kind: str, pk: int) -> str:
    return f"{PLURALS[kind]}/{ids.encode(kind, pk)}"


def pages_of(request: HttpRequest, kind: str) -> QuerySet[ActionPage]:
    """The token's pages of one kind (partner tokens: 403), with their modified time."""
    token = not_partner(request)
    return (
        pages_visible(token.user)
        .filter(kind=KINDS[kind])
        .annotate(
            api_modified=Greatest(
                "created_at",
                Coalesce("published_at", "created_at"),
                Coalesce("closed_at", "created_at"),
                output_field=models.DateTimeField(),
            )
        )
    )


def page_of(
    request: HttpRequest, kind: str, text: str, rows: QuerySet[ActionPage] | None = None
) -> ActionPage:
    pk = pk_from(kind, text, WHAT[kind])
    page = (rows if rows is not None else pages_of(request, kind)).filter(pk=pk).first()
    if page is None:
        raise hal.not_found(f"{WHAT[kind]} with id = {text[:80]}")
    return page


def modified(page: ActionPage) -> dt.datetime:
    return max(m for m in (page.created_at, page.published_at, page.closed_at) if m is not None)


def page_json(request: HttpRequest, kind: str, page: ActionPage) -> dict[str, Any]:
    """What every page shows; each resource adds its own fields and links."""
    return {
        "identifiers": [ids.identifier(kind, page.pk)],
        "created_date": hal.stamp(page.created_at),
        "modified_date": hal.stamp(modified(page)),
        "title": page.title,
        "description": page.body,
        "browser_url": request.build_absolute_uri(reverse("actions:page", args=[page.slug])),
        "ladder:status": page.status,
        "_links": {"self": hal.href(request, page_path(kind, page.pk))},
    }


def pages_page(
    request: HttpRequest,
    kind: str,
    rows: QuerySet[ActionPage],
    render: Callable[[ActionPage], dict[str, Any]],
) -> HttpResponse:
    rows = filtered(request, rows, PAGE_FILTERS)
    response, _ = hal.collection(
        request, rows, plural=PLURALS[kind], path=PLURALS[kind],
        render=lambda pages: [render(p) for p in pages], scope=scope_key(request),
    )  # fmt: skip
    return response


def status_of(text: str | None) -> str | None:
    if text is None:
        return None
    status = STATUS_WORDS.get(text.strip().lower())
    if status is None:
        words = ", ".join(STATUS_WORDS)
        raise ApiError(400, f"status: “{text[:40]}” is not one of {words}.")
    return status


def title_of(text: str | None, *, required: bool) -> str | None:
    if text is None:
        if required:
            raise ApiError(400, "title: give the page a title.")
        return None
    title = " ".join(text.split())
    if not title:
        raise ApiError(400, "title: give the page a title.")
    return title


def when_of(name: str, text: str) -> dt.datetime:
    try:
        return odata.when(text)
    except ValueError:
        raise ApiError(
            400, f"{name}: “{text[:40]}” is not a date and time (use YYYY-MM-DD HH:MM:SS)."
        ) from None


def record_person(request: HttpRequest, token: ApiToken, body: RecordIn) -> tuple[Person, bool]:
    """The person a posted record is for: inline (``person``, through the signup helper's
    rules) or by link (``_links.osdi:person``); (person, created)."""
    if body.person is not None:
        return person_signup(
            token=token, visible=people_of(request), data=body.person, add_tags=body.add_tags
        )
    if body.links is None:
        raise ApiError(
            400, "Say whose record this is: _links.osdi:person.href, or the person inline."
        )
    return linked_person(request, body), False


def autoresponse_of(body: RecordIn) -> bool:
    trigger = body.triggers.autoresponse if body.triggers else None
    return bool(trigger and trigger.enabled)


def records_page[M: models.Model](
    request: HttpRequest,
    rows: QuerySet[M],
    *,
    plural: str,
    path: str,
    render: Callable[[M], dict[str, Any]],
    fields: dict[str, odata.Field],
) -> HttpResponse:
    """A page of records, only those of people the token may reach."""
    rows = filtered(request, rows.filter(person__in=people_of(request)), fields)

    def many(items: Sequence[M]) -> list[dict[str, Any]]:
        return [render(item) for item in items]

    response, _ = hal.collection(
        request, rows, plural=plural, path=path, render=many, scope=scope_key(request)
    )
    return response


def person_in_reach(request: HttpRequest, person_id: str) -> int:
    """The pk of a person the (non-partner) token may reach; 404 otherwise."""
    not_partner(request)
    pk = pk_from("person", person_id, "person")
    if not people_of(request).filter(pk=pk).exists():
        raise hal.not_found(f"person with id = {person_id[:80]}")
    return pk


def visible_pages(request: HttpRequest) -> QuerySet[ActionPage]:
    return pages_visible(token_of(request).user)


# ---- Signatures and submissions: one person's Submission on a petition or form ------------

SUBMISSION_FILTERS = dated("created_at", "created_at")


def submission_json(
    request: HttpRequest, page_kind: str, record_kind: str, submission: Any
) -> dict[str, Any]:
    from ladder.api.resources.people import person_path

    page = page_path(page_kind, submission.page_id)
    plural = f"{record_kind}s"
    data: dict[str, Any] = {
        "identifiers": [ids.identifier(record_kind, submission.pk)],
        "created_date": hal.stamp(submission.created_at),
        "modified_date": hal.stamp(submission.created_at),
    }
    comments = (submission.answers or {}).get("comments")
    if record_kind == "signature" and comments:
        data["comments"] = comments
    data["_links"] = {
        "self": hal.href(request, f"{page}/{plural}/{ids.encode(record_kind, submission.pk)}"),
        f"osdi:{page_kind}": hal.href(request, page),
        "osdi:person": hal.href(request, person_path(submission.person_id)),
    }
    return data


def one_record[M: models.Model](
    request: HttpRequest, rows: QuerySet[M], kind: str, text: str, render: Callable[[M], Any]
) -> HttpResponse:
    """One record of ``rows`` by its id, if its person is within reach; 404 otherwise."""
    pk = pk_from(kind, text, kind)
    row = rows.filter(pk=pk, person__in=people_of(request)).first()
    if row is None:
        raise hal.not_found(f"{kind} with id = {text[:80]}")
    return hal.resource(render(row))


def person_routes(
    router: Router,
    *,
    kind: str,
    out: type[Schema],
    rows: Callable[[HttpRequest, int], QuerySet[Any]],
    page: Callable[[HttpRequest, QuerySet[Any], str], HttpResponse],
    render: Callable[[HttpRequest, Any], dict[str, Any]],
) -> None:
    """A person's records of one kind — ``/people/{id}/<kind>s`` and one of them — for a
    person within the token's reach (404 otherwise). ``rows(request, person_pk)`` are the
    person's records the token may see; ``page`` and ``render`` are the kind's own."""
    from ladder.api.resources.people import person_path

    plural = f"{kind}s"

    def listing(request: HttpRequest, person_id: str, filter: str | None = None) -> HttpResponse:
        pk = person_in_reach(request, person_id)
        return page(request, rows(request, pk), f"{person_path(pk)}/{plural}")

    def one(request: HttpRequest, person_id: str, record_id: str) -> HttpResponse:
        pk = person_in_reach(request, person_id)
        return one_record(
            request, rows(request, pk), kind, record_id, lambda row: render(request, row)
        )

    router.get(
        f"/people/{{person_id}}/{plural}",
        response={200: Collection, **READ_ERRORS},
        summary=f"A person's {plural}",
        description="Filter on created_date and modified_date.",
        operation_id=f"person_{plural}",
    )(listing)
    router.get(
        f"/people/{{person_id}}/{plural}/{{record_id}}",
        response={200: out, **READ_ERRORS},
        summary=f"One of a person's {plural}",
        operation_id=f"person_{kind}",
    )(one)


# ---- Bodies sent as query parameters --------------------------------------------------------

NOT_FIELDS = {"background_processing", "page", "per_page", "filter", "$filter", "after"}


def body_of[B: Schema](request: HttpRequest, payload: B | None, model: type[B]) -> B:
    """The posted body, or — when there is none — the query parameters read as one: Parsons'
    ``create_form`` and ``create_fundraising_page`` send their (flat) payload that way. A
    nested payload (a record's ``_links``) does not survive a query string, so a record sent
    like that is a 400 saying so."""
    if payload is not None:
        return payload
    given = {k: v for k, v in request.GET.items() if k not in NOT_FIELDS}
    if not given:
        raise ApiError(400, "Send the fields as a JSON body.")
    try:
        return model.model_validate(given)
    except PydanticError as problem:
        where = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}"
            for e in problem.errors()[:5]
        )
        raise ApiError(
            400, f"{where} (the fields came as query parameters; send a JSON body)"
        ) from None
