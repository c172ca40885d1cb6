"""What a group's page shows its leaders: their people, recruits, events, asks, call and walk
lists, goals, the leaders and teams under them, and the responsibilities waiting for a yes.

Everything is counted over the group and the teams nested under it, and through
`visible_people`: a leader of a team sees their team, the leader above sees it too. A group
the user does not lead answers 404, like any record outside their reach.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from ladder.actions.leaderboards import person_progress
from ladder.actions.models import ActionPage, PersonalGoal
from ladder.core.models import User
from ladder.ladders.ask_selectors import AskProgress, asks_with_progress
from ladder.ladders.models import Responsibility
from ladder.ladders.pathways import responsibilities_waiting
from ladder.organizing.models import ContactList
from ladder.organizing.selectors import Progress, contact_lists_visible, list_progress
from ladder.people.models import Group, Membership, Person
from ladder.people.selectors import groups_below, groups_visible, visible_people

SHOWN = 12  # rows per card; each card links to the full list where there is one


@dataclass(frozen=True)
class TeamRow:
    team: Group
    leaders: list[User]
    people: int


@dataclass(frozen=True)
class GoalRow:
    goal: PersonalGoal
    done: Any

    @property
    def percent(self) -> int:
        target = self.goal.target or 1
        return min(100, round(100 * float(self.done) / target))


@dataclass
class GroupPage:
    group: Group
    leaders: list[User]
    people_count: int
    people: list[Person]
    recruits_count: int
    recruits: list[Person]
    teams: list[TeamRow]
    events: list[ActionPage]
    asks: list[tuple[Any, AskProgress]]
    lists: list[tuple[ContactList, Progress]]
    goals: list[GoalRow]
    waiting: list[Responsibility]
    candidates: list[User] = field(default_factory=list)
    parent_visible: bool = False


def groups_led(user: User) -> QuerySet[Group]:
    """The groups whose page ``user`` may open: staff every group, a leader theirs and below."""
    return groups_visible(user)


def group_for(user: User, group_id: int) -> Group:
    group = groups_led(user).select_related("parent").filter(pk=group_id).first()
    if group is None:
        raise Http404("No such group")
    return group


def group_people(user: User, group: Group) -> QuerySet[Person]:
    """The group's people ``user`` may see: members of the group or a team below it."""
    ids = groups_below([group.pk])
    members = Membership.objects.filter(person_id=OuterRef("pk"), group_id__in=ids)
    return visible_people(user).filter(Exists(members))


def group_page(user: User, group: Group, *, now: dt.datetime | None = None) -> GroupPage:
    now = now or timezone.now()
    ids = groups_below([group.pk])
    people = group_people(user, group)
    # Recruits: people brought in by someone of the group, as far as the user may see them.
    recruits = visible_people(user).filter(recruited_by__in=people.values("pk"))
    teams = list(
        Group.objects.filter(parent=group)
        .annotate(n=Count("memberships", distinct=True))
        .prefetch_related("leaders")
        .order_by("name")
    )
    events = list(
        ActionPage.objects.filter(
            kind=ActionPage.Kind.EVENT, group_id__in=ids, event__ends_at__gte=now
        )
        .select_related("event")
        .order_by("event__starts_at")[:SHOWN]
    )
    asks = [
        row for row in asks_with_progress(user) if row[0].group_id in ids
    ][:SHOWN]  # fmt: skip
    lists = [
        (c, list_progress(c))
        for c in contact_lists_visible(user)
        .filter(group_id__in=ids, status=ContactList.Status.OPEN)
        .order_by("-created_at")[:SHOWN]
    ]
    goals = [
        GoalRow(goal, person_progress(goal.person, goal.metric, goal.starts_at, goal.ends_at))
        for goal in PersonalGoal.objects.filter(
            person__in=people.values("pk"), starts_at__lte=now, ends_at__gte=now
        )
        .select_related("person")
        .order_by("ends_at")[:SHOWN]
    ]
    waiting = list(responsibilities_waiting(user).filter(person__in=people.values("pk"))[:SHOWN])
    # Logins a team can be handed to: the group's people who have one.
    candidates = list(
        User.objects.filter(is_active=True, pk__in=people.filter(user__isnull=False).values("user"))
        .exclude(Q(is_superuser=True) | Q(role__in=["admin", "staff"]))
        .order_by("username")[:200]
    )
    return GroupPage(
        group=group,
        leaders=list(group.leaders.order_by("username")),
        people_count=people.count(),
        people=list(people.order_by("sort_name", "pk")[:SHOWN]),
        recruits_count=recruits.count(),
        recruits=list(recruits.order_by("-created_at", "-pk")[:SHOWN]),
        teams=[TeamRow(t, list(t.leaders.all()), t.n) for t in teams],  # type: ignore[attr-defined]
        events=events,
        asks=asks,
        lists=lists,
        goals=goals,
        waiting=waiting,
        candidates=candidates,
        parent_visible=group.parent_id is not None
        and groups_led(user).filter(pk=group.parent_id).exists(),
    )


__all__ = ["GroupPage", "group_for", "group_page", "group_people", "groups_led"]
