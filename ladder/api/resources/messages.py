"""``/messages`` (Ladder's mailings) with the send and schedule helpers, and ``/wrappers``
(Ladder's mail templates).

A mailing holds up to three subjects, senders and bodies (its variant test); Action Network's
message has one of each, so a message shows the first, and an update replaces the first and
keeps the rest. ``from`` names one of the sender identities the token's user may use (by its
name or address) — the API never invents a sender, so nobody can mail as an address the
organization has not set up; without one the mailing goes from the default sender. ``targets``
link to lists (static lists) or queries (saved segments) the user may see.

Status in Action Network's words: ``draft``, ``scheduled``, ``sending`` (Ladder's testing and
sending), ``paused`` (the circuit breaker stopped it), ``sent``, ``cancelled``. ``send`` asks
for the mailing to go now: it is scheduled for this moment and the worker sends it on its next
pass through the same path as a send from the staff screens.

Writes need a staff or leader token; a leader writes only the mailings `mailings_visible`
shows them, targeting only their own lists and segments.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router

from ladder.api import hal, ids, odata
from ladder.api.auth import token_of, writable
from ladder.api.resources.common import dated, filtered, not_partner, pk_from, scope_key
from ladder.api.schemas import READ_ERRORS, WRITE_ERRORS, Collection, Link
from ladder.api.schemas_lists import MessageIn, MessageOut, ScheduleIn, WrapperOut
from ladder.core.models import User
from ladder.mailings.models import Mailing, MailTemplate, SenderIdentity
from ladder.mailings.selectors import (
    mailing_totals,
    mailings_visible,
    senders_visible,
    templates_visible,
)
from ladder.mailings.services import mailing_create, mailing_schedule, mailing_update
from ladder.segments.models import Segment, StaticList
from ladder.segments.selectors import lists_visible, segments_visible

router = Router(tags=["messages"])

STATUS: dict[str, str] = {
    Mailing.Status.DRAFT: "draft",
    Mailing.Status.SCHEDULED: "scheduled",
    Mailing.Status.TESTING: "sending",
    Mailing.Status.SENDING: "sending",
    Mailing.Status.PAUSED: "paused",
    Mailing.Status.SENT: "sent",
    Mailing.Status.CANCELLED: "cancelled",
}
MESSAGE_FILTERS = {
    **dated(),
    "name": odata.text_field("name"),
    # The first subject inside a JSON list: equality only (an order on JSON differs by database).
    "subject": odata.Field(odata.text_field("subjects__0").build, ops=("eq", "ne")),
}
WRAPPER_FILTERS = {**dated(), "name": odata.text_field("name")}
# The service's field names, in Action Network's words.
FIELD_NAMES = {
    "subjects": "subject",
    "bodies": "body",
    "senders": "from",
    "include_segments": "targets",
    "include_lists": "targets",
    "__all__": "message",
}
NOT_YET_SENT = (Mailing.Status.DRAFT, Mailing.Status.SCHEDULED)


def message_path(pk: int) -> str:
    return f"messages/{ids.encode('message', pk)}"


def _statistics(mailing: Mailing) -> tuple[dict[str, int], int | None]:
    if mailing.status in NOT_YET_SENT:
        zero = dict.fromkeys(
            ("sent", "opened", "clicked", "actions", "unsubscribed", "bounced", "spam_reports"), 0
        )
        return zero, None
    totals = mailing_totals(mailing)
    return {
        "sent": totals.sent,
        "opened": totals.opened,
        "clicked": totals.clicked,
        "actions": totals.acted,
        "unsubscribed": totals.unsubscribed,
        "bounced": totals.bounced,
        "spam_reports": totals.complained,
    }, totals.audience


def message_json(request: HttpRequest, mailing: Mailing) -> dict[str, Any]:
    senders: list[SenderIdentity] = list(mailing.senders.all())
    sender = senders[0] if senders else None
    targets = [
        hal.href(request, f"lists/{ids.encode('list', row.pk)}")
        for row in mailing.include_lists.all()
    ] + [
        hal.href(request, f"queries/{ids.encode('segment', row.pk)}")
        for row in mailing.include_segments.all()
    ]
    statistics, audience = _statistics(mailing)
    return {
        "identifiers": [ids.identifier("message", mailing.pk)],
        "created_date": hal.stamp(mailing.created_at),
        "modified_date": hal.stamp(mailing.updated_at),
        "origin_system": "Ladder",
        "name": mailing.name,
        "subject": mailing.subjects[0] if mailing.subjects else "",
        "body": mailing.bodies[0] if mailing.bodies else "",
        "from": sender.from_name if sender else None,
        "reply_to": (sender.reply_to or sender.from_email) if sender else None,
        "status": STATUS.get(mailing.status, mailing.status),
        "type": "email",
        "targets": targets,
        "total_targeted": audience,
        "statistics": statistics,
        "scheduled_start_date": hal.stamp(mailing.scheduled_at),
        "sent_start_date": hal.stamp(mailing.started_at),
        "_links": {"self": hal.href(request, message_path(mailing.pk))},
    }


def _with_choices(rows: QuerySet[Mailing]) -> QuerySet[Mailing]:
    return rows.prefetch_related(
        Prefetch("senders", queryset=SenderIdentity.objects.order_by("pk")),
        Prefetch("include_lists", queryset=StaticList.objects.order_by("pk")),
        Prefetch("include_segments", queryset=Segment.objects.order_by("pk")),
    )


def _message(request: HttpRequest, message_id: str, *, lock: bool = False) -> Mailing:
    pk = pk_from("message", message_id, "message")
    rows = mailings_visible(token_of(request).user)
    if lock:
        rows = rows.select_for_update()
    mailing = rows.filter(pk=pk).first()
    if mailing is None:
        raise hal.not_found(f"message with id = {message_id[:80]}")
    return mailing


def message_response(request: HttpRequest, pk: int) -> HttpResponse:
    mailing = _with_choices(Mailing.objects.filter(pk=pk)).get()
    return hal.resource(message_json(request, mailing))


@router.get(
    "/messages",
    response={200: Collection, **READ_ERRORS},
    summary="List messages",
    description="Mailings. Filter on created_date, modified_date, name and subject.",
)
def messages_list(request: HttpRequest, filter: str | None = None) -> HttpResponse:
    user = not_partner(request).user
    rows = filtered(request, mailings_visible(user), MESSAGE_FILTERS)

    def render(items: Sequence[Mailing]) -> list[dict[str, Any]]:
        return [message_json(request, m) for m in items]

    response, _ = hal.collection(
        request, _with_choices(rows), plural="messages", path="messages", render=render,
        scope=scope_key(request),
    )  # fmt: skip
    return response


@router.get(
    "/messages/{message_id}", response={200: MessageOut, **READ_ERRORS}, summary="One message"
)
def message_get(request: HttpRequest, message_id: str) -> HttpResponse:
    not_partner(request)
    return message_response(request, _message(request, message_id).pk)


def _invalid(error: ValidationError) -> hal.ApiError:
    """A service's ValidationError as one 400 naming Action Network's fields."""
    if hasattr(error, "error_dict"):
        parts = [
            f"{FIELD_NAMES.get(key, key)}: {' '.join(problems)}"
            for key, problems in error.message_dict.items()
        ]
        return hal.ApiError(400, "; ".join(parts))
    return hal.ApiError(400, " ".join(error.messages))


def _sender(user: User, payload: MessageIn) -> SenderIdentity | None:
    name, reply_to = (payload.from_ or "").strip(), (payload.reply_to or "").strip()
    if not name and not reply_to:
        return None
    candidates = senders_visible(user).order_by("-is_default", "pk")
    if name:
        named = candidates.filter(from_name__iexact=name) | candidates.filter(
            from_email__iexact=name
        )
        if not named.exists():
            known = ", ".join(f"“{s.from_name}”" for s in candidates[:10]) or "none yet"
            raise hal.ApiError(
                400, f"from: no sender named “{name[:80]}” (senders you may use: {known})."
            )
        candidates = named
    if reply_to:
        replying = candidates.filter(reply_to__iexact=reply_to) | candidates.filter(
            reply_to="", from_email__iexact=reply_to
        )
        if not replying.exists():
            raise hal.ApiError(
                400, f"reply_to: no sender you may use replies to “{reply_to[:80]}”."
            )
        candidates = replying
    return candidates.first()


def _targets(user: User, targets: list[Link]) -> tuple[list[StaticList], list[Segment]]:
    """The lists and segments ``targets`` link to (``…/lists/<id>`` or ``…/queries/<id>``)."""
    lists, segments = [], []
    for number, target in enumerate(targets):
        text = target.href.rstrip("/").rsplit("/", 1)[-1]
        kind = ids.kind_of(text)
        pk = ids.decode(("list", "segment"), text)
        found: StaticList | Segment | None = None
        if pk is not None and kind == "list":
            found = lists_visible(user).filter(pk=pk).first()
        elif pk is not None:
            found = segments_visible(user).filter(pk=pk).first()
        if found is None:
            raise hal.ApiError(
                400, f"targets[{number}]: no list or query {text[:80]} that you may use."
            )
        if isinstance(found, StaticList):
            lists.append(found)
        else:
            segments.append(found)
    return lists, segments


def _wrapper(user: User, payload: MessageIn) -> MailTemplate | None:
    link = payload.links.wrapper if payload.links else None
    if link is None:
        return None
    text = link.href.rstrip("/").rsplit("/", 1)[-1]
    pk = ids.decode("wrapper", text)
    template = templates_visible(user).filter(pk=pk).first() if pk else None
    if template is None:
        raise hal.ApiError(400, f"_links.osdi:wrapper: no wrapper {text[:80]} that you may use.")
    return template


def _values(user: User, payload: MessageIn, mailing: Mailing | None) -> dict[str, Any]:
    """The service's keyword arguments for the fields ``payload`` sets."""
    values: dict[str, Any] = {}
    template = _wrapper(user, payload)
    subject = payload.subject
    body = payload.body
    if template is not None:
        subject = subject if subject is not None else template.subject
        body = body if body is not None else template.body
    if subject is not None:
        if not subject.strip():
            raise hal.ApiError(400, "subject: a message needs a subject.")
        rest = mailing.subjects[1:] if mailing else []
        values["subjects"] = [subject, *rest]
    if body is not None:
        if not body.strip():
            raise hal.ApiError(400, "body: a message needs a body.")
        rest = mailing.bodies[1:] if mailing else []
        values["bodies"] = [body, *rest]
    if payload.from_ is not None or payload.reply_to is not None:
        sender = _sender(user, payload)
        values["senders"] = [sender] if sender else []
    if payload.targets is not None:
        values["include_lists"], values["include_segments"] = _targets(user, payload.targets)
    if payload.name is not None:
        if not payload.name.strip():
            raise hal.ApiError(400, "name: give the message a name, or leave name out.")
        values["name"] = payload.name.strip()
    return values


@router.post("/messages", response={200: MessageOut, **WRITE_ERRORS}, summary="Create a message")
def message_create(request: HttpRequest, payload: MessageIn) -> HttpResponse:
    user = writable(request).user
    values = _values(user, payload, None)
    if "subjects" not in values:
        raise hal.ApiError(400, "subject: a message needs a subject.")
    if "bodies" not in values:
        raise hal.ApiError(400, "body: a message needs a body.")
    name = values.pop("name", None) or values["subjects"][0][:200]
    try:
        mailing = mailing_create(actor=user, name=name, **values)
    except ValidationError as error:
        raise _invalid(error) from None
    return message_response(request, mailing.pk)


@router.put(
    "/messages/{message_id}", response={200: MessageOut, **WRITE_ERRORS}, summary="Update a message"
)
def message_update(request: HttpRequest, message_id: str, payload: MessageIn) -> HttpResponse:
    user = writable(request).user
    with transaction.atomic():
        mailing = _message(request, message_id, lock=True)
        values = _values(user, payload, mailing)
        try:
            mailing_update(actor=user, mailing=mailing, **values)
        except ValidationError as error:
            raise _invalid(error) from None
    return message_response(request, mailing.pk)


def _schedule(request: HttpRequest, message_id: str, when: dt.datetime | None) -> HttpResponse:
    user = writable(request).user
    with transaction.atomic():
        mailing = _message(request, message_id, lock=True)
        try:
            mailing_schedule(actor=user, mailing=mailing, when=when)
        except ValidationError as error:
            raise _invalid(error) from None
    return message_response(request, mailing.pk)


def _posted(request: HttpRequest) -> ScheduleIn:
    """The body of a helper POST, which Parsons sends empty (its values go in the query)."""
    raw = request.body.strip()
    if not raw or "json" not in (request.content_type or ""):
        return ScheduleIn()
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise hal.ApiError(400, "The body is not JSON.") from None
    if not isinstance(data, dict):
        raise hal.ApiError(400, "The body must be a JSON object.")
    value = data.get("scheduled_start_date")
    if value is not None and not isinstance(value, str):
        raise hal.ApiError(400, "scheduled_start_date: a date as text, like 2015-03-14T12:00:00Z.")
    return ScheduleIn(scheduled_start_date=value)


SCHEDULE_BODY = {
    "requestBody": {
        "required": False,
        "content": {"application/json": {"schema": ScheduleIn.model_json_schema()}},
    }
}


@router.post(
    "/messages/{message_id}/send",
    response={200: MessageOut, **WRITE_ERRORS},
    summary="Send a message now",
    description="The mailing is scheduled for now; the worker sends it on its next pass.",
    openapi_extra={"requestBody": {"required": False, "content": {"application/json": {}}}},
)
def message_send(request: HttpRequest, message_id: str) -> HttpResponse:
    return _schedule(request, message_id, None)


@router.post(
    "/messages/{message_id}/schedule",
    response={200: MessageOut, **WRITE_ERRORS},
    summary="Schedule a message",
    description="`scheduled_start_date` (ISO 8601, e.g. 2015-03-14T12:00:00Z; a space for the "
    "T and no zone, which means the site's time zone, work too) in the body or the query.",
    openapi_extra=SCHEDULE_BODY,
)
def message_schedule(
    request: HttpRequest, message_id: str, scheduled_start_date: str | None = None
) -> HttpResponse:
    text = _posted(request).scheduled_start_date or scheduled_start_date
    if not text or not text.strip():
        raise hal.ApiError(400, "scheduled_start_date: say when to send it.")
    try:
        when = odata.when(text)
    except odata.FilterError as problem:
        raise hal.ApiError(400, f"scheduled_start_date: {problem}") from None
    except ValueError as problem:
        raise hal.ApiError(
            400, f"scheduled_start_date: “{text[:40]}” is not a date ({problem})."
        ) from None
    if when < timezone.now() - dt.timedelta(minutes=1):
        raise hal.ApiError(
            400, "scheduled_start_date: that is in the past; use send to send it now."
        )
    return _schedule(request, message_id, when)


def wrapper_json(request: HttpRequest, template: MailTemplate) -> dict[str, Any]:
    return {
        "identifiers": [ids.identifier("wrapper", template.pk)],
        "created_date": hal.stamp(template.created_at),
        "modified_date": hal.stamp(template.updated_at),
        "name": template.name,
        # A Ladder template is a starting point for a message (a subject and a body), not
        # HTML around one, so it wraps nothing: its text is under subject and body.
        "header": "",
        "footer": "",
        "wrapper_type": "email",
        "subject": template.subject,
        "body": template.body,
        "_links": {"self": hal.href(request, f"wrappers/{ids.encode('wrapper', template.pk)}")},
    }


@router.get(
    "/wrappers",
    response={200: Collection, **READ_ERRORS},
    summary="List wrappers",
    description="Mail templates. Filter on created_date, modified_date and name.",
)
def wrappers_list(request: HttpRequest, filter: str | None = None) -> HttpResponse:
    user = not_partner(request).user
    rows = filtered(request, templates_visible(user), WRAPPER_FILTERS)
    response, _ = hal.collection(
        request, rows, plural="wrappers", path="wrappers",
        render=lambda items: [wrapper_json(request, t) for t in items], scope=scope_key(request),
    )  # fmt: skip
    return response


@router.get(
    "/wrappers/{wrapper_id}", response={200: WrapperOut, **READ_ERRORS}, summary="One wrapper"
)
def wrapper_get(request: HttpRequest, wrapper_id: str) -> HttpResponse:
    user = not_partner(request).user
    pk = pk_from("wrapper", wrapper_id, "wrapper")
    template = templates_visible(user).filter(pk=pk).first()
    if template is None:
        raise hal.not_found(f"wrapper with id = {wrapper_id[:80]}")
    return hal.resource(wrapper_json(request, template))
