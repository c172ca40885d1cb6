"""Call and walk lists: built from a universe without the people the contact policy keeps off,
served one household at a time to one volunteer, recorded once, and scoped (DESIGN.md §4.1)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from ladder.activity.catalogue import ActivityType
from ladder.activity.models import Activity
from ladder.activity.services import contact_log
from ladder.core.models import Role
from ladder.core.testing import make_user
from ladder.organizing.models import ContactList, ListEntry, Question
from ladder.organizing.selectors import contact_lists_visible, entry_for, list_progress
from ladder.organizing.services import (
    QuestionPlan,
    contact_list_create,
    entry_next,
    entry_record,
    script_create,
    survey_create,
)
from ladder.people.models import Address, CustomField, Person
from ladder.people.services import group_add_person, person_create, phone_add
from ladder.segments.models import ListMember, StaticList

pytestmark = pytest.mark.django_db
NOW = timezone.make_aware(dt.datetime(2026, 12, 1, 18, 0))


def caller(n: int, *, phone: str | None = None, group: Any = None) -> Person:
    person = person_create(
        actor=None, first_name=f"P{n}", last_name="Caller",
        phone=phone or f"515-555-{n:04d}", email=f"p{n}@example.org",
    )  # fmt: skip
    if group is not None:
        group_add_person(actor=None, group=group, person=person)
    return person


def universe(owner: Any, people: list[Person], group: Any = None) -> StaticList:
    found = StaticList.objects.create(name="Universe", owner=owner, group=group)
    ListMember.objects.bulk_create(ListMember(static_list=found, person=p) for p in people)
    return found


@pytest.fixture
def volunteers(db) -> tuple[Any, Any]:
    return make_user("vera", Role.VOLUNTEER), make_user("vic", Role.VOLUNTEER)


@pytest.fixture
def survey(staff_user) -> Any:
    CustomField.objects.create(key="wants_to_volunteer", label="Wants to volunteer")
    return survey_create(
        actor=staff_user, name="School funding",
        questions=[
            QuestionPlan("What matters most?", Question.Kind.SINGLE, ["Education", "Transit"],
                         effects={"Education": {"tag": "cares: education"}}, key="issue"),
            QuestionPlan("Volunteer with us?", Question.Kind.SINGLE, ["Yes", "No"],
                         effects={"Yes": {"field": ["wants_to_volunteer", "yes"]}}, key="vol"),
            QuestionPlan("How likely to vote?", Question.Kind.SCALE, key="likely", scale=(1, 5)),
        ],
    )  # fmt: skip


def call_list(staff_user, people, volunteers=(), survey=None, **options: Any) -> ContactList:
    script = script_create(
        actor=staff_user, name="Intro", body="Hi {{ first_name }}, I'm calling about schools.",
        survey=survey, result_codes=["talked", "not_home", "wrong_number", "refused"],
    )  # fmt: skip
    return contact_list_create(
        actor=staff_user, name="School calls", kind=ContactList.Kind.CALL,
        static_list=universe(staff_user, people), script=script, volunteers=volunteers,
        now=NOW, **options,
    )  # fmt: skip


def test_two_volunteers_asking_at_once_get_different_people(staff_user, volunteers):
    people = [caller(n) for n in range(1, 4)]
    contact_list = call_list(staff_user, people, volunteers)
    vera, vic = volunteers
    first = entry_next(actor=vera, contact_list=contact_list, now=NOW)
    second = entry_next(actor=vic, contact_list=contact_list, now=NOW)
    assert len(first) == len(second) == 1
    assert first[0].person_id != second[0].person_id
    # Asking again before recording gives back what one already holds.
    assert [e.pk for e in entry_next(actor=vera, contact_list=contact_list, now=NOW)] == [
        first[0].pk
    ]


def test_the_next_person_is_the_one_a_served_row_leaves(staff_user, volunteers):
    people = [caller(n) for n in range(1, 3)]
    contact_list = call_list(staff_user, people, volunteers)
    vera, vic = volunteers
    # Vic's request lands while the first entry is already served to Vera (the race's loser).
    ListEntry.objects.filter(contact_list=contact_list, position=1).update(
        state=ListEntry.State.SERVED, served_to=vera, served_at=NOW
    )
    [got] = entry_next(actor=vic, contact_list=contact_list, now=NOW)
    assert got.position == 2 and got.served_to_id == vic.pk


def test_a_result_sent_twice_is_recorded_once(staff_user, volunteers, survey):
    contact_list = call_list(staff_user, [caller(1)], volunteers, survey=survey)
    [entry] = entry_next(actor=volunteers[0], contact_list=contact_list, now=NOW)
    for _ in range(2):  # the phone lost the first answer's reply and sent it again
        entry_record(actor=volunteers[0], entry=entry, result="talked",
                     answers={"issue": "Education"}, now=NOW)  # fmt: skip
    assert Activity.objects.filter(type=ActivityType.CALL, person=entry.person).count() == 1
    assert Activity.objects.filter(type=ActivityType.SURVEY_RESPONSE).count() == 1
    progress = list_progress(contact_list)
    assert (progress.done, progress.results) == (1, {"talked": 1})


def test_survey_answers_are_activities_that_set_tags_and_fields(staff_user, volunteers, survey):
    contact_list = call_list(staff_user, [caller(1)], volunteers, survey=survey)
    vera = volunteers[0]
    [entry] = entry_next(actor=vera, contact_list=contact_list, now=NOW)
    entry_record(actor=vera, entry=entry, result="talked", notes="Has two kids at Lincoln",
                 answers={"issue": "Education", "vol": "Yes", "likely": "4"}, now=NOW)  # fmt: skip
    person = Person.objects.get(pk=entry.person_id)
    assert person.taggings.filter(tag__name="cares: education").exists()  # type: ignore[attr-defined]
    assert person.custom_fields["wants_to_volunteer"] == "yes"
    call = Activity.objects.get(type=ActivityType.CALL, person=person)
    assert (call.result, call.actor_id, call.payload["notes"]) == (
        "talked", vera.pk, "Has two kids at Lincoln"
    )  # fmt: skip
    answers = dict(
        Activity.objects.filter(type=ActivityType.SURVEY_RESPONSE, person=person).values_list(
            "payload__question", "payload__answer"
        )
    )
    assert answers == {"issue": "Education", "vol": "Yes", "likely": 4}


@pytest.mark.parametrize(
    ("result", "answers", "field"),
    [
        ("voted", {}, "result"),
        ("talked", {"issue": "Healthcare"}, "issue"),
        ("talked", {"likely": "9"}, "likely"),
        ("talked", {"nope": "x"}, "answers"),
    ],
)
def test_bad_results_and_answers_are_refused_and_record_nothing(
    staff_user, volunteers, survey, result, answers, field
):
    contact_list = call_list(staff_user, [caller(1)], volunteers, survey=survey)
    [entry] = entry_next(actor=volunteers[0], contact_list=contact_list, now=NOW)
    with pytest.raises(ValidationError) as refused:
        entry_record(actor=volunteers[0], entry=entry, result=result, answers=answers, now=NOW)
    assert field in refused.value.message_dict
    assert not Activity.objects.filter(type=ActivityType.CALL).exists()
    assert ListEntry.objects.get(pk=entry.pk).state == ListEntry.State.SERVED


def test_someone_knocked_yesterday_is_kept_off_todays_call_list(staff_user):
    knocked, texted, free = caller(1), caller(2), caller(3)
    contact_log(actor=None, person=knocked, kind=ActivityType.DOOR_KNOCK, result="talked",
                occurred_at=NOW - dt.timedelta(days=1))  # fmt: skip
    # Another channel keeps people off for two days only.
    contact_log(actor=None, person=texted, kind=ActivityType.TEXT, result="talked",
                occurred_at=NOW - dt.timedelta(days=3))  # fmt: skip
    contact_list = call_list(staff_user, [knocked, texted, free])
    on_list = set(contact_list.entries.values_list("person_id", flat=True))  # type: ignore[attr-defined]
    assert on_list == {texted.pk, free.pk}
    assert (contact_list.size, contact_list.left_out) == (2, 1)


def test_someone_contacted_after_the_list_was_built_is_skipped_when_served(staff_user, volunteers):
    first, second = caller(1), caller(2)
    contact_list = call_list(staff_user, [first, second], volunteers)
    contact_log(actor=None, person=first, kind=ActivityType.DOOR_KNOCK, result="not_home",
                occurred_at=NOW - dt.timedelta(hours=2))  # fmt: skip
    [served] = entry_next(actor=volunteers[0], contact_list=contact_list, now=NOW)
    assert served.person_id == second.pk
    assert ListEntry.objects.get(person=first).state == ListEntry.State.SKIPPED


def test_people_who_may_not_be_called_are_not_on_a_call_list(staff_user):
    listed, do_not_call = caller(1), caller(2)
    do_not_call.phones.update(do_not_call=True)  # type: ignore[attr-defined]
    contact_list = call_list(staff_user, [listed, do_not_call])
    assert list(contact_list.entries.values_list("person_id", flat=True)) == [listed.pk]  # type: ignore[attr-defined]


def test_a_household_is_served_together(staff_user, volunteers):
    alone = caller(1, phone="515-555-0100")
    parent = caller(2, phone="515-555-0200")
    child = caller(3, phone="515-555-0300")
    phone_add(actor=None, person=child, number="515-555-0200", is_primary=True)
    contact_list = call_list(staff_user, [alone, parent, child], volunteers)
    first = entry_next(actor=volunteers[0], contact_list=contact_list, now=NOW)
    second = entry_next(actor=volunteers[1], contact_list=contact_list, now=NOW)
    assert {e.person_id for e in first} == {alone.pk}
    assert {e.person_id for e in second} == {parent.pk, child.pk}


def test_a_walk_list_reads_like_a_walk(staff_user):
    doors = [("14 Maple St", "50309"), ("3 Maple St", "50309"), ("8 Maple St", "50309"),
             ("1 Oak Ave", "50309"), ("7 Maple St", "50309"), ("2 Elm St", "50310")]  # fmt: skip
    people = []
    for n, (line1, postal) in enumerate(doors, start=1):
        person = caller(n)
        Address.objects.create(person=person, line1=line1, postal_code=postal, is_primary=True)
        people.append(person)
    walk = contact_list_create(
        actor=staff_user, name="Maple Saturday", kind=ContactList.Kind.WALK,
        static_list=universe(staff_user, people), now=NOW,
    )  # fmt: skip
    order = list(
        walk.entries.order_by("position").values_list("person__addresses__line1", flat=True)  # type: ignore[attr-defined]
    )
    assert order == ["3 Maple St", "7 Maple St", "8 Maple St", "14 Maple St", "1 Oak Ave",
                     "2 Elm St"]  # fmt: skip


def test_a_volunteer_cannot_reach_an_entry_outside_their_list(staff_user, volunteers):
    contact_list = call_list(staff_user, [caller(1), caller(2)], [volunteers[0]])
    [mine] = entry_next(actor=volunteers[0], contact_list=contact_list, now=NOW)
    other = contact_list.entries.exclude(pk=mine.pk).get()  # type: ignore[attr-defined]
    assert entry_for(volunteers[0], mine.pk) == mine
    with pytest.raises(Http404):
        entry_for(volunteers[0], other.pk)  # on the list, but not served to her
    with pytest.raises(Http404):
        entry_for(volunteers[1], mine.pk)  # not on her lists at all
    with pytest.raises(PermissionDenied):
        entry_next(actor=volunteers[1], contact_list=contact_list, now=NOW)
    with pytest.raises(PermissionDenied):
        entry_record(actor=volunteers[1], entry=mine, result="talked", now=NOW)


def test_a_leader_builds_lists_of_their_own_people_and_sees_no_other_groups(
    two_groups, leader_a, leader_b, staff_user
):
    group_a, group_b = two_groups
    ours, theirs = caller(1, group=group_a), caller(2, group=group_b)
    both = universe(leader_a, [ours, theirs], group=group_a)
    built = contact_list_create(
        actor=leader_a, name="Chapter calls", kind=ContactList.Kind.CALL, static_list=both,
        group=group_a, now=NOW,
    )  # fmt: skip
    assert list(built.entries.values_list("person_id", flat=True)) == [ours.pk]  # type: ignore[attr-defined]
    assert set(contact_lists_visible(leader_a)) == {built}
    assert not contact_lists_visible(leader_b).exists()
    with pytest.raises(PermissionDenied):
        contact_list_create(actor=leader_b, name="Not mine", kind=ContactList.Kind.CALL,
                            static_list=both, group=group_a, now=NOW)  # fmt: skip


def test_a_survey_with_a_bad_question_is_refused(staff_user):
    with pytest.raises(ValidationError) as refused:
        survey_create(
            actor=staff_user,
            name="Broken",
            questions=[QuestionPlan("Pick", Question.Kind.SINGLE, ["Only one"])],
        )
    assert "question 1" in refused.value.message_dict
