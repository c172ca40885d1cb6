from __future__ import annotations

import pytest
from django.http import Http404

from ladder.core.models import Role
from ladder.core.testing import make_user
from ladder.people.models import Group
from ladder.people.selectors import people_search, person_for, visible_people
from ladder.people.services import group_add_person, person_create

pytestmark = pytest.mark.django_db


def test_leader_sees_only_their_groups(leader_a, person_in_a, person_in_b):
    assert list(visible_people(leader_a)) == [person_in_a]
    assert visible_people(leader_a).count() == 1


def test_leader_cannot_open_or_search_person_only_in_other_group(
    leader_a, person_in_a, person_in_b
):
    with pytest.raises(Http404):
        person_for(leader_a, person_in_b.pk)
    for query in ("bert", "bishop", "bert@example.org", "(515) 555-0199", ""):
        found = people_search(leader_a, query=query).people
        assert person_in_b not in found, query


def test_leader_sees_nested_groups_and_own_recruits(leader_a, two_groups, person_in_b):
    sub = Group.objects.create(name="Drake U.", slug="drake", parent=two_groups[0])
    nested = person_create(actor=None, first_name="Nia", last_name="Nested")
    group_add_person(actor=None, group=sub, person=nested)
    own = person_create(actor=None, first_name="Lena", last_name="Leader", user=leader_a)
    recruit = person_create(actor=None, first_name="Rae", last_name="Recruit", recruited_by=own)
    visible = set(visible_people(leader_a))
    assert {nested, recruit} <= visible
    assert person_in_b not in visible


def test_volunteer_sees_only_assigned(person_in_a, person_in_b):
    volunteer = make_user("val", Role.VOLUNTEER)
    assert visible_people(volunteer).count() == 0
    person_in_a.point_person = volunteer
    person_in_a.save()
    assert list(visible_people(volunteer)) == [person_in_a]


def test_staff_sees_everyone_but_merged(staff_user, person_in_a, person_in_b):
    assert visible_people(staff_user).count() == 2
    person_in_b.merged_into = person_in_a
    person_in_b.save()
    assert list(visible_people(staff_user)) == [person_in_a]


def test_search_by_name_email_phone(staff_user, person_in_a, person_in_b):
    assert people_search(staff_user, query="Bishop").people == [person_in_b]
    assert people_search(staff_user, query="bert bishop").people == [person_in_b]
    assert people_search(staff_user, query="alma@").people == [person_in_a]
    assert people_search(staff_user, query="+1 515 555 0199").people == [person_in_b]


def test_keyset_paging_visits_everyone_once(staff_user):
    for i in range(7):
        person_create(actor=None, first_name=f"P{i}", last_name="Page")
    seen: list = []
    after = None
    while True:
        page = people_search(staff_user, query="page", after=after, limit=3)
        seen += page.people
        if page.next_after is None:
            break
        after = page.next_after
    assert len(seen) == 7 and len(set(seen)) == 7
