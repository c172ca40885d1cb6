"""Touch history on the profile: how many contacts in each channel, the latest with who made
them and the result, what the person said, who knows them, and when the policy next allows a
call or a knock."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from ladder.activity.catalogue import ActivityType
from ladder.activity.services import activity_record, contact_log
from ladder.core.models import Role
from ladder.core.testing import make_user
from ladder.organizing.relational import volunteer_person
from ladder.organizing.selectors import touch_history
from ladder.people.models import Relationship
from ladder.people.services import person_create

pytestmark = pytest.mark.django_db
NOW = timezone.make_aware(dt.datetime(2026, 12, 1, 18, 0))


def test_the_profile_shows_every_touch_who_knows_them_and_the_next_allowed_knock(
    client, staff_user
):
    volunteer = make_user("vera", Role.VOLUNTEER)
    rosa = person_create(actor=None, first_name="Rosa", last_name="Diaz", email="r@example.org")
    contact_log(actor=volunteer, person=rosa, kind=ActivityType.DOOR_KNOCK, result="talked",
                occurred_at=NOW - dt.timedelta(days=1))  # fmt: skip
    contact_log(actor=None, person=rosa, kind=ActivityType.CALL, result="not_home",
                occurred_at=NOW - dt.timedelta(days=40))  # fmt: skip
    activity_record(person=rosa, type=ActivityType.SURVEY_RESPONSE, actor=volunteer,
                    occurred_at=NOW - dt.timedelta(days=1),
                    payload={"question": "issue", "prompt": "What matters most?",
                             "answer": "Education"})  # fmt: skip
    Relationship.objects.create(knower=volunteer_person(volunteer), person=rosa)

    touches = touch_history(rosa, now=NOW)
    assert sorted(touches.counts) == [("Call", 1, 0), ("Door knock", 1, 1)]
    assert [a.type for a in touches.recent] == [ActivityType.DOOR_KNOCK, ActivityType.CALL]
    assert touches.recent[0].actor_id == volunteer.pk
    assert touches.next_field_contact == NOW + dt.timedelta(days=6)
    assert touches.known_by == ["vera"]

    client.force_login(staff_user)
    html = client.get(reverse("web:profile", args=[rosa.pk])).content.decode()
    touches_card = html.split('id="touches"', 1)[1].split("</section>", 1)[0]
    assert "Door knock" in touches_card and "by vera" in touches_card
    assert "“Education” — What matters most?" in touches_card
    assert "Known by vera" in touches_card
