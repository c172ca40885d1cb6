"""``/events`` and their ``attendances``, and ``/people/{id}/attendances``.

An event is a Ladder event page (its id is the page's); an attendance is one RSVP to one of
its shifts. Attendance ``status``: ``accepted`` (going), ``tentative`` (on the waitlist),
``attended`` (checked in), ``cancelled``; ``action_network:shift`` names the shift.

A location is kept as Ladder keeps it, a venue and one address line ("1600 Pennsylvania Ave,
Washington, DC 20009, US"); it is read back into OSDI's parts when it has that shape, else
it is all ``address_lines``."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router

from ladder.actions.models import ActionPage, Rsvp, Shift
from ladder.api import hal, ids
from ladder.api.action_writes import attendance_take, event_change, event_make, page_change
from ladder.api.auth import writable
from ladder.api.resources.action_pages import (
    autoresponse_of,
    body_of,
    one_record,
    page_json,
    page_of,
    page_path,
    pages_of,
    pages_page,
    person_routes,
    record_person,
    records_page,
    status_of,
    title_of,
    visible_pages,
    when_of,
)
from ladder.api.resources.common import dated
from ladder.api.resources.people import person_path
from ladder.api.schemas import READ_ERRORS, WRITE_ERRORS, Collection
from ladder.api.schemas_actions import (
    AttendanceIn,
    AttendanceOut,
    EventIn,
    EventLocationIn,
    EventOut,
)

router = Router(tags=["events"])

DEFAULT_LENGTH = dt.timedelta(hours=2)
EVENT_STATUS = {"draft": "tentative", "published": "confirmed", "closed": "cancelled"}
ATTENDANCE_FILTERS = dated("created_at", "updated_at")
_TAIL = re.compile(
    r"^(?P<lines>.+?),\s*(?P<locality>[^,\d]+?),\s*(?P<region>[A-Za-z][A-Za-z .]*?)\s+"
    r"(?P<postal>\d{5}(?:-\d{4})?|[A-Z0-9]{2,4} ?[A-Z0-9]{3})(?:,\s*(?P<country>[A-Z]{2}))?$"
)


# ---- Events -------------------------------------------------------------------------------


def location_json(venue: str, address: str) -> dict[str, Any]:
    found = _TAIL.match(address.strip())
    if found is None:
        lines, locality, region, postal, country = [address] if address else [], "", "", "", ""
    else:
        lines = [part.strip() for part in found["lines"].split(",") if part.strip()]
        locality, region, postal = found["locality"], found["region"], found["postal"]
        country = found["country"] or "US"
    return {
        "venue": venue,
        "address_lines": lines,
        "locality": locality,
        "region": region,
        "postal_code": postal,
        "country": country,
    }


def location_text(location: EventLocationIn) -> str:
    """One address line from OSDI's parts: "lines, locality, region postal, country"."""
    parts = [line.strip() for line in location.address_lines or [] if line and line.strip()]
    if location.locality and location.locality.strip():
        parts.append(location.locality.strip())
    tail = " ".join(p.strip() for p in (location.region, location.postal_code) if p and p.strip())
    if tail:
        parts.append(tail)
    if location.country and location.country.strip():
        parts.append(location.country.strip().upper())
    return ", ".join(parts)


def with_event(rows: QuerySet[ActionPage]) -> QuerySet[ActionPage]:
    return (
        rows.filter(event__isnull=False)
        .select_related("event")
        .prefetch_related(
            Prefetch("event__shifts", queryset=Shift.objects.order_by("starts_at", "pk"))
        )
    )


def event_json(request: HttpRequest, page: ActionPage) -> dict[str, Any]:
    event = page.event
    shifts = list(event.shifts.all())
    data = page_json(request, "event", page)
    capacities = [s.capacity for s in shifts]
    path = page_path("event", page.pk)
    data.update(
        {
            "name": page.title,
            "start_date": hal.stamp(event.starts_at),
            "end_date": hal.stamp(event.ends_at),
            "location": location_json(event.venue, event.address),
            "status": EVENT_STATUS[page.status],
            "total_accepted": sum(s.confirmed_count for s in shifts),
            "capacity": None
            if not shifts or None in capacities
            else sum(c or 0 for c in capacities),
            "visibility": "public",
            "action_network:online": event.is_online,
        }
    )
    data["_links"].update(
        {
            "osdi:attendances": hal.href(request, f"{path}/attendances"),
            "osdi:record_attendance_helper": hal.href(request, f"{path}/attendances"),
        }
    )
    return data


def event_response(request: HttpRequest, page_pk: int, status: int = 200) -> HttpResponse:
    page = with_event(pages_of(request, "event")).get(pk=page_pk)
    return hal.resource(event_json(request, page), status=status)


@router.get(
    "/events",
    response={200: Collection, **READ_ERRORS},
    summary="List events",
    description="Filter on created_date, modified_date and title.",
)
def events_list(request: HttpRequest, filter: str | None = None) -> HttpResponse:
    rows = with_event(pages_of(request, "event"))
    return pages_page(request, "event", rows, lambda page: event_json(request, page))


def _times(payload: EventIn) -> tuple[dt.datetime | None, dt.datetime | None]:
    starts = when_of("start_date", payload.start_date) if payload.start_date else None
    ends = when_of("end_date", payload.end_date) if payload.end_date else None
    return starts, ends


@router.post(
    "/events",
    response={201: EventOut, **WRITE_ERRORS},
    summary="Create an event",
    description='title and start_date ("YYYY-MM-DD HH:MM:SS" in the site\'s time zone, or '
    "ISO 8601) are needed; end_date defaults to two hours later. Published unless status "
    "is draft (or tentative).",
)
def event_create(request: HttpRequest, payload: EventIn | None = None) -> HttpResponse:
    token = writable(request)
    payload = body_of(request, payload, EventIn)
    title = title_of(payload.title, required=True)
    starts, ends = _times(payload)
    if starts is None:
        raise hal.ApiError(400, "start_date: say when the event starts (YYYY-MM-DD HH:MM:SS).")
    location = payload.location or EventLocationIn()
    page = event_make(
        actor=token.user, title=title or "", starts_at=starts,
        ends_at=ends or starts + DEFAULT_LENGTH, status=status_of(payload.status),
        capacity=payload.capacity, venue=(location.venue or "").strip(),
        address=location_text(location), body=payload.description or "",
    )  # fmt: skip
    return event_response(request, page.pk, status=201)


@router.get("/events/{event_id}", response={200: EventOut, **READ_ERRORS}, summary="One event")
def event_get(request: HttpRequest, event_id: str) -> HttpResponse:
    page = page_of(request, "event", event_id, with_event(pages_of(request, "event")))
    return hal.resource(event_json(request, page))


@router.put(
    "/events/{event_id}",
    response={200: EventOut, **WRITE_ERRORS},
    summary="Update an event",
    description="Fields given replace what is there; a location given replaces the old one.",
)
def event_put(request: HttpRequest, event_id: str, payload: EventIn) -> HttpResponse:
    token = writable(request)
    page = page_of(request, "event", event_id, with_event(pages_of(request, "event")))
    starts, ends = _times(payload)
    fields: dict[str, Any] = {}
    title = title_of(payload.title, required=False)
    if title is not None:
        fields["title"] = title
    if payload.description is not None:
        fields["body"] = payload.description
    location = payload.location
    with transaction.atomic():
        page_change(actor=token.user, page=page, status=status_of(payload.status), **fields)
        event_change(
            actor=token.user, page=page, starts_at=starts, ends_at=ends,
            venue=None if location is None else (location.venue or ""),
            address=None if location is None else location_text(location),
            capacity=payload.capacity,
        )  # fmt: skip
    return event_response(request, page.pk)


# ---- Attendances ----------------------------------------------------------------------------


def attendance_status(rsvp: Rsvp) -> str:
    if rsvp.attended:
        return "attended"
    if rsvp.status == Rsvp.Status.CANCELLED:
        return "cancelled"
    if rsvp.status == Rsvp.Status.WAITLISTED:
        return "tentative"
    return "accepted"


def attendance_json(request: HttpRequest, rsvp: Rsvp) -> dict[str, Any]:
    event_path = page_path("event", rsvp.shift.event.page_id)
    return {
        "identifiers": [ids.identifier("attendance", rsvp.pk)],
        "created_date": hal.stamp(rsvp.created_at),
        "modified_date": hal.stamp(rsvp.updated_at),
        "status": attendance_status(rsvp),
        "action_network:shift": rsvp.shift.name
        or timezone.localtime(rsvp.shift.starts_at).strftime("%a %d %b %H:%M"),
        "_links": {
            "self": hal.href(
                request, f"{event_path}/attendances/{ids.encode('attendance', rsvp.pk)}"
            ),
            "osdi:event": hal.href(request, event_path),
            "osdi:person": hal.href(request, person_path(rsvp.person_id)),
        },
    }


def rsvps() -> QuerySet[Rsvp]:
    return Rsvp.objects.select_related("shift__event")


def attendances_page(request: HttpRequest, rows: QuerySet[Rsvp], path: str) -> HttpResponse:
    return records_page(
        request, rows, plural="attendances", path=path,
        render=lambda r: attendance_json(request, r), fields=ATTENDANCE_FILTERS,
    )  # fmt: skip


@router.get(
    "/events/{event_id}/attendances",
    response={200: Collection, **READ_ERRORS},
    summary="An event's attendances",
    description="Filter on created_date and modified_date.",
)
def attendances_list(
    request: HttpRequest, event_id: str, filter: str | None = None
) -> HttpResponse:
    page = page_of(request, "event", event_id)
    return attendances_page(
        request, rsvps().filter(shift__event__page=page),
        f"{page_path('event', page.pk)}/attendances",
    )  # fmt: skip


@router.post(
    "/events/{event_id}/attendances",
    response={200: AttendanceOut, 201: AttendanceOut, **WRITE_ERRORS},
    summary="RSVP a person (record attendance helper)",
    description="The person by _links.osdi:person, or inline in person (matched as the "
    "person signup helper does). status attended checks them in. One RSVP per person and "
    "event: a repeat answers 200 with the first.",
)
def attendance_create(
    request: HttpRequest, event_id: str, payload: AttendanceIn | None = None
) -> HttpResponse:
    token = writable(request)
    payload = body_of(request, payload, AttendanceIn)
    page = page_of(request, "event", event_id, with_event(pages_of(request, "event")))
    wanted = (payload.status or "accepted").strip().lower()
    if wanted not in ("accepted", "attended"):
        raise hal.ApiError(400, "status: record an attendance as accepted or attended.")
    with transaction.atomic():
        person, _ = record_person(request, token, payload)
        rsvp, new = attendance_take(
            actor=token.user, page=page, person=person, attended=wanted == "attended",
            confirm=autoresponse_of(payload),
        )  # fmt: skip
    return hal.resource(
        attendance_json(request, rsvps().get(pk=rsvp.pk)), status=201 if new else 200
    )


@router.get(
    "/events/{event_id}/attendances/{attendance_id}",
    response={200: AttendanceOut, **READ_ERRORS},
    summary="One attendance",
)
def attendance_get(request: HttpRequest, event_id: str, attendance_id: str) -> HttpResponse:
    page = page_of(request, "event", event_id)
    return one_record(
        request, rsvps().filter(shift__event__page=page), "attendance", attendance_id,
        lambda r: attendance_json(request, r),
    )  # fmt: skip


def _persons(request: HttpRequest, pk: int) -> QuerySet[Rsvp]:
    return rsvps().filter(person_id=pk, shift__event__page__in=visible_pages(request))


person_routes(
    router, kind="attendance", out=AttendanceOut, rows=_persons, page=attendances_page,
    render=attendance_json,
)  # fmt: skip
