"""OpenAPI shapes of lists, queries, messages, wrappers and metadata (see `ladder.api.schemas`
for the shared ones). They allow extra keys, as OSDI does."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ladder.api.schemas import Link, Open, Resource


class ListOut(Resource):
    name: str
    description: str | None = None
    origin: str | None = None


class ItemOut(Resource):
    item_type: str


class QueryOut(Resource):
    name: str
    description: str | None = None


class MessageStatistics(Open):
    sent: int
    opened: int
    clicked: int
    actions: int
    unsubscribed: int
    bounced: int
    spam_reports: int


class MessageOut(Resource):
    name: str
    subject: str
    body: str
    from_: str | None = Field(default=None, alias="from")
    reply_to: str | None = None
    status: str
    type: str
    targets: list[Link]
    total_targeted: int | None = None
    statistics: MessageStatistics
    scheduled_start_date: str | None = None


class WrapperLinks(Open):
    wrapper: Link | None = Field(default=None, alias="osdi:wrapper")


class MessageIn(Open):
    """A message as Action Network takes it: one subject, one body, a sender by name or
    address (``from``), and ``targets`` linking to lists or queries."""

    name: str | None = Field(default=None, max_length=200)
    subject: str | None = Field(default=None, max_length=300)
    body: str | None = None
    from_: str | None = Field(default=None, alias="from", max_length=254)
    reply_to: str | None = Field(default=None, max_length=254)
    targets: list[Link] | None = None
    links: WrapperLinks | None = Field(default=None, alias="_links")


class ScheduleIn(Open):
    scheduled_start_date: str | None = None


class WrapperOut(Resource):
    name: str
    header: str
    footer: str
    wrapper_type: str


class MetadataOut(Open):
    links: dict[str, Any] = Field(alias="_links")


class CustomFieldOut(Open):
    name: str
    created_date: str
    modified_date: str
    notes: str


class CustomFieldsOut(Open):
    custom_fields: list[CustomFieldOut] = Field(alias="action_network:custom_fields")
    links: dict[str, Any] = Field(alias="_links")
