"""The demo's goals: the organization's doors and money this month, and each chapter's new
supporters, with targets a little above what the last month brought, so some are on track and
some behind."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone

from ladder.activity.catalogue import ActivityType as T
from ladder.activity.models import Activity
from ladder.demo.data import CHAPTERS
from ladder.insights.goals import goal_create
from ladder.insights.models import Goal, Metric
from ladder.people.models import Group, Person


def _rounded(value: float, step: int) -> Decimal:
    return Decimal(max(step, round(value / step) * step))


def demo_goals(*, now: dt.datetime) -> int:
    if Goal.objects.exists():
        return 0
    today = timezone.localdate(now)
    start, deadline = today - dt.timedelta(days=19), today + dt.timedelta(days=10)
    month_ago = now - dt.timedelta(days=30)
    recent = Activity.objects.filter(occurred_at__gte=month_ago, occurred_at__lte=now)
    money = recent.filter(type=T.DONATION).aggregate(s=Sum("amount"))["s"] or 0
    # The field program's goal is for whichever of doors and calls it is doing these weeks.
    field = {
        kind: recent.filter(type=kind, occurred_at__date__gte=start).aggregate(n=Count("id"))["n"]
        for kind in (T.DOOR_KNOCK, T.CALL)
    }
    doors = field[T.DOOR_KNOCK] >= field[T.CALL]
    pace = max(field.values()) / 19 * 30
    made = 0
    goal_create(actor=None, name="Knock doors before the session" if doors
                else "Call our people before the session",
                metric=Metric.DOORS_KNOCKED if doors else Metric.CALLS_MADE,
                target=_rounded(pace * 1.15, 50), starts_on=start, deadline=deadline)  # fmt: skip
    goal_create(actor=None, name="Raise for the school funding campaign",
                metric=Metric.MONEY_RAISED, target=_rounded(float(money) * 0.9, 500),
                starts_on=start, deadline=deadline)  # fmt: skip
    made += 2
    for slug, name in CHAPTERS:
        group = Group.objects.filter(slug=slug).first()
        if group is None:
            continue
        joined = Person.objects.filter(
            home_group=group, created_at__gte=month_ago, merged_into__isnull=True
        ).count()
        goal_create(actor=None, name=f"New supporters in {name}", metric=Metric.NEW_SUPPORTERS,
                    group=group, target=_rounded(joined * 1.1 + 5, 5), starts_on=start,
                    deadline=deadline)  # fmt: skip
        made += 1
    return made


__all__ = ["demo_goals"]
