"""What can be exported: the columns, how each is formatted, and which people an export covers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet

from ladder.core.models import User
from ladder.people.models import CustomField, Membership, Person, Tagging
from ladder.people.selectors import search_condition, visible_people

CHUNK_SIZE = 5000
# COPY chunks are larger: planning the chunk's query is a fixed cost worth spreading.
COPY_CHUNK_SIZE = 20000
DEFAULT_COLUMNS = ["id", "first_name", "last_name", "email", "phone", "postal_code", "tags"]
# A cell starting with one of these could be run as a formula by a spreadsheet.
DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")
E164 = re.compile(r"\+[1-9]\d{1,14}")
_SYSTEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")


class ExportError(ValueError):
    """The export was asked for something that does not exist; the message says what."""


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # person | email | phone | address | tags | groups | custom | external
    # The Person values() path, the related row's field, the custom field key or the system.
    source: str
    # How a value becomes a cell: "text" and "any" (a custom field's JSON value) are
    # neutralised; "number", "date" and "datetime" are values Ladder produces, which cannot
    # hold a formula; "phone" is written as is when it is E.164.
    format: str = "text"


def _person(name: str, source: str | None = None, format: str = "text") -> Column:
    return Column(name, "person", source or name, format)


STATS_FIELDS = [
    "given_total", "given_365d", "given_largest", "gifts_count", "last_gift_at",
    "engagement_score", "first_activity_at", "last_action_at", "last_contact_at",
    "last_open_at", "last_click_at", "touches_30d", "touches_90d", "actions_total",
    "events_attended", "shifts_done", "calls_made", "doors_knocked", "recruits",
]  # fmt: skip
ADDRESS_FIELDS = {
    "address_line1": "line1", "address_line2": "line2", "city": "locality", "state": "region",
    "postal_code": "postal_code", "country": "country", "county": "county",
    "congressional_district": "congressional_district",
    "state_upper_district": "state_upper_district",
    "state_lower_district": "state_lower_district", "precinct": "precinct",
}  # fmt: skip

# Every fixed column, in the order a "choose columns" screen should list them. Besides these,
# `custom:<key>` exports a custom field and `external:<system>` an external id (external:van).
EXPORT_COLUMNS: dict[str, Column] = {
    c.name: c
    for c in [
        _person("id", format="number"),
        *(_person(n) for n in ("first_name", "middle_name", "last_name", "suffix")),
        Column("email", "email", "address"),
        Column("email_subscription", "email", "subscription"),
        Column("phone", "phone", "number", format="phone"),
        *(Column(name, "address", field) for name, field in ADDRESS_FIELDS.items()),
        _person("birthdate", format="date"),
        *(_person(n) for n in ("languages", "employer", "occupation", "source")),
        Column("tags", "tags", "tag__name"),
        Column("groups", "groups", "group__name"),
        _person("home_group", "home_group__name"),
        _person("point_person", "point_person__username"),
        _person("recruited_by", "recruited_by_id", format="number"),
        *(
            _person(n, f"stats__{n}", format="datetime" if n.endswith("_at") else "number")
            for n in STATS_FIELDS
        ),
        _person("created_at", format="datetime"),
    ]
}


def export_columns_parse(names: list[str]) -> list[Column]:
    """Resolve column names, or raise ExportError naming the first unknown one."""
    names = [n.strip() for n in names if n.strip()]
    if not names:
        raise ExportError("Choose at least one column to export.")
    custom_keys: set[str] | None = None
    columns: list[Column] = []
    for name in names:
        if name in EXPORT_COLUMNS:
            columns.append(EXPORT_COLUMNS[name])
        elif name.startswith("custom:"):
            if custom_keys is None:
                custom_keys = set(CustomField.objects.values_list("key", flat=True))
            key = name.removeprefix("custom:")
            if key not in custom_keys:
                raise ExportError(f"Unknown column “{name}”: there is no custom field “{key}”.")
            columns.append(Column(name, "custom", key, format="any"))
        elif name.startswith("external:") and _SYSTEM.fullmatch(name.removeprefix("external:")):
            columns.append(Column(name, "external", name.removeprefix("external:")))
        else:
            raise ExportError(
                f"Unknown column “{name}”. Choose from {', '.join(EXPORT_COLUMNS)}, "
                "custom:<field key> or external:<system>."
            )
    return columns


def people_export_queryset(
    user: User, *, query: str = "", tag_id: int | None = None, group_id: int | None = None
) -> QuerySet[Person]:
    """The people an export covers: what ``user`` may see, searched and filtered exactly like
    `ladder.people.selectors.people_search`."""
    people = visible_people(user).filter(search_condition(query))
    if tag_id:
        people = people.filter(
            Exists(Tagging.objects.filter(person_id=OuterRef("pk"), tag_id=tag_id))
        )
    if group_id:
        people = people.filter(
            Exists(Membership.objects.filter(person_id=OuterRef("pk"), group_id=group_id))
        )
    return people


def neutralise(text: str) -> str:
    """Make a cell inert in a spreadsheet: prefix a quote when it could start a formula."""
    return "'" + text if text.startswith(DANGEROUS_START) else text
