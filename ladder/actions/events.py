"""Every write about events: creating one with its shifts, RSVPs with a waitlist that serves
people in order, and the host's side — checking people in, walk-ins, no-shows.

Exactly the capacity, also under concurrent RSVPs: every service that changes who holds a
place first locks the shift row (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite, Ladder's
transactions are IMMEDIATE, so writers already run one at a time) and keeps the shift's
``confirmed_count`` and ``waitlist_count`` under that lock.

Activities: an RSVP (``rsvp``, once per RSVP), a check-in (``attendance``, and
``shift_completed`` for volunteer shifts), a no-show (``no_show``), each keyed so a replay is a
no-op. Emails (confirmation, promotion from the waitlist) go after the commit, from the worker.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ladder.actions.models import ActionPage, Event, Rsvp, Shift
from ladder.actions.services import (
    PageError,
    action_counted,
    page_create,
    recruit_credit,
    recruiter_for,
    supporter_take,
    unique_slug,
)
from ladder.activity.catalogue import ActivityType
from ladder.activity.services import activity_record
from ladder.core.models import User
from ladder.people.models import Person
from ladder.people.services import supporter_upsert

S = Rsvp.Status


@dataclass(frozen=True)
class ShiftPlan:
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int | None = None
    name: str = ""


@transaction.atomic
def event_create(
    *,
    actor: User,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    shifts: list[ShiftPlan] | None = None,
    venue: str = "",
    address: str = "",
    is_online: bool = False,
    online_url: str = "",
    volunteer_shifts: bool = False,
    hosts: list[Person] | None = None,
    **page_fields: Any,
) -> ActionPage:
    """A draft event page with its shifts (none given: one shift for the whole event)."""
    errors: dict[str, str] = {}
    if ends_at <= starts_at:
        errors["ends_at"] = "The event must end after it starts."
    plans = shifts or [ShiftPlan(starts_at, ends_at)]
    for n, plan in enumerate(plans, start=1):
        if plan.ends_at <= plan.starts_at:
            errors["shifts"] = f"Shift {n} must end after it starts."
        if plan.capacity is not None and plan.capacity < 1:
            errors["shifts"] = f"Shift {n} needs room for at least one person."
    if is_online and not online_url:
        errors["online_url"] = "An online event needs the link people join by."
    if errors:
        raise PageError(errors)
    page = page_create(actor=actor, kind=ActionPage.Kind.EVENT, title=title, **page_fields)
    event = Event.objects.create(
        page=page, starts_at=starts_at, ends_at=ends_at, venue=venue.strip(),
        address=address.strip(), is_online=is_online, online_url=online_url,
        volunteer_shifts=volunteer_shifts,
    )  # fmt: skip
    event.hosts.set(hosts or [])
    Shift.objects.bulk_create(
        [
            Shift(
                event=event,
                name=p.name.strip(),
                starts_at=p.starts_at,
                ends_at=p.ends_at,
                capacity=p.capacity,
            )
            for p in plans
        ]
    )
    return page


def shift_locked(shift_id: int) -> Shift:
    """The shift, locked for the rest of the transaction (its counts are about to change)."""
    return Shift.objects.select_for_update().select_related("event__page").get(pk=shift_id)


def _hold(shift: Shift) -> str:
    """The status a new RSVP on the (locked) shift gets."""
    if shift.capacity is None or shift.confirmed_count < shift.capacity:
        return S.CONFIRMED
    return S.WAITLISTED


def _count(shift: Shift, status: str, step: int) -> None:
    column = "confirmed_count" if status == S.CONFIRMED else "waitlist_count"
    if status in (S.CONFIRMED, S.WAITLISTED):
        Shift.objects.filter(pk=shift.pk).update(**{column: F(column) + step})
        setattr(shift, column, getattr(shift, column) + step)


def waitlist_position(rsvp: Rsvp) -> int | None:
    """1 for the next person to be offered a place; None when not waiting."""
    if rsvp.status != S.WAITLISTED:
        return None
    ahead = Rsvp.objects.filter(
        shift_id=rsvp.shift_id, status=S.WAITLISTED, created_at__lt=rsvp.created_at
    ).count()
    return ahead + 1


@dataclass(frozen=True)
class RsvpTaken:
    rsvp: Rsvp
    person: Person
    new_action: bool


@transaction.atomic
def rsvp_take(
    *,
    shift: Shift,
    email: str,
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    postal_code: str = "",
    email_opt_in: bool = False,
    referral_code: str = "",
    now: dt.datetime | None = None,
) -> RsvpTaken:
    """RSVP to a shift: a place when there is one, the end of the waitlist when it is full.
    Answering again changes nothing; answering after a cancellation takes a place again."""
    when = now or timezone.now()
    shift = shift_locked(shift.pk)
    page = shift.event.page
    if page.status != ActionPage.Status.PUBLISHED:
        raise PageError({"shift": "This event is not taking RSVPs."})
    if shift.ends_at <= when:
        raise PageError({"shift": "This shift is over."})
    person, created = supporter_take(
        page=page, email=email, first_name=first_name, last_name=last_name, phone=phone,
        postal_code=postal_code, email_opt_in=email_opt_in, when=when,
    )  # fmt: skip
    held = Rsvp.objects.filter(shift=shift, person=person).first()
    if held is not None and held.status != S.CANCELLED:
        return RsvpTaken(held, person, new_action=False)
    referrer = None
    if held is None:  # a first RSVP credits the recruiter; coming back after cancelling does not
        referrer = recruit_credit(
            recruiter=recruiter_for(referral_code), person=person, created=created,
            where=f"page:{page.slug}", when=when,
        )  # fmt: skip
    rsvp, new = rsvp_place(shift=shift, person=person, when=when, referrer=referrer)
    return RsvpTaken(rsvp, person, new_action=new)


def rsvp_place(
    *,
    shift: Shift,
    person: Person,
    when: dt.datetime,
    referrer: Person | None = None,
    via: str = "",
    confirm: bool = True,
) -> tuple[Rsvp, bool]:
    """Put a known person on a shift locked by `shift_locked`: a place when there is one, the
    end of the waitlist when it is full; with the shift's counts, the RSVP activity and (with
    ``confirm``) the confirmation email. Returns (rsvp, new); an RSVP already live is returned
    as it is. Both the public page (`rsvp_take`) and the API come through here."""
    page = shift.event.page
    rsvp = Rsvp.objects.filter(shift=shift, person=person).first()
    if rsvp is not None and rsvp.status != S.CANCELLED:
        return rsvp, False
    status = _hold(shift)
    if rsvp is not None:  # back after a cancellation: to the end of the queue, if there is one
        rsvp.status, rsvp.created_at = status, when
        rsvp.save(update_fields=["status", "created_at", "updated_at"])
    else:
        try:
            with transaction.atomic():
                rsvp = Rsvp.objects.create(
                    shift=shift, person=person, status=status, referrer=referrer
                )
        except IntegrityError:  # the same person a moment ago, in another request
            return Rsvp.objects.get(shift=shift, person=person), False
    _count(shift, status, +1)
    payload: dict[str, Any] = {"event": page.title, "shift": str(shift), "status": status}
    if rsvp.referrer_id is not None:
        payload["referred_by"] = rsvp.referrer.display_name if rsvp.referrer else ""
    if via:
        payload["via"] = via
    activity_record(
        person=person, type=ActivityType.RSVP, occurred_at=when, source=f"page:{page.slug}",
        object_type="event", object_id=shift.event_id, payload=payload,
        idempotency_key=f"rsvp:{rsvp.pk}:{int(rsvp.created_at.timestamp())}",
    )  # fmt: skip
    action_counted(page, person, autoresponse=False)
    if confirm:
        _mail_after_commit("rsvp", rsvp.pk)
    return rsvp, True


@transaction.atomic
def rsvp_cancel(*, rsvp: Rsvp, now: dt.datetime | None = None) -> Rsvp | None:
    """Cancel an RSVP. A place it held goes to the first person on the waitlist, who is told;
    returns that person's RSVP (None when nobody moved up)."""
    shift = shift_locked(rsvp.shift_id)
    rsvp = Rsvp.objects.select_for_update().get(pk=rsvp.pk)
    if rsvp.status == S.CANCELLED:
        return None
    held = rsvp.status
    rsvp.status = S.CANCELLED
    rsvp.save(update_fields=["status", "updated_at"])
    _count(shift, held, -1)
    if held != S.CONFIRMED:
        return None
    return _promote(shift)


def _promote(shift: Shift) -> Rsvp | None:
    """Give free places on the (locked) shift to the waitlist, first come first served."""
    promoted = None
    while _hold(shift) == S.CONFIRMED:
        first = (
            Rsvp.objects.select_for_update()
            .filter(shift=shift, status=S.WAITLISTED)
            .order_by("created_at", "pk")
            .first()
        )
        if first is None:
            break
        first.status = S.CONFIRMED
        first.save(update_fields=["status", "updated_at"])
        _count(shift, S.WAITLISTED, -1)
        _count(shift, S.CONFIRMED, +1)
        _mail_after_commit("promoted", first.pk)
        promoted = promoted or first
    return promoted


@transaction.atomic
def shift_capacity_set(*, actor: User, shift: Shift, capacity: int | None) -> Shift:
    """Change a shift's capacity; new places go to the waitlist at once. Nobody who holds a
    place loses it when the capacity shrinks below them (they are told at the door)."""
    shift = shift_locked(shift.pk)
    shift.capacity = capacity
    shift.save(update_fields=["capacity"])
    _promote(shift)
    return shift


# ---- The host's side --------------------------------------------------------------------


def _attended(rsvp: Rsvp, *, actor: User | None, when: dt.datetime, source: str) -> None:
    event = rsvp.shift.event
    payload = {"event": event.page.title, "shift": str(rsvp.shift)}
    kinds = [(ActivityType.ATTENDANCE, "attended")]
    if event.volunteer_shifts:
        kinds.append((ActivityType.SHIFT_COMPLETED, "shift"))
    for kind, key in kinds:
        activity_record(
            person=rsvp.person, type=kind, occurred_at=when, actor=actor, source=source,
            object_type="event", object_id=event.pk, payload=payload,
            idempotency_key=f"{key}:{rsvp.pk}",
        )  # fmt: skip


@transaction.atomic
def check_in(
    *, rsvp: Rsvp, actor: User | None = None, now: dt.datetime | None = None, source: str = ""
) -> Rsvp:
    """They came. Someone from the waitlist who turns up is in, too (the host decides)."""
    when = now or timezone.now()
    shift = shift_locked(rsvp.shift_id)
    rsvp = Rsvp.objects.select_for_update().select_related("person").get(pk=rsvp.pk)
    if rsvp.attended:
        return rsvp
    if rsvp.status != S.CONFIRMED:
        _count(shift, rsvp.status, -1)
        _count(shift, S.CONFIRMED, +1)
        rsvp.status = S.CONFIRMED
    rsvp.attended, rsvp.checked_in_at = True, when
    rsvp.save(update_fields=["status", "attended", "checked_in_at", "updated_at"])
    rsvp.shift = shift
    _attended(rsvp, actor=actor, when=when, source=source or "check-in")
    return rsvp


@transaction.atomic
def walk_in(
    *,
    shift: Shift,
    first_name: str,
    last_name: str = "",
    email: str = "",
    phone: str = "",
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> Rsvp:
    """Someone came without an RSVP: find or add them, and check them in."""
    when = now or timezone.now()
    shift = shift_locked(shift.pk)
    person, _ = supporter_upsert(
        actor=actor, email=email, phone=phone, first_name=first_name, last_name=last_name,
        source=f"walk-in: {shift.event.page.title}",
    )  # fmt: skip
    rsvp = Rsvp.objects.filter(shift=shift, person=person).first()
    if rsvp is None:
        rsvp = Rsvp.objects.create(shift=shift, person=person, status=S.WAITLISTED, walk_in=True)
        _count(shift, S.WAITLISTED, +1)
    return check_in(rsvp=rsvp, actor=actor, now=when, source="walk-in")


@transaction.atomic
def no_shows_mark(
    *, event: Event, actor: User | None = None, now: dt.datetime | None = None
) -> int:
    """Everyone who had a place and was not checked in did not come; returns how many."""
    when = now or timezone.now()
    missing = list(
        Rsvp.objects.select_related("person", "shift")
        .filter(shift__event=event, status=S.CONFIRMED, attended__isnull=True)
        .order_by("pk")
    )
    for rsvp in missing:
        rsvp.attended = False
        rsvp.save(update_fields=["attended", "updated_at"])
        activity_record(
            person=rsvp.person, type=ActivityType.NO_SHOW, occurred_at=when, actor=actor,
            source="host", object_type="event", object_id=event.pk,
            payload={"event": event.page.title, "shift": str(rsvp.shift)},
            idempotency_key=f"no-show:{rsvp.pk}",
        )  # fmt: skip
    return len(missing)


def _mail_after_commit(kind: str, rsvp_id: int) -> None:
    from ladder.actions.tasks import rsvp_mail_task

    transaction.on_commit(lambda: rsvp_mail_task.enqueue(kind, rsvp_id))


# ---- Volunteer-hosted events ------------------------------------------------------------


@transaction.atomic
def event_propose(
    *,
    email: str,
    first_name: str,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    last_name: str = "",
    phone: str = "",
    description: str = "",
    venue: str = "",
    address: str = "",
    capacity: int | None = None,
    now: dt.datetime | None = None,
) -> ActionPage:
    """A supporter proposes their own event (a house party, a letter-writing evening). It
    waits for staff, unless the host is trusted (tagged LADDER_TRUSTED_HOST_TAG, which a granted
    "host" responsibility gives them, see `ladder.ladders.pathways`): then it is published at
    once. Either way the host gets their own page to run it (the host link)."""
    from django.conf import settings
    from django.utils.html import escape, linebreaks

    when = now or timezone.now()
    errors: dict[str, str] = {}
    title = " ".join(title.split())[:200]
    if not title:
        errors["title"] = "Give your event a name."
    if starts_at <= when:
        errors["starts_at"] = "Choose a time in the future."
    if ends_at <= starts_at:
        errors["ends_at"] = "The event must end after it starts."
    if capacity is not None and not 1 <= capacity <= 10_000:
        errors["capacity"] = "Room for 1 to 10,000 people."
    if errors:
        raise PageError(errors)
    host, _ = supporter_upsert(
        actor=None, email=email, phone=phone, first_name=first_name, last_name=last_name,
        source=f"proposed an event: {title}",
    )  # fmt: skip
    trusted = host.taggings.filter(tag__name__iexact=settings.LADDER_TRUSTED_HOST_TAG).exists()
    page = ActionPage.objects.create(
        kind=ActionPage.Kind.EVENT, slug=unique_slug(ActionPage, title, fallback="event"),
        title=title,
        # A supporter's words are text: escaped, paragraphs kept, never HTML.
        body=linebreaks(escape(description.strip()[:5000])),
        status=ActionPage.Status.PUBLISHED if trusted else ActionPage.Status.DRAFT,
        published_at=when if trusted else None, group=host.home_group,
        consent_wording="Yes, send me email updates. I can unsubscribe at any time.",
    )  # fmt: skip
    event = Event.objects.create(
        page=page, starts_at=starts_at, ends_at=ends_at, venue=venue.strip()[:200],
        address=address.strip()[:300], proposed_by=host,
        approval=Event.Approval.APPROVED if trusted else Event.Approval.PENDING,
    )  # fmt: skip
    event.hosts.add(host)
    Shift.objects.create(event=event, starts_at=starts_at, ends_at=ends_at, capacity=capacity)
    return page


@transaction.atomic
def event_review(*, actor: User, event: Event, approve: bool) -> Event:
    """Staff say yes (published) or no to a proposed event."""
    from ladder.actions.services import page_close, page_publish

    event.approval = Event.Approval.APPROVED if approve else Event.Approval.DECLINED
    event.save(update_fields=["approval"])
    if approve:
        page_publish(actor=actor, page=event.page)
    elif event.page.status == ActionPage.Status.PUBLISHED:
        page_close(actor=actor, page=event.page)
    return event


# ---- Reminders and follow-ups -----------------------------------------------------------

REMIND_BEFORE = dt.timedelta(hours=24)
FOLLOW_UP_AFTER = dt.timedelta(hours=2)


def events_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Reminders to everyone going, a day before; after the event, a thank-you to those who
    came and a we-missed-you to those who did not. Each event once (marked in the same
    transaction that queues the emails). The worker calls this every minute."""
    when = now or timezone.now()
    sent = {"reminders": 0, "followups": 0}
    soon = Event.objects.filter(
        reminders_sent_at__isnull=True, starts_at__gt=when, starts_at__lte=when + REMIND_BEFORE,
        page__status=ActionPage.Status.PUBLISHED,
    )  # fmt: skip
    for event_id in soon.values_list("pk", flat=True):
        with transaction.atomic():
            event = Event.objects.select_for_update().get(pk=event_id)
            if event.reminders_sent_at is not None:
                continue
            for rsvp_id in Rsvp.objects.filter(shift__event=event, status=S.CONFIRMED) \
                    .values_list("pk", flat=True):  # fmt: skip
                _mail_after_commit("reminder", rsvp_id)
                sent["reminders"] += 1
            event.reminders_sent_at = when
            event.save(update_fields=["reminders_sent_at"])
    over = Event.objects.filter(followups_sent_at__isnull=True, ends_at__lte=when - FOLLOW_UP_AFTER,
                                ends_at__gt=when - dt.timedelta(days=7))  # fmt: skip
    for event_id in over.values_list("pk", flat=True):
        with transaction.atomic():
            event = Event.objects.select_for_update().get(pk=event_id)
            if event.followups_sent_at is not None:
                continue
            for rsvp_id, attended in Rsvp.objects.filter(
                shift__event=event, status=S.CONFIRMED
            ).values_list("pk", "attended"):
                _mail_after_commit("thanks" if attended else "missed", rsvp_id)
                sent["followups"] += 1
            event.followups_sent_at = when
            event.save(update_fields=["followups_sent_at"])
    return sent


__all__ = [
    "RsvpTaken",
    "ShiftPlan",
    "check_in",
    "event_create",
    "event_propose",
    "event_review",
    "events_sweep",
    "no_shows_mark",
    "rsvp_cancel",
    "rsvp_take",
    "shift_capacity_set",
    "waitlist_position",
    "walk_in",
]
