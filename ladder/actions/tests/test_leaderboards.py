"""Leaderboards (recruiters, fundraisers, volunteers by shifts, hours, calls and doors) per group
and window, scoped to the viewer; and a volunteer's own goal and their progress towards it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from ladder.actions.events import check_in, rsvp_take
from ladder.actions.gifts import fundraiser_create, pledge_take
from ladder.actions.leaderboards import leaderboard, person_progress
from ladder.actions.models import PersonalGoal
from ladder.actions.tests.testing import make_campaign, make_event
from ladder.activity.catalogue import ActivityType as T
from ladder.activity.services import activity_record
from ladder.core.models import Role
from ladder.core.services import user_create
from ladder.people.models import Person
from ladder.people.services import group_add_person, person_create

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def recruit(recruiter: Person, n: int, days_ago: int = 1) -> None:
    recruit = person_create(actor=None, first_name=f"R{n}")
    activity_record(person=recruiter, type=T.RECRUITED, payload={"recruit_id": recruit.pk},
                    occurred_at=NOW - dt.timedelta(days=days_ago))  # fmt: skip


def test_boards_rank_by_metric_window_and_group(staff_user, two_groups, person_in_a, person_in_b):
    for n in range(3):
        recruit(person_in_a, n)
    recruit(person_in_b, 9)
    recruit(person_in_b, 10, days_ago=60)  # outside the month
    month = NOW - dt.timedelta(days=30)
    board = leaderboard("recruits", user=staff_user, since=month)
    assert [(r.person.first_name, r.value) for r in board] == [("Alma", 3), ("Bert", 1)]
    assert [r.value for r in leaderboard("recruits", user=staff_user)] == [3, 2]
    in_b = leaderboard("recruits", user=staff_user, group=two_groups[1])
    assert [r.person.first_name for r in in_b] == ["Bert"]


def test_raised_shifts_hours_doors(staff_user):
    campaign = make_campaign(staff_user)
    page, _ = fundraiser_create(campaign=campaign, email="rosa@example.org", first_name="Rosa",
                                goal=Decimal("100"))  # fmt: skip
    for n, amount in enumerate(("20", "30")):
        pledge_take(page=campaign, token=f"t{n}", amount=Decimal(amount),
                    email=f"d{n}@example.org", fundraiser=page)  # fmt: skip
    rosa = page.owner
    assert [(r.person, r.value) for r in leaderboard("raised", user=staff_user)] == [
        (rosa, Decimal("50"))]  # fmt: skip
    shift = make_event(staff_user, capacity=5).event.shifts.get()
    rsvp = rsvp_take(shift=shift, email="rosa@example.org").rsvp
    check_in(rsvp=rsvp)
    assert leaderboard("shifts", user=staff_user)[0].value == 1
    assert leaderboard("hours", user=staff_user)[0].value == 3.0  # a 3-hour shift
    login = user_create(username="rosa", role=Role.VOLUNTEER, password="x", validate=False)
    Person.objects.filter(pk=rosa.pk).update(user=login)
    target = person_create(actor=None, first_name="Door")
    for _ in range(4):
        activity_record(person=target, type=T.DOOR_KNOCK, actor=login, result="not_home")
    assert [(r.person.pk, r.value) for r in leaderboard("doors", user=staff_user)] == [
        (rosa.pk, 4)]  # fmt: skip
    assert person_progress(rosa, "doors", NOW - dt.timedelta(days=1)) == 4


def test_a_leader_sees_only_their_people_on_the_board(leader_a, person_in_a, person_in_b):
    recruit(person_in_a, 1)
    recruit(person_in_b, 2)
    client = Client()
    client.force_login(leader_a)
    page = client.get("/actions/leaderboards/", {"metric": "recruits", "window": "all"})
    html = page.content.decode()
    assert "Alma Avery" in html and "Bert Bishop" not in html


def test_a_volunteer_sets_a_goal_and_sees_progress(two_groups):
    login = user_create(username="vic", role=Role.VOLUNTEER, password="x", validate=False)
    me = person_create(actor=None, first_name="Vic", email="vic@example.org")
    Person.objects.filter(pk=me.pk).update(user=login)
    group_add_person(actor=None, group=two_groups[0], person=me)
    client = Client()
    client.force_login(login)
    bad = client.post("/me/", {"metric": "doors", "target": "0", "days": "7"})
    assert "Ensure this value is greater than or equal to 1" in bad.content.decode()
    client.post("/me/", {"metric": "doors", "target": "50", "days": "7"})
    goal = PersonalGoal.objects.get()
    assert (goal.metric, goal.target) == ("doors", 50)
    target = person_create(actor=None, first_name="Door")
    for _ in range(10):
        activity_record(person=target, type=T.DOOR_KNOCK, actor=login, result="talked")
    page = client.get("/me/").content.decode()
    assert "50 doors knocked" in page and 'data-done="10"' in page and "width: 20%" in page
    # A login with no supporter record gets a clear sentence, not an error.
    other = user_create(username="nobody", role=Role.VOLUNTEER, password="x", validate=False)
    client.force_login(other)
    assert "not linked to a supporter record" in client.get("/me/").content.decode()
