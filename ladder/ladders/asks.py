"""Asks with capacity: create, open, offer in waves, record answers, close.

An ask needs exactly ``needed`` people. It is offered in waves to the best-fit people
(`ladder.ladders.ask_selectors.ask_ranked`); a wave tops the outstanding offers up to
``open places × wave_factor``. When the last place is taken the ask is *filled*: the offers still
waiting are withdrawn, later accepts are refused, and any ask ordered after it
(``opens_after``) opens. A decline tops the wave up again; a dropout reopens exactly one place
and backfills it.

Exactly N, also under concurrent accepts: every service that changes an ask's offers first
locks the ask row (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite, Ladder's transactions are
IMMEDIATE, so writers already run one at a time) and counts acceptances under that lock.

Every offer and every answer is written to the activity log in the same transaction, with an
idempotency key per offer and status, so a replay never double-counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from ladder.activity.catalogue import ActivityType
from ladder.activity.services import activity_record
from ladder.core.models import User
from ladder.ladders.ask_selectors import (
    ask_is_past_deadline,
    ask_progress,
    ask_ranked,
    asks_visible,
    can_use_asks,
    segments_for,
)
from ladder.ladders.models import Ask, AskOffer, Rung
from ladder.people.models import Group, Person, Tag
from ladder.people.selectors import groups_visible

# A single wave never offers more than this many people: a bigger wave is a mailing.
MAX_WAVE = 500
MAX_NEEDED = 10_000
MAX_WAVE_FACTOR = 20

S = Ask.Status
O = AskOffer.Status  # noqa: E741 - reads as the offer's status


class AskError(ValidationError):
    """A refused change, with a message fit to show the person who tried it."""


# ---- Create -----------------------------------------------------------------------------


@transaction.atomic
def ask_create(
    *,
    actor: User,
    title: str,
    needed: int,
    description: str = "",
    segment=None,  # ladder.segments.models.Segment | None
    rung: Rung | None = None,
    prefer_tags: Iterable[Tag] = (),
    prefer_postal_prefix: str = "",
    opens_after: Ask | None = None,
    deadline: dt.datetime | None = None,
    wave_factor: int = 2,
    group: Group | None = None,
    now: dt.datetime | None = None,
) -> Ask:
    """A draft ask. Leaders may only aim it at segments, groups and asks in their scope."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if not can_use_asks(actor):
        raise AskError("Only staff and leaders create asks.")
    title = " ".join(title.split())
    if not title:
        fail("title", "An ask needs a title.")
    if not 1 <= needed <= MAX_NEEDED:
        fail("needed", f"Ask for between 1 and {MAX_NEEDED:,} people.")
    if not 1 <= wave_factor <= MAX_WAVE_FACTOR:
        fail("wave_factor", f"Offer to between 1 and {MAX_WAVE_FACTOR} people per open place.")
    if segment is None and rung is None:
        fail("segment", "Choose who to ask: a segment, a rung, or both.")
    if segment is not None and not segments_for(actor).filter(pk=segment.pk).exists():
        fail("segment", "You cannot use that segment.")
    if opens_after is not None and not asks_visible(actor).filter(pk=opens_after.pk).exists():
        fail("opens_after", "You cannot chain to that ask.")
    if opens_after is not None and opens_after.status == S.CLOSED:
        fail("opens_after", "That ask is closed and will never fill.")
    if deadline is not None and deadline <= now:
        fail("deadline", "The deadline must be in the future.")
    prefix = prefer_postal_prefix.strip().upper()
    if prefix and not prefix.replace(" ", "").isalnum():
        fail("prefer_postal_prefix", "Use the first letters or digits of a postal code.")
    if group is not None and not groups_visible(actor).filter(pk=group.pk).exists():
        fail("group", "You do not lead that group.")
    if group is None and not actor.sees_everyone:
        fail("group", "Choose which of your groups this ask is for.")
    if errors:
        raise AskError(errors)
    ask = Ask.objects.create(
        title=title,
        description=description.strip(),
        needed=needed,
        segment=segment,
        rung=rung,
        prefer_postal_prefix=prefix,
        opens_after=opens_after,
        deadline=deadline,
        wave_factor=wave_factor,
        group=group,
        created_by=actor,
    )
    ask.prefer_tags.set(list(prefer_tags))
    return ask


# ---- Open, offer, close -----------------------------------------------------------------------


def _lock(ask_id: int) -> Ask:
    """The ask row, locked until the transaction ends. Every change to offers goes through it."""
    return (
        Ask.objects.select_for_update(of=("self",))
        .select_related("segment", "rung", "created_by")
        .get(pk=ask_id)
    )


def _offer(
    ask: Ask, *, actor: User | None, size: int, now: dt.datetime, source: str
) -> list[AskOffer]:
    """Offer the ask to the next ``size`` best-fit people. The ask must be locked and open."""
    size = min(size, MAX_WAVE)
    if size <= 0:
        return []
    ranked = ask_ranked(ask, actor=actor, now=now)
    picks = list(ranked.values_list("pk", "fit")[:size])  # type: ignore[misc]  # annotated
    if not picks:
        return []
    wave = (AskOffer.objects.filter(ask_id=ask.pk).aggregate(w=Max("wave"))["w"] or 0) + 1
    offers = AskOffer.objects.bulk_create(
        [
            AskOffer(ask=ask, person_id=pid, wave=wave, rank=fit, offered_at=now)
            for pid, fit in picks
        ]
    )
    if any(o.pk is None for o in offers):  # backends that cannot return ids from a bulk insert
        by_person = dict(
            AskOffer.objects.filter(ask_id=ask.pk, wave=wave).values_list("person_id", "pk")
        )
        for o in offers:
            o.pk = by_person[o.person_id]
    people = Person.objects.in_bulk([pid for pid, _ in picks])
    # One activity per offer; a wave is at most MAX_WAVE rows, each keyed so a replay is a no-op.
    for o in offers:
        o.person = people[o.person_id]
        _log(o, ActivityType.ASK_OFFERED, actor=actor, when=now, source=source)
    return offers


def _log(offer: AskOffer, kind: str, *, actor: User | None, when: dt.datetime, source: str):
    ask = offer.ask
    return activity_record(
        person=offer.person,
        type=kind,
        occurred_at=when,
        actor=actor,
        source=source,
        object_type="ask",
        object_id=ask.pk,
        payload={"ask": ask.title, "wave": offer.wave},
        idempotency_key=f"ask-offer:{offer.pk}:{kind}",
    )


def _top_up(ask: Ask, *, actor: User | None, now: dt.datetime, source: str) -> list[AskOffer]:
    """Bring the outstanding offers up to open places × wave factor (locked, open ask)."""
    if ask.status != S.OPEN or ask_is_past_deadline(ask, now):
        return []
    return _offer(ask, actor=actor, size=ask_progress(ask).next_wave, now=now, source=source)


def _withdraw_outstanding(ask: Ask, now: dt.datetime) -> int:
    # No activity: a withdrawal is not something the person did, and they were never told
    # anything new. The offer row keeps the history.
    return AskOffer.objects.filter(ask_id=ask.pk, status=O.OFFERED).update(
        status=O.WITHDRAWN, answered_at=now
    )


def _open_locked(ask: Ask, *, actor: User | None, now: dt.datetime, source: str) -> list[AskOffer]:
    ask.status = S.OPEN
    ask.opened_at = ask.opened_at or now
    ask.save(update_fields=["status", "opened_at"])
    return _top_up(ask, actor=actor, now=now, source=source)


@transaction.atomic
def ask_open(*, actor: User | None, ask: Ask, now: dt.datetime | None = None) -> Ask:
    """Publish an ask. A draft ordered after an unfilled ask waits for it; a waiting ask opened
    by hand opens now (the organizer overrides the order). Opening sends the first wave."""
    now = now or timezone.now()
    ask = _lock(ask.pk)
    if ask.status not in (S.DRAFT, S.WAITING):
        raise AskError(f"This ask is already {ask.get_status_display().lower()}.")
    if ask_is_past_deadline(ask, now):
        raise AskError("The deadline has passed; change it or close the ask.")
    before = ask.opens_after_id
    waits = before is not None and ask.status == S.DRAFT
    if waits and Ask.objects.filter(pk=before or 0).exclude(status=S.FILLED).exists():
        ask.status = S.WAITING
        ask.save(update_fields=["status"])
        return ask
    _open_locked(ask, actor=actor, now=now, source="staff")
    return ask


@transaction.atomic
def ask_offer_wave(
    *,
    actor: User | None,
    ask: Ask,
    count: int | None = None,
    now: dt.datetime | None = None,
    source: str = "staff",
) -> list[AskOffer]:
    """Offer the ask to more people: the next wave (``count`` None: open places × wave factor
    minus offers still waiting) or exactly ``count`` more ("offer to N more")."""
    now = now or timezone.now()
    ask = _lock(ask.pk)
    if ask.status != S.OPEN:
        raise AskError(f"Only an open ask is offered; this one is {ask.get_status_display()}.")
    if ask_is_past_deadline(ask, now):
        raise AskError("The deadline has passed; no more offers go out.")
    if count is not None and not 1 <= count <= MAX_WAVE:
        raise AskError({"count": f"Offer to between 1 and {MAX_WAVE} people at a time."})
    size = ask_progress(ask).next_wave if count is None else count
    return _offer(ask, actor=actor, size=size, now=now, source=source)


@transaction.atomic
def ask_close(*, actor: User | None, ask: Ask, now: dt.datetime | None = None) -> Ask:
    """Stop the ask: no more offers, outstanding ones withdrawn. Acceptances stand."""
    now = now or timezone.now()
    ask = _lock(ask.pk)
    if ask.status == S.CLOSED:
        return ask
    ask.status = S.CLOSED
    ask.save(update_fields=["status"])
    _withdraw_outstanding(ask, now)
    return ask


# ---- Answers ----------------------------------------------------------------------------------


def _locked_offer(offer: AskOffer) -> tuple[Ask, AskOffer]:
    ask = _lock(offer.ask_id)
    fresh = AskOffer.objects.select_for_update().select_related("person").get(pk=offer.pk)
    fresh.ask = ask
    return ask, fresh


def _refusal(ask: Ask, offer: AskOffer) -> str:
    if offer.status == O.DECLINED:
        return "This offer was already declined."
    if offer.status == O.DROPPED:
        return "This place was already given up."
    if ask.status == S.FILLED:
        return f"All {ask.needed} places have been filled — thank you for answering."
    if ask.status == S.CLOSED:
        return "This ask has closed; it no longer takes answers."
    return "This ask is not taking answers yet."


@transaction.atomic
def offer_accept(
    *, actor: User | None, offer: AskOffer, now: dt.datetime | None = None, source: str = "staff"
) -> AskOffer:
    """Take a place. The Nth acceptance fills the ask; after that every accept is refused."""
    now = now or timezone.now()
    ask, offer = _locked_offer(offer)
    if offer.status == O.ACCEPTED:
        return offer  # a second click on the same link
    # A withdrawn offer (the ask had filled) still counts while a place is open again after a
    # dropout: those people were offered first, so they are the best fits.
    if offer.status not in (O.OFFERED, O.WITHDRAWN) or ask.status != S.OPEN:
        raise AskError(_refusal(ask, offer))
    if ask_is_past_deadline(ask, now):
        raise AskError("The deadline for this ask has passed.")
    accepted = AskOffer.objects.filter(ask_id=ask.pk, status=O.ACCEPTED).count()
    if accepted >= ask.needed:  # cannot happen while status is kept right; refuse, never overfill
        raise AskError(_refusal(ask, offer))
    offer.status = O.ACCEPTED
    offer.answered_at = now
    offer.save(update_fields=["status", "answered_at"])
    _log(offer, ActivityType.ASK_ACCEPTED, actor=actor, when=now, source=source)
    if accepted + 1 >= ask.needed:
        _fill(ask, now=now)
    return offer


def _fill(ask: Ask, *, now: dt.datetime) -> None:
    ask.status = S.FILLED
    ask.filled_at = now
    ask.save(update_fields=["status", "filled_at"])
    _withdraw_outstanding(ask, now)
    # Asks ordered after this one open now, each with its first wave, offered within its own
    # creator's scope (nobody is acting for them).
    for waiting_id in Ask.objects.filter(opens_after_id=ask.pk, status=S.WAITING).values_list(
        "pk", flat=True
    ):
        waiting = _lock(waiting_id)
        if waiting.status == S.WAITING and not ask_is_past_deadline(waiting, now):
            _open_locked(waiting, actor=None, now=now, source=f"opened after ask {ask.pk} filled")


@transaction.atomic
def offer_decline(
    *, actor: User | None, offer: AskOffer, now: dt.datetime | None = None, source: str = "staff"
) -> AskOffer:
    """Say no to an offer; the wave is topped up with the next-best person."""
    now = now or timezone.now()
    ask, offer = _locked_offer(offer)
    if offer.status == O.DECLINED:
        return offer
    if offer.status == O.ACCEPTED:
        raise AskError("This place was accepted; record a dropout instead.")
    if not (offer.status == O.OFFERED or (offer.status == O.WITHDRAWN and ask.status == S.OPEN)):
        raise AskError(_refusal(ask, offer))
    offer.status = O.DECLINED
    offer.answered_at = now
    offer.save(update_fields=["status", "answered_at"])
    _log(offer, ActivityType.ASK_DECLINED, actor=actor, when=now, source=source)
    _top_up(ask, actor=actor, now=now, source="backfill after a decline")
    return offer


@transaction.atomic
def offer_drop(
    *, actor: User | None, offer: AskOffer, now: dt.datetime | None = None, source: str = "staff"
) -> AskOffer:
    """Someone who accepted cannot make it: their place reopens (a filled ask opens again) and
    is backfilled with the next-best people."""
    now = now or timezone.now()
    ask, offer = _locked_offer(offer)
    if offer.status == O.DROPPED:
        return offer
    if offer.status != O.ACCEPTED:
        raise AskError("Only someone who accepted can drop out.")
    offer.status = O.DROPPED
    offer.answered_at = now
    offer.save(update_fields=["status", "answered_at"])
    _log(offer, ActivityType.ASK_DROPPED, actor=actor, when=now, source=source)
    if ask.status == S.FILLED:
        ask.status = S.OPEN
        ask.filled_at = None
        ask.save(update_fields=["status", "filled_at"])
    _top_up(ask, actor=actor, now=now, source="backfill after a dropout")
    return offer


# ---- The worker's pass ------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    closed: int
    offered: int


def asks_sweep(*, now: dt.datetime | None = None) -> SweepResult:
    """Close asks whose deadline has passed (withdrawing their offers) and top up open asks
    that have fewer offers out than they should (new people joined the target, or a wave ran
    short). The worker calls this every minute; each ask is its own transaction."""
    now = now or timezone.now()
    closed = offered = 0
    due = Ask.objects.filter(status__in=[S.OPEN, S.WAITING], deadline__lte=now)
    for ask_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            ask = _lock(ask_id)
            if ask.status in (S.OPEN, S.WAITING) and ask_is_past_deadline(ask, now):
                ask.status = S.CLOSED
                ask.save(update_fields=["status"])
                _withdraw_outstanding(ask, now)
                closed += 1
    for ask_id in Ask.objects.filter(status=S.OPEN).values_list("pk", flat=True):
        with transaction.atomic():
            offered += len(_top_up(_lock(ask_id), actor=None, now=now, source="worker"))
    return SweepResult(closed=closed, offered=offered)


__all__ = [
    "AskError",
    "ask_close",
    "ask_create",
    "ask_offer_wave",
    "ask_open",
    "asks_sweep",
    "offer_accept",
    "offer_decline",
    "offer_drop",
]
