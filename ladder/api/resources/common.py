"""What every resource module shares: the token's reach, ids in paths, filters from the query
string, and the person a posted record names."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest

from ladder.api import ids, odata
from ladder.api.auth import token_of
from ladder.api.hal import ApiError, not_found
from ladder.api.models import ApiToken
from ladder.api.schemas import LinkedPersonIn
from ladder.api.tokens import token_people
from ladder.people.models import Person


def people_of(request: HttpRequest) -> QuerySet[Person]:
    """Everyone this request's token may reach (`visible_people`, narrowed for partners)."""
    return token_people(token_of(request))


def scope_key(request: HttpRequest) -> str:
    return f"token:{token_of(request).digest[:24]}"


def pk_from(kind: str | tuple[str, ...], text: str, what: str) -> int:
    pk = ids.decode(kind, text)
    if pk is None:
        raise not_found(f"{what} with id = {text[:80]}")
    return pk


def filtered(request: HttpRequest, rows: QuerySet[Any], fields: dict[str, odata.Field]) -> Any:
    """``rows`` narrowed by ``filter`` (or ``$filter``); a bad filter is a 400 saying why."""
    text = request.GET.get("filter") or request.GET.get("$filter") or ""
    if not text.strip():
        return rows
    try:
        condition = odata.parse(text, fields)
    except odata.FilterError as problem:
        raise ApiError(400, f"filter: {problem}") from None
    return rows.filter(condition)


def dated(created: str = "created_at", modified: str = "updated_at") -> dict[str, odata.Field]:
    return {
        "created_date": odata.date_field(created),
        "modified_date": odata.date_field(modified),
    }


def not_partner(request: HttpRequest) -> ApiToken:
    """Partner tokens share people, nothing else."""
    token = token_of(request)
    if token.is_partner:
        raise ApiError(403, "A partner token reads only the people it shares.")
    return token


def linked_person(request: HttpRequest, body: LinkedPersonIn) -> Person:
    """The person a posted record names by ``_links.osdi:person.href`` (matched by its last
    path segment, whatever the host), within the token's reach."""
    if body.links is None:
        raise ApiError(400, "_links.osdi:person.href: say whose record this is.")
    text = body.links.person.href.rstrip("/")
    pk = ids.decode("person", text.rsplit("/", 1)[-1])
    person = people_of(request).filter(pk=pk).first() if pk else None
    if person is None:
        raise ApiError(404, f"Couldn't find person {text.rsplit('/', 1)[-1][:80]}.")
    return person


def visible_q(request: HttpRequest, column: str = "person") -> Q:
    """A condition on rows with a person: only those the token may reach."""
    return Q(**{f"{column}__in": people_of(request)})
