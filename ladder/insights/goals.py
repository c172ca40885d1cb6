"""Goals: setting them (services) and reading where they stand (selectors).

A goal's progress is its metric so far against the target; its pace so far is what it gained
per day since it started, the pace needed is what it must gain per day from today to reach the
target by the deadline, and the projection is where the pace so far leads by the deadline.
Leaders see the organization's goals and their groups'; they set goals only for their groups.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone

from ladder.core.access import is_staff_user
from ladder.core.models import User
from ladder.insights.metrics import measure
from ladder.insights.models import Goal, Metric
from ladder.people.selectors import led_group_ids


def goals_visible(user: User) -> QuerySet[Goal]:
    goals = Goal.objects.filter(archived=False).select_related("group", "rung")
    if is_staff_user(user):
        return goals
    return goals.filter(Q(group__isnull=True) | Q(group_id__in=led_group_ids(user)))


def goal_create(*, actor: User | None, **fields: Any) -> Goal:
    """Set a goal (``actor`` None: Ladder itself, as the demo does); raises ValidationError
    with the field each problem belongs to."""
    goal = Goal(created_by=actor, **fields)
    errors: dict[str, str] = {}
    limited = actor is not None and not is_staff_user(actor)
    if limited and goal.group_id is None:
        errors["group"] = "Choose one of your groups: goals for everyone are set by staff."
    elif limited and goal.group_id not in led_group_ids(actor):  # type: ignore[arg-type]
        errors["group"] = "You can only set goals for groups you lead."
    if goal.metric in (Metric.ACTIVITY_COUNT, Metric.ACTIVITY_SUM) and not goal.activity_type:
        errors["activity_type"] = "Choose which activity to count."
    if goal.metric == Metric.ON_RUNG and goal.rung_id is None:
        errors["rung"] = "Choose the rung."
    if goal.target is None or goal.target <= 0:
        errors["target"] = "A target is a number above zero."
    if goal.starts_on and goal.deadline and goal.deadline < goal.starts_on:
        errors["deadline"] = "The deadline comes after the start."
    if errors:
        raise ValidationError(errors)
    if goal.metric not in (Metric.ACTIVITY_COUNT, Metric.ACTIVITY_SUM):
        goal.activity_type = ""
    if goal.metric != Metric.ON_RUNG:
        goal.rung = None
    goal.save()
    return goal


def goal_archive(*, actor: User, goal: Goal) -> None:
    goal.archived = True
    goal.save(update_fields=["archived"])


@dataclass(frozen=True)
class Progress:
    goal: Goal
    done: Decimal
    at_start: Decimal  # a level metric's value when the goal started (0 for the rest)
    percent: int
    days_total: int
    days_elapsed: int
    days_left: int
    pace_so_far: Decimal  # per day since the start
    pace_needed: Decimal | None  # per day from today on; None once the deadline has passed
    projection: Decimal  # where the pace so far leads by the deadline
    on_track: bool
    # Cumulative totals by day from the start to today, for the trend chart.
    series: list[tuple[dt.date, Decimal]]

    @property
    def reached(self) -> bool:
        return self.done >= self.goal.target


def goal_progress(goal: Goal, *, today: dt.date | None = None) -> Progress:
    today = today or timezone.localdate()
    measured = measure(goal, today)
    done = measured.total
    total_days = (goal.deadline - goal.starts_on).days + 1
    elapsed = max(0, min(total_days, (today - goal.starts_on).days + 1))
    left = total_days - elapsed
    gained = done - measured.at_start
    pace = gained / elapsed if elapsed else Decimal(0)
    projection = done + pace * left
    needed = (goal.target - done) / left if left > 0 else None
    running, series = measured.at_start, []
    day = goal.starts_on
    while day <= min(today, goal.deadline):
        running += measured.by_day.get(day, Decimal(0))
        series.append((day, running))
        day += dt.timedelta(days=1)
    return Progress(
        goal=goal, done=done, at_start=measured.at_start,
        percent=min(100, int(100 * done / goal.target)),
        days_total=total_days, days_elapsed=elapsed, days_left=left,
        pace_so_far=pace, pace_needed=max(Decimal(0), needed) if needed is not None else None,
        projection=projection, on_track=projection >= goal.target, series=series,
    )  # fmt: skip


__all__ = ["Progress", "goal_archive", "goal_create", "goal_progress", "goals_visible"]
