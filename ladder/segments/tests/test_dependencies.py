"""What new activity can change a definition: the triggers the worker's incremental ladder pass
uses to skip people whose new activity cannot move them."""

from __future__ import annotations

from typing import Any

import pytest

from ladder.activity.catalogue import ACTION_TYPES, CONTACT_TYPES
from ladder.segments.filters import parse
from ladder.segments.filters.dependencies import ANY, dependencies


def triggers(match: dict[str, Any], segments: dict[int, dict[str, Any]] | None = None):  # type: ignore[no-untyped-def]
    known = segments or {}
    return dependencies(parse({"version": 1, "match": match}), lookup=known.get)


def stat(field: str) -> dict[str, Any]:
    return {"kind": "stat", "field": field, "op": "gte", "value": 1}


@pytest.mark.parametrize(
    ("match", "expected"),
    [
        ({"kind": "activity", "types": ["rsvp", "attendance"], "days": 30},
         {"rsvp", "attendance"}),
        (stat("given_365d"), {"donation", "donation_refund"}),
        (stat("events_attended"), {"attendance"}),
        (stat("actions_total"), set(ACTION_TYPES)),
        ({"kind": "stat", "field": "last_contact_at", "op": "never"}, set(CONTACT_TYPES)),
        (stat("calls_made"), {"volunteer:call"}),
        (stat("recruits"), {"recruits"}),
        (stat("engagement_score"), {"score"}),
        ({"kind": "rung", "ladder": 4, "rungs": [9]}, {"rung:4"}),
        ({"kind": "tags", "match": "any", "tags": [1]}, {"tag_added"}),
        ({"kind": "address", "field": "region", "values": ["IA"]}, set()),
        ({"kind": "list", "id": 3}, set()),
        # Logic is the union; NOT changes nothing about what can flip it.
        ({"kind": "all", "of": [stat("shifts_done"), {"kind": "not", "of": stat("gifts_count")}]},
         {"shift_completed", "donation"}),
    ],
)  # fmt: skip
def test_triggers_of_each_kind(match, expected):
    assert triggers(match) == expected


def test_any_type_or_an_unreadable_segment_means_any_activity():
    everything = {"kind": "activity", "types": [], "days": 7}
    assert triggers({"kind": "all", "of": [stat("shifts_done"), everything]}) is ANY
    assert triggers({"kind": "segment", "id": 99}) is ANY  # no such segment


def test_segments_are_read_through_and_cycles_are_any():
    donors = {"version": 1, "match": stat("gifts_count")}
    assert triggers({"kind": "segment", "id": 1}, {1: donors}) == {"donation"}
    loop = {"version": 1, "match": {"kind": "segment", "id": 2}}
    assert triggers({"kind": "segment", "id": 2}, {2: loop}) is ANY
