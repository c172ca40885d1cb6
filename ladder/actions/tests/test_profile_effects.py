"""Every kind of action lands on the person's profile: its timeline shows it, the rollups move
and a ladder can promote them — signing, answering a form, RSVPing and coming, giving."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from ladder.actions.events import check_in, rsvp_take
from ladder.actions.gifts import pledge_take
from ladder.actions.services import action_take
from ladder.actions.tests.testing import make_campaign, make_event, make_page
from ladder.activity.catalogue import ActivityType as T
from ladder.activity.models import PersonStats
from ladder.activity.rollups import rollups_update
from ladder.ladders.models import Ladder, Rung, RungPlacement
from ladder.ladders.placement import ladders_update
from ladder.people.models import Person

pytestmark = pytest.mark.django_db


def fold() -> None:
    while rollups_update(now=timezone.now() + dt.timedelta(minutes=1)):
        pass
    while ladders_update():
        pass


def stat(field: str, value: int) -> dict[str, object]:
    return {"version": 1, "match": {"kind": "stat", "field": field, "op": "gte", "value": value}}


def test_each_action_shows_on_the_timeline_moves_rollups_and_promotes(staff_user):
    ladder = Ladder.objects.create(name="Volunteer", slug="volunteer")
    for position, (name, criteria) in enumerate([
        ("Signed", {"version": 1, "match": {"kind": "activity", "types": [T.PETITION_SIGNATURE]}}),
        ("Gave", stat("gifts_count", 1)),
        ("Showed up", stat("events_attended", 1)),
    ], start=1):  # fmt: skip
        Rung.objects.create(ladder=ladder, position=position, name=name, criteria=criteria)
    email = "rosa@example.org"

    action_take(page=make_page(staff_user), token="a", email=email, first_name="Rosa")
    fold()
    person = Person.objects.get()
    assert RungPlacement.objects.get(person=person).rung.name == "Signed"

    action_take(page=make_page(staff_user, kind="form", title="Volunteer form"), token="b",
                email=email)  # fmt: skip
    pledge_take(page=make_campaign(staff_user), token="c", amount=Decimal("30"), email=email)
    fold()
    assert RungPlacement.objects.get(person=person).rung.name == "Gave"

    shift = make_event(staff_user).event.shifts.get()
    rsvp = rsvp_take(shift=shift, email=email).rsvp
    check_in(rsvp=rsvp)
    fold()
    assert RungPlacement.objects.get(person=person).rung.name == "Showed up"

    stats = PersonStats.objects.get(person=person)
    assert (stats.gifts_count, stats.given_total, stats.events_attended, stats.shifts_done) == (
        1, Decimal("30.00"), 1, 1)  # fmt: skip
    assert stats.actions_total >= 5  # signed, form, gift, RSVP, attended, shift

    client = Client()
    client.force_login(staff_user)
    timeline = client.get(f"/people/{person.pk}/").content.decode()
    for kind in (T.PETITION_SIGNATURE, T.FORM_SUBMISSION, T.DONATION, T.RSVP, T.ATTENDANCE,
                 T.SHIFT_COMPLETED, T.LEVEL_CHANGE):  # fmt: skip
        assert f'data-type="{kind}"' in timeline, kind
    assert "Fully fund our schools" in timeline and "Saturday canvass" in timeline
