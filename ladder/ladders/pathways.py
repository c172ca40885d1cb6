"""Pathways that grow organizers: a rung can carry a responsibility (event host, caller, team
leader). Reaching it — or jumping past it — suggests the responsibility to the person's leaders,
who grant it or say "not now"; a rung marked ``grants_automatically`` grants it at once.

What a granted responsibility lets the person do:

* **host** — the events they propose go live without waiting for staff (they get the
  ``LADDER_TRUSTED_HOST_TAG`` tag the event proposal already trusts);
* **caller** — their login may work every call list of their groups, not only those open to
  the group or assigned to them (`ladder.organizing.selectors.contact_lists_visible`);
* **team leader** — a team of their own under their home group, which makes their login a
  leader over it (`ladder.organizing.teams`).

Callers and team leaders need a login; until the person has one, a grant stays a suggestion
with a note saying so. Suggestions are written set-based from the placement pass's moves table
(`suggest_from_moves`), once per person and kind: a declined suggestion is not made again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from ladder.core.models import User
from ladder.ladders.models import Responsibility, ResponsibilityKind, Rung
from ladder.people.models import Person
from ladder.people.selectors import visible_people
from ladder.people.services import tag_add

_q = connection.ops.quote_name
RESP = _q(Responsibility._meta.db_table)
RUNG = _q(Rung._meta.db_table)
NEEDS_LOGIN = (ResponsibilityKind.CALLER, ResponsibilityKind.TEAM_LEADER)


def suggest_from_moves(moves_table: str, rungs: Sequence[Rung], now: dt.datetime) -> int:
    """Suggest (or grant) the responsibilities of every rung a moving person reached or passed
    on the way up. ``moves_table`` holds (pid, from_rung, to_rung) rows of one ladder."""
    granting = [r for r in rungs if r.grants]
    if not granting:
        return 0
    positions = {r.pk: r.position for r in rungs}
    case = " ".join(f"WHEN {int(pk)} THEN {int(pos)}" for pk, pos in positions.items())
    at = connection.ops.adapt_datetimefield_value(now)
    ids = ", ".join(str(int(r.pk)) for r in granting)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
INSERT INTO {RESP} (person_id, kind, status, rung_id, suggested_at, note)
SELECT m.pid, r.grants, %s, MIN(r.id), %s, ''
FROM {moves_table} m JOIN {RUNG} r ON r.id IN ({ids})
WHERE m.to_rung IS NOT NULL
  AND r.position <= (CASE m.to_rung {case} END)
  AND r.position > COALESCE((CASE m.from_rung {case} END), 0)
GROUP BY m.pid, r.grants
ON CONFLICT (person_id, kind) DO NOTHING""",
            [Responsibility.Status.SUGGESTED.value, at],
        )
        made = cursor.rowcount
    automatic = [r.pk for r in granting if r.grants_automatically]
    if automatic and made:
        fresh = Responsibility.objects.filter(
            status=Responsibility.Status.SUGGESTED, suggested_at=now, rung_id__in=automatic
        ).select_related("person")
        for responsibility in fresh:
            _carry_out(responsibility, actor=None, now=now, strict=False)
    return max(made, 0)


def responsibilities_waiting(user: User) -> QuerySet[Responsibility]:
    """Suggestions for people ``user`` may see, newest first."""
    return (
        Responsibility.objects.filter(
            status=Responsibility.Status.SUGGESTED,
            person__in=visible_people(user),
        )
        .select_related("person", "rung__ladder")
        .order_by("-suggested_at", "-pk")
    )


def responsibilities_held(person: Person) -> list[str]:
    return list(
        person.responsibilities.filter(status=Responsibility.Status.GRANTED)  # type: ignore[attr-defined]
        .order_by("kind")
        .values_list("kind", flat=True)
    )


def _may_decide(actor: User, responsibility: Responsibility) -> bool:
    if not (actor.is_active and (actor.sees_everyone or actor.led_groups.exists())):
        return False
    return visible_people(actor).filter(pk=responsibility.person_id).exists()


@transaction.atomic
def responsibility_grant(*, actor: User, responsibility: Responsibility) -> Responsibility:
    """Grant a suggested (or earlier declined) responsibility; raises ValidationError when it
    cannot be carried out yet (no login, no group) and leaves it suggested with the reason."""
    if not _may_decide(actor, responsibility):
        raise PermissionDenied("Only a leader who sees this person can grant that.")
    responsibility = Responsibility.objects.select_for_update().get(pk=responsibility.pk)
    if responsibility.status == Responsibility.Status.GRANTED:
        return responsibility
    return _carry_out(responsibility, actor=actor, now=timezone.now(), strict=True)


@transaction.atomic
def responsibility_decline(*, actor: User, responsibility: Responsibility) -> Responsibility:
    if not _may_decide(actor, responsibility):
        raise PermissionDenied("Only a leader who sees this person can decide that.")
    Responsibility.objects.filter(pk=responsibility.pk).update(
        status=Responsibility.Status.DECLINED, decided_at=timezone.now(), decided_by=actor
    )
    responsibility.refresh_from_db()
    return responsibility


def _blocker(responsibility: Responsibility) -> str:
    person = responsibility.person
    if responsibility.kind in NEEDS_LOGIN and person.user_id is None:
        return "Needs a login first: invite them, then grant it."
    if responsibility.kind == ResponsibilityKind.TEAM_LEADER and _home(person) is None:
        return "Add them to a group first: a team sits under a group."
    return ""


def _home(person: Person):  # type: ignore[no-untyped-def]
    return person.home_group or person.groups.order_by("pk").first()


def _carry_out(
    responsibility: Responsibility, *, actor: User | None, now: dt.datetime, strict: bool
) -> Responsibility:
    """Give the person what the responsibility brings and mark it granted. When it cannot be
    done yet, keep it suggested with the reason (and raise, when a leader asked)."""
    blocker = _blocker(responsibility)
    if blocker:
        Responsibility.objects.filter(pk=responsibility.pk).update(note=blocker)
        if strict:
            raise ValidationError(blocker)
        return responsibility
    person = responsibility.person
    if responsibility.kind == ResponsibilityKind.HOST:
        tag_add(actor=actor, person=person, name=settings.LADDER_TRUSTED_HOST_TAG)
    elif responsibility.kind == ResponsibilityKind.TEAM_LEADER:
        # Late import: organizing builds on ladders, and teams are an organizing service.
        from ladder.organizing.teams import team_for_new_leader

        team_for_new_leader(person=person, parent=_home(person), granted_by=actor)
    responsibility.status = Responsibility.Status.GRANTED
    responsibility.decided_at = now
    responsibility.decided_by = actor
    responsibility.note = ""
    responsibility.save(update_fields=["status", "decided_at", "decided_by", "note"])
    return responsibility


__all__ = [
    "responsibilities_held",
    "responsibilities_waiting",
    "responsibility_decline",
    "responsibility_grant",
    "suggest_from_moves",
]
