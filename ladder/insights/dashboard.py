"""The dashboard: the organization at a glance for the last 7, 30 or 90 days, for everyone or
one group (with its teams).

Every count and sum of activity reads the daily rollups (`DailyMetric`, day × type × home
group), so a tile costs a few hundred rows however long the log is. New people read the people
table by when they joined; the ladder funnel reads current placements; mailings read their
delivery ledger; recruiters read the leaderboard. Each tile is computed by its own function, so
the page and the benchmark time them one by one.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from ladder.activity.catalogue import ACTION_TYPES, ActivityType
from ladder.activity.models import DailyMetric
from ladder.core.models import User
from ladder.insights.goals import goal_progress, goals_visible
from ladder.insights.health import flagged_groups
from ladder.insights.models import ListeningRun
from ladder.ladders.models import Ladder, RungPlacement
from ladder.people.models import Group
from ladder.people.selectors import groups_below, visible_people

WINDOWS = (7, 30, 90)
VOLUNTEER_TYPES = (ActivityType.SHIFT_COMPLETED, ActivityType.CALL, ActivityType.DOOR_KNOCK,
                   ActivityType.MEETING, ActivityType.RELATIONAL_TOUCH)  # fmt: skip


@dataclass(frozen=True)
class Scope:
    user: User
    days: int
    group: Group | None
    today: dt.date
    groups: set[int] | None  # the group and its teams; None: everyone the user sees
    now: dt.datetime | None = None

    @property
    def start(self) -> dt.date:
        return self.today - dt.timedelta(days=self.days - 1)

    @property
    def start_at(self) -> dt.datetime:
        """The first moment of the window, in the organization's time zone."""
        return timezone.make_aware(dt.datetime.combine(self.start, dt.time.min))


@dataclass
class Dashboard:
    scope: Scope
    tiles: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def scope_for(user: User, *, days: int = 30, group: Group | None = None,
              now: dt.datetime | None = None) -> Scope:  # fmt: skip
    """A leader without a group chosen sees their own groups; staff see everyone."""
    today = timezone.localdate(now)
    if group is not None:
        groups: set[int] | None = groups_below([group.pk])
    elif user.sees_everyone:
        groups = None
    else:
        groups = groups_below(user.led_groups.values_list("id", flat=True))
    return Scope(user, days if days in WINDOWS else 30, group, today, groups, now)


def _daily(scope: Scope, types: Any) -> Any:
    rows = DailyMetric.objects.filter(type__in=types, day__gte=scope.start, day__lte=scope.today)
    return rows if scope.groups is None else rows.filter(group_id__in=scope.groups)


def actions_by_type(scope: Scope) -> dict[str, Any]:
    rows = _daily(scope, ACTION_TYPES)
    by_type = {t: int(n) for t, n in rows.values("type").annotate(n=Sum("count"))
               .values_list("type", "n")}  # fmt: skip
    per_day: dict[dt.date, int] = defaultdict(int)
    for day, n in rows.values("day").annotate(n=Sum("count")).values_list("day", "n"):
        per_day[day] += int(n)
    return {
        "total": sum(by_type.values()),
        "types": sorted(((ActivityType(t).label, n) for t, n in by_type.items()),
                        key=lambda x: -x[1]),
        "days": _days(scope, per_day),
    }  # fmt: skip


def _days(scope: Scope, values: dict[dt.date, Any]) -> list[tuple[str, float]]:
    out, day = [], scope.start
    while day <= scope.today:
        out.append((day.isoformat(), float(values.get(day, 0))))
        day += dt.timedelta(days=1)
    return out


def money_raised(scope: Scope) -> dict[str, Any]:
    rows = _daily(scope, [ActivityType.DONATION])
    per_day = dict(rows.values("day").annotate(a=Sum("amount")).values_list("day", "a"))
    gifts = rows.aggregate(n=Sum("count"))["n"] or 0
    total = sum((Decimal(v) for v in per_day.values()), Decimal(0))
    return {"total": total, "gifts": int(gifts), "days": _days(scope, per_day)}


def volunteer_activity(scope: Scope) -> dict[str, Any]:
    rows = _daily(scope, VOLUNTEER_TYPES).values("type").annotate(n=Sum("count"))
    counts = {t: int(n) for t, n in rows.values_list("type", "n")}
    return {"types": [(ActivityType(t).label, counts.get(t, 0)) for t in VOLUNTEER_TYPES]}


def new_people(scope: Scope) -> dict[str, Any]:
    start = scope.start_at
    people = visible_people(scope.user).filter(created_at__gte=start)
    if scope.groups is not None:
        people = people.filter(home_group_id__in=scope.groups)
    rows = people.values("source").annotate(n=Count("id")).order_by("-n")
    sources = [(source or "unknown", n) for source, n in rows.values_list("source", "n")]
    top, rest = sources[:6], sum(n for _, n in sources[6:])
    if rest:
        top.append(("everything else", rest))
    return {"total": sum(n for _, n in sources), "sources": top}


def ladder_funnel(scope: Scope) -> dict[str, Any]:
    ladder = Ladder.objects.order_by("position", "name").first()
    if ladder is None:
        return {"ladder": None, "rungs": []}
    placements = RungPlacement.objects.filter(ladder=ladder)
    if scope.groups is not None:
        people = visible_people(scope.user).filter(home_group_id__in=scope.groups)
        placements = placements.filter(person__in=people)
    elif not scope.user.sees_everyone:
        placements = placements.filter(person__in=visible_people(scope.user))
    # (Everyone: placements of merged-away records are moved or dropped by the merge.)
    placed = dict(placements.values("rung_id").annotate(n=Count("id"))
                  .values_list("rung_id", "n"))  # fmt: skip
    rungs = [(r.name, placed.get(r.pk, 0)) for r in ladder.rungs.order_by("position")]
    return {"ladder": ladder, "rungs": rungs}


def mailing_results(scope: Scope) -> dict[str, Any]:
    from ladder.mailings.selectors import mailings_visible

    start = scope.start_at
    sent = Q(deliveries__state="sent")
    mailings = (
        mailings_visible(scope.user).filter(deliveries__sent_at__gte=start)
        .annotate(n_sent=Count("deliveries", filter=sent, distinct=True),
                  n_opened=Count("deliveries", filter=sent & Q(deliveries__opened_at__isnull=False),
                                 distinct=True),
                  n_clicked=Count("deliveries", filter=Q(deliveries__clicked_at__isnull=False),
                                  distinct=True),
                  n_acted=Count("deliveries", filter=Q(deliveries__acted_at__isnull=False),
                                distinct=True))
        .order_by("-n_sent")[:5]
    )  # fmt: skip
    return {"mailings": list(mailings)}


def top_recruiters(scope: Scope) -> dict[str, Any]:
    from ladder.actions.leaderboards import leaderboard

    start = scope.start_at
    return {"board": leaderboard("recruits", user=scope.user, group=scope.group, since=start,
                                 size=5)}  # fmt: skip


def goals(scope: Scope) -> dict[str, Any]:
    visible = goals_visible(scope.user)
    if scope.group is not None:
        visible = visible.filter(Q(group__isnull=True) | Q(group_id__in=scope.groups or set()))
    return {"progress": [goal_progress(g) for g in visible[:6]]}


def groups_flagged(scope: Scope) -> dict[str, Any]:
    return {"flagged": flagged_groups(scope.user, now=scope.now)}


def themes(scope: Scope) -> dict[str, Any]:
    if not scope.user.sees_everyone:
        return {"themes": None}
    run = ListeningRun.objects.filter(status=ListeningRun.Status.DONE).first()
    return {"themes": list(run.themes.all()[:3]) if run else []}


TILES: dict[str, Callable[[Scope], dict[str, Any]]] = {
    "goals": goals,
    "groups": groups_flagged,
    "new_people": new_people,
    "actions": actions_by_type,
    "money": money_raised,
    "volunteers": volunteer_activity,
    "funnel": ladder_funnel,
    "mailings": mailing_results,
    "recruiters": top_recruiters,
    "themes": themes,
}


def dashboard(scope: Scope) -> Dashboard:
    board = Dashboard(scope)
    for name, tile in TILES.items():
        started = time.perf_counter()
        board.tiles[name] = tile(scope)
        board.seconds[name] = time.perf_counter() - started
    return board


__all__ = ["TILES", "WINDOWS", "Dashboard", "Scope", "dashboard", "scope_for"]
