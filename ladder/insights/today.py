"""My day: what needs this person today, cut from the noise of everything that happened.

For anyone with a login: the people within their reach (a leader's groups, a volunteer's
assigned people and recruits, everyone for staff) who acted since the start of yesterday, with
what they did; who is new; the asks they run that still need people; the events they host
soon; and how their own work (doors and calls they made) adds up to the goals they can see.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from ladder.actions.models import Event
from ladder.activity.catalogue import ACTION_TYPES
from ladder.activity.models import Activity
from ladder.core.models import User
from ladder.insights.goals import Progress, goal_progress, goals_visible
from ladder.insights.metrics import ACTIVITY_OF
from ladder.ladders.ask_selectors import AskProgress, asks_with_progress, can_use_asks
from ladder.ladders.models import Ask
from ladder.people.models import Person
from ladder.people.selectors import visible_people

SHOWN = 50


@dataclass(frozen=True)
class Contribution:
    progress: Progress
    mine: Decimal

    @property
    def share(self) -> int:
        done = self.progress.done
        return round(100 * self.mine / done) if done else 0


@dataclass(frozen=True)
class MyDay:
    since: dt.datetime
    acted: Sequence[Person]  # each with .recent: their actions since then, newest first
    acted_count: int
    new_people: list[Person]
    new_count: int
    asks: list[tuple[Ask, AskProgress]]
    hosting: list[Event]
    contributions: list[Contribution]


def _since(now: dt.datetime) -> dt.datetime:
    """The start of yesterday in the organization's time zone."""
    yesterday = timezone.localdate(now) - dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(yesterday, dt.time.min))


def _acted(user: User, since: dt.datetime) -> QuerySet[Person]:
    return visible_people(user).filter(stats__last_action_at__gte=since)


def my_day(user: User, *, now: dt.datetime | None = None) -> MyDay:
    now = now or timezone.now()
    since = _since(now)
    acted = _acted(user, since)
    recent = Activity.objects.filter(type__in=ACTION_TYPES, occurred_at__gte=since).order_by(
        "-occurred_at"
    )
    shown = list(
        acted.order_by("-stats__last_action_at", "pk")
        .prefetch_related(Prefetch("activities", queryset=recent, to_attr="recent"))[:SHOWN]
    )  # fmt: skip
    new = visible_people(user).filter(created_at__gte=since)
    own = Person.objects.filter(user_id=user.pk).first()
    hosting = []
    if own is not None:
        hosting = list(
            Event.objects.filter(hosts=own, starts_at__gte=now - dt.timedelta(hours=3))
            .select_related("page").order_by("starts_at")[:10]
        )  # fmt: skip
    asks = []
    if can_use_asks(user):
        asks = [(a, p) for a, p in asks_with_progress(user)
                if a.status == "open" and p.accepted < p.needed][:10]  # fmt: skip
    return MyDay(
        since=since, acted=shown, acted_count=acted.count(),
        new_people=list(new.order_by("-created_at")[:20]), new_count=new.count(),
        asks=asks, hosting=hosting, contributions=_contributions(user, now),
    )  # fmt: skip


def _contributions(user: User, now: dt.datetime) -> list[Contribution]:
    """The user's own doors and calls (as the one who made them) in each doors or calls goal."""
    out = []
    for goal in goals_visible(user).filter(metric__in=["doors_knocked", "calls_made"]):
        kind = ACTIVITY_OF[goal.metric]  # type: ignore[index]
        start = timezone.make_aware(dt.datetime.combine(goal.starts_on, dt.time.min))
        end = timezone.make_aware(dt.datetime.combine(goal.deadline, dt.time.max))
        mine = Activity.objects.filter(
            actor=user, type=kind, occurred_at__gte=start, occurred_at__lte=min(end, now)
        ).aggregate(n=Count("id"))["n"]
        if mine:
            out.append(Contribution(goal_progress(goal), Decimal(mine)))
    return out


__all__ = ["Contribution", "MyDay", "my_day"]
