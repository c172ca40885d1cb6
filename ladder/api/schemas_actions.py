"""OpenAPI shapes of the action resources: events and attendances, petitions and signatures,
forms and submissions, fundraising pages and donations. Like `ladder.api.schemas`, they allow
extra keys (OSDI clients send ``identifiers``, ``origin_system`` and the like, which Ladder
has nowhere to keep and ignores)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ladder.api.schemas import LinkedPersonIn, Open, Resource

# ---- What the API takes -----------------------------------------------------------------


class EventLocationIn(Open):
    venue: str | None = Field(default=None, max_length=200)
    address_lines: list[str] | None = None
    locality: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=50)
    postal_code: str | None = Field(default=None, max_length=20)
    country: str | None = Field(default=None, max_length=60)


class PageIn(Open):
    """What every page takes. ``status``: ``published`` (the default on POST), ``draft`` or
    ``closed``; an event also takes OSDI's ``confirmed`` / ``tentative`` / ``cancelled``."""

    title: str | None = Field(default=None, max_length=200)
    description: str | None = None
    status: str | None = None


class EventIn(PageIn):
    start_date: str | None = None
    end_date: str | None = None
    location: EventLocationIn | None = None
    capacity: int | None = None


class TargetIn(Open):
    name: str = Field(max_length=300)


class PetitionIn(PageIn):
    petition_text: str | None = None
    target: str | list[TargetIn] | TargetIn | None = Field(default=None, union_mode="left_to_right")


class FormIn(PageIn):
    pass


class FundraisingPageIn(PageIn):
    pass


class Autoresponse(Open):
    enabled: bool = False


class Triggers(Open):
    autoresponse: Autoresponse | None = None


class RecordIn(LinkedPersonIn):
    """A signature, submission, attendance or donation: its person by link or inline (the
    record-helper form: ``person`` with ``add_tags``), and whether to send the page's
    auto-response (``triggers.autoresponse.enabled``; off unless asked, as in Action
    Network)."""

    add_tags: list[str] | None = None
    triggers: Triggers | None = None


class SignatureIn(RecordIn):
    comments: str | None = Field(default=None, max_length=2000)


class SubmissionIn(RecordIn):
    pass


class AttendanceIn(RecordIn):
    """``status``: ``accepted`` (the default) or ``attended`` (they came: checked in)."""

    status: str | None = None


class RecipientIn(Open):
    display_name: str | None = None
    amount: str | float | int = Field(union_mode="left_to_right")


class RecurrenceIn(Open):
    recurring: bool = False
    period: str | None = None


class DonationIn(RecordIn):
    """A gift made elsewhere. ``amount`` (or the sum of ``recipients``' amounts), in
    ``currency`` USD; ``created_date`` is when it was given; a foreign identifier in
    ``identifiers`` ("actblue:123") makes the post idempotent."""

    identifiers: list[str] | None = None
    amount: str | float | int | None = Field(default=None, union_mode="left_to_right")
    recipients: list[RecipientIn] | None = None
    currency: str | None = None
    created_date: str | None = None
    recurrence: RecurrenceIn | None = Field(default=None, alias="action_network:recurrence")


# ---- What the API answers ---------------------------------------------------------------


class EventLocationOut(Open):
    venue: str
    address_lines: list[str]
    locality: str
    region: str
    postal_code: str
    country: str


class PageOut(Resource):
    title: str
    description: str
    browser_url: str


class EventOut(PageOut):
    start_date: str
    end_date: str
    location: EventLocationOut
    status: str
    total_accepted: int


class PetitionOut(PageOut):
    petition_text: str
    target: list[dict[str, Any]]
    total_signatures: int


class FormOut(PageOut):
    total_submissions: int


class FundraisingPageOut(PageOut):
    total_donations: int
    total_amount: str
    currency: str


class AttendanceOut(Resource):
    status: str


class SignatureOut(Resource):
    pass


class SubmissionOut(Resource):
    pass


class RecipientOut(Open):
    display_name: str
    amount: str


class DonationOut(Resource):
    amount: str
    currency: str
    recipients: list[RecipientOut]
