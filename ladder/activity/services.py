"""Writing the activity log. Nothing else inserts activities one at a time."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from ladder.activity.catalogue import ActivityType, ContactResult, info
from ladder.activity.models import Activity
from ladder.core.models import User
from ladder.people.models import Person


def activity_record(
    *,
    person: Person,
    type: str,
    occurred_at: dt.datetime | None = None,
    actor: User | None = None,
    channel: str | None = None,
    direction: str | None = None,
    source: str = "",
    object_type: str = "",
    object_id: int | None = None,
    amount: Decimal | None = None,
    result: str = "",
    payload: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> Activity:
    """Append one activity. A replay with the same ``idempotency_key`` returns the first row."""
    meta = info(type)
    key = idempotency_key or f"uuid:{uuid.uuid4().hex}"
    try:
        with transaction.atomic():
            return Activity.objects.create(
                person=person,
                type=type,
                occurred_at=occurred_at or timezone.now(),
                channel=channel or meta.channel,
                direction=direction or meta.direction,
                actor=actor,
                source=source,
                object_type=object_type,
                object_id=object_id,
                amount=amount,
                result=result,
                payload=payload or {},
                idempotency_key=key,
            )
    except IntegrityError:
        if idempotency_key is None:
            raise
        return Activity.objects.get(idempotency_key=key)


CONTACT_KINDS = {
    ActivityType.CALL,
    ActivityType.DOOR_KNOCK,
    ActivityType.TEXT,
    ActivityType.MEETING,
    ActivityType.RELATIONAL_TOUCH,
}


def note_add(*, actor: User | None, person: Person, text: str) -> Activity:
    return activity_record(
        person=person, type=ActivityType.NOTE, actor=actor, payload={"text": text.strip()}
    )


def contact_log(
    *,
    actor: User | None,
    person: Person,
    kind: str,
    result: str,
    notes: str = "",
    occurred_at: dt.datetime | None = None,
) -> Activity:
    """Log a call, door knock, text or meeting with its result code."""
    if kind not in CONTACT_KINDS:
        raise ValueError(f"{kind} is not a kind of contact")
    if result and result not in ContactResult.values:
        raise ValueError(f"{result} is not a result code")
    return activity_record(
        person=person,
        type=kind,
        actor=actor,
        occurred_at=occurred_at,
        result=result,
        payload={"notes": notes.strip()} if notes.strip() else {},
    )


def activity_record_many(rows: Iterable[dict[str, Any]]) -> None:
    """Append many activities in one statement (for bulk paths such as mail tracking).

    Each row gives ``person_id``, ``type``, ``occurred_at`` and an ``idempotency_key`` (required
    here: a replayed batch must add nothing), and may give ``source``, ``object_type``,
    ``object_id``, ``amount`` and ``payload``; channel and direction come from the catalogue.
    Rows whose key is already in the log are skipped.
    """
    objects = []
    for row in rows:
        meta = info(row["type"])
        objects.append(
            Activity(
                person_id=row["person_id"],
                type=row["type"],
                occurred_at=row["occurred_at"],
                channel=row.get("channel") or meta.channel,
                direction=row.get("direction") or meta.direction,
                actor=None,
                source=row.get("source", ""),
                object_type=row.get("object_type", ""),
                object_id=row.get("object_id"),
                amount=row.get("amount"),
                payload=row.get("payload") or {},
                idempotency_key=row["idempotency_key"],
            )
        )
    if objects:
        Activity.objects.bulk_create(objects, batch_size=1000, ignore_conflicts=True)
