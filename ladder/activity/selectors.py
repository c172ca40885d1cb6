"""Reads of the activity log and its rollups, always scoped to the user asking."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum
from django.http import Http404
from django.utils import timezone

from ladder.activity.models import Activity, DailyMetric
from ladder.core.models import Role, User
from ladder.people.models import Person
from ladder.people.selectors import led_group_ids, visible_people


@dataclass(frozen=True)
class TimelinePage:
    activities: Sequence[Activity]
    # Pass back as ``before`` for the next page; None on the last page.
    next_before: tuple[dt.datetime, int] | None


def timeline_for(
    user: User,
    person: Person | int,
    *,
    types: list[str] | None = None,
    channel: str | None = None,
    before: tuple[dt.datetime, int] | None = None,
    limit: int = 50,
) -> TimelinePage:
    """One page of a person's activities, newest first.

    Keyset paging on (occurred_at, id), served by the (person, -occurred_at) index; never
    OFFSET. Raises Http404 when the person is not visible to ``user``. Types or a channel that
    are not in the catalogue simply match nothing.
    """
    person_id = person.pk if isinstance(person, Person) else int(person)
    if not visible_people(user).filter(pk=person_id).exists():
        raise Http404("No such person")
    rows = Activity.objects.filter(person_id=person_id)
    if types:
        rows = rows.filter(type__in=types)
    if channel:
        rows = rows.filter(channel=channel)
    if before is not None:
        at, last_id = before
        rows = rows.filter(Q(occurred_at__lt=at) | Q(occurred_at=at, id__lt=last_id))
    limit = max(1, min(limit, 500))
    page = list(rows.select_related("actor").order_by("-occurred_at", "-id")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    tail = page[-1] if more and page else None
    return TimelinePage(
        activities=page,
        next_before=(tail.occurred_at, tail.pk) if tail is not None else None,
    )


@dataclass(frozen=True)
class DailyTotal:
    day: dt.date
    type: str
    count: int
    amount: Decimal


def daily_totals(user: User, days: int = 30) -> list[DailyTotal]:
    """Activity counts and amounts per day and type over the last ``days`` days (today
    included, in the organization's time zone), from DailyMetric.

    Staff and admins see every group (and people with no home group, group 0); a leader sees
    the groups they lead and those nested below; anyone else sees nothing.
    """
    if not user.is_active:
        return []
    metrics = DailyMetric.objects.filter(
        day__gte=timezone.localdate(timezone=timezone.get_default_timezone())
        - dt.timedelta(days=max(days, 1) - 1)
    )
    if not user.sees_everyone:
        if user.role != Role.LEADER:
            return []
        metrics = metrics.filter(group_id__in=led_group_ids(user))
    rows = (
        metrics.values("day", "type")
        .annotate(total=Sum("count"), money=Sum("amount"))
        .order_by("day", "type")
    )
    return [
        DailyTotal(
            day=row["day"],
            type=row["type"],
            count=int(row["total"] or 0),
            amount=Decimal(row["money"] or 0),
        )
        for row in rows
    ]
