"""Writes of saved segments and static lists.

Every function here is keyword-only and atomic. None of them writes activity rows: the activity
log records what happens between the organization and a *person*, and saving a universe or
freezing a list happens to nobody. Who may act is checked by the caller (the row came from
`ladder.segments.selectors`); which people a list may receive is checked here — only people
the actor can see (`ladder.people.selectors.visible_people`), so a leader can never put someone
from another group on a list, by segment or by upload.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from ladder.core.models import User
from ladder.people.models import EmailAddress, Group, Person, Phone
from ladder.people.normalize import InvalidContact, normalise_email, normalise_phone
from ladder.people.selectors import groups_visible, visible_people
from ladder.segments.filters import FilterError, parse
from ladder.segments.models import ListMember, Segment, StaticList
from ladder.segments.selectors import (
    lists_visible,
    segment_count,
    segment_people,
    segments_visible,
)

# Uploads: how many lines one list may have, and how many values go to the database at once
# (well under SQLite's 32,766 bound parameters).
UPLOAD_MAX_LINES = 200_000
MATCH_CHUNK = 2_000
INSERT_BATCH = 2_000


def _walk(node: dict[str, Any], path: str) -> Iterator[tuple[dict[str, Any], str]]:
    yield node, path
    kind = node.get("kind")
    if kind in ("all", "any"):
        for i, child in enumerate(node["of"]):
            yield from _walk(child, f"{path}.of[{i}]")
    elif kind == "not":
        yield from _walk(node["of"], f"{path}.of")


def definition_check(user: User, data: object, *, segment: Segment | None = None) -> dict[str, Any]:
    """Parse ``data`` and check that every segment, list and group it names is one ``user`` may
    see (otherwise its name would leak through the description, and its use would let a leader
    build on another leader's universe). A segment may not name itself. Raises FilterError."""
    definition = parse(data)
    wanted: dict[str, list[tuple[int, str]]] = {"segment": [], "list": [], "groups": []}
    for node, path in _walk(definition["match"], "match"):
        kind = node["kind"]
        if kind in ("segment", "list"):
            wanted[kind].append((node["id"], f"{path}.id"))
        elif kind in ("groups", "known_by"):
            wanted["groups"].extend(
                (pk, f"{path}.groups[{i}]") for i, pk in enumerate(node["groups"])
            )
    if segment is not None:
        for pk, path in wanted["segment"]:
            if pk == segment.pk:
                raise FilterError(path, "a segment cannot include itself")
    sources: dict[str, tuple[QuerySet[Any], str]] = {
        "segment": (segments_visible(user), "segment"),
        "list": (lists_visible(user), "list"),
        "groups": (groups_visible(user), "group"),
    }
    for kind, refs in wanted.items():
        if not refs:
            continue
        rows, label = sources[kind]
        known = set(rows.filter(pk__in={pk for pk, _ in refs}).values_list("pk", flat=True))
        for pk, path in refs:
            if pk not in known:
                raise FilterError(path, f"there is no {label} #{pk} that you can use")
    return definition


def _group_checked(user: User, group: Group | None) -> Group | None:
    if group is not None and not groups_visible(user).filter(pk=group.pk).exists():
        raise PermissionError("You can only share a segment with a group you lead.")
    return group


@transaction.atomic
def segment_create(
    *,
    actor: User,
    name: str,
    definition: object,
    description: str = "",
    group: Group | None = None,
) -> Segment:
    """Save a universe. The definition is validated and stored normalised; its size is counted
    once, as its owner sees it."""
    parsed = definition_check(actor, definition)
    segment = Segment.objects.create(
        name=name.strip(),
        description=description.strip(),
        definition=parsed,
        owner=actor,
        group=_group_checked(actor, group),
    )
    segment_count_refresh(actor=actor, segment=segment)
    return segment


@transaction.atomic
def segment_update(
    *,
    actor: User,
    segment: Segment,
    name: str | None = None,
    description: str | None = None,
    definition: object | None = None,
    group: Group | bool | None = False,
) -> Segment:
    """Change what was given (``group=False`` leaves the group alone; None clears it). A new
    definition is recounted at once, so the size on the list is never that of an old one."""
    fields = ["updated_at"]
    if name is not None:
        segment.name = name.strip()
        fields.append("name")
    if description is not None:
        segment.description = description.strip()
        fields.append("description")
    if group is not False:
        assert group is None or isinstance(group, Group)
        segment.group = _group_checked(actor, group)
        fields.append("group")
    if definition is not None:
        segment.definition = definition_check(actor, definition, segment=segment)
        fields.append("definition")
    segment.save(update_fields=fields)
    if definition is not None:
        segment_count_refresh(actor=actor, segment=segment)
    return segment


@transaction.atomic
def segment_archive(*, actor: User, segment: Segment, archived: bool = True) -> Segment:
    """Hide a segment from the lists (or bring it back). Lists frozen from it keep their copy
    of the definition, and rungs or asks that name it keep working."""
    segment.is_archived = archived
    segment.save(update_fields=["is_archived", "updated_at"])
    return segment


def _counting_user(actor: User, owner: User | None) -> User:
    """A segment's stored size is what its owner sees, so that the number on the list means the
    same thing whoever last opened it; without an active owner, the actor's view."""
    return owner if owner is not None and owner.is_active else actor


def segment_count_refresh(*, actor: User, segment: Segment, now: dt.datetime | None = None) -> int:
    """Count the segment (one query) and store the count with the time it was taken."""
    moment = now or timezone.now()
    counter = _counting_user(actor, segment.owner)
    count = segment_count(counter, segment.definition, now=moment)
    Segment.objects.filter(pk=segment.pk).update(last_count=count, counted_at=moment)
    segment.last_count, segment.counted_at = count, moment
    return count


def _insert_members(static_list: StaticList, people: QuerySet[Person]) -> None:
    """``INSERT INTO listmember … SELECT`` the people: the database copies the set itself."""
    # An explicit alias: Django leaves a bare "id" column unnamed in some shapes of subquery.
    ids_sql, params = people.values(member_id=F("pk")).query.sql_with_params()
    table = connection.ops.quote_name(ListMember._meta.db_table)
    stamp = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (static_list_id, person_id, added_at) "
            f"SELECT %s, chosen.member_id, %s FROM ({ids_sql}) chosen",
            [static_list.pk, stamp, *params],
        )


def _resize(static_list: StaticList) -> int:
    size = ListMember.objects.filter(static_list_id=static_list.pk).count()
    StaticList.objects.filter(pk=static_list.pk).update(size=size)
    static_list.size = size
    return size


@transaction.atomic
def list_from_segment(
    *,
    actor: User,
    name: str,
    segment: Segment | None = None,
    definition: object | None = None,
    description: str = "",
    group: Group | None = None,
) -> StaticList:
    """Freeze a universe — a saved segment, or a definition from the builder — into a list of
    the people ``actor`` sees in it now. The definition is kept on the list."""
    if (segment is None) == (definition is None):
        raise ValueError("Give a segment or a definition.")
    data = segment.definition if segment is not None else definition
    parsed = definition_check(actor, data)
    static_list = StaticList.objects.create(
        name=name.strip(),
        description=description.strip(),
        origin=StaticList.Origin.SEGMENT,
        source_segment=segment,
        definition=parsed,
        owner=actor,
        group=_group_checked(
            actor, group if group is not None else getattr(segment, "group", None)
        ),
    )
    _insert_members(static_list, segment_people(actor, parsed).order_by())
    _resize(static_list)
    return static_list


@dataclass(frozen=True)
class UploadProblem:
    line: int
    value: str
    reason: str


@dataclass
class UploadResult:
    static_list: StaticList | None
    lines: int = 0  # non-empty lines read (without a header)
    matched: int = 0  # lines that found someone
    people: int = 0  # distinct people on the list
    problems: list[UploadProblem] = field(default_factory=list)


class UploadError(ValueError):
    """The upload as a whole cannot be used (empty, too long, not text)."""


HEADERS = {"id": "id", "person_id": "id", "ladder_id": "id", "email": "email",
           "e-mail": "email", "email_address": "email", "phone": "phone", "mobile": "phone",
           "mobile_phone": "phone", "phone_number": "phone", "cell": "phone"}  # fmt: skip
_PHONE_CHARS = re.compile(r"^[+()\d][\d\s().+-]*$")


def upload_values(text: str) -> tuple[list[tuple[int, str]], str | None]:
    """The (line number, value) pairs of a pasted text or CSV file, and the kind its header
    names, if it has one. With a header naming an id, email or phone column, that column is
    read; otherwise the first cell of each line. Line numbers count from 1, header included."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if len(rows) > UPLOAD_MAX_LINES + 1:
        raise UploadError(f"A list can have at most {UPLOAD_MAX_LINES:,} lines.")
    column, kind, start = 0, None, 0
    if rows:
        header = [c.strip().lower().replace(" ", "_") for c in rows[0]]
        for i, cell in enumerate(header):
            if cell in HEADERS:
                column, kind, start = i, HEADERS[cell], 1
                break
    values = []
    for number, row in enumerate(rows[start:], start=start + 1):
        cell = row[column].strip() if len(row) > column else ""
        if cell:
            values.append((number, cell))
    return values, kind


def _classify(value: str, kind: str) -> tuple[str, str] | str:
    """(kind, normalised value), or the reason the value cannot be used."""
    if kind == "auto":
        if "@" in value:
            kind = "email"
        elif value.lstrip("#").isdigit() and len(value.lstrip("#")) < 10:
            kind = "id"
        elif _PHONE_CHARS.match(value):
            kind = "phone"
        else:
            return "not an email address, phone number or person id"
    try:
        if kind == "email":
            return "email", normalise_email(value)
        if kind == "phone":
            return "phone", normalise_phone(value)
    except InvalidContact as exc:
        return f"not a valid {kind}: {exc}"
    digits = value.lstrip("#")
    if not digits.isdigit() or len(digits) > 18:
        return "not a person id"
    return "id", digits


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), MATCH_CHUNK):
        yield items[start : start + MATCH_CHUNK]


def _match(user: User, kind: str, values: list[str]) -> dict[str, set[int]]:
    """value → the ids of the people ``user`` may see who have it: one query per chunk."""
    visible = visible_people(user)
    found: dict[str, set[int]] = {}
    for chunk in _chunks(sorted(set(values))):
        if kind == "id":
            pairs: Iterable[tuple[Any, int]] = (
                (str(pk), pk) for pk in visible.filter(pk__in=[int(v) for v in chunk])
                .values_list("pk", flat=True)
            )  # fmt: skip
        elif kind == "email":
            pairs = EmailAddress.objects.filter(
                address__in=chunk, person__in=visible.values("pk")
            ).values_list("address", "person_id")
        else:
            pairs = Phone.objects.filter(
                number__in=chunk, person__in=visible.values("pk")
            ).values_list("number", "person_id")
        for value, person_id in pairs:
            found.setdefault(value, set()).add(person_id)
    return found


@transaction.atomic
def list_upload(
    *,
    actor: User,
    name: str,
    text: str,
    kind: str = "auto",
    description: str = "",
    group: Group | None = None,
) -> UploadResult:
    """A list from pasted or uploaded ids, emails or phones: each line is matched to the people
    ``actor`` may see; lines that match no one come back with their line number and why.

    ``kind`` says what the values are (id, email, phone) or "auto" to tell by their shape (a
    header row naming the column decides too). A list is made even when some lines fail —
    the report says which — but not when none match. Raises UploadError for unusable input.
    """
    if kind not in ("auto", "id", "email", "phone"):
        raise UploadError(f"Unknown kind of value {kind!r}.")
    values, header_kind = upload_values(text)
    if not values:
        raise UploadError("The list is empty: paste or upload one id, email or phone per line.")
    if kind == "auto" and header_kind:
        kind = header_kind
    result = UploadResult(static_list=None, lines=len(values))
    parsed: list[tuple[int, str, str, str]] = []  # line, raw, kind, normalised
    for line, raw in values:
        outcome = _classify(raw, kind)
        if isinstance(outcome, str):
            result.problems.append(UploadProblem(line, raw, outcome))
        else:
            parsed.append((line, raw, *outcome))
    matches = {
        k: _match(actor, k, [v for _, _, kk, v in parsed if kk == k])
        for k in ("id", "email", "phone")
    }
    people: set[int] = set()
    for line, raw, k, value in parsed:
        ids = matches[k].get(value)
        if ids:
            people |= ids
            result.matched += 1
        else:
            what = {"id": "id", "email": "email address", "phone": "phone number"}[k]
            result.problems.append(UploadProblem(line, raw, f"no one you can see has this {what}"))
    result.problems.sort(key=lambda p: p.line)
    if not people:
        return result
    static_list = StaticList.objects.create(
        name=name.strip(),
        description=description.strip(),
        origin=StaticList.Origin.UPLOAD,
        owner=actor,
        group=_group_checked(actor, group),
    )
    _bulk_add(static_list, sorted(people))
    _resize(static_list)
    result.static_list = static_list
    result.people = static_list.size
    return result


def _bulk_add(static_list: StaticList, person_ids: list[int]) -> None:
    for start in range(0, len(person_ids), INSERT_BATCH):
        ListMember.objects.bulk_create(
            [
                ListMember(static_list_id=static_list.pk, person_id=pk)
                for pk in person_ids[start : start + INSERT_BATCH]
            ],
            ignore_conflicts=True,
        )


@transaction.atomic
def list_of_people(
    *, actor: User, name: str, person_ids: Iterable[int], description: str = ""
) -> StaticList:
    """A new list of the given people (those of them ``actor`` may see)."""
    static_list = StaticList.objects.create(
        name=name.strip()[:200], description=description.strip(), owner=actor,
        origin=StaticList.Origin.MANUAL,
    )  # fmt: skip
    list_add(actor=actor, static_list=static_list, person_ids=person_ids)
    return static_list


@transaction.atomic
def list_add(*, actor: User, static_list: StaticList, person_ids: Iterable[int]) -> int:
    """Add people (those of them ``actor`` may see; others are ignored). Returns how many were
    new on the list."""
    wanted = sorted(set(person_ids))
    allowed = [
        pk
        for chunk in _chunks([str(p) for p in wanted])
        for pk in visible_people(actor).filter(pk__in=[int(p) for p in chunk])
        .values_list("pk", flat=True)
    ]  # fmt: skip
    before = static_list.size
    _bulk_add(static_list, allowed)
    return _resize(static_list) - before


@transaction.atomic
def list_remove(*, actor: User, static_list: StaticList, person_ids: Iterable[int]) -> int:
    """Take people off the list (only people ``actor`` may see). Returns how many went."""
    wanted = sorted(set(person_ids))
    removed = 0
    for chunk in _chunks([str(p) for p in wanted]):
        removed += ListMember.objects.filter(
            static_list_id=static_list.pk,
            person_id__in=visible_people(actor).filter(pk__in=[int(p) for p in chunk]).values("pk"),
        ).delete()[0]
    _resize(static_list)
    return removed


__all__ = [
    "UploadError",
    "UploadProblem",
    "UploadResult",
    "definition_check",
    "list_add",
    "list_from_segment",
    "list_remove",
    "list_upload",
    "segment_archive",
    "segment_count_refresh",
    "segment_create",
    "segment_update",
    "upload_values",
]
