"""Pathways: reaching a rung suggests (or grants) a responsibility, and a granted one brings
its permissions — a host's events go live at once, a caller works the group's call lists, a
team leader gets a team of their own and sees only it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ladder.actions.events import event_propose
from ladder.actions.models import ActionPage
from ladder.activity.catalogue import ActivityType as T
from ladder.core.models import Role
from ladder.core.testing import make_user
from ladder.ladders.models import Ladder, Responsibility, ResponsibilityKind, Rung
from ladder.ladders.pathways import (
    responsibilities_waiting,
    responsibility_decline,
    responsibility_grant,
)
from ladder.ladders.placement import ladders_recompute
from ladder.ladders.tests.test_placement import did, fold, make_ladder, record, stat
from ladder.organizing.models import ContactList
from ladder.organizing.selectors import contact_lists_visible
from ladder.organizing.tests.test_call_lists import caller
from ladder.people.models import Group
from ladder.people.selectors import visible_people

pytestmark = pytest.mark.django_db


@pytest.fixture
def pathway(db) -> Ladder:
    ladder = make_ladder(
        "organizer",
        [
            ("Signed up", did([T.PETITION_SIGNATURE, T.WEB_SIGNUP])),
            ("Attended", stat("events_attended", 1)),
            ("Volunteered", stat("shifts_done", 1)),
        ],
    )
    Rung.objects.filter(ladder=ladder, position=2).update(grants=ResponsibilityKind.HOST)
    Rung.objects.filter(ladder=ladder, position=3).update(
        grants=ResponsibilityKind.TEAM_LEADER, grants_automatically=True
    )
    return ladder


def held(person) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return dict(Responsibility.objects.filter(person=person).values_list("kind", "status"))


def test_reaching_a_rung_suggests_its_responsibility_once(pathway, two_groups, leader_a, leader_b):
    ana = caller(1, group=two_groups[0])
    record(ana, T.PETITION_SIGNATURE)
    fold()
    assert held(ana) == {}  # the bottom rung brings nothing
    record(ana, T.ATTENDANCE)
    fold()
    assert held(ana) == {"host": "suggested"}
    ladders_recompute()  # a recompute does not suggest it again
    assert Responsibility.objects.filter(person=ana).count() == 1
    # The leader of her group sees the suggestion; the other group's leader does not.
    assert [r.person_id for r in responsibilities_waiting(leader_a)] == [ana.pk]
    assert not responsibilities_waiting(leader_b).exists()
    suggestion = Responsibility.objects.get(person=ana)
    with pytest.raises(PermissionDenied):
        responsibility_grant(actor=leader_b, responsibility=suggestion)
    assert held(ana) == {"host": "suggested"}


def test_a_granted_host_publishes_events_without_waiting_for_staff(pathway, two_groups, leader_a):
    ana = caller(1, group=two_groups[0])
    record(ana, T.ATTENDANCE)
    fold()
    start = timezone.now() + dt.timedelta(days=7)

    def propose(title: str) -> ActionPage:
        return event_propose(
            email="p1@example.org", first_name="P1", title=title,
            starts_at=start, ends_at=start + dt.timedelta(hours=2),
        )  # fmt: skip

    assert propose("Before").status == ActionPage.Status.DRAFT  # waits for staff
    responsibility_grant(actor=leader_a, responsibility=Responsibility.objects.get(person=ana))
    assert held(ana) == {"host": "granted"}
    assert propose("After").status == ActionPage.Status.PUBLISHED


def test_a_rung_that_grants_at_once_makes_a_team_leader_over_their_own_team(
    pathway, two_groups, leader_a
):
    group_a = two_groups[0]
    tess = make_user("tess", Role.VOLUNTEER)
    ana = caller(1, group=group_a)
    ana.user = tess
    ana.save(update_fields=["user"])
    caller(2, group=group_a)  # in the group, not in Tess's team
    record(ana, T.SHIFT_COMPLETED)
    fold()
    # Jumping from nothing to the top rung passes the host rung too: both are suggested, and
    # the top rung's team leadership is granted at once.
    assert held(ana) == {"host": "suggested", "team_leader": "granted"}
    tess.refresh_from_db()
    assert tess.role == Role.LEADER
    team = Group.objects.get(leaders=tess)
    assert team.parent == group_a and team.kind == Group.Kind.TEAM
    assert set(visible_people(tess)) == {ana}  # the team is hers alone until she grows it
    assert visible_people(leader_a).filter(pk=ana.pk).exists()


def test_without_a_login_a_grant_waits_and_says_why(pathway, two_groups, leader_a):
    ana = caller(1, group=two_groups[0])
    record(ana, T.SHIFT_COMPLETED)
    fold()
    team = Responsibility.objects.get(person=ana, kind=ResponsibilityKind.TEAM_LEADER)
    assert team.status == Responsibility.Status.SUGGESTED
    assert team.note.startswith("Needs a login")
    with pytest.raises(ValidationError, match="Needs a login"):
        responsibility_grant(actor=leader_a, responsibility=team)
    assert not Group.objects.filter(kind=Group.Kind.TEAM).exists()


def test_a_granted_caller_works_every_call_list_of_their_group(two_groups, leader_a):
    group_a, group_b = two_groups
    vera = make_user("vera", Role.VOLUNTEER)
    ana = caller(1, group=group_a)
    ana.user = vera
    ana.save(update_fields=["user"])
    ours = ContactList.objects.create(name="Ours", kind=ContactList.Kind.CALL, group=group_a)
    theirs = ContactList.objects.create(name="Theirs", kind=ContactList.Kind.CALL, group=group_b)
    ContactList.objects.create(name="Doors", kind=ContactList.Kind.WALK, group=group_a)
    assert not contact_lists_visible(vera).exists()
    suggestion = Responsibility.objects.create(
        person=ana, kind=ResponsibilityKind.CALLER, suggested_at=timezone.now()
    )
    responsibility_decline(actor=leader_a, responsibility=suggestion)
    assert not contact_lists_visible(vera).exists()
    responsibility_grant(actor=leader_a, responsibility=suggestion)
    assert list(contact_lists_visible(vera)) == [ours]
    assert theirs not in contact_lists_visible(vera)
