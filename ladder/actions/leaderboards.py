"""Leaderboards and personal goals: who recruited, raised and volunteered most, in a group and a
time window — read from the activity log and the gifts, one grouped query per board — and a
volunteer's progress towards their own goal, read by the same queries for one person.

Metrics:

* ``recruits``  — people they brought in (``recruited`` activities);
* ``raised``    — dollars given through their fundraising pages (pledged or paid, not refunded);
* ``shifts``    — volunteer shifts done (``shift_completed``);
* ``hours``     — hours of those shifts (the shifts' length, for shifts they were checked in to);
* ``calls``, ``doors`` — calls made and doors knocked, as the volunteer (the activity's actor).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum

from ladder.actions.models import Gift, Rsvp
from ladder.activity.catalogue import ActivityType
from ladder.activity.models import Activity
from ladder.core.models import User
from ladder.people.models import Group, Person
from ladder.people.selectors import visible_people

METRICS: dict[str, str] = {
    "recruits": "People recruited",
    "raised": "Dollars raised",
    "shifts": "Volunteer shifts",
    "hours": "Volunteer hours",
    "calls": "Calls made",
    "doors": "Doors knocked",
}
WINDOWS: dict[str, int | None] = {"week": 7, "month": 30, "quarter": 91, "year": 365, "all": None}


def _window(rows: QuerySet[Any], column: str, since: dt.datetime | None,
            until: dt.datetime | None) -> QuerySet[Any]:  # fmt: skip
    if since is not None:
        rows = rows.filter(**{f"{column}__gte": since})
    if until is not None:
        rows = rows.filter(**{f"{column}__lt": until})
    return rows


def metric_values(
    metric: str,
    *,
    people: QuerySet[Person] | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[Any]:
    """Rows of (``pid``, ``value``) for ``metric`` — one grouped query — over ``people`` (a
    queryset of Person; None: everyone)."""
    if metric == "recruits" or metric == "shifts":
        kind = ActivityType.RECRUITED if metric == "recruits" else ActivityType.SHIFT_COMPLETED
        rows: QuerySet[Any] = _window(Activity.objects.filter(type=kind), "occurred_at", since,
                                      until)  # fmt: skip
        if people is not None:
            rows = rows.filter(person_id__in=people.values("pk"))
        return rows.values(pid=F("person_id")).annotate(value=Count("id"))
    if metric in ("calls", "doors"):
        kind = ActivityType.CALL if metric == "calls" else ActivityType.DOOR_KNOCK
        rows = _window(Activity.objects.filter(type=kind, actor__isnull=False), "occurred_at",
                       since, until)  # fmt: skip
        volunteers = Person.objects.filter(user__isnull=False)
        if people is not None:
            volunteers = volunteers.filter(pk__in=people.values("pk"))
        rows = rows.filter(actor_id__in=volunteers.values("user_id"))
        return rows.values(pid=F("actor__person__id")).annotate(value=Count("id"))
    if metric == "raised":
        rows = _window(Gift.objects.filter(status__in=Gift.LIVE, fundraiser__isnull=False),
                       "occurred_at", since, until)  # fmt: skip
        if people is not None:
            rows = rows.filter(fundraiser__owner_id__in=people.values("pk"))
        return rows.values(pid=F("fundraiser__owner_id")).annotate(value=Sum("amount"))
    if metric == "hours":
        length = ExpressionWrapper(F("shift__ends_at") - F("shift__starts_at"),
                                   output_field=DurationField())  # fmt: skip
        rows = _window(
            Rsvp.objects.filter(attended=True, shift__event__volunteer_shifts=True),
            "shift__starts_at", since, until,
        )  # fmt: skip
        if people is not None:
            rows = rows.filter(person_id__in=people.values("pk"))
        return rows.values(pid=F("person_id")).annotate(value=Sum(length))
    raise ValueError(f"no such metric: {metric}")


def _number(metric: str, value: Any) -> Decimal | int | float:
    if metric == "hours":
        return round(value.total_seconds() / 3600, 1) if value else 0.0
    if metric == "raised":
        return Decimal(value or 0)
    return int(value or 0)


@dataclass(frozen=True)
class BoardRow:
    rank: int
    person: Person
    value: Decimal | int | float


def leaderboard(
    metric: str,
    *,
    user: User,
    group: Group | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    size: int = 20,
) -> list[BoardRow]:
    """The top ``size`` people for ``metric`` among those ``user`` may see (in ``group``, when
    given: its members and the people whose home it is)."""
    people = visible_people(user)
    if group is not None:
        people = people.filter(Q(memberships__group=group) | Q(home_group=group)).distinct()
    nothing: Any = dt.timedelta(0) if metric == "hours" else 0
    rows = list(
        metric_values(metric, people=people, since=since, until=until)
        .filter(value__gt=nothing)
        .order_by("-value", "pid")[:size]
    )
    found = Person.objects.in_bulk([r["pid"] for r in rows])
    board = []
    for rank, row in enumerate(rows, start=1):
        person = found.get(row["pid"])
        if person is not None:
            board.append(BoardRow(rank, person, _number(metric, row["value"])))
    return board


def person_progress(
    person: Person, metric: str, since: dt.datetime | None, until: dt.datetime | None = None
) -> Decimal | int | float:
    """One person's value of ``metric`` in the window (their own page, their goal)."""
    only = Person.objects.filter(pk=person.pk)
    rows = list(metric_values(metric, people=only, since=since, until=until))
    return _number(metric, rows[0]["value"] if rows else 0)


__all__ = [
    "METRICS",
    "WINDOWS",
    "BoardRow",
    "leaderboard",
    "metric_values",
    "person_progress",
]
