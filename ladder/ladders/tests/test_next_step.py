"""The next step: chosen by channel habits, place and earlier answers, with its reasons."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from ladder.activity.catalogue import ActivityType as T
from ladder.activity.services import activity_record
from ladder.ladders.models import Ladder, Rung, RungPlacement
from ladder.ladders.next_step import channel_habits, next_step_for
from ladder.people.models import Person

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def act(person: Person, type: str, days: float = 5, **fields: Any) -> None:
    activity_record(person=person, type=type, occurred_at=NOW - dt.timedelta(days=days), **fields)


@pytest.fixture
def rung(db) -> Rung:
    ladder = Ladder.objects.create(name="Volunteer", slug="volunteer")
    steps = [
        {"text": "Ask them to a house party in {city} about {issue}", "channel": "events"},
        {"text": "Ask them to captain a phone bank", "channel": "calls"},
        {"text": "Ask them to give monthly", "channel": "giving"},
        {"text": "Send the {chapter} newsletter", "channel": "email"},
    ]
    rung = Rung.objects.create(ladder=ladder, position=1, name="Attended", criteria={},
                               next_steps=steps)  # fmt: skip
    Rung.objects.create(ladder=ladder, position=2, name="Captain", criteria={})
    return rung


def place(person: Person, rung: Rung) -> None:
    RungPlacement.objects.create(person=person, ladder=rung.ladder, rung=rung, since=NOW)


def test_nobody_on_a_ladder_gets_no_step(person_in_a):
    assert next_step_for(person_in_a) is None


def test_someone_who_answers_calls_gets_the_call_step(rung, person_in_a):
    place(person_in_a, rung)
    for days in (3, 20, 40):
        act(person_in_a, T.CALL, days, result="talked")
    act(person_in_a, T.EMAIL_SENT)
    step = next_step_for(person_in_a, now=NOW)
    assert step is not None and step.channel == "calls"
    assert step.text == "Ask them to captain a phone bank"
    assert "answered 3 of 3 calls this year" in step.why
    assert step.why.startswith("on “Attended” of the Volunteer ladder")


def test_event_goer_gets_a_local_event_with_their_issue(rung, person_in_a, two_groups):
    person_in_a.home_group = two_groups[0]
    person_in_a.save(update_fields=["home_group"])
    from ladder.people.models import Address

    Address.objects.create(person=person_in_a, locality="Des Moines", is_primary=True)
    place(person_in_a, rung)
    act(person_in_a, T.ATTENDANCE, 10)
    act(person_in_a, T.ATTENDANCE, 50)
    act(person_in_a, T.CALL, 5, result="not_home")
    act(person_in_a, T.SURVEY_RESPONSE, 30, payload={"question": "Top issue", "answer": "rent"})
    step = next_step_for(person_in_a, now=NOW)
    assert step is not None
    assert step.text == "Ask them to a house party in Des Moines about rent"
    assert "came to 2 events this year" in step.why
    assert "told us their top issue is rent" in step.why
    assert "lives in Des Moines (Des Moines)" in step.why
    habits = channel_habits(person_in_a, now=NOW)
    assert habits.fit["calls"] == 0.0 and habits.fit["events"] == 1.0


def test_a_leaning_against_answer_holds_back_giving(rung, person_in_a):
    place(person_in_a, rung)
    act(person_in_a, T.DONATION, 10)
    act(person_in_a, T.DONATION, 20)
    assert next_step_for(person_in_a, now=NOW).channel == "giving"  # type: ignore[union-attr]
    act(person_in_a, T.SURVEY_RESPONSE, 1, payload={"question": "Support score", "answer": "5"})
    step = next_step_for(person_in_a, now=NOW)
    assert step is not None and step.channel != "giving"


def test_a_rung_without_steps_points_up(rung, person_in_a):
    rung.next_steps = []
    rung.save()
    place(person_in_a, rung)
    step = next_step_for(person_in_a, now=NOW)
    assert step is not None and step.text == "Invite them to step up to “Captain”"
