"""Which new activities can change whether someone matches a definition.

The worker re-places only the people whose new activities can move them (`ladder.ladders.
placement.ladders_update`): a batch of 100k email sends need not re-evaluate a donor ladder.
`dependencies` reads a parsed definition and answers with the *triggers* whose arrival can flip
it, or `ANY` when it cannot tell (an activity condition over every type, a segment it cannot
read). Triggers are:

* an activity type name: a new activity of that type *of the person* (their own log);
* ``"volunteer:call"`` / ``"volunteer:door_knock"``: a call or door knock the person *made*
  (as the activity's actor) — what ``calls_made`` and ``doors_knocked`` count;
* ``"recruits"``: any activity of someone the person recruited (a recruit's first activity is
  when the recruit count is refreshed);
* ``"score"``: any activity that the engagement score weighs (the caller knows the weights);
* ``"rung:<ladder id>"``: a move on that ladder (the caller expands it into that ladder's own
  triggers).

What the answer leaves out on purpose: conditions that change without a new activity (a tag or
group edited by hand, an address, a window that slides past an old activity, a score that
decays). Those are caught by the nightly full recompute, as before. Tag additions and
unsubscribes that *are* logged (``tag_added``, ``email_unsubscribed``) count as triggers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ladder.activity.catalogue import ACTION_TYPES, CONTACT_TYPES, ActivityType
from ladder.segments.filters.schema import FilterError, parse

T = ActivityType


class AnyActivity:
    """Every new activity may matter."""

    def __repr__(self) -> str:
        return "ANY"


ANY = AnyActivity()
Triggers = frozenset[str] | AnyActivity

_GIFTS = frozenset({T.DONATION.value, T.DONATION_REFUND.value})
# The activity types each rollup field is computed from (see ladder.activity.rollups.sql).
STAT_TRIGGERS: dict[str, frozenset[str]] = {
    "last_open_at": frozenset({T.EMAIL_OPENED.value}),
    "last_click_at": frozenset({T.EMAIL_CLICKED.value}),
    "last_action_at": frozenset(ACTION_TYPES),
    "actions_total": frozenset(ACTION_TYPES),
    "last_contact_at": frozenset(CONTACT_TYPES),
    "touches_30d": frozenset(CONTACT_TYPES),
    "touches_90d": frozenset(CONTACT_TYPES),
    "given_total": _GIFTS,
    "given_365d": _GIFTS,
    "given_largest": frozenset({T.DONATION.value}),
    "gifts_count": frozenset({T.DONATION.value}),
    "last_gift_at": frozenset({T.DONATION.value}),
    "events_attended": frozenset({T.ATTENDANCE.value}),
    "shifts_done": frozenset({T.SHIFT_COMPLETED.value}),
    "calls_made": frozenset({"volunteer:call"}),
    "doors_knocked": frozenset({"volunteer:door_knock"}),
    "recruits": frozenset({"recruits"}),
    "engagement_score": frozenset({"score"}),
}
# Conditions on things that are logged when they change.
_LOGGED = {
    "tags": frozenset({T.TAG_ADDED.value}),
    "reachable": frozenset({T.EMAIL_UNSUBSCRIBED.value, T.EMAIL_BOUNCED.value}),
    "unsubscribed": frozenset({T.EMAIL_UNSUBSCRIBED.value}),
}
_STILL = frozenset({"field", "custom", "groups", "point_person", "known_by", "postal_code",
                    "address", "near", "list", "sample"})  # fmt: skip

SegmentLookup = Callable[[int], dict[str, Any] | None]
MAX_DEPTH = 5


def _stored_segment(segment_id: int) -> dict[str, Any] | None:
    from django.apps import apps

    model = apps.get_model("segments", "Segment")
    found = model.objects.filter(pk=segment_id).values_list("definition", flat=True).first()
    return found if isinstance(found, dict) else None


def _union(parts: list[Triggers]) -> Triggers:
    out: set[str] = set()
    for part in parts:
        if isinstance(part, AnyActivity):
            return ANY
        out |= part
    return frozenset(out)


def _node(node: dict[str, Any], lookup: SegmentLookup, seen: tuple[int, ...]) -> Triggers:
    kind = node["kind"]
    if kind in ("all", "any"):
        return _union([_node(child, lookup, seen) for child in node["of"]])
    if kind == "not":
        return _node(node["of"], lookup, seen)
    if kind == "activity":
        return frozenset(node["types"]) if node["types"] else ANY
    if kind == "stat":
        return STAT_TRIGGERS.get(node["field"], ANY)
    if kind == "rung":
        return frozenset({f"rung:{node['ladder']}"})
    if kind == "segment":
        segment_id = node["id"]
        if segment_id in seen or len(seen) >= MAX_DEPTH:
            return ANY
        stored = lookup(segment_id)
        if stored is None:
            return ANY
        try:
            inner = parse(stored)
        except FilterError:
            return ANY
        return dependencies(inner, lookup=lookup, _seen=(*seen, segment_id))
    if kind in _LOGGED:
        return _LOGGED[kind]
    if kind in _STILL:
        return frozenset()
    return ANY  # a kind this module does not know yet: be safe


def dependencies(
    definition: dict[str, Any],
    *,
    lookup: SegmentLookup = _stored_segment,
    _seen: tuple[int, ...] = (),
) -> Triggers:
    """The triggers of a parsed definition (see the module docstring), or `ANY`."""
    return _node(definition["match"], lookup, _seen)


__all__ = ["ANY", "STAT_TRIGGERS", "AnyActivity", "Triggers", "dependencies"]
