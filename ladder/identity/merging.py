"""Merging two records of one person, and undoing it exactly.

`person_merge` folds ``merged`` into ``survivor``:

* person fields: the survivor's, unless a choice says "merged" — or the survivor has none and
  the merged record does; custom fields are united (the survivor's value wins unless chosen);
* every row that points at the merged record — found by introspection, so a new app's table is
  covered without touching this module — is re-pointed at the survivor, except rows that would
  clash with one the survivor has (the same tag, group, petition…) or would point the survivor
  at itself; the ids of the rows moved are kept on the `Merge`;
* consent keeps the most restrictive status per channel: if either record had unsubscribed
  (email, texts) or asked not to be called, every contact point of that channel is opted out,
  through the ledger, with the merge as its source;
* the merged record keeps its row with ``merged_into`` set, so its id still answers.

`merge_undo` points the moved rows back, with the mail that reached the survivor since through
one of the merged record's addresses, restores both person rows from the snapshot, and takes
back the consent the merge made stricter — unless the person has spoken since.

The consent ledger itself is not moved: its lines are about contact points, which move.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from ladder.activity.catalogue import ActivityType
from ladder.activity.rollups import stats_refresh
from ladder.activity.services import activity_record
from ladder.core.models import User
from ladder.identity.arrivals import arrivals
from ladder.identity.models import Merge, NotDuplicate
from ladder.ladders.placement import placements_of, placements_refresh, placements_restore
from ladder.people.models import Channel, ConsentEvent, Person, Subscription, make_sort_name
from ladder.people.selectors import visible_people
from ladder.people.services import consent_merge_revert, consent_record, contact_suppressed

# Person fields a reviewer chooses between; the rest (ids, import bookkeeping, timestamps,
# merged_into) belong to the row, not to the person.
CHOSEN_FIELDS = (
    "first_name", "middle_name", "last_name", "suffix", "birthdate", "languages", "employer",
    "occupation", "source", "point_person", "home_group", "recruited_by",
)  # fmt: skip
# Tables that are about a merge, or an append-only record of what was true at the time.
# PersonStats is derived from the log: both people's rows are recomputed instead.
# Merges stay with their records; candidates and not-duplicate marks name both (and are not
# reverse relations); social engagement moves like any other history.
NOT_MOVED = {"identity.Merge", "people.ConsentEvent", "activity.PersonStats"}
SKIPPED_LINKS = {("people", "Person", "merged_into")}


class MergeError(ValidationError):
    """A merge or an unmerge that cannot be done as asked (with the reason)."""


def _json_value(value: Any) -> Any:
    # Full ISO text: DjangoJSONEncoder keeps milliseconds only, and an unmerge must give back
    # the exact microsecond.
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _row(person: Person) -> dict[str, Any]:
    """The person's row as JSON values (dates as ISO text), for the snapshot."""
    values = {f.attname: getattr(person, f.attname) for f in Person._meta.concrete_fields}
    return json.loads(json.dumps(values, default=_json_value))  # type: ignore[no-any-return]


def _restore(person: Person, row: dict[str, Any]) -> None:
    for f in Person._meta.concrete_fields:
        if f.attname in row and f.attname not in ("id", "updated_at"):
            setattr(person, f.attname, f.to_python(row[f.attname]))


def person_links() -> Iterator[tuple[type[models.Model], models.ForeignKey[Any, Any]]]:
    """Every (model, foreign key) that points at a Person, many-to-many tables included."""
    for rel in Person._meta.related_objects:
        if rel.many_to_many:
            through = rel.through  # type: ignore[attr-defined]
            for field in through._meta.fields:
                if isinstance(field, models.ForeignKey) and field.related_model is Person:
                    yield through, field
            continue
        model = rel.related_model
        field = rel.field
        label = model._meta.label
        if model._meta.app_label in NOT_MOVED or label in NOT_MOVED:
            continue
        if (model._meta.app_label, model.__name__, field.name) in SKIPPED_LINKS:
            continue
        if model._meta.auto_created:  # a through table: reached from its many-to-many side
            continue
        yield model, field  # type: ignore[misc]


def _unique_sets(model: type[models.Model], field: models.Field[Any, Any]) -> list[list[str]]:
    """The other columns of each unique rule that includes ``field`` (empty: one per person)."""
    sets: list[list[str]] = []
    if field.unique:
        sets.append([])
    rules = [list(u) for u in model._meta.unique_together]
    rules += [
        list(c.fields)
        for c in model._meta.constraints
        if isinstance(c, models.UniqueConstraint) and c.fields and c.condition is None
    ]
    for rule in rules:
        if field.name in rule:
            sets.append([_attname(model, n) for n in rule if n != field.name])
    return sets


def _attname(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field.attname


def _staying(
    model: type[models.Model], field: models.Field[Any, Any], merged: Person, survivor: Person
) -> set[int]:
    """Rows of the merged record that must not move: they would clash with a survivor's row,
    or point the survivor at itself."""
    rows = model._default_manager.filter(**{field.attname: merged.pk})
    stay: set[int] = set()
    for others in _unique_sets(model, field):
        if not others:
            if model._default_manager.filter(**{field.attname: survivor.pk}).exists():
                stay |= set(rows.values_list("pk", flat=True))
            continue
        theirs = set(
            model._default_manager.filter(**{field.attname: survivor.pk}).values_list(*others)
        )
        for pk, *key in rows.values_list("pk", *others):
            if tuple(key) in theirs:
                stay.add(pk)
    for other in model._meta.fields:
        if (
            other is not field
            and isinstance(other, models.ForeignKey)
            and other.related_model is Person
        ):
            stay |= set(rows.filter(**{other.attname: survivor.pk}).values_list("pk", flat=True))
    if model is Person:
        stay.add(survivor.pk)
    return stay


def _move(merged: Person, survivor: Person) -> dict[str, list[int]]:
    moved: dict[str, list[int]] = {}
    for model, field in person_links():
        rows = model._default_manager.filter(**{field.attname: merged.pk})
        stay = _staying(model, field, merged, survivor)
        ids = [pk for pk in rows.values_list("pk", flat=True) if pk not in stay]
        if not ids:
            continue
        for start in range(0, len(ids), 5000):
            model._default_manager.filter(pk__in=ids[start : start + 5000]).update(
                **{field.attname: survivor.pk}
            )
        moved[f"{model._meta.label}.{field.name}"] = sorted(ids)
    return moved


def _fields(survivor: Person, merged: Person, choices: dict[str, str]) -> dict[str, str]:
    """Apply the choices (and fill the survivor's blanks); returns the choices as made."""
    made: dict[str, str] = {}
    for name in CHOSEN_FIELDS:
        attname = _attname(Person, name)
        mine, theirs = getattr(survivor, attname), getattr(merged, attname)
        pick = choices.get(name)
        if pick not in (None, "survivor", "merged"):
            raise MergeError({name: "Choose survivor or merged."})
        if pick is None:
            pick = "merged" if mine in (None, "") and theirs not in (None, "") else "survivor"
        if name == "recruited_by" and theirs == survivor.pk:
            pick = "survivor"  # nobody recruits themself
        if pick == "merged":
            setattr(survivor, attname, theirs)
        made[name] = pick
    custom = dict(merged.custom_fields or {})
    for key, value in (survivor.custom_fields or {}).items():
        if choices.get(f"custom:{key}") != "merged" or key not in custom:
            custom[key] = value
    survivor.custom_fields = custom
    survivor.sort_name = make_sort_name(survivor.first_name, survivor.last_name)
    if survivor.user_id is None and merged.user_id is not None:
        survivor.user_id, merged.user_id = merged.user_id, None
        made["user"] = "merged"
    return made


def _strictest(survivor: Person, merge: Merge, when: dt.datetime) -> list[dict[str, Any]]:
    """Opt out every contact point of a channel on which either record had opted out."""
    changed: list[dict[str, Any]] = []
    emails = list(survivor.emails.all())  # type: ignore[attr-defined]
    phones = list(survivor.phones.all())  # type: ignore[attr-defined]
    channels = [
        (Channel.EMAIL, [(e.address, e.subscription == Subscription.UNSUBSCRIBED) for e in emails]),
        (
            Channel.SMS,
            [(p.number, p.sms_subscription == Subscription.UNSUBSCRIBED) for p in phones],
        ),
        (Channel.PHONE, [(p.number, p.do_not_call) for p in phones]),
    ]
    for channel, points in channels:
        if not any(out for _, out in points):
            continue
        for point, out in points:
            if out:
                continue
            suppressed = contact_suppressed(channel, point)
            event = consent_record(
                actor=merge.actor, person=survivor, channel=channel, contact_point=point,
                status=ConsentEvent.Status.OPT_OUT, source=f"merge #{merge.pk}",
                occurred_at=when,
            )  # fmt: skip
            if event is not None:
                changed.append({"channel": channel, "point": point, "event": event.pk,
                                "suppressed": suppressed})  # fmt: skip
    return changed


def _merge_logged(merge: Merge, what: str, *, actor: User | None, when: dt.datetime) -> None:
    """The survivor's timeline line for a merge ("merged") or its undoing ("unmerged")."""
    merged = merge.merged
    assert merged is not None and merge.survivor is not None
    key = "merge" if what == "merged" else "unmerge"
    activity_record(
        person=merge.survivor, type=ActivityType.MERGE, actor=actor, occurred_at=when,
        object_type="merge", object_id=merge.pk,
        payload={what: merged.display_name, "merged_id": merged.pk},
        idempotency_key=f"{key}:{merge.pk}",
    )  # fmt: skip


@transaction.atomic
def person_merge(
    *,
    actor: User | None,
    survivor: Person,
    merged: Person,
    choices: dict[str, str] | None = None,
    score: float | None = None,
    now: dt.datetime | None = None,
) -> Merge:
    """Fold ``merged`` into ``survivor`` (see the module). ``actor`` None is Ladder itself
    (an automatic merge above the configured threshold)."""
    when = now or timezone.now()
    if survivor.pk == merged.pk:
        raise MergeError("A record cannot be merged with itself.")
    locked = {
        p.pk: p for p in Person.objects.select_for_update().filter(pk__in=[survivor.pk, merged.pk])
    }
    survivor, merged = locked[survivor.pk], locked[merged.pk]
    if survivor.merged_into_id or merged.merged_into_id:
        raise MergeError("One of these records has already been merged into another.")
    if actor is not None:
        seen = visible_people(actor).filter(pk__in=[survivor.pk, merged.pk]).count()
        if seen != 2:
            raise PermissionDenied("You can only merge people you can see.")
    merge = Merge.objects.create(
        survivor=survivor, merged=merged, actor=actor, merged_at=when, score=score,
        snapshot={"survivor": _row(survivor), "merged": _row(merged),
                  "placements": placements_of(survivor.pk)},
    )  # fmt: skip
    merge.choices = _fields(survivor, merged, choices or {})
    if merge.choices.get("user") == "merged":
        # The login moves with the person: free it on the merged row first (one-to-one).
        Person.objects.filter(pk=merged.pk).update(user=None)
    merged.merged_into = survivor
    merged.save()
    survivor.save()
    merge.moved = _move(merged, survivor)
    merge.consent = _strictest(survivor, merge, when)
    merge.save(update_fields=["choices", "moved", "consent"])
    _merge_logged(merge, "merged", actor=actor, when=when)
    NotDuplicate.objects.filter(
        low_id=min(survivor.pk, merged.pk), high_id=max(survivor.pk, merged.pk)
    ).delete()
    stats_refresh([survivor.pk, merged.pk], now=when)
    return merge


def _label_field(key: str) -> tuple[type[models.Model], str]:
    from django.apps import apps

    app_model, _, field = key.rpartition(".")
    model = apps.get_model(app_model)
    return model, _attname(model, field)


@transaction.atomic
def merge_undo(*, actor: User | None, merge: Merge, now: dt.datetime | None = None) -> Merge:
    """Undo a merge: both records as they were, with everything that was moved (see module)."""
    when = now or timezone.now()
    merge = Merge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise MergeError("This merge has already been undone.")
    if merge.survivor_id is None or merge.merged_id is None:
        raise MergeError(
            "One of the two records has been deleted since; this merge cannot be undone."
        )
    locked = {
        p.pk: p
        for p in Person.objects.select_for_update().filter(
            pk__in=[merge.survivor_id, merge.merged_id]
        )
    }
    survivor, merged = locked[merge.survivor_id], locked[merge.merged_id]
    if actor is not None and not visible_people(actor).filter(pk=survivor.pk).exists():
        raise PermissionDenied("You can only undo merges of people you can see.")
    later = Merge.objects.filter(merged=survivor, undone_at=None).exists()
    if merged.merged_into_id != survivor.pk or later:
        raise MergeError("These records have been merged again since; undo the later merge first.")
    moving: dict[str, set[int]] = {k: set(v) for k, v in merge.moved.items()}
    for key, ids in arrivals(merge, survivor).items():
        moving.setdefault(key, set()).update(ids)
    for key, wanted in moving.items():
        model, attname = _label_field(key)
        listed = sorted(wanted)
        for start in range(0, len(listed), 5000):
            model._default_manager.filter(
                pk__in=listed[start : start + 5000], **{attname: survivor.pk}
            ).update(**{attname: merged.pk})
    _restore(survivor, merge.snapshot["survivor"])
    _restore(merged, merge.snapshot["merged"])
    if "placements" in merge.snapshot:
        # The merged history may have lifted the survivor (ladders only go up): put it back
        # where it stood, then let both records' own history place them.
        placements_restore(survivor.pk, merge.snapshot["placements"])
    if merge.choices.get("user") == "merged":
        Person.objects.filter(pk=survivor.pk).update(user=None)
    survivor.save()
    merged.save()
    consent_merge_revert(lines=merge.consent, source=f"unmerge of merge #{merge.pk}", when=when)
    merge.undone_at, merge.undone_by = when, actor
    merge.save(update_fields=["undone_at", "undone_by"])
    _merge_logged(merge, "unmerged", actor=actor, when=when)
    stats_refresh([survivor.pk, merged.pk], now=when)
    placements_refresh([survivor.pk, merged.pk], now=when)
    return merge


def not_duplicate_mark(*, actor: User | None, one: Person, other: Person) -> NotDuplicate:
    low, high = sorted((one.pk, other.pk))
    if low == high:
        raise MergeError("That is one record.")
    return NotDuplicate.objects.get_or_create(
        low_id=low, high_id=high, defaults={"decided_by": actor, "decided_at": timezone.now()}
    )[0]


__all__ = [
    "CHOSEN_FIELDS",
    "MergeError",
    "merge_undo",
    "not_duplicate_mark",
    "person_links",
    "person_merge",
]
