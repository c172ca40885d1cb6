"""The PostgreSQL export path: the database formats each chunk as CSV (``COPY … TO STDOUT``).

Formatting a million rows in Python costs more than the whole 15-second budget on two cores
(DESIGN.md §7), so on PostgreSQL each keyset chunk is one ``COPY (SELECT …)`` whose columns are
already the finished cells — same formats, same neutralisation, same quoting as the portable
path in `rows.py`; a test holds the two byte-identical. Per chunk: one query for the chunk's
last id, one COPY. Related tables are aggregated over the chunk's id range (DISTINCT ON for the
primary contact point, string_agg for lists) so the database joins sets, not rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import connection
from django.db.models import Count, Max, QuerySet
from django.utils import timezone

from ladder.activity.models import PersonStats
from ladder.core.models import User
from ladder.people.export.columns import Column
from ladder.people.models import (
    Address,
    EmailAddress,
    ExternalId,
    Group,
    Membership,
    Person,
    Phone,
    Tag,
    Tagging,
)

_q = connection.ops.quote_name


def _table(model: Any) -> str:
    return _q(model._meta.db_table)


def _literal(text: str) -> str:
    """A string as an SQL literal. Only our own values are inlined this way (a custom field's
    slug key, a validated external-id system, the time zone name); the people subquery keeps its
    parameters. standard_conforming_strings is on, so doubling quotes is the whole escape."""
    return "'" + text.replace("'", "''") + "'"


def _text(sql: str) -> str:
    """Neutralise: a quote before a leading = + - @, tab or carriage return (by code point:
    ascii() of the first character compares integers, cheaper than left() on a million rows)."""
    return f"CASE WHEN ascii({sql}) IN (61, 43, 45, 64, 9, 13) THEN '''' || {sql} ELSE {sql} END"


class _Select:
    """Builds the SELECT of one chunk, collecting positional parameters in order."""

    def __init__(self, columns: list[Column]) -> None:
        self.columns = columns
        self.zone = timezone.get_default_timezone_name()

    def cell(self, column: Column) -> str:
        value = self.value(column)
        if column.format == "number":
            return f"({value})::text"
        if column.format == "date":
            return f"to_char({value}, 'YYYY-MM-DD')"
        if column.format == "datetime":
            zone = _literal(self.zone)
            local = f"({value} AT TIME ZONE {zone})"
            offset = f"(({value} AT TIME ZONE {zone}) - ({value} AT TIME ZONE 'UTC'))"
            return (
                f"to_char({local}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
                f" || CASE WHEN {offset} < interval '0' THEN '-' ELSE '+' END"
                f" || to_char(greatest({offset}, -{offset}), 'HH24:MI')"
            )
        if column.format == "phone":
            e164 = "'^\\+[1-9][0-9]{1,14}$'"
            return f"CASE WHEN {value} ~ {e164} THEN {value} ELSE {_text(value)} END"
        if column.format == "any":
            return (
                f"CASE jsonb_typeof({value})"
                f" WHEN 'boolean' THEN CASE WHEN {value} = 'true'::jsonb THEN 'yes' ELSE 'no' END"
                f" WHEN 'string' THEN {_text(f"({value} #>> '{{}}')")}"
                f" WHEN 'null' THEN NULL ELSE {_text(f'({value})::text')} END"
            )
        return _text(value)

    def value(self, column: Column) -> str:
        if column.kind == "person":
            path = column.source
            if path.startswith("stats__"):
                return f"st.{_q(path.removeprefix('stats__'))}"
            if path == "home_group__name":
                return "hg.name"
            if path == "point_person__username":
                return "pp.username"
            return f"p.{_q(path)}"
        if column.kind == "custom":
            return f"(p.custom_fields -> {_literal(column.source)})"
        if column.kind in ("email", "phone", "address"):
            return f"{column.kind}.{_q(column.source)}"
        if column.kind in ("tags", "groups"):
            return f"{column.kind}.names"
        return f"external.{_q('v_' + column.source)}"

    def sql(self, people_sql: str, low: int, high: int) -> str:
        """The chunk's SELECT; ``people_sql`` (the export's people) keeps its placeholders."""
        cells = []
        single = len(self.columns) == 1
        for column in self.columns:
            cell = self.cell(column)
            # Empty cells are NULL so that COPY writes them bare, as Python's csv does — except
            # in a one-column export, where both write "" so that no line is blank.
            cells.append(f"COALESCE({cell}, '')" if single else f"NULLIF({cell}, '')")
        low, high = int(low), int(high)
        return (
            f"SELECT {', '.join(cells)} FROM {_table(Person)} p {self.joins(low, high)}"
            f" WHERE p.id > {low} AND p.id <= {high} AND p.id IN ({people_sql}) ORDER BY p.id"
        )

    def joins(self, low: int, high: int) -> str:
        kinds = {c.kind for c in self.columns}
        paths = {c.source for c in self.columns if c.kind == "person"}
        joins: list[str] = []
        if any(p.startswith("stats__") for p in paths):
            joins.append(f"LEFT JOIN {_table(PersonStats)} st ON st.person_id = p.id")
        if "home_group__name" in paths:
            joins.append(f"LEFT JOIN {_table(Group)} hg ON hg.id = p.home_group_id")
        if "point_person__username" in paths:
            joins.append(f"LEFT JOIN {_table(User)} pp ON pp.id = p.point_person_id")
        in_range = f"r.person_id > {low} AND r.person_id <= {high}"
        contacts: list[tuple[str, Any]] = [
            ("email", EmailAddress), ("phone", Phone), ("address", Address)
        ]  # fmt: skip
        for kind, model in contacts:
            if kind in kinds:
                fields = sorted({_q(c.source) for c in self.columns if c.kind == kind})
                joins.append(
                    f"LEFT JOIN (SELECT DISTINCT ON (r.person_id) r.person_id, "
                    f"{', '.join('r.' + f for f in fields)} FROM {_table(model)} r"
                    f" WHERE {in_range} ORDER BY r.person_id, r.is_primary DESC, r.id)"
                    f" {kind} ON {kind}.person_id = p.id"
                )
        for kind, model, target, fk in (
            ("tags", Tagging, Tag, "tag_id"),
            ("groups", Membership, Group, "group_id"),
        ):
            if kind in kinds:
                joins.append(
                    f"LEFT JOIN (SELECT r.person_id, string_agg(n.name, ', ' ORDER BY n.name)"
                    f" AS names FROM {_table(model)} r JOIN {_table(target)} n ON n.id = r.{fk}"
                    f" WHERE {in_range} GROUP BY r.person_id) {kind} ON {kind}.person_id = p.id"
                )
        systems = sorted({c.source for c in self.columns if c.kind == "external"})
        if systems:
            aggregates = ", ".join(
                f"string_agg(r.value, ', ' ORDER BY r.id) FILTER (WHERE r.system = {_literal(s)})"
                f" AS {_q('v_' + s)}"
                for s in systems
            )
            joins.append(
                f"LEFT JOIN (SELECT r.person_id, {aggregates} FROM {_table(ExternalId)} r"
                f" WHERE {in_range} GROUP BY r.person_id) external ON external.person_id = p.id"
            )
        return " ".join(joins)


def copy_chunks(
    people: QuerySet[Person], columns: list[Column], chunk_size: int
) -> Iterator[tuple[str, int]]:
    """Keyset chunks of finished CSV text (no header), with the number of people in each."""
    select = _Select(columns)
    after = 0
    while True:
        bounds = (
            people.filter(pk__gt=after)
            .order_by("pk")[:chunk_size]
            .aggregate(last=Max("pk"), count=Count("pk"))
        )
        if not bounds["count"]:
            return
        last = bounds["last"]
        members = people.filter(pk__gt=after, pk__lte=last).values("pk")
        people_sql, people_params = members.query.sql_with_params()
        sql = select.sql(people_sql, after, last)
        data = bytearray()
        statement = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)"
        with connection.cursor() as cursor, cursor.copy(statement, people_params) as copy:
            for block in copy:
                data += block
        yield data.decode("utf-8"), bounds["count"]
        if bounds["count"] < chunk_size:
            return
        after = last
