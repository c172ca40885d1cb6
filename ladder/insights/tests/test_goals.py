"""Goals measured from the rollups and what they have not folded yet: progress, pace, projection
and the trend; scoped to a group and its teams; set only within one's reach; bad input answered
next to its field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders
from django.utils import timezone

from ladder.activity.catalogue import ActivityType as T
from ladder.activity.rollups import rollups_update
from ladder.activity.services import activity_record, contact_log
from ladder.insights.goals import goal_create, goal_progress, goals_visible
from ladder.insights.models import Goal, Metric
from ladder.people.services import group_add_person, person_create
from ladder.web.tests.conftest import logged_in

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def _goal(actor, **fields) -> Goal:  # type: ignore[no-untyped-def]
    values = {"name": "Doors", "metric": Metric.DOORS_KNOCKED, "target": Decimal(10),
              "starts_on": TODAY - dt.timedelta(days=4),
              "deadline": TODAY + dt.timedelta(days=5), **fields}  # fmt: skip
    return goal_create(actor=actor, **values)


def _fold() -> None:
    while rollups_update(now=timezone.now() + dt.timedelta(minutes=5)):
        pass


def _knock(person, days_ago: int = 0):  # type: ignore[no-untyped-def]
    when = timezone.now() - dt.timedelta(days=days_ago)
    return contact_log(actor=None, person=person, kind=T.DOOR_KNOCK, result="talked",
                       occurred_at=when)  # fmt: skip


def test_progress_pace_and_projection_count_folded_and_fresh_activity(staff_user, person_in_a):
    goal = _goal(staff_user)
    _knock(person_in_a, days_ago=2)
    _knock(person_in_a, days_ago=2)
    _fold()
    _knock(person_in_a)  # not folded yet: it counts at once
    p = goal_progress(goal)
    assert (p.days_total, p.days_elapsed, p.days_left) == (10, 5, 5)
    assert p.done == 3 and p.percent == 30
    assert p.pace_so_far == Decimal("0.6") and p.projection == Decimal("6")
    assert p.pace_needed == Decimal("1.4") and not p.on_track
    assert [v for _, v in p.series] == [0, 0, 2, 2, 3]
    # Before the window and outside the type: nothing.
    _knock(person_in_a, days_ago=9)
    activity_record(person=person_in_a, type=T.CALL)
    assert goal_progress(goal).done == 3


def test_a_groups_goal_counts_its_people_and_teams_only(staff_user, two_groups, person_in_a,
                                                       person_in_b):  # fmt: skip
    a, b = two_groups
    team = type(a).objects.create(name="A team", slug="a-team", parent=a, kind="team")
    member = person_create(actor=None, first_name="Tea", last_name="Mate", email="t@ex.org")
    group_add_person(actor=None, group=team, person=member)
    type(member).objects.filter(pk=member.pk).update(home_group=team)
    type(person_in_a).objects.filter(pk=person_in_a.pk).update(home_group=a)
    type(person_in_b).objects.filter(pk=person_in_b.pk).update(home_group=b)
    goal = _goal(staff_user, group=a)
    for person in (person_in_a, member, person_in_b):
        _knock(person, days_ago=1)
    _fold()
    _knock(person_in_b)
    assert goal_progress(goal).done == 2
    assert goal_progress(_goal(staff_user, name="All doors")).done == 4


def test_money_new_supporters_and_a_rung(staff_user, person_in_a):
    activity_record(person=person_in_a, type=T.DONATION, amount=Decimal("25.50"))
    activity_record(person=person_in_a, type=T.DONATION, amount=Decimal("74.50"))
    money = goal_progress(_goal(staff_user, name="Money", metric=Metric.MONEY_RAISED,
                                target=Decimal(1000)))  # fmt: skip
    assert money.done == Decimal("100.00") and money.goal.is_money
    joined = goal_progress(_goal(staff_user, name="New", metric=Metric.NEW_SUPPORTERS))
    assert joined.done == 1  # person_in_a, made today
    count = goal_progress(_goal(staff_user, name="Gifts", metric=Metric.ACTIVITY_COUNT,
                                activity_type=T.DONATION))  # fmt: skip
    assert count.done == 2


def test_leaders_see_and_set_goals_only_within_their_reach(staff_user, leader_a, leader_b,
                                                          two_groups):  # fmt: skip
    a = two_groups[0]
    everyone = _goal(staff_user, name="Everyone's doors")
    theirs = _goal(leader_a, name="Des Moines doors", group=a)
    assert set(goals_visible(leader_b)) == {everyone}
    assert set(goals_visible(leader_a)) == {everyone, theirs}
    client = logged_in(leader_b)
    assert client.get(f"/insights/goals/{theirs.pk}/").status_code == 404
    assert "Des Moines doors" not in client.get("/insights/goals/").content.decode()
    refused = client.post("/insights/goals/", {
        "name": "Sneaky", "metric": Metric.DOORS_KNOCKED, "group": a.pk, "target": "5",
        "starts_on": TODAY.isoformat(), "deadline": TODAY.isoformat(),
    })  # fmt: skip
    assert refused.status_code == 400 and not Goal.objects.filter(name="Sneaky").exists()
    with pytest.raises(Exception, match="groups you lead"):
        _goal(leader_b, name="Sneaky", group=a)
    with pytest.raises(Exception, match="set by staff"):
        _goal(leader_b, name="Sneaky")
    assert client.post(f"/insights/goals/{everyone.pk}/archive/").status_code == 404


def test_bad_input_is_answered_next_to_its_field(staff_user):
    client = logged_in(staff_user)
    page = client.post("/insights/goals/", {
        "name": "Bad", "metric": Metric.ACTIVITY_COUNT, "target": "0",
        "starts_on": TODAY.isoformat(), "deadline": (TODAY - dt.timedelta(days=1)).isoformat(),
    })  # fmt: skip
    text = page.content.decode()
    assert page.status_code == 400 and not Goal.objects.exists()
    assert "greater than or equal to 0.01" in text
    fixed = client.post("/insights/goals/", {
        "name": "Bad", "metric": Metric.ACTIVITY_COUNT, "target": "5",
        "starts_on": TODAY.isoformat(), "deadline": (TODAY - dt.timedelta(days=1)).isoformat(),
    })  # fmt: skip
    text = fixed.content.decode()
    assert "Choose which activity to count." in text and "The deadline comes after" in text
    assert not Goal.objects.exists()
    assert logged_in(staff_user).get("/insights/goals/999/").status_code == 404


def test_volunteers_cannot_open_goals(db):
    from ladder.core.models import Role
    from ladder.core.testing import make_user

    assert logged_in(make_user("vee", Role.VOLUNTEER)).get("/insights/goals/").status_code == 403


def test_plotly_comes_from_the_installed_package():
    found = finders.find("vendor/plotly.min.js")
    assert found and str(found).endswith("plotly/package_data/plotly.min.js")
    assert finders.find("vendor/widgetbundle.js") is None


def test_a_group_page_shows_its_goals_and_no_other_groups(staff_user, leader_a, two_groups):
    a, b = two_groups
    _goal(staff_user, name="Des Moines doors", group=a)
    _goal(staff_user, name="Cedar Rapids doors", group=b)
    page = logged_in(leader_a).get(f"/organize/groups/{a.pk}/").content.decode()
    assert "Des Moines doors" in page and "Cedar Rapids doors" not in page
    assert logged_in(leader_a).get(f"/organize/groups/{b.pk}/").status_code == 404
