"""The demo's ladders: seeded with the demo load, people placed, the funnel alive."""

from __future__ import annotations

import pytest

from ladder.demo import generate_demo
from ladder.demo.ladders import seed_and_place
from ladder.ladders.models import Ladder, RungPlacement

pytestmark = pytest.mark.django_db


def test_demo_places_people_on_three_ladders():
    generate_demo(seed=7, people=400, duplicates=0)
    ladders = {lad.slug: lad for lad in Ladder.objects.all()}
    assert set(ladders) == {"volunteer", "donor", "leadership"}
    volunteer = RungPlacement.objects.filter(ladder=ladders["volunteer"])
    rungs_used = set(volunteer.values_list("rung__position", flat=True))
    assert {1, 2, 3} <= rungs_used  # a funnel, not a single step
    assert RungPlacement.objects.filter(ladder=ladders["donor"]).exists()
    # Seeding again changes nothing: placements are idempotent.
    before = RungPlacement.objects.count()
    assert seed_and_place().moves == 0
    assert RungPlacement.objects.count() == before
