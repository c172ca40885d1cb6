"""The portable export path: the ORM fetches each chunk, Python formats the cells.

Used on SQLite, and by `people_export_rows` everywhere. Per chunk: one query for the people
(stats, home group and point person joined in) and one per related table the columns need.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from ladder.people.export.columns import DANGEROUS_START, E164, Column, neutralise
from ladder.people.models import (
    Address,
    EmailAddress,
    ExternalId,
    Membership,
    Person,
    Phone,
    Tagging,
)

_DANGEROUS_CHARS = frozenset("".join(DANGEROUS_START))
CONTACT_MODELS: dict[str, type[EmailAddress] | type[Phone] | type[Address]] = {
    "email": EmailAddress,
    "phone": Phone,
    "address": Address,
}
LIST_MODELS: dict[str, tuple[type[Tagging] | type[Membership], str]] = {
    "tags": (Tagging, "tag__name"),
    "groups": (Membership, "group__name"),
}


def _any_text(value: Any) -> str:
    """A custom field's JSON value as a cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | dict):
        return neutralise(json.dumps(value, ensure_ascii=False))
    return neutralise(str(value))


def formatter(column: Column) -> Callable[[Any], str]:
    """The function that turns one value of ``column`` into a cell; chosen once per export,
    because it runs for every cell of a million rows."""
    if column.format == "number":
        return lambda v: "" if v is None else str(v)
    if column.format == "date":
        return lambda v: "" if v is None else v.isoformat()
    if column.format == "datetime":
        zone = timezone.get_default_timezone()
        return lambda v: "" if v is None else v.astimezone(zone).isoformat(timespec="seconds")
    if column.format == "phone":
        return lambda v: "" if not v else v if E164.fullmatch(v) else neutralise(v)
    if column.format == "any":
        return _any_text
    return lambda v: "" if not v else "'" + v if v[0] in _DANGEROUS_CHARS else v


def _related(
    columns: list[Column], people: QuerySet[Person], first: int, last: int
) -> dict[str, dict[int, Any]]:
    """Values of the related-table columns for the people with ids in [first, last]: one query
    per table.

    The chunk's people go to the database as a subquery (the export's conditions within the id
    range) rather than as a list of 5,000 ids, which costs more to build and send than to run;
    the range is repeated on the related table so that its person index serves the scan.
    """
    kinds = {c.kind for c in columns}
    out: dict[str, dict[int, Any]] = {}
    in_chunk = {
        "person_id__gte": first,
        "person_id__lte": last,
        "person_id__in": people.filter(pk__gte=first, pk__lte=last).values("pk"),
    }
    for kind, contact_model in CONTACT_MODELS.items():
        if kind not in kinds:
            continue
        # The primary row, or the oldest when none is marked primary.
        fields = sorted({c.source for c in columns if c.kind == kind})
        contacts = contact_model.objects.filter(**in_chunk)
        found: dict[int, tuple[Any, ...]] = {}
        for person_id, *values in contacts.order_by("person_id", "-is_primary", "id").values_list(
            "person_id", *fields
        ):
            if person_id not in found:
                found[person_id] = tuple(values)
        for i, field in enumerate(fields):
            out[f"{kind}.{field}"] = {pid: values[i] for pid, values in found.items()}
    for kind, (list_model, path) in LIST_MODELS.items():
        if kind not in kinds:
            continue
        joined: dict[int, list[str]] = {}
        links = list_model.objects.filter(**in_chunk).order_by(path)
        for person_id, name in links.values_list("person_id", path):
            joined.setdefault(person_id, []).append(name)
        out[kind] = {pid: ", ".join(names) for pid, names in joined.items()}
    systems = sorted({c.source for c in columns if c.kind == "external"})
    if systems:
        ids: dict[tuple[int, str], list[str]] = {}
        external = ExternalId.objects.filter(system__in=systems, **in_chunk)
        for person_id, system, value in external.order_by("id").values_list(
            "person_id", "system", "value"
        ):
            ids.setdefault((person_id, system), []).append(value)
        for system in systems:
            out[f"external.{system}"] = {
                pid: ", ".join(v) for (pid, s), v in ids.items() if s == system
            }
    return out


Getter = Callable[[tuple[Any, ...], dict[str, dict[int, Any]]], Any]


def _getter(column: Column, position: dict[str, int]) -> Getter:
    """Where a column's value is: in the person row, or in a related table's values."""
    if column.kind == "person":
        index = position[column.source]
        return lambda row, related: row[index]
    if column.kind == "custom":
        index, key = position["custom_fields"], column.source
        return lambda row, related: (row[index] or {}).get(key)
    name = column.kind if column.kind in LIST_MODELS else f"{column.kind}.{column.source}"
    return lambda row, related: related[name].get(row[0])


def row_chunks(
    people: QuerySet[Person], columns: list[Column], chunk_size: int
) -> Iterator[list[list[str]]]:
    """Keyset chunks of formatted rows, in id order (never OFFSET)."""
    person_paths = list(dict.fromkeys(c.source for c in columns if c.kind == "person"))
    if any(c.kind == "custom" for c in columns):
        person_paths.append("custom_fields")
    paths = ["pk", *person_paths]
    position = {path: i for i, path in enumerate(paths)}
    plan = [(_getter(c, position), formatter(c)) for c in columns]
    needs_related = any(c.kind not in ("person", "custom") for c in columns)
    after = 0
    while True:
        rows = list(people.filter(pk__gt=after).order_by("pk").values_list(*paths)[:chunk_size])
        if not rows:
            return
        first, after = rows[0][0], rows[-1][0]
        related = _related(columns, people, first, after) if needs_related else {}
        yield [[fmt(get(row, related)) for get, fmt in plan] for row in rows]
        if len(rows) < chunk_size:
            return
