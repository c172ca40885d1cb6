"""Reads for field organizing, scoped like everything else: staff see every list; a leader the
lists of the groups they lead and their own; a volunteer the lists they are assigned to or that
are open to one of their groups (every call list of their groups, once they are a granted
caller). An entry outside what a user may work answers 404."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from ladder.activity.catalogue import CONTACT_TYPES, ActivityType
from ladder.activity.models import Activity
from ladder.core.models import Role, User
from ladder.ladders.models import Responsibility, ResponsibilityKind
from ladder.organizing.models import (
    ContactList,
    ContactPolicy,
    ListEntry,
    Question,
    Script,
    Survey,
)
from ladder.people.models import Membership, Person, Relationship
from ladder.people.selectors import led_group_ids, visible_people
from ladder.segments.models import Segment, StaticList

# Calls and knocks are the "same channel" the policy counts together; any other contact
# (texts, meetings, relational touches) is "another channel".
FIELD_TYPES = (ActivityType.CALL, ActivityType.DOOR_KNOCK)
OTHER_TYPES = tuple(sorted(CONTACT_TYPES - set(FIELD_TYPES)))


def policy() -> ContactPolicy:
    return ContactPolicy.objects.order_by("id").first() or ContactPolicy()


def contacted_lately(now: dt.datetime, person: str = "pk") -> Q:
    """People the policy keeps off a call or walk list at ``now``: a call or knock within
    ``same_channel_days``, or another contact within ``other_channel_days``. ``person`` names
    the outer column holding the person's id."""
    rules = policy()
    same = Activity.objects.filter(
        person_id=OuterRef(person),
        type__in=FIELD_TYPES,
        occurred_at__gte=now - dt.timedelta(days=rules.same_channel_days),
    )
    other = Activity.objects.filter(
        person_id=OuterRef(person),
        type__in=OTHER_TYPES,
        occurred_at__gte=now - dt.timedelta(days=rules.other_channel_days),
    )
    return Q(Exists(same)) | Q(Exists(other))


def can_build_lists(user: User) -> bool:
    return user.is_active and (user.sees_everyone or user.role == Role.LEADER)


def contact_lists_visible(user: User) -> QuerySet[ContactList]:
    lists = ContactList.objects.all()
    if not user.is_active:
        return lists.none()
    if user.sees_everyone:
        return lists
    mine = Q(volunteers=user) | Q(created_by=user)
    groups = Membership.objects.filter(person__user=user).values("group_id")
    mine |= Q(open_to_group=True, group_id__in=groups)
    # A granted caller (a pathway responsibility) works every call list of their groups.
    caller = Responsibility.objects.filter(
        person__user=user, kind=ResponsibilityKind.CALLER, status=Responsibility.Status.GRANTED
    )
    mine |= Q(Exists(caller)) & Q(kind=ContactList.Kind.CALL, group_id__in=groups)
    if user.role == Role.LEADER:
        mine |= Q(group_id__in=led_group_ids(user))
    return lists.filter(mine).distinct()


def universe_people(actor: User, segment: Segment | None, static_list: StaticList | None) -> Any:
    """The people of one segment or one static list, as ``actor`` may see them."""
    from ladder.segments.selectors import list_people, segment_people

    if (segment is None) == (static_list is None):
        raise ValidationError({"segment": "Build the list from one segment or one static list."})
    if segment is not None:
        return segment_people(actor, segment.definition)
    assert static_list is not None
    return list_people(actor, static_list)


def _led_or_own[M: models.Model](user: User, rows: QuerySet[M]) -> QuerySet[M]:
    """Staff see every row; a leader the rows of the groups they lead and their own."""
    if not can_build_lists(user):
        return rows.none()
    if user.sees_everyone:
        return rows
    return rows.filter(Q(group_id__in=led_group_ids(user)) | Q(created_by=user))


def surveys_visible(user: User) -> QuerySet[Survey]:
    return _led_or_own(user, Survey.objects.all())


@dataclass(frozen=True)
class QuestionResults:
    question: Question
    # (answer, people, percent of those who answered, what the answer sets)
    answers: list[tuple[str, int, int, str]]
    answered: int


def _effect_text(question: Question, answer: str) -> str:
    effect = question.effects.get(answer) or {}
    if effect.get("tag"):
        return f"tag: {effect['tag']}"
    if effect.get("field"):
        return f"{effect['field'][0]} = {effect['field'][1]}"
    return ""


def survey_results(user: User, survey: Survey) -> list[QuestionResults]:
    """How the people ``user`` may see answered each question: one grouped query; a
    several-choice answer counts once for each choice picked. Free-text answers are counted,
    not listed (they are on each profile)."""
    rows = (
        Activity.objects.filter(
            type=ActivityType.SURVEY_RESPONSE, object_type="survey", object_id=survey.pk,
            person__in=visible_people(user).values("pk"),
        )
        .values_list("payload__question", "payload__answer")
        .annotate(n=Count("pk"))
    )  # fmt: skip
    counts: dict[str, dict[str, int]] = {}
    for key, answer, n in rows:
        per = counts.setdefault(str(key), {})
        for one in answer if isinstance(answer, list) else [answer]:
            per[str(one)] = per.get(str(one), 0) + n
    results = []
    for question in survey.questions.all():
        per = counts.get(question.key, {})
        if question.kind == Question.Kind.TEXT:
            answered = sum(per.values())
            results.append(QuestionResults(question, [], answered))
            continue
        order = (
            [str(n) for n in range(question.scale_min, question.scale_max + 1)]
            if question.kind == Question.Kind.SCALE
            else list(question.choices)
        )
        answered = sum(per.values())
        shown = []
        for a in order:
            n = per.get(a, 0)
            shown.append(
                (a, n, round(100 * n / answered) if answered else 0, _effect_text(question, a))
            )
        results.append(QuestionResults(question, shown, answered))
    return results


def scripts_visible(user: User) -> QuerySet[Script]:
    return _led_or_own(user, Script.objects.all())


def manages(user: User, contact_list: ContactList) -> bool:
    """Staff, the list's maker, or a leader of its group: may see every entry and its result."""
    if user.sees_everyone or contact_list.created_by_id == user.pk:
        return True
    return user.role == Role.LEADER and contact_list.group_id in led_group_ids(user)


def contact_list_for(user: User, list_id: int) -> ContactList:
    found = contact_lists_visible(user).select_related("script__survey").filter(pk=list_id).first()
    if found is None:
        raise Http404("No such list")
    return found


def entry_for(user: User, entry_id: int) -> ListEntry:
    """An entry the user may work: one served to them, or any entry of a list they manage."""
    entry = (
        ListEntry.objects.select_related("contact_list", "person")
        .filter(pk=entry_id, contact_list__in=contact_lists_visible(user))
        .first()
    )
    if entry is None or not (entry.served_to_id == user.pk or manages(user, entry.contact_list)):
        raise Http404("No such entry")
    return entry


@dataclass(frozen=True)
class Progress:
    total: int
    waiting: int
    served: int
    done: int
    skipped: int
    results: dict[str, int]


def list_progress(contact_list: ContactList) -> Progress:
    """Where the list stands, in two indexed aggregate queries."""
    states = dict(
        contact_list.entries.values_list("state").annotate(n=Count("id")).values_list("state", "n")  # type: ignore[attr-defined]
    )
    results = dict(
        contact_list.entries.filter(state=ListEntry.State.DONE)  # type: ignore[attr-defined]
        .values_list("result")
        .annotate(n=Count("id"))
        .values_list("result", "n")
    )
    S = ListEntry.State
    return Progress(
        total=sum(states.values()),
        waiting=states.get(S.WAITING, 0),
        served=states.get(S.SERVED, 0),
        done=states.get(S.DONE, 0),
        skipped=states.get(S.SKIPPED, 0),
        results=results,
    )


@dataclass(frozen=True)
class Touches:
    counts: list[tuple[str, int, int]]  # (type label, all time, last 30 days)
    recent: list[Activity]
    answers: list[Activity]
    known_by: list[str]
    next_field_contact: dt.datetime | None  # when the policy next allows a call or knock


def touch_history(person: Person, *, now: dt.datetime | None = None) -> Touches:
    """Every contact with one person, in every channel: how many, the latest (when, by whom,
    the result), their last answers, who knows them, and when the policy next allows a call
    or a knock: four indexed queries, whatever the length of the history."""
    from django.utils import timezone

    from ladder.activity.catalogue import ActivityType as T

    when = now or timezone.now()
    contacts = Activity.objects.filter(person=person, type__in=CONTACT_TYPES)
    month = when - dt.timedelta(days=30)
    rows = contacts.values("type").annotate(
        total=Count("id"), lately=Count("id", filter=Q(occurred_at__gte=month))
    )
    labels = dict(T.choices)
    counts = sorted(
        ((labels.get(r["type"], r["type"]), r["total"], r["lately"]) for r in rows),
        key=lambda row: -row[1],
    )
    latest = list(
        Activity.objects.filter(person=person, type__in=[*CONTACT_TYPES, T.SURVEY_RESPONSE])
        .select_related("actor")
        .order_by("-occurred_at", "-id")[:20]
    )
    recent = [a for a in latest if a.type in CONTACT_TYPES][:5]
    answers = [a for a in latest if a.type == T.SURVEY_RESPONSE][:5]
    known_by = list(
        Relationship.objects.filter(person=person, knower__user__isnull=False)
        .select_related("knower")
        .order_by("knower__sort_name")[:20]
    )
    rules = policy()
    blockers = [
        a.occurred_at + dt.timedelta(days=rules.same_channel_days)
        for a in recent
        if a.type in FIELD_TYPES
    ] + [
        a.occurred_at + dt.timedelta(days=rules.other_channel_days)
        for a in recent
        if a.type in OTHER_TYPES
    ]
    free_at = max(blockers, default=None)
    return Touches(
        counts=counts,
        recent=recent,
        answers=answers,
        known_by=[r.knower.display_name for r in known_by],
        next_field_contact=free_at if free_at and free_at > when else None,
    )


@dataclass(frozen=True)
class MonthOfVolunteers:
    month: dt.date
    active: int  # volunteers who made a call, knock, text or relational touch that month
    kept: int  # of the month before's, how many came back this month
    retention: int | None  # kept as a percentage of the month before's active volunteers


@dataclass(frozen=True)
class OrganizingMetrics:
    teams: int
    leaders_developed: int  # people leading a team (organizers grown from volunteers)
    people_per_leader: float | None
    months: list[MonthOfVolunteers]


def _month_start(moment: dt.datetime) -> dt.date:
    return moment.date().replace(day=1)


def organizing_metrics(*, now: dt.datetime | None = None, months: int = 6) -> OrganizingMetrics:
    """Is the organization growing organizers? Teams, their leaders, people per leader, and
    month by month how many volunteers made contact and how many of them came back."""
    from django.utils import timezone

    from ladder.people.models import Group

    when = now or timezone.now()
    teams = Group.objects.filter(kind=Group.Kind.TEAM)
    leaders_developed = User.objects.filter(led_groups__in=teams).distinct().count()
    led = Group.objects.annotate(
        n_leaders=Count("leaders", distinct=True), n_people=Count("memberships", distinct=True)
    ).filter(n_leaders__gt=0)
    totals = [(g.n_people, g.n_leaders) for g in led]  # type: ignore[attr-defined]
    per_leader = round(sum(p for p, _ in totals) / sum(n for _, n in totals), 1) if totals else None
    first = _month_start(when)
    starts = []
    for _ in range(months + 1):
        starts.append(first)
        first = (first - dt.timedelta(days=1)).replace(day=1)
    starts.reverse()
    since = timezone.make_aware(dt.datetime.combine(starts[0], dt.time()))
    rows = (
        Activity.objects.filter(type__in=CONTACT_TYPES, occurred_at__gte=since, actor__isnull=False)
        .values_list("actor_id", "occurred_at")
        .iterator()
    )
    by_month: dict[dt.date, set[int]] = {start: set() for start in starts}
    for actor_id, occurred in rows:
        month = _month_start(timezone.localtime(occurred))
        if month in by_month:
            by_month[month].add(actor_id)
    found = []
    for before, month in itertools.pairwise(starts):
        earlier, now_active = by_month[before], by_month[month]
        kept = len(earlier & now_active)
        found.append(
            MonthOfVolunteers(
                month=month,
                active=len(now_active),
                kept=kept,
                retention=round(100 * kept / len(earlier)) if earlier else None,
            )
        )
    return OrganizingMetrics(
        teams=teams.count(),
        leaders_developed=leaders_developed,
        people_per_leader=per_leader,
        months=found,
    )
