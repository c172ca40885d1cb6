"""Prairie Forward's ladders of engagement, seeded with the demo and placed at once.

Three ladders, with criteria in the filter language over the demo's history and rollups:

* Volunteer — signed up → attended → volunteered → captain / host → leader;
* Donor — first gift → repeat donor → monthly or major donor;
* Leadership — engaged → team member → organizer, stepping down after 180 days without action.

Next steps name a channel (so that `ladder.ladders.next_step` can match them to a person's
habits) and may say ``{city}``, ``{chapter}`` or ``{issue}``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from ladder.activity.catalogue import ActivityType as T
from ladder.demo.data import TAG_HOST, TAG_MAJOR_DONOR
from ladder.ladders.models import Ladder, Rung
from ladder.ladders.placement import RecomputeResult, ladders_recompute
from ladder.people.models import Tag


def _v(match: dict[str, Any]) -> dict[str, Any]:
    return {"version": 1, "match": match}


def _stat(field: str, value: float, op: str = "gte") -> dict[str, Any]:
    return {"kind": "stat", "field": field, "op": op, "value": value}


def _did(types: list[str], value: int = 1, days: int | None = None) -> dict[str, Any]:
    node: dict[str, Any] = {"kind": "activity", "types": types, "op": "gte", "value": value}
    if days:
        node["days"] = days
    return node


def _tag(name: str) -> dict[str, Any]:
    tag, _ = Tag.objects.get_or_create(name=name)
    return {"kind": "tags", "match": "any", "tags": [tag.pk]}


def _step(text: str, channel: str, public: str = "", url: str = "") -> dict[str, str]:
    """A next step: ``text`` for organizers; ``public`` (and ``url``) the same step in words
    addressed to the supporter, for thank-you pages."""
    step = {"text": text, "channel": channel}
    if public:
        step |= {"public": public, "url": url}
    return step


def _ladder(
    slug: str, name: str, description: str, position: int, step_down: int | None = None
) -> Ladder:
    ladder, _ = Ladder.objects.update_or_create(
        slug=slug,
        defaults={
            "name": name,
            "description": description,
            "position": position,
            "step_down_after_days": step_down,
            "is_active": True,
        },
    )
    return ladder


def _rungs(ladder: Ladder, rungs: list[tuple[str, str, dict[str, Any], list[dict[str, str]]]]):  # type: ignore[no-untyped-def]
    made = []
    for position, (name, duty, criteria, steps) in enumerate(rungs, start=1):
        rung, _ = Rung.objects.update_or_create(
            ladder=ladder,
            position=position,
            defaults={
                "name": name,
                "responsibilities": duty,
                "criteria": criteria,
                "next_steps": steps,
            },
        )
        made.append(rung)
    return made


@transaction.atomic
def seed_ladders() -> list[Ladder]:
    """Create (or refresh) the three demo ladders; idempotent by slug and rung position."""
    volunteer = _ladder(
        "volunteer",
        "Volunteer",
        "From signing up to leading a team: each rung hands people more responsibility.",
        1,
    )
    v = _rungs(
        volunteer,
        [
            (
                "Signed up",
                "Took a first action: signed, RSVPed, filled in a form.",
                _v(_did([T.WEB_SIGNUP, T.PETITION_SIGNATURE, T.FORM_SUBMISSION, T.RSVP])),
                [
                    _step(
                        "Invite them to the next event in {city}",
                        "events",
                        "Knock doors with us on Saturday: it's easier than you think, and "
                        "training comes first.",
                        "/act/saturday-school-funding-canvass/",
                    ),
                    _step("Email them the next action on {issue}", "email"),
                    _step(
                        "Call to welcome them and ask what brought them in",
                        "calls",
                        "Tell us how you'd like to help — calls, doors, hosting or data.",
                        "/act/volunteer-with-prairie-forward/",
                    ),
                ],
            ),
            (
                "Attended",
                "Came to an event in person.",
                _v(_stat("events_attended", 1)),
                [
                    _step(
                        "Ask them to take a volunteer shift with the {chapter}",
                        "events",
                        "Take a shift at Saturday's canvass with the {chapter}.",
                        "/act/saturday-school-funding-canvass/",
                    ),
                    _step("Call and ask them to join a phone bank", "calls"),
                    _step("Ask them to share the next event on social media", "social"),
                ],
            ),
            (
                "Volunteered",
                "Did a shift, made calls or knocked doors.",
                _v(
                    {
                        "kind": "any",
                        "of": [
                            _stat("shifts_done", 1),
                            _stat("calls_made", 1),
                            _stat("doors_knocked", 1),
                        ],
                    }
                ),
                [
                    _step("Ask them to host a house party in {city}", "events"),
                    _step("Ask them to captain the next phone bank", "calls"),
                    _step("Ask them to bring two friends to the next shift", "any"),
                ],
            ),
            (
                "Captain / host",
                "Hosts events or captains shifts; brings others in.",
                _v(
                    {
                        "kind": "any",
                        "of": [
                            _tag(TAG_HOST),
                            {"kind": "all", "of": [_stat("shifts_done", 3), _stat("recruits", 1)]},
                        ],
                    }
                ),
                [
                    _step("Set up a one-on-one about leading a team in {city}", "calls"),
                    _step("Ask them to run the {chapter} canvass", "events"),
                ],
            ),
            (
                "Leader",
                "Leads a team: recruits, trains and holds others accountable.",
                _v(
                    {
                        "kind": "all",
                        "of": [
                            _tag(TAG_HOST),
                            _stat("recruits", 2),
                            _did([T.MEETING], 1),
                        ],
                    }
                ),
                [_step("Ask them to mentor a new captain", "any")],
            ),
        ],
    )
    # Pathways: each of the upper rungs suggests a responsibility to the chapter's leaders.
    for rung, kind in zip(v[2:], ("caller", "host", "team_leader"), strict=True):
        Rung.objects.filter(pk=rung.pk).update(grants=kind)
    donor = _ladder("donor", "Donor", "From a first gift to sustaining the organization.", 2)
    _rungs(
        donor,
        [
            (
                "First gift",
                "Gave once.",
                _v(_stat("gifts_count", 1)),
                [
                    _step("Thank them by phone and tell them what the gift did", "calls"),
                    _step("Send them the impact report on {issue}", "email"),
                ],
            ),
            (
                "Repeat donor",
                "Gave more than once.",
                _v(_stat("gifts_count", 2)),
                [
                    _step("Ask them to become a monthly donor", "giving"),
                    _step("Invite them to a donor briefing in {city}", "events"),
                ],
            ),
            (
                "Monthly or major",
                "Gives monthly (six or more gifts in a year) or $1,000+ a year.",
                _v(
                    {
                        "kind": "any",
                        "of": [
                            _did([T.DONATION], 6, days=365),
                            _stat("given_365d", 1000),
                            _tag(TAG_MAJOR_DONOR),
                        ],
                    }
                ),
                [
                    _step("Invite them to host a fundraising house party", "events"),
                    _step("Ask them to start a personal fundraising page", "social"),
                ],
            ),
        ],
    )
    leadership = _ladder(
        "leadership",
        "Leadership",
        "Who is ready for more: engagement now, not just history. Steps down after 180 days "
        "without action.",
        3,
        step_down=180,
    )
    _rungs(
        leadership,
        [
            (
                "Engaged",
                "Acting regularly: an engagement score of 25 or more.",
                _v(_stat("engagement_score", 25)),
                [
                    _step("Invite them to a volunteer orientation in {city}", "events"),
                    _step("Call and ask what they would like to do next", "calls"),
                ],
            ),
            (
                "Team member",
                "Volunteers and has met one-on-one with an organizer this year.",
                _v(
                    {
                        "kind": "all",
                        "of": [
                            {"kind": "rung", "ladder": volunteer.pk, "at_least": v[2].pk},
                            _did([T.MEETING], 1, days=365),
                        ],
                    }
                ),
                [_step("Ask them to take on a team role in the {chapter}", "any")],
            ),
            (
                "Organizer",
                "A captain or host with a score of 60 or more.",
                _v(
                    {
                        "kind": "all",
                        "of": [
                            {"kind": "rung", "ladder": volunteer.pk, "at_least": v[3].pk},
                            _stat("engagement_score", 60),
                        ],
                    }
                ),
                [_step("Ask them to lead the next campaign push in {city}", "any")],
            ),
        ],
    )
    return [volunteer, donor, leadership]


def seed_and_place(*, now: dt.datetime | None = None) -> RecomputeResult:
    """Seed the ladders, then compute every score and placement."""
    seed_ladders()
    return ladders_recompute(now=now)


__all__ = ["seed_and_place", "seed_ladders"]
