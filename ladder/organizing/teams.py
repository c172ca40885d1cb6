"""Organizing organizers: a leader hands part of their group to a volunteer as a team of their
own. The team is a group nested under the leader's; its new leader gets the leader's tools
(segments, lists, asks, call and walk lists) over the team only, and the leader above still
sees everyone in it (a leader sees the groups nested under theirs)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from ladder.actions.services import unique_slug
from ladder.core.models import Role, User
from ladder.organizing.relational import volunteer_person
from ladder.people.models import Group, Person
from ladder.people.selectors import led_group_ids, visible_people
from ladder.people.services import group_add_person


@transaction.atomic
def team_create(
    *, actor: User, parent: Group, name: str, leader: User, members: Iterable[Person] = ()
) -> Group:
    """A team under ``parent`` led by ``leader``, holding ``members`` (people the actor can
    see). A volunteer handed a team becomes a leader; staff and admins keep their role."""
    if not (actor.sees_everyone or parent.pk in led_group_ids(actor)):
        raise PermissionDenied("You can only make teams inside a group you lead.")
    if not name.strip():
        raise ValidationError({"name": "Give the team a name."})
    if not leader.is_active:
        raise ValidationError({"leader": "That login is not active."})
    people = list(members)
    reachable = set(
        visible_people(actor).filter(pk__in=[p.pk for p in people]).values_list("pk", flat=True)
    )
    if len(reachable) != len({p.pk for p in people}):
        raise ValidationError({"members": "Only people you can see can join the team."})
    return _team(parent=parent, name=name, leader=leader, members=people, actor=actor)


def _team(
    *, parent: Group, name: str, leader: User, members: Iterable[Person], actor: User | None
) -> Group:
    team = Group.objects.create(
        name=name.strip()[:200], slug=unique_slug(Group, f"{parent.slug} {name}", length=90),
        kind=Group.Kind.TEAM, parent=parent,
    )  # fmt: skip
    team.leaders.add(leader)
    if leader.role == Role.VOLUNTEER:
        leader.role = Role.LEADER
        leader.save(update_fields=["role"])
    for person in [volunteer_person(leader), *members]:
        group_add_person(actor=actor, group=team, person=person)
    return team


@transaction.atomic
def team_for_new_leader(*, person: Person, parent: Group, granted_by: User | None) -> Group:
    """The team a person gets when the "team leader" responsibility is granted to them (by a
    leader, or by the rung itself): empty but for them, under ``parent``, led by their login.
    Granting twice gives one team."""
    leader = person.user
    if leader is None:
        raise ValidationError("A team leader needs a login.")
    existing = Group.objects.filter(parent=parent, kind=Group.Kind.TEAM, leaders=leader).first()
    if existing is not None:
        return existing
    name = f"{person.first_name or leader.username}'s team"
    return _team(parent=parent, name=name, leader=leader, members=(), actor=granted_by)
