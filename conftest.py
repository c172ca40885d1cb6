"""Fixtures shared by every app's tests: logins of each role, two groups with a leader each,
and people in them. Everything is real rows in the real test database."""

from __future__ import annotations

import pytest

from ladder.core.models import Role, User
from ladder.core.testing import PASSWORD, make_user
from ladder.people.models import Group, Person
from ladder.people.services import group_add_person, person_create

__all__ = ["PASSWORD", "make_user"]


@pytest.fixture
def admin_user(db) -> User:
    return make_user("ada", Role.ADMIN)


@pytest.fixture
def staff_user(db) -> User:
    return make_user("sam", Role.STAFF)


@pytest.fixture
def two_groups(db) -> tuple[Group, Group]:
    return (
        Group.objects.create(name="Des Moines", slug="des-moines"),
        Group.objects.create(name="Cedar Rapids", slug="cedar-rapids"),
    )


@pytest.fixture
def leader_a(two_groups) -> User:
    user = make_user("lena", Role.LEADER)
    two_groups[0].leaders.add(user)
    return user


@pytest.fixture
def leader_b(two_groups) -> User:
    user = make_user("bo", Role.LEADER)
    two_groups[1].leaders.add(user)
    return user


@pytest.fixture
def person_in_a(two_groups) -> Person:
    person = person_create(
        actor=None, first_name="Alma", last_name="Avery", email="alma@example.org"
    )
    group_add_person(actor=None, group=two_groups[0], person=person)
    return person


@pytest.fixture
def person_in_b(two_groups) -> Person:
    person = person_create(
        actor=None, first_name="Bert", last_name="Bishop", email="bert@example.org",
        phone="515-555-0199",
    )  # fmt: skip
    group_add_person(actor=None, group=two_groups[1], person=person)
    return person
