"""Fan-out: new activities and changed people become `WebhookDelivery` rows, one per event and
subscription that wants it.

Two cursors (`WebhookCursor` rows), each locked for the length of its pass so that two workers
never fan out the same stretch:

* ``activities`` — the append-only activity log by id, the way `ladder.mailings.fold` walks it:
  only a *settled* prefix (ids below the first activity created less than `SETTLE` ago: ids are
  handed out before commit, and transactions commit out of order), window by window from the
  next id that exists (so a gap in the ids, or a long stretch of types nobody wants, never
  stalls it). Each committed row is considered exactly once.
* ``people`` — `Person` by (updated_at, id) up to `PERSON_SETTLE` ago. A person created after
  the cursor (seen for the first time) is ``person_created``, once, with the row as it stands;
  otherwise ``person_updated``, keyed by the moment of the change (two changes are two events,
  one change seen twice is one). Only changes to the person row itself bump ``updated_at``:
  a new email or phone alone is not an update.

A subscription receives events that happened after it was made (nothing from the past is
replayed to a new receiver); while no active subscription wants a cursor's events, the cursor
simply moves to the horizon. Deliveries are inserted set-based (`bulk_create` ignoring rows
already there: the idempotency key is unique per subscription, so a re-run adds nothing).

The payload is Action Network's webhook shape: a JSON array holding one object, keyed by the
OSDI type (``osdi:signature``, ``osdi:submission``, ``osdi:attendance``, ``osdi:donation``,
``osdi:person``; Ladder's own ``ladder:unsubscribe`` and ``ladder:rung_change``), with the
person embedded as the API shows them, plus ``idempotency_key`` and ``event``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Min, Q
from django.http import HttpRequest
from django.utils import timezone

from ladder.activity.catalogue import ActivityType as T
from ladder.activity.models import Activity
from ladder.api import hal
from ladder.api.models import (
    ApiToken,
    EventType,
    WebhookCursor,
    WebhookDelivery,
    WebhookSubscription,
)
from ladder.api.resources.people import person_json, person_path, with_contacts
from ladder.people.models import Person

E = EventType
SETTLE = dt.timedelta(seconds=5)
PERSON_SETTLE = dt.timedelta(seconds=2)
ID_WINDOW = 50_000  # activity ids looked at per window (most of the log is not wanted)
CHUNK = 1000  # events per pass (one transaction)
MAX_PASSES = 20  # per call, so one call never holds the worker for long
ACTIVITIES, PEOPLE = "activities", "people"

ACTIVITY_EVENTS: dict[str, str] = {
    T.PETITION_SIGNATURE: E.SIGNATURE,
    T.FORM_SUBMISSION: E.SUBMISSION,
    T.RSVP: E.ATTENDANCE,
    T.ATTENDANCE: E.ATTENDANCE,
    T.DONATION: E.DONATION,
    T.EMAIL_UNSUBSCRIBED: E.UNSUBSCRIBE,
    T.LEVEL_CHANGE: E.RUNG_CHANGE,
}
OSDI_KEYS: dict[str, str] = {
    E.PERSON_CREATED: "osdi:person",
    E.PERSON_UPDATED: "osdi:person",
    E.SIGNATURE: "osdi:signature",
    E.SUBMISSION: "osdi:submission",
    E.ATTENDANCE: "osdi:attendance",
    E.DONATION: "osdi:donation",
    E.UNSUBSCRIBE: "ladder:unsubscribe",
    E.RUNG_CHANGE: "ladder:rung_change",
}
PERSON_EVENTS = (E.PERSON_CREATED, E.PERSON_UPDATED)


class PublicRequest(HttpRequest):
    """What `person_json` and `hal.href` need to write absolute links outside a request:
    the public address (``LADDER_PUBLIC_URL``) and an ordinary (non-partner) token."""

    def __init__(self) -> None:
        super().__init__()
        self.auth = ApiToken()

    def build_absolute_uri(self, location: str | None = None) -> str:
        return settings.LADDER_PUBLIC_URL.rstrip("/") + (location or "/")


def webhooks_fanout(*, now: dt.datetime | None = None) -> int:
    """Both fan-outs; returns how many events were read."""
    now = now or timezone.now()
    subscriptions = list(WebhookSubscription.objects.filter(active=True))
    return activities_fanout(now=now, subscriptions=subscriptions) + people_fanout(
        now=now, subscriptions=subscriptions
    )


def _lock(name: str) -> WebhookCursor | None:
    """Hold one cursor row for this transaction (None: another worker holds it)."""
    WebhookCursor.objects.get_or_create(name=name)
    return WebhookCursor.objects.select_for_update(skip_locked=True).filter(name=name).first()


def _wanting(subscriptions: Sequence[WebhookSubscription], events: Iterable[str]) -> bool:
    wanted = set(events)
    return any(wanted & set(s.event_types) for s in subscriptions)


def idempotency_key(raw: str, fallback: str) -> str:
    """``raw`` when it fits the column, else ``fallback`` with a digest of ``raw``."""
    if len(raw) <= 120:
        return raw
    return f"{fallback}:{hashlib.sha256(raw.encode()).hexdigest()[:64]}"


# ---- Activities ------------------------------------------------------------------------------

ActRow = tuple[int, int, str, dt.datetime, dt.datetime, str, int | None, Any, str, Any, str]
_ACT_FIELDS = (
    "id",
    "person_id",
    "type",
    "occurred_at",
    "created_at",
    "object_type",
    "object_id",
    "amount",
    "source",
    "payload",
    "idempotency_key",
)


def activities_fanout(
    *,
    now: dt.datetime | None = None,
    subscriptions: Sequence[WebhookSubscription] | None = None,
    chunk: int = CHUNK,
    passes: int = MAX_PASSES,
) -> int:
    now = now or timezone.now()
    if subscriptions is None:
        subscriptions = list(WebhookSubscription.objects.filter(active=True))
    wanted = {e for s in subscriptions for e in s.event_types}
    types = sorted(t for t, e in ACTIVITY_EVENTS.items() if e in wanted)
    total = 0
    for _ in range(passes):
        with transaction.atomic():
            mark = _lock(ACTIVITIES)
            if mark is None:
                return total
            low = mark.last_id
            unsettled = Activity.objects.filter(id__gt=low, created_at__gte=now - SETTLE).aggregate(
                first=Min("id")
            )["first"]
            newest = Activity.objects.aggregate(top=Max("id"))["top"] or 0
            limit = (unsettled - 1) if unsettled else newest
            if limit <= low:
                return total
            if not types:  # nobody listens: the cursor moves on, nothing is kept for later
                mark.last_id = limit
                mark.save(update_fields=["last_id", "updated_at"])
                return total
            # Window by window until one holds some, so that a stretch of other activities —
            # or a gap in the ids — never stalls the walk.
            high, acts = low, list[ActRow]()
            while high < limit and not acts:
                following = Activity.objects.filter(id__gt=high).aggregate(first=Min("id"))["first"]
                low, high = high, min(limit, max(high, (following or limit) - 1) + ID_WINDOW)
                acts = list(
                    Activity.objects.filter(id__gt=low, id__lte=high, type__in=types)
                    .order_by("id")
                    .values_list(*_ACT_FIELDS)[:chunk]
                )
            if len(acts) == chunk:
                high = acts[-1][0]
            if acts:
                _activity_deliveries(acts, subscriptions, now)
            mark.last_id = high
            mark.save(update_fields=["last_id", "updated_at"])
        total += len(acts)
        if high >= limit:
            break
    return total


def _people(pks: Iterable[int]) -> dict[int, Person]:
    return {p.pk: p for p in with_contacts(Person.objects.filter(pk__in=set(pks)))}


def _activity_deliveries(
    acts: list[ActRow], subscriptions: Sequence[WebhookSubscription], now: dt.datetime
) -> None:
    request = PublicRequest()
    people = _people(a[1] for a in acts)
    records = _records(request, acts)
    made: list[WebhookDelivery] = []
    for act in acts:
        event = ACTIVITY_EVENTS[act[2]]
        person = people.get(act[1])
        if person is None:
            continue
        key = idempotency_key(act[10], f"activity:{act[0]}")
        payload = [
            {
                OSDI_KEYS[event]: _activity_object(request, event, act, person, records),
                "idempotency_key": key,
                "event": event,
            }
        ]
        made.extend(
            WebhookDelivery(
                subscription=s,
                event_type=event,
                idempotency_key=key,
                payload=payload,
                next_attempt_at=now,
            )
            for s in subscriptions
            if event in s.event_types and act[4] >= s.created_at
        )
    WebhookDelivery.objects.bulk_create(made, ignore_conflicts=True, batch_size=500)


def _records(request: HttpRequest, acts: list[ActRow]) -> dict[int, dict[str, Any]]:
    """The API's own record of what each activity is about — the signature, submission,
    attendance or donation exactly as ``/api/v2`` shows it — by activity id (loaded per kind in
    one query each; an activity whose record is gone has none)."""
    from ladder.actions.models import Gift, Rsvp, Submission
    from ladder.api.resources.donations import donation_json
    from ladder.api.resources.events import attendance_json
    from ladder.api.resources.forms import submission_out
    from ladder.api.resources.petitions import signature_json

    found: dict[int, dict[str, Any]] = {}
    submitted = [a for a in acts if a[2] in (T.PETITION_SIGNATURE, T.FORM_SUBMISSION)]
    if submitted:
        rows = Submission.objects.filter(
            page_id__in={a[6] for a in submitted}, person_id__in={a[1] for a in submitted}
        )
        by_key = {(r.page_id, r.person_id): r for r in rows}
        for act in submitted:
            row = by_key.get((act[6] or 0, act[1]))
            if row is not None:
                render = signature_json if act[2] == T.PETITION_SIGNATURE else submission_out
                found[act[0]] = render(request, row)
    given = [a for a in acts if a[2] == T.DONATION and a[5] == "gift" and a[6]]
    if given:
        gifts = Gift.objects.select_related("page").in_bulk({a[6] for a in given})
        for act in given:
            gift = gifts.get(act[6])  # type: ignore[call-overload]
            if gift is not None:
                found[act[0]] = donation_json(request, gift)
    went = [a for a in acts if a[2] in (T.RSVP, T.ATTENDANCE) and a[5] == "event" and a[6]]
    if went:
        rsvps = Rsvp.objects.select_related("shift__event").filter(
            shift__event_id__in={a[6] for a in went}, person_id__in={a[1] for a in went}
        )
        latest: dict[tuple[int, int], Rsvp] = {}
        for rsvp in rsvps.order_by("updated_at", "id"):
            latest[(rsvp.shift.event_id, rsvp.person_id)] = rsvp
        for act in went:
            chosen = latest.get((act[6] or 0, act[1]))
            if chosen is not None:
                found[act[0]] = attendance_json(request, chosen)
    return found


def _activity_object(
    request: HttpRequest,
    event: str,
    act: ActRow,
    person: Person,
    records: dict[int, dict[str, Any]],
) -> dict[str, Any]:
    pk, person_id, type_, occurred, _, object_type, object_id, amount, source, extra, _ = act
    body: dict[str, Any] = records.get(pk) or {
        "identifiers": [f"ladder:activity:{pk}"],
        "created_date": hal.stamp(occurred),
        "modified_date": hal.stamp(occurred),
        "_links": {"osdi:person": hal.href(request, person_path(person_id))},
    }
    if event == E.UNSUBSCRIBE:
        body["email_address"] = (extra or {}).get("address", "")
    elif event == E.RUNG_CHANGE:
        body |= {k: (extra or {}).get(k) for k in ("ladder", "from", "to", "move")}
    elif event == E.ATTENDANCE and pk not in records:
        body["status"] = "attended" if type_ == T.ATTENDANCE else "accepted"
    body["ladder:activity"] = {
        "id": pk,
        "type": type_,
        "occurred_at": hal.stamp(occurred),
        "source": source,
        "object": {"type": object_type, "id": object_id},
        "amount": f"{amount:.2f}" if amount is not None else None,
        "payload": extra or {},
    }
    body["person"] = person_json(request, person)
    return body


# ---- People ----------------------------------------------------------------------------------


def people_fanout(
    *,
    now: dt.datetime | None = None,
    subscriptions: Sequence[WebhookSubscription] | None = None,
    chunk: int = CHUNK,
    passes: int = MAX_PASSES,
) -> int:
    now = now or timezone.now()
    if subscriptions is None:
        subscriptions = list(WebhookSubscription.objects.filter(active=True))
    listening = [s for s in subscriptions if set(PERSON_EVENTS) & set(s.event_types)]
    horizon = now - PERSON_SETTLE
    total = 0
    for _ in range(passes):
        with transaction.atomic():
            mark = _lock(PEOPLE)
            if mark is None:
                return total
            if not listening:
                if mark.last_stamp is None or mark.last_stamp < horizon:
                    mark.last_stamp, mark.last_id = horizon, 0
                    mark.save(update_fields=["last_stamp", "last_id", "updated_at"])
                return total
            stamp = mark.last_stamp or min(s.created_at for s in listening)
            changed = list(
                with_contacts(
                    Person.objects.filter(
                        Q(updated_at__gt=stamp) | Q(updated_at=stamp, pk__gt=mark.last_id),
                        updated_at__lte=horizon,
                        merged_into__isnull=True,
                    ).order_by("updated_at", "pk")
                )[:chunk]
            )
            if not changed:
                return total
            _person_deliveries(changed, listening, stamp, mark.last_id, now)
            mark.last_stamp, mark.last_id = changed[-1].updated_at, changed[-1].pk
            mark.save(update_fields=["last_stamp", "last_id", "updated_at"])
        total += len(changed)
        if len(changed) < chunk:
            break
    return total


def _person_deliveries(
    people: list[Person],
    subscriptions: Sequence[WebhookSubscription],
    stamp: dt.datetime,
    last_id: int,
    now: dt.datetime,
) -> None:
    request = PublicRequest()
    made: list[WebhookDelivery] = []
    for person in people:
        # Not seen before: created after the cursor (anything created before it was read
        # then, with the row as it stood). A change soon after creation is still a change.
        created = person.created_at > stamp or (person.created_at == stamp and person.pk > last_id)
        if created:
            event, key = E.PERSON_CREATED, f"person_created:{person.pk}"
        else:
            micros = int(person.updated_at.timestamp() * 1_000_000)
            event, key = E.PERSON_UPDATED, f"person_updated:{person.pk}:{micros}"
        payload = [{OSDI_KEYS[event]: person_json(request, person), "idempotency_key": key,
                    "event": event}]  # fmt: skip
        made.extend(
            WebhookDelivery(
                subscription=s,
                event_type=event,
                idempotency_key=key,
                payload=payload,
                next_attempt_at=now,
            )
            for s in subscriptions
            if event in s.event_types and person.updated_at >= s.created_at
        )
    WebhookDelivery.objects.bulk_create(made, ignore_conflicts=True, batch_size=500)


__all__ = [
    "ACTIVITY_EVENTS",
    "OSDI_KEYS",
    "PublicRequest",
    "activities_fanout",
    "people_fanout",
    "webhooks_fanout",
]
