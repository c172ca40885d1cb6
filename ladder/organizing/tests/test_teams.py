"""Teams: a leader hands part of their group to a volunteer, who then sees only the team —
in people, counts and the lists they build — while the leader above still sees it all."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ladder.core.models import Role
from ladder.core.testing import make_user
from ladder.organizing.models import ContactList
from ladder.organizing.services import contact_list_create
from ladder.organizing.teams import team_create
from ladder.organizing.tests.test_call_lists import caller, universe
from ladder.people.selectors import visible_people

pytestmark = pytest.mark.django_db


def test_a_team_leader_sees_only_the_team_and_the_leader_above_sees_all(
    two_groups, leader_a, leader_b
):
    group_a, _ = two_groups
    ana, ben, cy = (caller(n, group=group_a) for n in (1, 2, 3))
    volunteer = make_user("tess", Role.VOLUNTEER)
    team = team_create(actor=leader_a, parent=group_a, name="East side", leader=volunteer,
                       members=[ana, ben])  # fmt: skip
    volunteer.refresh_from_db()
    assert volunteer.role == Role.LEADER and team.parent == group_a
    theirs = set(visible_people(volunteer).values_list("first_name", flat=True))
    assert theirs == {"P1", "P2", "tess"}
    assert {"P1", "P2", "P3"} <= set(visible_people(leader_a).values_list("first_name", flat=True))
    assert not visible_people(leader_b).filter(pk__in=[ana.pk, ben.pk, cy.pk]).exists()
    # The lists the team leader builds hold only the team, whatever the universe holds.
    everyone = universe(leader_a, [ana, ben, cy], group=group_a)
    built = contact_list_create(actor=volunteer, name="Team calls", kind=ContactList.Kind.CALL,
                                static_list=everyone, group=team)  # fmt: skip
    assert set(built.entries.values_list("person_id", flat=True)) == {ana.pk, ben.pk}  # type: ignore[attr-defined]


def test_only_a_leader_of_the_group_makes_teams_of_people_they_see(two_groups, leader_a, leader_b):
    group_a, group_b = two_groups
    ana = caller(1, group=group_a)
    bert = caller(2, group=group_b)
    volunteer = make_user("tess", Role.VOLUNTEER)
    with pytest.raises(PermissionDenied):
        team_create(actor=leader_b, parent=group_a, name="Not mine", leader=volunteer)
    with pytest.raises(ValidationError, match="Only people you can see"):
        team_create(actor=leader_a, parent=group_a, name="Mixed", leader=volunteer,
                    members=[ana, bert])  # fmt: skip
    volunteer.refresh_from_db()
    assert volunteer.role == Role.VOLUNTEER
