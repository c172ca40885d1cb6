"""Writing a `Plan` to the database, set-based: bulk inserts in large batches, one transaction.

This is a bulk path (DESIGN.md §4.5), like an import: it never saves rows one at a time. It
writes the people app's tables directly for the same reason the import engine does — the
per-row services would cost minutes at demo size and hours at benchmark size — and it keeps
their invariants itself: normalised contact points, cached consent status derived from the
ledger it writes, a suppression row for every opt-out, activities with unique idempotency keys.
Rows go in through `ladder.demo.bulk` (COPY on PostgreSQL, executemany on SQLite).
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from ladder.activity.catalogue import info
from ladder.activity.models import Activity
from ladder.core.models import User
from ladder.demo.bulk import BATCH, insert, reserve_ids
from ladder.demo.data import ALL_TAGS, LANGUAGE_CHOICES, ORG_SLUG
from ladder.demo.plan import Act, AddressPlan, PersonRef, Plan
from ladder.people.models import (
    Address,
    ConsentEvent,
    CustomField,
    EmailAddress,
    ExternalId,
    Group,
    Membership,
    Person,
    Phone,
    Subscription,
    Suppression,
    Tag,
    Tagging,
    make_sort_name,
)
from ladder.people.normalize import address_hash

Progress = Callable[[str, int, int], None]


@dataclass
class Loaded:
    person_ids: list[int]  # database id of plan.people[n]
    user_ids: dict[str, int]
    group_ids: dict[str, int]
    activities: int
    consents: int


def load_plan(
    plan: Plan,
    *,
    password: str | None,
    progress: Progress | None = None,
    activities_before: dt.datetime | None = None,
) -> Loaded:
    """Write the plan. With ``activities_before``, only the history before that moment: the
    rest follows through `load_activities`, so that the worker's path can be replayed over
    the year (see `ladder.demo.generator`)."""
    report = progress or (lambda phase, done, total: None)
    with transaction.atomic():
        group_ids = _groups(plan)
        user_ids = _users(plan, password, group_ids)
        tags = _tags_and_fields()
        person_ids = _people(plan, group_ids, user_ids, report)
        _contact_points(plan, person_ids, group_ids, tags, report)
        consents = _consent(plan, person_ids)
        activities = _activities(plan, person_ids, user_ids, report, None, activities_before)
    _analyze()
    return Loaded(person_ids, user_ids, group_ids, activities, consents)


def load_activities(
    plan: Plan,
    loaded: Loaded,
    *,
    start: dt.datetime,
    stop: dt.datetime | None,
) -> int:
    """Write the planned activities that occurred in [start, stop) (stop None: all the rest);
    returns how many. Keys are the same as a load in one go would give them."""

    def report(phase: str, done: int, total: int) -> None:
        pass  # the caller reports the replay as a whole

    with transaction.atomic():
        written = _activities(plan, loaded.person_ids, loaded.user_ids, report, start, stop)
    loaded.activities += written
    return written


def _analyze() -> None:
    """Give PostgreSQL's planner statistics for the tables just filled: until autovacuum gets
    to them, it plans the rollup rebuild's joins as if they were empty, and runs them badly."""
    if connection.vendor != "postgresql":
        return
    models = (
        Person,
        EmailAddress,
        Phone,
        Address,
        ExternalId,
        Tagging,
        Membership,
        ConsentEvent,
        Activity,
    )
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _groups(plan: Plan) -> dict[str, int]:
    ids: dict[str, int] = {}
    # Parents come before children in plan.groups; insert level by level.
    pending = list(plan.groups)
    while pending:
        ready = [g for g in pending if g.parent is None or g.parent in ids]
        created = Group.objects.bulk_create(
            [
                Group(name=g.name, slug=g.slug, kind=g.kind, parent_id=ids.get(g.parent or ""))
                for g in ready
            ]
        )
        ids |= {g.slug: row.pk for g, row in zip(ready, created, strict=True)}
        pending = [g for g in pending if g.slug not in ids]
    return ids


def _users(plan: Plan, password: str | None, group_ids: dict[str, int]) -> dict[str, int]:
    # One hash for every demo login: hashing is deliberately slow, and they share a password.
    hashed = make_password(password)
    users = User.objects.bulk_create(
        User(
            username=u.username,
            first_name=u.first,
            last_name=u.last,
            role=u.role,
            password=hashed,
            email="",
        )
        for u in plan.users
    )
    ids = {u.username: u.pk for u in users}
    Group.leaders.through.objects.bulk_create(
        Group.leaders.through(group_id=group_ids[u.chapter], user_id=ids[u.username])
        for u in plan.users
        if u.role == "leader"
    )
    return ids


def _tags_and_fields() -> dict[str, int]:
    existing = {t.name.lower() for t in Tag.objects.filter(name__in=ALL_TAGS)}
    Tag.objects.bulk_create([Tag(name=n) for n in ALL_TAGS if n.lower() not in existing])
    CustomField.objects.get_or_create(
        key="support_score",
        defaults={"label": "Support score (1 strong … 5 opposed)", "type": CustomField.Type.NUMBER},
    )
    CustomField.objects.get_or_create(
        key="preferred_language",
        defaults={
            "label": "Preferred language",
            "type": CustomField.Type.CHOICE,
            "choices": LANGUAGE_CHOICES,
        },
    )
    return {t.name: t.pk for t in Tag.objects.filter(name__in=ALL_TAGS)}


def _people(
    plan: Plan, group_ids: dict[str, int], user_ids: dict[str, int], report: Progress
) -> list[int]:
    # Ids first, so that recruiters can be written in the same pass as their recruits.
    ids = reserve_ids(Person, len(plan.people))
    fields = (
        "id",
        "first_name",
        "last_name",
        "sort_name",
        "birthdate",
        "languages",
        "occupation",
        "employer",
        "custom_fields",
        "source",
        "point_person_id",
        "home_group_id",
        "user_id",
        "recruited_by_id",
        "created_at",
    )
    rows = (
        (
            ids[p.n],
            p.first,
            p.last,
            make_sort_name(p.first, p.last),
            p.birthdate,
            p.languages,
            p.occupation,
            p.employer,
            p.custom_fields,
            p.source,
            user_ids.get(p.point_person or ""),
            group_ids[p.chapter or ORG_SLUG],
            user_ids.get(p.user or ""),
            None if p.recruited_by is None else ids[p.recruited_by],
            p.joined,
        )  # the record dates from the person's first touch
        for p in plan.people
    )
    total = len(plan.people)
    insert(Person, fields, rows, progress=lambda done: report("people", done, total))
    return ids


def _latest_consent(plan: Plan) -> dict[tuple[str, str], str]:
    latest: dict[tuple[str, str], str] = {}
    for line in sorted(plan.consents, key=lambda c: c.occurred_at):
        latest[(line.channel, line.contact_point)] = line.status
    return latest


def _contact_points(
    plan: Plan, ids: list[int], group_ids: dict[str, int], tags: dict[str, int], report: Progress
) -> None:
    latest = _latest_consent(plan)

    def subscription(channel: str, point: str) -> str:
        status = latest.get((channel, point))
        if status is None:
            return Subscription.UNKNOWN
        return Subscription.SUBSCRIBED if status == "opt_in" else Subscription.UNSUBSCRIBED

    people = plan.people
    address_fields = [f.name for f in dataclasses.fields(AddressPlan)]
    inserts: list[tuple[str, Any, tuple[str, ...], list[Any]]] = [
        (
            "emails",
            EmailAddress,
            ("person_id", "address", "is_primary", "status", "subscription"),
            [
                (ids[p.n], e.address, e.primary, e.status, subscription("email", e.address))
                for p in people
                for e in p.emails
            ],
        ),
        (
            "phones",
            Phone,
            ("person_id", "number", "kind", "is_primary", "sms_subscription", "do_not_call"),
            [
                (
                    ids[p.n],
                    ph.number,
                    ph.kind,
                    ph.primary,
                    subscription("sms", ph.number),
                    latest.get(("phone", ph.number)) == "opt_out",
                )
                for p in people
                for ph in p.phones
            ],
        ),
        (
            "addresses",
            Address,
            ("person_id", "region", "country", "is_primary", *address_fields),
            [
                (ids[p.n], "IA", "US", True, *dataclasses.astuple(p.address))
                for p in people
                if p.address
            ],
        ),
        (
            "external ids",
            ExternalId,
            ("person_id", "system", "value"),
            [(ids[p.n], system, value) for p in people for system, value in p.external_ids],
        ),
        (
            "tags",
            Tagging,
            ("person_id", "tag_id"),
            [(ids[p.n], tags[name]) for p in people for name in p.tags],
        ),
        (
            "memberships",
            Membership,
            ("person_id", "group_id"),
            [
                (ids[p.n], group_ids[slug])
                for p in people
                for slug in (p.chapter or ORG_SLUG, *p.teams)
            ],
        ),
    ]
    for phase, model, fields, rows in inserts:
        insert(model, fields, rows, progress=_reporter(report, phase, len(rows)))


def _reporter(report: Progress, phase: str, total: int) -> Callable[[int], None]:
    return lambda done: report(phase, done, total)


def _consent(plan: Plan, ids: list[int]) -> int:
    fields = (
        "person_id",
        "channel",
        "contact_point",
        "status",
        "source",
        "wording",
        "by_person",
        "occurred_at",
    )
    insert(ConsentEvent, fields, ((ids[c.person], *c[1:]) for c in plan.consents))
    # Every opt-out also lands on the suppression list, which outlives the person.
    suppressions = {
        (c.channel, address_hash(c.channel, c.contact_point)): c.source
        for c in plan.consents
        if c.status == "opt_out"
    }
    Suppression.objects.bulk_create(
        [
            Suppression(channel=ch, address_hash=h, reason=f"opt-out: {source}")
            for (ch, h), source in suppressions.items()
        ],
        batch_size=BATCH,
        ignore_conflicts=True,
    )
    return len(plan.consents)


ACTIVITY_FIELDS = (
    "person_id",
    "type",
    "occurred_at",
    "channel",
    "direction",
    "actor_id",
    "source",
    "object_type",
    "object_id",
    "amount",
    "result",
    "payload",
    "idempotency_key",
)


def _activities(
    plan: Plan,
    ids: list[int],
    user_ids: dict[str, int],
    report: Progress,
    start: dt.datetime | None = None,
    stop: dt.datetime | None = None,
) -> int:
    seed = plan.seed
    # The plan is in time order, so a window of time is a slice of it.
    times = [a.occurred_at for a in plan.activities]
    first = 0 if start is None else bisect.bisect_left(times, start)
    last = len(times) if stop is None else bisect.bisect_left(times, stop)
    catalogue = {t: info(t) for t in {a.type for a in plan.activities}}

    def row(k: int, a: Act) -> tuple[Any, ...]:
        meta = catalogue[a.type]
        payload = a.payload
        if any(isinstance(v, PersonRef) for v in payload.values()):
            payload = {
                key: ids[v.n] if isinstance(v, PersonRef) else v for key, v in payload.items()
            }
        return (
            ids[a.person],
            a.type,
            a.occurred_at,
            a.channel or meta.channel,
            meta.direction,
            user_ids.get(a.actor or ""),
            a.source,
            a.object_type,
            a.object_id,
            a.amount,
            a.result,
            payload,
            f"demo:{seed}:{k:09d}",
        )

    total = last - first
    return insert(
        Activity,
        ACTIVITY_FIELDS,
        (row(k, plan.activities[k]) for k in range(first, last)),
        progress=lambda done: report("activities", done, total),
    )
