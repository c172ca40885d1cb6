"""Who a mailing goes to: the people of its segments and lists, minus its exclusions, who can
be mailed at all, and one address each.

Mailable means what DESIGN.md §4.2 says: an active address whose ledger says subscribed and
which is not on the suppression list; then the address's own preferences (a topic it turned
off, a weekly cap) and the mailing's frequency cap. All of it is one SQL statement, so a
million-person count or a million-row ledger insert never walks people in Python.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import (
    CharField,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Concat
from django.utils import timezone

from ladder.core.models import User
from ladder.mailings.models import Delivery, Mailing, MailPreference
from ladder.people.models import (
    Channel,
    ContactStatus,
    EmailAddress,
    Person,
    Subscription,
    Suppression,
)
from ladder.people.selectors import visible_people
from ladder.segments.filters.compiler import Sha256Hex
from ladder.segments.models import Segment, StaticList
from ladder.segments.selectors import list_people, segment_people

WEEK = dt.timedelta(days=7)


def _hash_of(column: str) -> Sha256Hex:
    return Sha256Hex(Concat(Value(f"{Channel.EMAIL}:"), OuterRef(column), output_field=CharField()))


def mailable_addresses(topic: str) -> QuerySet[EmailAddress]:
    """Addresses that may get mail on ``topic`` now, for the person of the outer query."""
    return (
        EmailAddress.objects.filter(
            person_id=OuterRef("pk"),
            status=ContactStatus.ACTIVE,
            subscription=Subscription.SUBSCRIBED,
        )
        .filter(
            ~Exists(
                Suppression.objects.filter(channel=Channel.EMAIL, address_hash=_hash_of("address"))
            )
        )
        .filter(
            ~Exists(
                MailPreference.objects.filter(
                    address_hash=_hash_of("address"), topics_off__contains=f",{topic},"
                )
            )
        )
        .order_by("-is_primary", "id")
    )


def _union(user: User, segments: Iterable[Segment], lists: Iterable[StaticList]) -> Q | None:
    condition: Q | None = None
    for segment in segments:
        part = Q(pk__in=segment_people(user, segment.definition).values("pk"))
        condition = part if condition is None else condition | part
    for static_list in lists:
        part = Q(pk__in=list_people(user, static_list).values("pk"))
        condition = part if condition is None else condition | part
    return condition


def _sent_this_week(now: dt.datetime) -> Subquery:
    return Subquery(
        Delivery.objects.filter(
            person_id=OuterRef("pk"), state=Delivery.State.SENT, sent_at__gte=now - WEEK
        )
        .order_by()
        .values("person_id")
        .annotate(n=Count("id"))
        .values("n"),
        output_field=IntegerField(),
    )


def audience_people(
    user: User,
    *,
    include_segments: Iterable[Segment] = (),
    include_lists: Iterable[StaticList] = (),
    exclude_segments: Iterable[Segment] = (),
    exclude_lists: Iterable[StaticList] = (),
    topic: str = "news",
    frequency_cap: int | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[Person]:
    """Everyone the mailing would reach, annotated with ``mail_to`` (the address to use).
    Scoped to ``user``: a leader's mailing reaches only the leader's own people."""
    now = now or timezone.now()
    include = _union(user, include_segments, include_lists)
    if include is None:
        return Person.objects.none()
    people = visible_people(user).filter(include, merged_into__isnull=True)
    exclude = _union(user, exclude_segments, exclude_lists)
    if exclude is not None:
        people = people.exclude(exclude)
    people = people.annotate(mail_to=Subquery(mailable_addresses(topic).values("address")[:1]))
    people = people.filter(mail_to__isnull=False)
    people = people.annotate(_sent_week=Coalesce(_sent_this_week(now), 0))
    if frequency_cap:
        people = people.filter(_sent_week__lt=frequency_cap)
    # The address's own weekly cap, where it set one.
    capped = MailPreference.objects.filter(
        address_hash=Sha256Hex(
            Concat(Value(f"{Channel.EMAIL}:"), OuterRef("mail_to"), output_field=CharField())
        ),
        weekly_cap__isnull=False,
        weekly_cap__lte=OuterRef("_sent_week"),
    )
    return people.filter(~Exists(capped))


def audience_for(mailing: Mailing, *, now: dt.datetime | None = None) -> QuerySet[Person]:
    return audience_people(
        mailing.created_by,
        include_segments=mailing.include_segments.all(),
        include_lists=mailing.include_lists.all(),
        exclude_segments=mailing.exclude_segments.all(),
        exclude_lists=mailing.exclude_lists.all(),
        topic=mailing.topic,
        frequency_cap=mailing.frequency_cap,
        now=now,
    )


def audience_count(mailing: Mailing) -> int:
    return audience_for(mailing).count()


def audience_count_for(user: User, **criteria: Any) -> int:
    """The count on the compose form, before anything is saved."""
    return audience_people(user, **criteria).count()


def deliveries_insert(mailing: Mailing, *, now: dt.datetime | None = None) -> int:
    """Write one ledger row per audience member in one INSERT … SELECT. The unique
    (mailing, person) constraint makes running it twice harmless: the second run adds nobody
    who is already there (rows are skipped with ON CONFLICT DO NOTHING)."""
    people = audience_for(mailing, now=now).order_by()
    select, params = (
        people.annotate(
            _mailing=Value(mailing.pk, output_field=IntegerField()),
        )
        .values_list("_mailing", "pk", "mail_to")
        .query.sql_with_params()
    )
    columns = _default_columns()
    names = ", ".join(["mailing_id", "person_id", "email", *columns])
    defaults = ", ".join(["%s"] * len(columns))
    sql = (
        f"INSERT INTO {Delivery._meta.db_table} ({names}) "
        # "WHERE true" settles a parsing ambiguity SQLite has between a join and ON CONFLICT.
        f"SELECT q.*, {defaults} FROM ({select}) q WHERE true "
        "ON CONFLICT (mailing_id, person_id) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*columns.values(), *params))
        return max(cursor.rowcount, 0)


def _default_columns() -> dict[str, Any]:
    """Every other NOT NULL column of the ledger with its model default (Django defaults live
    in Python, so a raw INSERT must name them)."""
    values: dict[str, Any] = {}
    skip = {"id", "mailing", "person", "email"}
    for field in Delivery._meta.concrete_fields:
        if field.name in skip or field.null:
            continue
        values[str(field.column)] = field.get_default()
    return values
