"""The demo organization's saved segments: the universes an organizer at Prairie Forward would
keep, in the filter language, saved through the segment service (so they are validated and
counted like any other). Called once the people, their history and the rollups are loaded.
"""

from __future__ import annotations

from typing import Any

from ladder.core.models import Role, User
from ladder.people.models import Group, Tag
from ladder.segments.services import segment_create


def _not(condition: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "not", "of": condition}


Universe = tuple[str, str, dict[str, Any], str | None]


def _universes(tags: dict[str, int]) -> list[Universe]:
    """(name, description, definition, chapter slug to share it with)."""
    no_big_donors = _not({"kind": "stat", "field": "given_365d", "op": "gt", "value": 1000})
    opened_lately = _not({"kind": "activity", "types": ["email_opened"], "days": 90,
                          "op": "eq", "value": 0})  # fmt: skip
    out: list[Universe] = [
        (
            "Lapsed donors to win back",
            "Gave before, nothing in the last year, still on the email list.",
            {
                "kind": "all",
                "of": [
                    {"kind": "stat", "field": "gifts_count", "op": "gte", "value": 1},
                    {
                        "kind": "stat",
                        "field": "last_gift_at",
                        "op": "not_within_days",
                        "value": 365,
                    },
                    {"kind": "reachable", "channel": "email"},
                ],
            },
            None,
        ),
        (
            "Event regulars to call",
            "Came to two or more events in six months; callable; not called this week.",
            {
                "kind": "all",
                "of": [
                    {
                        "kind": "activity",
                        "types": ["attendance"],
                        "days": 180,
                        "op": "gte",
                        "value": 2,
                    },
                    {"kind": "reachable", "channel": "phone"},
                    _not(
                        {
                            "kind": "stat",
                            "field": "last_contact_at",
                            "op": "within_days",
                            "value": 7,
                        }
                    ),
                ],
            },
            None,
        ),
    ]
    if "school funding" in tags:
        out.insert(0, (
            "Iowa school-funding universe",
            "In Iowa, care about school funding, minus donors over $1,000 and anyone who has "
            "not opened an email in 90 days — the education phone bank's universe.",
            {"kind": "all", "of": [
                {"kind": "address", "field": "region", "values": ["IA"]},
                {"kind": "tags", "match": "any", "tags": [tags["school funding"]]},
                no_big_donors, opened_lately,
            ]},
            None,
        ))  # fmt: skip
    if "volunteer prospect" in tags:
        out.append((
            "Des Moines volunteer prospects",
            "Tagged as volunteer prospects in the Des Moines chapter's area, reachable by text "
            "or phone — for the chapter's recruitment calls.",
            {"kind": "all", "of": [
                {"kind": "tags", "match": "any", "tags": [tags["volunteer prospect"]]},
                {"kind": "address", "field": "locality", "values": ["Des Moines"]},
                {"kind": "any", "of": [{"kind": "reachable", "channel": "sms"},
                                       {"kind": "reachable", "channel": "phone"}]},
            ]},
            "des-moines",
        ))  # fmt: skip
    return out


def demo_segments() -> int:
    """Save the demo's segments, owned by the first admin or staff login (or, with none, by a
    chapter leader of the group they are shared with); returns how many were saved."""
    tags = dict(Tag.objects.values_list("name", "id"))
    owner = (
        User.objects.filter(role__in=[Role.ADMIN, Role.STAFF], is_active=True)
        .order_by("pk")
        .first()
        or User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    )
    saved = 0
    for name, description, match, chapter in _universes(tags):
        group = Group.objects.filter(slug=chapter).first() if chapter else None
        actor = owner
        if actor is None and group is not None:
            actor = group.leaders.order_by("pk").first()
        if actor is None:
            continue  # nobody to own it: a bare database without logins
        segment_create(
            actor=actor,
            name=name,
            description=description,
            definition={"version": 1, "match": match},
            group=group,
        )
        saved += 1
    return saved


__all__ = ["demo_segments"]
