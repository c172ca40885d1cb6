"""Placement and promotion on ladders: moves, level_change activities, step-downs, idempotence."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from ladder.activity.catalogue import ActivityType as T
from ladder.activity.models import Activity, RollupWatermark
from ladder.activity.rollups import rollups_update
from ladder.activity.services import activity_record
from ladder.ladders.models import Ladder, Rung, RungMove, RungPlacement
from ladder.ladders.placement import (
    ladders_recompute,
    ladders_update,
    placements_recompute,
)
from ladder.people.models import Person
from ladder.people.services import person_create

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)
LATER = NOW + dt.timedelta(minutes=1)


def settled() -> dt.datetime:
    """A moment by which every activity written so far has settled for the rollups (their
    settling window is measured from when rows are written, not from NOW)."""
    return timezone.now() + dt.timedelta(minutes=1)


def record(person: Person, type: str, days_ago: float = 1, **fields: Any) -> Activity:
    return activity_record(
        person=person, type=type, occurred_at=NOW - dt.timedelta(days=days_ago), **fields
    )


def fold(now: dt.datetime = LATER) -> None:
    while rollups_update(now=settled()):
        pass
    while ladders_update(now=now):
        pass


def stat(field: str, value: float, op: str = "gte") -> dict[str, Any]:
    return {"version": 1, "match": {"kind": "stat", "field": field, "op": op, "value": value}}


def did(types: list[str], days: int | None = None) -> dict[str, Any]:
    cond: dict[str, Any] = {"kind": "activity", "types": types}
    if days:
        cond["days"] = days
    return {"version": 1, "match": cond}


def make_ladder(slug: str, rungs: list[tuple[str, dict[str, Any]]], **fields: Any) -> Ladder:
    ladder = Ladder.objects.create(name=slug.title(), slug=slug, **fields)
    for position, (name, criteria) in enumerate(rungs, start=1):
        Rung.objects.create(ladder=ladder, position=position, name=name, criteria=criteria)
    return ladder


@pytest.fixture
def volunteer_ladder(db) -> Ladder:
    return make_ladder(
        "volunteer",
        [
            ("Signed up", did([T.PETITION_SIGNATURE, T.WEB_SIGNUP])),
            ("Attended", stat("events_attended", 1)),
            ("Volunteered", stat("shifts_done", 1)),
        ],
    )


def rung_of(person: Person, ladder: Ladder) -> str | None:
    row = RungPlacement.objects.filter(person=person, ladder=ladder).select_related("rung").first()
    return row.rung.name if row else None


def level_changes(person: Person) -> list[dict[str, Any]]:
    rows = Activity.objects.filter(person=person, type=T.LEVEL_CHANGE).order_by("id")
    return [a.payload for a in rows]


def test_people_are_placed_on_the_highest_rung_they_meet(volunteer_ladder, person_in_a):
    signer = person_create(actor=None, first_name="Sig")
    nobody = person_create(actor=None, first_name="Nobody")
    record(signer, T.PETITION_SIGNATURE)
    record(person_in_a, T.PETITION_SIGNATURE)
    record(person_in_a, T.ATTENDANCE)
    fold()  # the incremental path places them as their activity is folded
    assert rung_of(signer, volunteer_ladder) == "Signed up"
    # Meets rungs 1 and 2: goes straight to 2, in one move.
    assert rung_of(person_in_a, volunteer_ladder) == "Attended"
    assert rung_of(nobody, volunteer_ladder) is None

    move = RungMove.objects.get(person=person_in_a)
    assert move.from_rung is None and move.to_rung is not None
    assert move.to_rung.name == "Attended" and move.moved_at == LATER
    (payload,) = level_changes(person_in_a)
    assert payload == {
        "ladder": "Volunteer", "ladder_id": volunteer_ladder.pk, "from": None,
        "from_rung_id": None, "to": "Attended", "to_rung_id": move.to_rung.pk, "move": "joined",
    }  # fmt: skip
    activity = Activity.objects.get(person=person_in_a, type=T.LEVEL_CHANGE)
    assert activity.occurred_at == LATER and activity.object_id == volunteer_ladder.pk
    assert activity.idempotency_key.startswith(
        f"level:{volunteer_ladder.pk}:{person_in_a.pk}:{move.to_rung.pk}:"
    )
    placement = RungPlacement.objects.get(person=person_in_a)
    assert placement.since == LATER


def test_new_activity_promotes(volunteer_ladder, person_in_a):
    record(person_in_a, T.WEB_SIGNUP, days_ago=10)
    fold()
    assert rung_of(person_in_a, volunteer_ladder) == "Signed up"
    record(person_in_a, T.SHIFT_COMPLETED, days_ago=0)
    later = LATER + dt.timedelta(minutes=5)
    fold(later)
    assert rung_of(person_in_a, volunteer_ladder) == "Volunteered"
    moves = list(RungMove.objects.filter(person=person_in_a).order_by("id"))
    assert [(m.from_rung and m.from_rung.name, m.to_rung and m.to_rung.name) for m in moves] == [
        (None, "Signed up"),
        ("Signed up", "Volunteered"),
    ]
    assert [p["move"] for p in level_changes(person_in_a)] == ["joined", "up"]
    assert RungPlacement.objects.get(person=person_in_a).since == later


def test_rerun_is_idempotent_and_level_changes_do_not_loop(volunteer_ladder, person_in_a):
    record(person_in_a, T.ATTENDANCE)
    record(person_in_a, T.PETITION_SIGNATURE)
    fold()
    counts = (RungMove.objects.count(), Activity.objects.count())
    assert counts[0] == 1
    # The level_change row just written is folded next: it weighs nothing and moves nobody.
    fold(LATER + dt.timedelta(minutes=5))
    assert placements_recompute(now=LATER + dt.timedelta(days=1)) == 0
    result = ladders_recompute(now=LATER + dt.timedelta(days=1))
    assert result.moves == 0
    assert (RungMove.objects.count(), Activity.objects.count()) == counts
    marks = dict(RollupWatermark.objects.values_list("name", "last_activity_id"))
    assert marks["ladders"] == marks["activity"] == Activity.objects.latest("id").pk


def test_no_demotion_without_step_down(person_in_a):
    ladder = make_ladder(
        "recent",
        [("Signer", did([T.PETITION_SIGNATURE])), ("Active", did([T.ATTENDANCE], days=30))],
    )
    record(person_in_a, T.PETITION_SIGNATURE, days_ago=5)
    record(person_in_a, T.ATTENDANCE, days_ago=5)
    fold()
    assert rung_of(person_in_a, ladder) == "Active"
    # A year on, the attendance is out of the 30-day window; the rung is kept.
    assert placements_recompute(now=NOW + dt.timedelta(days=365)) == 0
    assert rung_of(person_in_a, ladder) == "Active"


def test_step_down_after_inactivity(person_in_a):
    ladder = make_ladder(
        "active",
        [
            ("Signer", did([T.PETITION_SIGNATURE], days=400)),
            ("Active", did([T.ATTENDANCE], days=30)),
        ],
        step_down_after_days=60,
    )
    record(person_in_a, T.PETITION_SIGNATURE, days_ago=5)
    record(person_in_a, T.ATTENDANCE, days_ago=5)
    fold()
    assert rung_of(person_in_a, ladder) == "Active"
    # 40 days later: out of the rung's window, but active within 60 days — kept.
    assert placements_recompute(now=NOW + dt.timedelta(days=40)) == 0
    assert rung_of(person_in_a, ladder) == "Active"
    # 100 days later: inactive for more than 60 days; steps down to what they still meet.
    assert placements_recompute(now=NOW + dt.timedelta(days=100)) == 1
    assert rung_of(person_in_a, ladder) == "Signer"
    assert level_changes(person_in_a)[-1]["move"] == "down"
    # 500 days later they meet nothing: off the ladder, and the move says so.
    assert placements_recompute(now=NOW + dt.timedelta(days=500)) == 1
    assert rung_of(person_in_a, ladder) is None
    last = RungMove.objects.filter(person=person_in_a).latest("id")
    assert last.to_rung is None and last.from_rung is not None
    assert level_changes(person_in_a)[-1] | {"from_rung_id": 0} == {
        "ladder": "Active", "ladder_id": ladder.pk, "from": "Signer", "from_rung_id": 0,
        "to": None, "to_rung_id": None, "move": "left",
    }  # fmt: skip


def test_a_ladder_can_build_on_another(volunteer_ladder, person_in_a, person_in_b):
    top = volunteer_ladder.rungs.get(position=3)
    leaders = make_ladder(
        "leadership",
        [
            ("Engaged", stat("engagement_score", 5)),
            (
                "Team lead",
                {
                    "version": 1,
                    "match": {
                        "kind": "all",
                        "of": [
                            {"kind": "rung", "ladder": volunteer_ladder.pk, "at_least": top.pk},
                            {"kind": "stat", "field": "engagement_score", "op": "gte",
                             "value": 20},
                        ],
                    },
                },
            ),
        ],
        position=5,
    )  # fmt: skip
    record(person_in_a, T.SHIFT_COMPLETED, days_ago=1)
    record(person_in_a, T.SHIFT_COMPLETED, days_ago=2)
    record(person_in_b, T.ATTENDANCE, days_ago=1)
    fold()
    assert rung_of(person_in_a, leaders) == "Team lead"  # score ~24, volunteered
    assert rung_of(person_in_b, leaders) == "Engaged"  # score ~9.9, only attended


def test_broken_criteria_skip_that_ladder_only(volunteer_ladder, person_in_a):
    make_ladder("broken", [("Bad", {"version": 1, "match": {"kind": "nonsense"}})])
    record(person_in_a, T.WEB_SIGNUP)
    fold()
    assert rung_of(person_in_a, volunteer_ladder) == "Signed up"
    marks = dict(RollupWatermark.objects.values_list("name", "last_activity_id"))
    assert marks["ladders"] == marks["activity"]  # the worker is not stuck


def test_inactive_ladders_and_merged_people_are_left_alone(volunteer_ladder, person_in_a):
    gone = person_create(actor=None, first_name="Gone")
    gone.merged_into = person_in_a
    gone.save(update_fields=["merged_into"])
    record(gone, T.WEB_SIGNUP)
    paused = make_ladder("paused", [("Any", did([T.WEB_SIGNUP]))], is_active=False)
    fold()
    assert rung_of(gone, volunteer_ladder) is None
    assert not RungPlacement.objects.filter(ladder=paused).exists()


def test_full_recompute_in_chunks_places_everyone(volunteer_ladder):
    people = [person_create(actor=None, first_name=f"P{i}") for i in range(7)]
    for i, person in enumerate(people):
        record(person, T.WEB_SIGNUP)
        if i % 2:
            record(person, T.ATTENDANCE)
    while rollups_update(now=settled()):
        pass
    phases: list[tuple[str, int, int]] = []
    moves = placements_recompute(now=LATER, chunk=2, progress=lambda *a: phases.append(a))
    assert moves == 7
    counts = {
        name: RungPlacement.objects.filter(rung__name=name).count()
        for name in ("Signed up", "Attended")
    }
    assert counts == {"Signed up": 4, "Attended": 3}
    assert phases[-1][0] == "Volunteer" and phases[-1][1] == phases[-1][2]


def test_incremental_pass_skips_people_whose_activity_cannot_move_them(person_in_a):
    from ladder.people.models import Tag, Tagging

    ladder = make_ladder(
        "donor",
        [
            ("Donor", stat("gifts_count", 1)),
            ("Major", {"version": 1, "match": {"kind": "tags", "match": "any",
                                               "tags": [Tag.objects.create(name="major").pk]}}),
        ],
    )  # fmt: skip
    record(person_in_a, T.DONATION, amount=25)
    fold()
    assert rung_of(person_in_a, ladder) == "Donor"
    # Tagged by hand (no activity), then sent an email: a send cannot change a donor ladder,
    # so the worker leaves her where she is…
    Tagging.objects.create(person=person_in_a, tag=Tag.objects.get(name="major"))
    record(person_in_a, T.EMAIL_SENT, days_ago=0)
    fold(LATER + dt.timedelta(minutes=5))
    assert rung_of(person_in_a, ladder) == "Donor"
    # …until something that can: her next gift (or the nightly recompute).
    record(person_in_a, T.DONATION, days_ago=0, amount=10)
    fold(LATER + dt.timedelta(minutes=10))
    assert rung_of(person_in_a, ladder) == "Major"


def test_incremental_equals_full_recompute(volunteer_ladder, two_groups):
    scored = make_ladder(
        "engaged",
        [
            ("Warm", stat("engagement_score", 4)),
            ("Hot", {"version": 1, "match": {"kind": "all", "of": [
                {"kind": "rung", "ladder": volunteer_ladder.pk, "at_least":
                 volunteer_ladder.rungs.get(position=2).pk},
                {"kind": "stat", "field": "engagement_score", "op": "gte", "value": 12},
            ]}}),
        ],
        position=5,
    )  # fmt: skip
    kinds = [T.EMAIL_SENT, T.EMAIL_OPENED, T.WEB_SIGNUP, T.ATTENDANCE, T.SHIFT_COMPLETED,
             T.DONATION, T.PETITION_SIGNATURE]  # fmt: skip
    people = [person_create(actor=None, first_name=f"P{i}") for i in range(12)]
    for i, person in enumerate(people):
        for k in range(i % 5 + 1):
            record(person, kinds[(i * 3 + k) % len(kinds)], days_ago=k + 1, amount=5)
        fold(LATER + dt.timedelta(seconds=i))  # folded in many small batches
    incremental = set(RungPlacement.objects.values_list("person_id", "ladder_id", "rung_id"))
    assert {lad for _, lad, _ in incremental} == {volunteer_ladder.pk, scored.pk}
    assert placements_recompute(now=LATER + dt.timedelta(seconds=30)) == 0
    assert set(RungPlacement.objects.values_list("person_id", "ladder_id", "rung_id")) == (
        incremental
    )
