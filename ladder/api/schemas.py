"""The OpenAPI shapes of what the API takes and answers. Answers are built as plain dicts
(`ladder.api.hal`) for speed; these models describe them for the schema, and schemathesis
checks the two agree. They allow extra keys, as OSDI does."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import BaseModel, ConfigDict, Field


def _aliased(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """Name properties by their aliases (``_links``, ``_embedded``, ``osdi:person``), which is
    what goes over the wire, even where django-ninja builds the schema by field name (it does
    for responses): otherwise every answer "lacks" ``links``."""
    properties = schema.get("properties", {})
    for name, field in model.model_fields.items():
        alias = field.alias
        if alias and alias != name and name in properties:
            properties[alias] = properties.pop(name)
            if name in schema.get("required", ()):
                schema["required"] = [alias if r == name else r for r in schema["required"]]


class Open(Schema):
    model_config = ConfigDict(extra="allow", json_schema_extra=_aliased)


class Error(Schema):
    error: str


class Link(Open):
    href: str


class Resource(Open):
    identifiers: list[str]
    created_date: str
    modified_date: str
    links: dict[str, Any] = Field(alias="_links")


class Collection(Open):
    total_pages: int
    per_page: int
    page: int
    total_records: int
    links: dict[str, Any] = Field(alias="_links")
    embedded: dict[str, list[dict[str, Any]]] = Field(alias="_embedded")


class EmailOut(Open):
    address: str
    primary: bool
    status: str


class PhoneOut(Open):
    number: str
    primary: bool
    number_type: str
    status: str


class AddressOut(Open):
    primary: bool
    address_lines: list[str]
    locality: str
    region: str
    postal_code: str
    country: str


class PersonOut(Resource):
    given_name: str | None = None
    family_name: str | None = None
    languages_spoken: list[str] | None = None
    email_addresses: list[EmailOut] | None = None
    phone_numbers: list[PhoneOut] | None = None
    postal_addresses: list[AddressOut] | None = None
    custom_fields: dict[str, Any] | None = None


class EmailIn(Open):
    address: str = Field(max_length=254)
    primary: bool | None = None
    status: str | None = None


class PhoneIn(Open):
    number: str | int = Field(union_mode="left_to_right")
    primary: bool | None = None
    number_type: str | None = None
    status: str | None = None


class LocationIn(Open):
    latitude: float | None = None
    longitude: float | None = None


class AddressIn(Open):
    primary: bool | None = None
    address_lines: list[str] | None = None
    locality: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    location: LocationIn | None = None


class PersonIn(Open):
    identifiers: list[str] | None = None
    given_name: str | None = None
    family_name: str | None = None
    languages_spoken: list[str] | None = None
    email_addresses: list[EmailIn] | None = None
    phone_numbers: list[PhoneIn] | None = None
    postal_addresses: list[AddressIn] | None = None
    custom_fields: dict[str, Any] | None = None


class SignupIn(Schema):
    person: PersonIn
    add_tags: list[str] | None = None
    remove_tags: list[str] | None = None


class PersonPut(PersonIn):
    # Parsons' update_person documents a single ``email_address``; take it too.
    email_address: str | EmailIn | None = None


class TagOut(Resource):
    name: str


class TagIn(Schema):
    name: str = Field(min_length=1, max_length=100)


class TaggingOut(Resource):
    item_type: str


class PersonLinks(Open):
    person: Link = Field(alias="osdi:person")


class LinkedPersonIn(Open):
    """A record that names its person by link (``_links.osdi:person.href``), as OSDI does, or
    carries the person inline (``person``) for the signup helper's rules."""

    links: PersonLinks | None = Field(default=None, alias="_links")
    person: PersonIn | None = None


def errors(*codes: int) -> dict[int, type[Error]]:
    return dict.fromkeys(codes, Error)


# The answers every authenticated operation may give besides its success (a read is 403 for
# a partner token outside the people it shares).
READ_ERRORS = errors(400, 401, 403, 404, 429)
WRITE_ERRORS = errors(400, 401, 403, 404, 429)
