"""Group health: is each group alive, and is someone looking after it?

Per group (counting its teams): people, members who acted in the last 30 days, leaders and how
many of them were active (logged in, or made a contact), events its people hosted, actions,
retention (of those who acted the month before, the share who acted again this month), and days
since anyone acted. A group quiet for ``LADDER_GROUP_QUIET_DAYS`` (30), or with no leader
active in that time, is flagged with a suggested fix — before it goes quiet for good. Actions
and the last active day read the daily rollups; retention reads two months of the log.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Max, Sum
from django.utils import timezone

from ladder.actions.models import Event
from ladder.activity.catalogue import ACTION_TYPES
from ladder.activity.models import Activity, DailyMetric, PersonStats
from ladder.core.models import User
from ladder.people.models import Group, Person
from ladder.people.selectors import groups_below, groups_visible

WINDOW = dt.timedelta(days=30)


def quiet_days() -> int:
    return int(getattr(settings, "LADDER_GROUP_QUIET_DAYS", 30))


@dataclass(frozen=True)
class Flag:
    kind: str  # "quiet" or "no_facilitator"
    problem: str
    fix: str


@dataclass
class GroupHealth:
    group: Group
    people: int = 0
    active_members: int = 0
    leaders: int = 0
    active_leaders: int = 0
    events_held: int = 0
    actions: int = 0
    retention: float | None = None
    last_active: dt.date | None = None
    days_quiet: int | None = None
    flags: list[Flag] = field(default_factory=list)


def _by_home_group(rows: object) -> dict[int, int]:
    return {gid or 0: int(n or 0) for gid, n in rows}  # type: ignore[attr-defined]


def _retention(since: dt.datetime, now: dt.datetime) -> dict[int, tuple[set[int], set[int]]]:
    """home group → (who acted the month before, who acted this month)."""
    found: dict[int, tuple[set[int], set[int]]] = defaultdict(lambda: (set(), set()))
    rows = Activity.objects.filter(
        type__in=ACTION_TYPES, occurred_at__gte=since - WINDOW, occurred_at__lte=now
    )
    for month, start, end in ((0, since - WINDOW, since), (1, since, now)):
        part = rows.filter(occurred_at__gte=start, occurred_at__lt=end)
        for gid, pid in part.values_list("person__home_group_id", "person_id").distinct():
            found[gid or 0][month].add(pid)
    return found


def groups_health(
    user: User, *, now: dt.datetime | None = None, full: bool = True
) -> list[GroupHealth]:
    """The health of every group ``user`` can see, flagged ones first. ``full`` False reads
    only what the flags need (the rollups' last active day, leaders, whether anyone is in the
    group), for the dashboard: people, active members, retention and events are left at 0."""
    now = now or timezone.now()
    today, since = timezone.localdate(now), now - WINDOW
    groups = list(groups_visible(user).prefetch_related("leaders").order_by("name"))
    people: dict[int, int] = {}
    active: dict[int, int] = {}
    if full:
        people = _by_home_group(
            Person.objects.filter(merged_into__isnull=True).values("home_group_id")
            .annotate(n=Count("id")).values_list("home_group_id", "n")
        )  # fmt: skip
        active = _by_home_group(
            PersonStats.objects.filter(last_action_at__gte=since).values("person__home_group_id")
            .annotate(n=Count("person_id")).values_list("person__home_group_id", "n")
        )  # fmt: skip
    metrics = DailyMetric.objects.filter(type__in=ACTION_TYPES).values("group_id")
    actions = _by_home_group(metrics.filter(day__gt=today - WINDOW).annotate(n=Sum("count"))
                             .values_list("group_id", "n"))  # fmt: skip
    last_day = dict(metrics.annotate(d=Max("day")).values_list("group_id", "d"))
    months = _retention(since, now) if full else {}
    acting_users = set(
        Activity.objects.filter(occurred_at__gte=since, actor__isnull=False)
        .values_list("actor_id", flat=True).distinct()
    )  # fmt: skip
    out = []
    for group in groups:
        tree = groups_below([group.pk])
        health = GroupHealth(group)
        health.people = (
            sum(people.get(g, 0) for g in tree) if full
            else int(Person.objects.filter(home_group_id__in=tree).exists())
        )  # fmt: skip
        health.active_members = sum(active.get(g, 0) for g in tree)
        health.actions = sum(actions.get(g, 0) for g in tree)
        days = [last_day[g] for g in tree if last_day.get(g)]
        health.last_active = max(days) if days else None
        health.days_quiet = (today - health.last_active).days if health.last_active else None
        before = set().union(*(months[g][0] for g in tree if g in months))
        after = set().union(*(months[g][1] for g in tree if g in months))
        health.retention = len(before & after) / len(before) if before else None
        leaders = list(group.leaders.all())
        health.leaders = len(leaders)
        health.active_leaders = sum(
            1 for u in leaders
            if u.pk in acting_users or (u.last_login is not None and u.last_login >= since)
        )  # fmt: skip
        health.events_held = (
            Event.objects.filter(starts_at__gte=since, starts_at__lte=now,
                                 hosts__home_group_id__in=tree,
                                 approval=Event.Approval.APPROVED)
            .distinct().count()
        ) if full else 0  # fmt: skip
        # The organization itself (the top group over the chapters) is run by staff, and an
        # empty group has nobody to look after yet.
        top = group.parent_id is None and any(g != group.pk for g in tree)
        health.flags = _flags(health) if health.people and not top else []
        out.append(health)
    out.sort(key=lambda h: (not h.flags, -h.people, h.group.name))
    return out


NO_LEADER_FIX = (
    "Grant a team leader from the people ready for more on the group's page, or ask an "
    "organizer to step in."
)
QUIET_LEADERLESS_FIX = "Find a facilitator first (below), then give the group one event."
IDLE_LEADER_FIX = (
    "Call the leader to check in, and recruit a co-leader from the group's most active members."
)


def _flags(h: GroupHealth) -> list[Flag]:
    flags, quiet = [], quiet_days()
    lead = ", ".join(u.get_full_name() or u.username for u in h.group.leaders.all())
    if h.days_quiet is None or h.days_quiet >= quiet:
        since = f"in {h.days_quiet} days" if h.days_quiet is not None else "yet"
        fix = QUIET_LEADERLESS_FIX
        if lead:
            fix = (
                f"Ask {lead} to host a house meeting or a phone bank this week, and send "
                f"{h.group.name}'s people one clear next step by email."
            )
        flags.append(Flag("quiet", f"Nobody in {h.group.name} has acted {since}.", fix))
    if h.leaders == 0:
        flags.append(Flag("no_facilitator", "No leader.", NO_LEADER_FIX))
    elif h.active_leaders == 0:
        problem = f"No leader active in {WINDOW.days} days ({lead})."
        flags.append(Flag("no_facilitator", problem, IDLE_LEADER_FIX))
    return flags


def flagged_groups(user: User, *, now: dt.datetime | None = None) -> list[GroupHealth]:
    """The groups that need attention, read as lightly as the flags allow."""
    return [h for h in groups_health(user, now=now, full=False) if h.flags]


__all__ = ["Flag", "GroupHealth", "flagged_groups", "groups_health", "quiet_days"]
