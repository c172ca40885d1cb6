"""Who may do what on the staff screens, beyond seeing a person (which `person_for` decides).

Seeing a person is scoping (`ladder.people.selectors`); this module only adds the second
question, what a user may change about someone they can already see:

- notes and logged contacts: anyone who can see the person — a volunteer records the calls and
  doors of the people assigned to them;
- tags, fields, custom fields, emails and phones: admins, staff and leaders. Volunteers work
  lists; they do not edit records, which keeps bad data out of everyone else's universes.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from ladder.core.models import Role, User


def can_edit_person(user: User) -> bool:
    return user.is_active and (user.sees_everyone or user.role == Role.LEADER)


def require_edit(user: User) -> None:
    if not can_edit_person(user):
        raise PermissionDenied("Only staff and leaders edit people's records.")
