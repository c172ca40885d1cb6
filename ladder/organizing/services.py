"""Every write of field organizing: surveys, scripts, the contact policy, building call and walk
lists, serving the next person, and recording what they said.

Serving is a conditional update (``waiting`` → ``served`` to one volunteer), so two volunteers
asking at once never get the same person: the one whose update finds the row already served
moves on to the next. Recording takes the entry's row lock and writes nothing for an entry
already done, so a result sent twice by a flaky phone counts once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.text import slugify

from ladder.activity.catalogue import ActivityType, ContactResult
from ladder.activity.services import activity_record
from ladder.core.models import User
from ladder.mailings.merge import MergeError, compile_subject
from ladder.organizing.models import (
    ContactList,
    ContactPolicy,
    ListEntry,
    Question,
    Script,
    Survey,
)
from ladder.organizing.selectors import (
    can_build_lists,
    contacted_lately,
    manages,
    policy,
    universe_people,
)
from ladder.organizing.surveys import answer_clean, survey_answers_record
from ladder.organizing.walking import Door, walk_order
from ladder.people.models import Address, Group, Person, Phone
from ladder.people.selectors import led_group_ids
from ladder.segments.models import Segment, StaticList

S = ListEntry.State
SERVE_BATCH = 50
INSERT_BATCH = 5000


@dataclass(frozen=True)
class QuestionPlan:
    prompt: str
    kind: str
    choices: list[str] = field(default_factory=list)
    effects: dict[str, dict[str, Any]] = field(default_factory=dict)
    key: str = ""
    scale: tuple[int, int] = (1, 5)


def _group_checked(actor: User, group: Group | None) -> Group | None:
    if group is not None and not actor.sees_everyone and group.pk not in led_group_ids(actor):
        raise PermissionDenied("You can only make these for groups you lead.")
    return group


@transaction.atomic
def survey_create(
    *, actor: User, name: str, questions: Iterable[QuestionPlan], group: Group | None = None
) -> Survey:
    if not can_build_lists(actor):
        raise PermissionDenied
    plans = list(questions)
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "Give the survey a name."
    if not plans:
        errors["questions"] = "Ask at least one question."
    keys: set[str] = set()
    for n, plan in enumerate(plans, start=1):
        if plan.kind not in Question.Kind.values:
            errors[f"question {n}"] = f"{plan.kind!r} is not a kind of question."
        elif plan.kind in (Question.Kind.SINGLE, Question.Kind.MULTI) and len(plan.choices) < 2:
            errors[f"question {n}"] = "A choice question needs at least two choices."
        elif plan.kind == Question.Kind.SCALE and plan.scale[0] >= plan.scale[1]:
            errors[f"question {n}"] = "A scale runs from a smaller number to a larger one."
        unknown = set(plan.effects) - set(plan.choices)
        if unknown:
            errors[f"question {n}"] = f"Effects for choices it does not have: {sorted(unknown)}."
        key = plan.key or slugify(plan.prompt)[:60] or f"q{n}"
        if key in keys:
            errors[f"question {n}"] = f"Two questions share the key {key!r}."
        keys.add(key)
    if errors:
        raise ValidationError(errors)
    survey = Survey.objects.create(
        name=name.strip(), group=_group_checked(actor, group), created_by=actor
    )
    Question.objects.bulk_create(
        [
            Question(
                survey=survey,
                position=n,
                key=plan.key or slugify(plan.prompt)[:60] or f"q{n}",
                prompt=plan.prompt.strip(),
                kind=plan.kind,
                choices=plan.choices,
                scale_min=plan.scale[0],
                scale_max=plan.scale[1],
                effects=plan.effects,
            )
            for n, plan in enumerate(plans, start=1)
        ]
    )
    return survey


def script_create(
    *,
    actor: User,
    name: str,
    body: str,
    survey: Survey | None = None,
    result_codes: Iterable[str] = (),
    group: Group | None = None,
) -> Script:
    if not can_build_lists(actor):
        raise PermissionDenied
    if not name.strip() or not body.strip():
        raise ValidationError({"body": "A script needs a name and something to say."})
    try:
        compile_subject(body)
    except MergeError as problem:
        raise ValidationError({"body": str(problem)}) from None
    return Script.objects.create(
        name=name.strip(), body=body, survey=survey, result_codes=list(result_codes),
        group=_group_checked(actor, group), created_by=actor,
    )  # fmt: skip


def policy_set(*, actor: User, same_channel_days: int, other_channel_days: int) -> ContactPolicy:
    if not actor.sees_everyone:
        raise PermissionDenied
    current = policy()
    current.same_channel_days, current.other_channel_days = same_channel_days, other_channel_days
    current.save()
    return current


def _call_rows(people: QuerySet[Person]) -> list[tuple[int, str, tuple[Any, ...]]]:
    """(person, household, order) for everyone with a phone we may call; a shared number is
    one household."""
    phones = Phone.objects.filter(
        person_id=OuterRef("pk"), do_not_call=False, status="active"
    ).order_by("-is_primary", "id")
    rows = (
        people.filter(Exists(phones))
        .annotate(number=phones.values("number")[:1])
        .values_list("pk", "number", "sort_name")
    )
    return [(pk, f"phone|{number}", (number, name, pk)) for pk, number, name in rows.iterator()]


def _walk_rows(people: QuerySet[Person]) -> list[tuple[int, str, tuple[Any, ...]]]:
    """(person, household, order) for everyone with a street address, in walking order."""
    addresses = (
        Address.objects.filter(person_id=OuterRef("pk"), status="active")
        .exclude(line1="")
        .order_by("-is_primary", "id")
    )
    rows = (
        people.filter(Exists(addresses))
        .annotate(
            line1=addresses.values("line1")[:1],
            postal=addresses.values("postal_code")[:1],
            lat=addresses.values("latitude")[:1],
            lon=addresses.values("longitude")[:1],
        )
        .values_list("pk", "line1", "postal", "lat", "lon")
    )
    return walk_order(Door(*row) for row in rows.iterator())


@transaction.atomic
def contact_list_create(
    *,
    actor: User,
    name: str,
    kind: str,
    segment: Segment | None = None,
    static_list: StaticList | None = None,
    script: Script | None = None,
    group: Group | None = None,
    volunteers: Iterable[User] = (),
    open_to_group: bool = False,
    now: dt.datetime | None = None,
) -> ContactList:
    """A call or walk list of the universe as ``actor`` sees it, without the people the contact
    policy keeps off today (and, for calls, those with no phone we may call); households
    together, in calling or walking order."""
    if not can_build_lists(actor):
        raise PermissionDenied
    if kind not in ContactList.Kind.values:
        raise ValidationError({"kind": "A list is a call list or a walk list."})
    if not name.strip():
        raise ValidationError({"name": "Give the list a name."})
    when = now or timezone.now()
    universe = universe_people(actor, segment, static_list)
    reachable = universe.exclude(contacted_lately(when))
    rows = _call_rows(reachable) if kind == ContactList.Kind.CALL else _walk_rows(reachable)
    rows.sort(key=lambda row: row[2])
    contact_list = ContactList.objects.create(
        name=name.strip(), kind=kind, segment=segment, static_list=static_list, script=script,
        group=_group_checked(actor, group), open_to_group=open_to_group, created_by=actor,
        size=len(rows),
    )  # fmt: skip
    contact_list.volunteers.set(list(volunteers))
    ListEntry.objects.bulk_create(
        (
            ListEntry(contact_list=contact_list, person_id=pk, position=n, household=household)
            for n, (pk, household, _) in enumerate(rows, start=1)
        ),
        batch_size=INSERT_BATCH,
    )
    contact_list.left_out = universe.count() - len(rows)
    contact_list.save(update_fields=["left_out"])
    return contact_list


def _may_work(actor: User, contact_list: ContactList) -> bool:
    from ladder.organizing.selectors import contact_lists_visible

    return contact_lists_visible(actor).filter(pk=contact_list.pk).exists()


def entry_next(
    *,
    actor: User,
    contact_list: ContactList,
    now: dt.datetime | None = None,
    households: int = 1,
) -> list[ListEntry]:
    """The next household on the list for ``actor`` — or the next ``households`` of them, a
    canvasser's packet for a walk — or what they already hold. Households nobody else has
    taken; people contacted elsewhere since the list was built are skipped, not served. An
    empty list: nobody left."""
    if not _may_work(actor, contact_list):
        raise PermissionDenied
    if contact_list.status != ContactList.Status.OPEN:
        return []
    when = now or timezone.now()
    entries = ListEntry.objects.filter(contact_list=contact_list).select_related("person")
    held = list(entries.filter(state=S.SERVED, served_to=actor).order_by("position"))
    if held:
        return held
    taken = 0
    while taken < households:
        batch = list(
            entries.filter(state=S.WAITING)
            .order_by("position")
            .values_list("pk", "household", "person_id")[:SERVE_BATCH]
        )
        if not batch:
            break
        touched = set(
            Person.objects.filter(pk__in=[p for _, _, p in batch])
            .filter(contacted_lately(when))
            .values_list("pk", flat=True)
        )
        for pk, household, person_id in batch:
            if taken >= households:
                break
            if person_id in touched:
                entries.filter(pk=pk, state=S.WAITING).update(state=S.SKIPPED, done_at=when)
                continue
            claimed = entries.filter(pk=pk, state=S.WAITING).update(
                state=S.SERVED, served_to=actor, served_at=when
            )
            if not claimed:  # another volunteer got there first
                continue
            taken += 1
            if household:
                entries.filter(household=household, state=S.WAITING).exclude(
                    person_id__in=touched
                ).update(state=S.SERVED, served_to=actor, served_at=when)
    return list(entries.filter(state=S.SERVED, served_to=actor).order_by("position"))


def entry_release(*, actor: User, entry: ListEntry) -> None:
    """Give a served entry back (the volunteer stopped): it waits for the next caller."""
    ListEntry.objects.filter(pk=entry.pk, state=S.SERVED, served_to=actor).update(
        state=S.WAITING, served_to=None, served_at=None
    )


@transaction.atomic
def entry_record(
    *,
    actor: User,
    entry: ListEntry,
    result: str,
    answers: dict[str, Any] | None = None,
    notes: str = "",
    now: dt.datetime | None = None,
) -> ListEntry:
    """What happened with one person: the contact (a call or a knock) with its result, each
    survey answer as an activity with what it sets, and the entry done. Recording an entry
    that is already done writes nothing and returns it as it stands."""
    locked = (
        ListEntry.objects.select_for_update(of=("self",))
        .select_related("contact_list__script__survey", "person")
        .get(pk=entry.pk)
    )
    if locked.state == S.DONE:
        return locked
    contact_list = locked.contact_list
    if locked.served_to_id != actor.pk and not manages(actor, contact_list):
        raise PermissionDenied("This person is with another volunteer.")
    script = contact_list.script
    allowed = script.results if script else list(ContactResult.values)
    if result not in allowed:
        raise ValidationError({"result": f"Choose one of {', '.join(allowed)}."})
    given = {k: v for k, v in (answers or {}).items() if v not in (None, "", [])}
    questions = {
        q.key: q for q in (script.survey.questions.all() if script and script.survey else [])
    }
    unknown = set(given) - set(questions)
    if unknown:
        raise ValidationError({"answers": f"Not questions of this survey: {sorted(unknown)}."})
    clean = {key: answer_clean(questions[key], raw) for key, raw in given.items()}
    when = now or timezone.now()
    kind = (
        ActivityType.CALL if contact_list.kind == ContactList.Kind.CALL else ActivityType.DOOR_KNOCK
    )
    person = locked.person
    activity_record(
        person=person, type=kind, actor=actor, occurred_at=when, result=result,
        source=f"list:{contact_list.pk}", object_type="contact_list", object_id=contact_list.pk,
        payload={"list": contact_list.name, **({"notes": notes.strip()} if notes.strip() else {})},
        idempotency_key=f"entry:{locked.pk}",
    )  # fmt: skip
    if script is not None and script.survey is not None:
        survey_answers_record(
            actor=actor, person=person, survey=script.survey, questions=questions,
            answers=clean, when=when, source=f"list:{contact_list.pk}",
            channel="phone" if kind == ActivityType.CALL else "door", key=f"entry:{locked.pk}",
        )  # fmt: skip
    locked.state, locked.result, locked.done_at = S.DONE, result, when
    if locked.served_to_id is None:
        locked.served_to = actor
    locked.save(update_fields=["state", "result", "done_at", "served_to"])
    return locked
