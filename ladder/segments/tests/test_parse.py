"""`parse()` turns a raw definition into a validated one, or says what is wrong and where.

Every rejection is a `FilterError` whose ``path`` points at the offending part of the JSON
(``match.of[1].op``), so the builder and the API can show the error next to the clause it is
about. Segment references are checked when a definition is compiled, because only then are the
saved segments read.
"""

from __future__ import annotations

from typing import Any

import pytest

from ladder.people.models import Person
from ladder.segments.filters import FilterError, compile_definition, parse
from ladder.segments.models import Segment
from ladder.segments.tests.strategies import NOW


def M(match: Any) -> dict[str, Any]:
    return {"version": 1, "match": match}


def _nested_not(depth: int) -> dict[str, Any]:
    condition: dict[str, Any] = {"kind": "all", "of": []}
    for _ in range(depth):
        condition = {"kind": "not", "of": condition}
    return condition


TEXT_EQ = {"kind": "field", "field": "first_name", "op": "eq", "value": "Ana"}

REJECTED: list[tuple[str, Any, str]] = [
    ("not an object", ["version", 1], ""),
    ("unknown version", {"version": 2, "match": {"kind": "all", "of": []}}, "version"),
    ("version as text", {"version": "1", "match": {"kind": "all", "of": []}}, "version"),
    ("no match", {"version": 1}, "match"),
    ("unknown kind", M({"kind": "bogus"}), "match.kind"),
    (
        "unknown kind, nested",
        M({"kind": "all", "of": [TEXT_EQ, {"kind": "not", "of": {"kind": "nope"}}]}),
        "match.of[1].of.kind",
    ),
    ("of is not a list", M({"kind": "any", "of": "x"}), "match.of"),
    ("unknown person field", M({"kind": "field", "field": "password", "op": "eq"}), "match.field"),
    (
        "date op on a text field",
        M({"kind": "field", "field": "first_name", "op": "before", "value": "2026-01-01"}),
        "match.op",
    ),
    (
        "text op on a date field, nested",
        M(
            {
                "kind": "all",
                "of": [
                    TEXT_EQ,
                    {"kind": "field", "field": "birthdate", "op": "contains", "value": "19"},
                ],
            }
        ),
        "match.of[1].op",
    ),
    ("eq without a value", M({"kind": "field", "field": "first_name", "op": "eq"}), "match.value"),
    (
        "a date that is not a date",
        M({"kind": "field", "field": "birthdate", "op": "before", "value": "yesterday"}),
        "match.value",
    ),
    (
        "fractional days",
        M({"kind": "field", "field": "created_at", "op": "within_days", "value": 1.5}),
        "match.value",
    ),
    (
        "negative days",
        M({"kind": "field", "field": "created_at", "op": "within_days", "value": -1}),
        "match.value",
    ),
    (
        "text op on a custom field",
        M({"kind": "custom", "key": "team", "op": "starts_with", "value": "R"}),
        "match.op",
    ),
    (
        "non-numeric custom comparison",
        M({"kind": "custom", "key": "score", "op": "gt", "value": "abc"}),
        "match.value",
    ),
    ("bad custom key", M({"kind": "custom", "key": "", "op": "blank"}), "match.key"),
    (
        "non-numeric stat",
        M({"kind": "stat", "field": "given_total", "op": "gte", "value": "lots"}),
        "match.value",
    ),
    (
        "a boolean is not a number",
        M({"kind": "stat", "field": "given_total", "op": "gte", "value": True}),
        "match.value",
    ),
    (
        "NaN is not a number",
        M({"kind": "stat", "field": "given_total", "op": "gte", "value": float("nan")}),
        "match.value",
    ),
    (
        "number op on a time stat",
        M({"kind": "stat", "field": "last_open_at", "op": "gte", "value": 3}),
        "match.op",
    ),
    (
        "time op on a number stat",
        M({"kind": "stat", "field": "given_total", "op": "never"}),
        "match.op",
    ),
    ("tags match", M({"kind": "tags", "match": "some", "tags": [1]}), "match.match"),
    ("tag ids", M({"kind": "tags", "match": "any", "tags": ["education"]}), "match.tags[0]"),
    ("point person ids", M({"kind": "point_person", "users": [None]}), "match.users[0]"),
    ("empty postal_code", M({"kind": "postal_code", "codes": [], "prefixes": []}), "match"),
    ("address field", M({"kind": "address", "field": "street", "values": ["Main"]}), "match.field"),
    ("latitude", M({"kind": "near", "lat": 100, "lon": 0, "km": 5}), "match.lat"),
    ("channel", M({"kind": "reachable", "channel": "fax"}), "match.channel"),
    ("activity type", M({"kind": "activity", "types": ["teleport"]}), "match.types[0]"),
    ("measure", M({"kind": "activity", "measure": "avg"}), "match.measure"),
    ("activity op", M({"kind": "activity", "op": "ne"}), "match.op"),
    (
        "non-numeric activity value",
        M({"kind": "activity", "measure": "sum", "value": "x"}),
        "match.value",
    ),
    ("days and from", M({"kind": "activity", "days": 5, "from": "2026-01-01"}), "match"),
    ("bad from", M({"kind": "activity", "from": "2026-13-01"}), "match.from"),
    (
        "to before from",
        M({"kind": "activity", "from": "2026-03-01", "to": "2026-01-01"}),
        "match.to",
    ),
    ("object id", M({"kind": "activity", "object": {"type": "event"}}), "match.object.id"),
    ("rung without rungs", M({"kind": "rung", "ladder": 1}), "match.rungs"),
    ("percent", M({"kind": "sample", "percent": 150, "seed": 1}), "match.percent"),
    ("seed", M({"kind": "sample", "percent": 10, "seed": 2**20}), "match.seed"),
    (
        "sample size",
        {"version": 1, "match": {"kind": "all", "of": []}, "sample": {"size": 0, "seed": 1}},
        "sample.size",
    ),
]


@pytest.mark.parametrize(("label", "definition", "path"), REJECTED, ids=[r[0] for r in REJECTED])
def test_parse_rejects_with_the_path(label: str, definition: Any, path: str) -> None:
    with pytest.raises(FilterError) as info:
        parse(definition)
    assert info.value.path == path
    # The message says where, for people reading it in a form or an API response.
    if path:
        assert str(info.value).startswith(f"{path}:")


def test_too_deep_is_rejected_and_says_so() -> None:
    parse(M(_nested_not(7)))
    with pytest.raises(FilterError) as info:
        parse(M(_nested_not(12)))
    assert info.value.path.startswith("match.of")
    assert "deep" in str(info.value)


@pytest.mark.parametrize(
    "definition",
    [
        M({"kind": "all", "of": []}),
        M({"kind": "activity"}),
        M({"kind": "activity", "types": ["donation"], "measure": "sum", "value": 100}),
        {"version": 1, "match": TEXT_EQ, "sample": {"size": 5, "seed": 3}},
        M({"kind": "not", "of": {"kind": "any", "of": [TEXT_EQ, {"kind": "all", "of": []}]}}),
    ],
)
def test_parse_is_idempotent(definition: dict[str, Any]) -> None:
    once = parse(definition)
    assert parse(once) == once


def test_activity_defaults_are_count_gte_1() -> None:
    parsed = parse(M({"kind": "activity", "types": ["rsvp"]}))
    assert parsed["match"]["measure"] == "count"
    assert parsed["match"]["op"] == "gte"
    assert parsed["match"]["value"] == 1


def _compile(definition: dict[str, Any]) -> list[int]:
    query = compile_definition(parse(definition), now=NOW)
    return list(Person.objects.filter(query).values_list("id", flat=True))


@pytest.mark.django_db
def test_a_segment_cycle_is_an_error_not_a_hang() -> None:
    a = Segment.objects.create(name="A", definition=M({"kind": "all", "of": []}))
    b = Segment.objects.create(name="B", definition=M({"kind": "segment", "id": a.pk}))
    a.definition = M({"kind": "any", "of": [TEXT_EQ, {"kind": "segment", "id": b.pk}]})
    a.save()
    with pytest.raises(FilterError) as info:
        _compile(M({"kind": "all", "of": [{"kind": "segment", "id": a.pk}]}))
    assert "itself" in str(info.value)


@pytest.mark.django_db
def test_a_segment_that_uses_itself_is_an_error() -> None:
    me = Segment.objects.create(name="Me", definition=M({"kind": "all", "of": []}))
    me.definition = M({"kind": "segment", "id": me.pk})
    me.save()
    with pytest.raises(FilterError):
        _compile(M({"kind": "segment", "id": me.pk}))


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["segment", "list"])
def test_a_missing_segment_or_list_is_an_error(kind: str) -> None:
    with pytest.raises(FilterError) as info:
        _compile(M({"kind": kind, "id": 987654}))
    assert "987654" in str(info.value)


@pytest.mark.django_db
def test_a_broken_saved_segment_is_an_error() -> None:
    broken = Segment.objects.create(name="Broken", definition=M({"kind": "bogus"}))
    with pytest.raises(FilterError):
        _compile(M({"kind": "segment", "id": broken.pk}))
