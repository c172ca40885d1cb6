"""The writes the action resources make that no actions service makes as such: a page made
live in one step, an event moved, and a signature, submission, RSVP or gift for a person the
API already knows (the public pages' services match their person from a form by email; an
API record names its person by link, or carries them inline for `person_signup`).

They are built from the actions app's own services and follow their rules: the same rows, the
same kept counts (under the shift's row lock for RSVPs), the same activities with the same
idempotency keys, so timelines, rollups and ladders see an API action exactly as a public
one, and a replay writes nothing twice.

Choices made for integrators:

* A page created through the API is **published** unless the body says ``"status":
  "draft"``: an integrator who creates a petition expects it to be live, as in Action
  Network. A leader's page belongs to the first group they lead.
* Records may be added to a draft or closed page and to an event that is over: an
  integration records what happened elsewhere, unlike a visitor on a public page.
* The page's auto-response (an event's confirmation) goes only when the post asks for it
  (``triggers.autoresponse.enabled``), as in Action Network.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from ladder.actions.events import (
    ShiftPlan,
    check_in,
    event_create,
    rsvp_place,
    shift_capacity_set,
    shift_locked,
)
from ladder.actions.gifts import Recorded, gift_record
from ladder.actions.models import ActionPage, Event, Gift, Rsvp, Submission
from ladder.actions.services import (
    ACTION_TYPES,
    PageError,
    action_counted,
    page_close,
    page_create,
    page_publish,
    page_update,
)
from ladder.activity.services import activity_record
from ladder.api.hal import ApiError
from ladder.core.models import User
from ladder.people.models import Group, Person

S = ActionPage.Status
API_PROCESSOR = "api"


def home_group(actor: User) -> Group | None:
    """The group a page made by ``actor`` belongs to: none for staff, a leader's first."""
    if actor.sees_everyone:
        return None
    return actor.led_groups.order_by("id").first()


def status_apply(*, actor: User, page: ActionPage, status: str | None) -> ActionPage:
    """Move ``page`` to ``status`` (draft, published, closed; None: no change)."""
    if status is None or status == page.status:
        return page
    if status == S.PUBLISHED:
        return page_publish(actor=actor, page=page)
    if status == S.CLOSED:
        return page_close(actor=actor, page=page)
    raise ApiError(400, "status: a page that has been published cannot go back to draft.")


@transaction.atomic
def page_make(
    *, actor: User, kind: str, title: str, status: str | None, **fields: Any
) -> ActionPage:
    """A petition, form or donation page, published unless ``status`` says draft."""
    page = page_create(actor=actor, kind=kind, title=title, group=home_group(actor), **fields)
    return status_apply(actor=actor, page=page, status=status or S.PUBLISHED)


@transaction.atomic
def page_change(*, actor: User, page: ActionPage, status: str | None, **fields: Any) -> ActionPage:
    if fields:
        page = page_update(actor=actor, page=page, **fields)
    return status_apply(actor=actor, page=page, status=status)


@transaction.atomic
def event_make(
    *,
    actor: User,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    status: str | None,
    capacity: int | None = None,
    venue: str = "",
    address: str = "",
    **page_fields: Any,
) -> ActionPage:
    """An event page with one shift for the whole event, published unless told draft."""
    page = event_create(
        actor=actor, title=title, starts_at=starts_at, ends_at=ends_at,
        shifts=[ShiftPlan(starts_at, ends_at, capacity)], venue=venue[:200],
        address=address[:300], group=home_group(actor), **page_fields,
    )  # fmt: skip
    return status_apply(actor=actor, page=page, status=status or S.PUBLISHED)


@transaction.atomic
def event_change(
    *,
    actor: User,
    page: ActionPage,
    starts_at: dt.datetime | None = None,
    ends_at: dt.datetime | None = None,
    venue: str | None = None,
    address: str | None = None,
    capacity: int | None = None,
) -> Event:
    """Move an event or change where it is. An event of one shift that spans it moves its
    shift too; a capacity applies to that one shift (new places go to the waitlist)."""
    event = Event.objects.select_for_update().get(page=page)
    shifts = list(event.shifts.all())
    spanning = len(shifts) == 1 and (shifts[0].starts_at, shifts[0].ends_at) == (
        event.starts_at, event.ends_at,
    )  # fmt: skip
    new_start = starts_at or event.starts_at
    if starts_at is not None and ends_at is None:
        new_end = event.ends_at + (starts_at - event.starts_at)  # keep the length
    else:
        new_end = ends_at or event.ends_at
    if new_end <= new_start:
        raise PageError({"end_date": "The event must end after it starts."})
    if capacity is not None and len(shifts) != 1:
        raise PageError({"capacity": "This event has several shifts; set each one's capacity."})
    if capacity is not None and capacity < 1:
        raise PageError({"capacity": "Room for at least one person."})
    event.starts_at, event.ends_at = new_start, new_end
    if venue is not None:
        event.venue = venue.strip()[:200]
    if address is not None:
        event.address = address.strip()[:300]
    event.save(update_fields=["starts_at", "ends_at", "venue", "address"])
    if spanning:
        shift = shifts[0]
        shift.starts_at, shift.ends_at = new_start, new_end
        shift.save(update_fields=["starts_at", "ends_at"])
    if capacity is not None:
        shift_capacity_set(actor=actor, shift=shifts[0], capacity=capacity)
    return event


@transaction.atomic
def submission_take(
    *,
    page: ActionPage,
    person: Person,
    comments: str = "",
    autoresponse: bool = False,
    now: dt.datetime | None = None,
) -> tuple[Submission, bool]:
    """``person``'s signature or form submission on ``page``; (submission, new). One per
    person and page: a repeat returns the first (with its comments added)."""
    if page.kind not in ACTION_TYPES:
        raise ValueError(f"{page.kind} pages take RSVPs or gifts, not submissions")
    when = now or timezone.now()
    answers = {"comments": comments.strip()} if comments and comments.strip() else {}
    earlier = Submission.objects.filter(page=page, person=person).first()
    if earlier is not None:
        if answers and earlier.answers.get("comments") != answers["comments"]:
            earlier.answers = {**earlier.answers, **answers}
            earlier.save(update_fields=["answers"])
        return earlier, False
    try:
        with transaction.atomic():
            submission = Submission.objects.create(
                page=page, person=person, token=f"api:{person.pk}", answers=answers
            )
    except IntegrityError:  # the same person a moment ago, in another request
        return Submission.objects.get(page=page, person=person), False
    noun = "petition" if page.kind == ActionPage.Kind.PETITION else "form"
    activity_record(
        person=person, type=ACTION_TYPES[page.kind], occurred_at=when,
        source=f"page:{page.slug}", object_type="action_page", object_id=page.pk,
        payload={noun: page.title, "via": "api"},
        idempotency_key=f"action:{page.pk}:{person.pk}",
    )  # fmt: skip
    action_counted(page, person, autoresponse=autoresponse)
    return submission, True


@transaction.atomic
def attendance_take(
    *,
    actor: User,
    page: ActionPage,
    person: Person,
    attended: bool = False,
    confirm: bool = False,
    now: dt.datetime | None = None,
) -> tuple[Rsvp, bool]:
    """``person``'s RSVP to the event on ``page``; (rsvp, new). The first shift that is not
    over takes them (its waitlist when full); for an event that is over, only ``attended``
    makes sense, and they are checked in on its last shift. A person already going is not
    RSVPed twice; ``attended`` checks them in."""
    when = now or timezone.now()
    event = page.event
    held = (
        Rsvp.objects.filter(shift__event=event, person=person)
        .exclude(status=Rsvp.Status.CANCELLED)
        .order_by("shift__starts_at", "pk")
        .first()
    )
    if held is not None:
        if attended and not held.attended:
            held = check_in(rsvp=held, actor=actor, now=when, source="api")
        return held, False
    shifts = list(event.shifts.order_by("starts_at", "pk"))
    if not shifts:
        raise ApiError(400, "This event has no shifts to RSVP to.")
    upcoming = [s for s in shifts if s.ends_at > when]
    if not upcoming and not attended:
        raise ApiError(400, "status: this event is over; record who came with “attended”.")
    shift = shift_locked((upcoming or shifts[-1:])[0].pk)
    rsvp, new = rsvp_place(shift=shift, person=person, when=when, via="api", confirm=confirm)
    if not new:  # the same person a moment ago, in another request
        return rsvp, False
    if attended:
        rsvp = check_in(rsvp=rsvp, actor=actor, now=when, source="api")
    return rsvp, True


def donation_take(
    *,
    page: ActionPage,
    person: Person,
    amount: Decimal,
    occurred_at: dt.datetime | None,
    order_number: str = "",
    recurring: bool = False,
) -> Recorded:
    """A gift made elsewhere, reported through the API: paid, on ``page``. The client's own
    identifier of it is its order number, so a repeated post is the same gift."""
    return gift_record(
        person=person, amount=amount, processor=API_PROCESSOR, status=Gift.Status.PAID,
        occurred_at=occurred_at, page=page, order_number=order_number[:80],
        recurring=recurring, series=f"api-{order_number[:70]}" if recurring and order_number
        else "",
    )  # fmt: skip
