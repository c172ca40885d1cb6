"""What a goal's metric has reached, day by day, within its scope (everyone, or a group with its
teams).

Activity counts and sums read the daily rollups (`DailyMetric`, by the person's home group)
and add the few activities the worker has not folded yet (above the rollups' watermark), so a
door knock shows on the goal the moment it is recorded and the read stays small at millions
of activities. People-based metrics read their own tables: new supporters by when their record
was made, volunteers by the first day in the window they did volunteer work, leaders by when a
leadership responsibility was granted, and a rung by arrivals on it (or higher).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Min, QuerySet, Sum
from django.db.models.functions import TruncDate

from ladder.activity.catalogue import ActivityType as T
from ladder.activity.models import Activity, DailyMetric, RollupWatermark
from ladder.insights.models import Goal, Metric
from ladder.ladders.models import Responsibility, RungMove, RungPlacement
from ladder.people.models import Person
from ladder.people.selectors import groups_below

# The activity each activity metric counts (or sums).
ACTIVITY_OF = {
    Metric.DOORS_KNOCKED: T.DOOR_KNOCK,
    Metric.CALLS_MADE: T.CALL,
    Metric.MONEY_RAISED: T.DONATION,
}
# Volunteer work: a shift done, or calls and doors made by the volunteer (the activity's actor).
SHIFT_TYPES = (T.SHIFT_COMPLETED,)
CONTACT_TYPES = (T.CALL, T.DOOR_KNOCK)


@dataclass(frozen=True)
class Measure:
    # Each day's addition within the window (cumulative sums make the trend line).
    by_day: dict[dt.date, Decimal]
    # Where a level metric (people on a rung) stood when the window opened; 0 for the rest.
    at_start: Decimal = Decimal(0)

    @property
    def total(self) -> Decimal:
        return self.at_start + sum(self.by_day.values(), Decimal(0))


def _scope(goal: Goal) -> set[int] | None:
    return groups_below([goal.group_id]) if goal.group_id else None


def _add(series: dict[dt.date, Decimal], rows: Any) -> None:
    for day, value in rows:
        if day is not None and value is not None:
            series[day] += Decimal(value)


def activity_series(
    types: tuple[str, ...], scope: set[int] | None, start: dt.date, end: dt.date, *, amount: bool
) -> dict[dt.date, Decimal]:
    """Count (or amount) of ``types`` per day, from the rollups plus what they have not folded."""
    value = "amount" if amount else "count"
    series: dict[dt.date, Decimal] = defaultdict(Decimal)
    folded = DailyMetric.objects.filter(type__in=types, day__gte=start, day__lte=end)
    if scope is not None:
        folded = folded.filter(group_id__in=scope)
    _add(series, folded.values("day").annotate(v=Sum(value)).values_list("day", "v"))
    mark = (
        RollupWatermark.objects.filter(name="activity")
        .values_list("last_activity_id", flat=True)
        .first()
    )
    live = Activity.objects.filter(pk__gt=mark or 0, type__in=types)
    live = live.annotate(day=TruncDate("occurred_at")).filter(day__gte=start, day__lte=end)
    if scope is not None:
        live = live.filter(person__home_group_id__in=scope)
    total = Sum("amount") if amount else Count("id")
    _add(series, live.values("day").annotate(v=total).values_list("day", "v"))
    return dict(series)


def _people(scope: set[int] | None) -> QuerySet[Person]:
    people = Person.objects.filter(merged_into__isnull=True)
    return people if scope is None else people.filter(home_group_id__in=scope)


def _per_day(rows: Any) -> dict[dt.date, Decimal]:
    series: dict[dt.date, Decimal] = defaultdict(Decimal)
    _add(series, rows)
    return dict(series)


def _firsts(pairs: Any) -> dict[dt.date, Decimal]:
    """(person, day) pairs → how many people had their first day on each day."""
    first: dict[int, dt.date] = {}
    for pid, day in pairs:
        if pid is not None and day is not None and (pid not in first or day < first[pid]):
            first[pid] = day
    series: dict[dt.date, Decimal] = defaultdict(Decimal)
    for day in first.values():
        series[day] += 1
    return dict(series)


def _volunteers(scope: set[int] | None, start: dt.date, end: dt.date) -> dict[dt.date, Decimal]:
    window = Activity.objects.annotate(day=TruncDate("occurred_at")).filter(
        day__gte=start, day__lte=end
    )
    shifts = window.filter(type__in=SHIFT_TYPES, person__in=_people(scope))
    contacts = window.filter(type__in=CONTACT_TYPES, actor__person__in=_people(scope))
    pairs = list(shifts.values("person_id").annotate(d=Min("day")).values_list("person_id", "d"))
    pairs += (
        contacts.values("actor__person").annotate(d=Min("day")).values_list("actor__person", "d")
    )
    return _firsts(pairs)


def _on_rung(goal: Goal, scope: set[int] | None, start: dt.date, end: dt.date) -> Measure:
    rung = goal.rung
    if rung is None:
        return Measure({})
    people = _people(scope)
    now = RungPlacement.objects.filter(
        ladder_id=rung.ladder_id, rung__position__gte=rung.position, person__in=people
    ).count()
    arrivals = (
        RungMove.objects.filter(ladder_id=rung.ladder_id, to_rung__position__gte=rung.position,
                                person__in=people)
        .annotate(day=TruncDate("moved_at")).filter(day__gte=start, day__lte=end)
        .values("person_id").annotate(d=Min("day")).values_list("person_id", "d")
    )  # fmt: skip
    by_day = _firsts(arrivals)
    # Ladders only go up, so who is there now less who arrived since is who was there then.
    return Measure(by_day, max(Decimal(0), Decimal(now) - sum(by_day.values(), Decimal(0))))


def measure(goal: Goal, until: dt.date) -> Measure:
    """The goal's metric from its first day to ``until`` (at most its deadline)."""
    start, end = goal.starts_on, min(until, goal.deadline)
    scope = _scope(goal)
    if end < start:
        return Measure({})
    metric = goal.metric
    if metric in ACTIVITY_OF or metric in (Metric.ACTIVITY_COUNT, Metric.ACTIVITY_SUM):
        kind = ACTIVITY_OF.get(metric) or goal.activity_type  # type: ignore[call-overload]
        amount = metric in (Metric.MONEY_RAISED, Metric.ACTIVITY_SUM)
        return Measure(activity_series((kind,), scope, start, end, amount=amount))
    if metric == Metric.NEW_SUPPORTERS:
        joined = (
            _people(scope).annotate(day=TruncDate("created_at"))
            .filter(day__gte=start, day__lte=end).values("day").annotate(v=Count("id"))
        )  # fmt: skip
        return Measure(_per_day(joined.values_list("day", "v")))
    if metric == Metric.VOLUNTEERS_ACTIVE:
        return Measure(_volunteers(scope, start, end))
    if metric == Metric.LEADERS_DEVELOPED:
        granted = (
            Responsibility.objects.filter(status=Responsibility.Status.GRANTED,
                                          person__in=_people(scope))
            .annotate(day=TruncDate("decided_at")).filter(day__gte=start, day__lte=end)
            .values("person_id").annotate(d=Min("day")).values_list("person_id", "d")
        )  # fmt: skip
        return Measure(_firsts(granted))
    if metric == Metric.ON_RUNG:
        return _on_rung(goal, scope, start, end)
    raise ValueError(f"unknown metric {metric}")


__all__ = ["ACTIVITY_OF", "Measure", "activity_series", "measure"]
