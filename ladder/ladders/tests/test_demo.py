"""The demo's ladders: seeded with the demo load, the year replayed through the worker's path,
so people are placed and promoted month by month and the ladder screen has a funnel, monthly
conversion and time on a rung to show."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ladder.activity.catalogue import ActivityType
from ladder.activity.models import Activity
from ladder.activity.rollups import rollups_update
from ladder.core.models import Role
from ladder.core.testing import make_user
from ladder.demo import generate_demo
from ladder.demo.ladders import seed_and_place
from ladder.ladders.models import Ladder, RungMove, RungPlacement
from ladder.ladders.placement import ladders_update
from ladder.ladders.selectors import ladder_report

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


def test_demo_places_and_promotes_people_over_the_year():
    generate_demo(seed=7, people=400, duplicates=0, now=NOW)
    ladders = {lad.slug: lad for lad in Ladder.objects.all()}
    assert set(ladders) == {"volunteer", "donor", "leadership"}
    volunteer = RungPlacement.objects.filter(ladder=ladders["volunteer"])
    rungs_used = set(volunteer.values_list("rung__position", flat=True))
    assert {1, 2, 3} <= rungs_used  # a funnel, not a single step
    assert RungPlacement.objects.filter(ladder=ladders["donor"]).exists()

    # Promoted, not only placed: people climbed from one rung to a higher one, in months
    # spread over the year, and every move is on their timeline as a level change.
    def climbed(move: RungMove) -> bool:
        return bool(move.from_rung and move.to_rung
                    and move.to_rung.position > move.from_rung.position)  # fmt: skip

    every = list(RungMove.objects.select_related("from_rung", "to_rung"))
    ups = [m for m in every if m.ladder_id == ladders["volunteer"].pk and climbed(m)]
    assert len(ups) >= 10
    months = {timezone.localtime(m.moved_at).strftime("%Y-%m") for m in ups}
    assert len(months) >= 6
    assert NOW - dt.timedelta(days=366) <= min(m.moved_at for m in every)
    assert max(m.moved_at for m in every) <= NOW
    logged = Activity.objects.filter(type=ActivityType.LEVEL_CHANGE, payload__move="up")
    assert logged.count() == sum(1 for m in every if climbed(m))

    # The ladder screen's figures come alive: conversion in past months, time on a rung.
    report = ladder_report(make_user("ed", Role.STAFF), ladders["volunteer"], now=NOW)
    bottom = report.rungs[0]
    assert any(rate for rate in bottom.conversion[:-1])
    assert bottom.median_days is not None and bottom.stays > 0

    # Once the worker has folded what the demo's public pages added, placing again changes
    # nothing: placements are idempotent.
    while rollups_update(now=timezone.now() + dt.timedelta(minutes=1)):
        pass
    while ladders_update(now=NOW):
        pass
    before = RungPlacement.objects.count()
    assert seed_and_place(now=NOW).moves == 0
    assert RungPlacement.objects.count() == before
