"""The engagement score: decay math, the full and incremental paths, and the explanation."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from conftest import make_user
from ladder.activity.catalogue import ActivityType as T
from ladder.activity.models import Activity, PersonStats, RollupWatermark
from ladder.activity.rollups import rollups_update
from ladder.activity.services import activity_record
from ladder.core.models import Role
from ladder.ladders.models import EngagementConfig
from ladder.ladders.placement import ladders_update
from ladder.ladders.scoring import (
    DEFAULT_WEIGHTS,
    MIN_HALF_LIFE_DAYS,
    WeightsError,
    contribution,
    current_scoring,
    decay_factor,
    engagement_config,
    engagement_config_update,
    raw_bound,
    score_now,
    scores_recompute,
    weights_validate,
)
from ladder.ladders.scoring.explain import score_breakdown, score_explain
from ladder.people.models import Person
from ladder.people.services import person_create

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)
LATER = NOW + dt.timedelta(minutes=1)  # every activity written in a test has settled by then


def settled() -> dt.datetime:
    """A moment by which every activity written so far has settled for the rollups (their
    settling window is measured from when rows are written, not from NOW)."""
    return timezone.now() + dt.timedelta(minutes=1)


def record(person: Person, type: str, days_ago: float = 1, **fields: Any) -> Activity:
    return activity_record(
        person=person, type=type, occurred_at=NOW - dt.timedelta(days=days_ago), **fields
    )


def fold() -> None:
    while rollups_update(now=settled()):
        pass
    while ladders_update(now=LATER):
        pass


def raw_of(person: Person) -> float:
    return PersonStats.objects.get(person=person).engagement_raw


def expected_raw(person: Person) -> float:
    """The score's definition, evaluated in Python over the person's own activities."""
    s = current_scoring()
    rows = Activity.objects.filter(person=person)
    total = sum(contribution(s.weight_of(a.type, a.result), a.occurred_at, s) for a in rows)
    if person.user_id is not None:
        made = Activity.objects.filter(actor_id=person.user_id, type__in=[T.CALL, T.DOOR_KNOCK])
        total += sum(
            contribution(s.weights.get(f"volunteer:{a.type}", 0), a.occurred_at, s) for a in made
        )
    return total


def test_defaults_are_created_once():
    config = engagement_config()
    assert config.pk == 1 and config.half_life_days == 90
    assert config.weights == DEFAULT_WEIGHTS
    engagement_config()
    assert EngagementConfig.objects.count() == 1


def test_decay_halves_every_half_life(person_in_a):
    record(person_in_a, T.ATTENDANCE, days_ago=0)
    fold()
    raw = raw_of(person_in_a)
    at = NOW
    assert score_now(raw, at) == 10
    assert score_now(raw, at + dt.timedelta(days=90)) == 5
    assert math.isclose(raw * decay_factor(at + dt.timedelta(days=180)), 2.5)
    assert score_now(raw, at + dt.timedelta(days=270)) == 1  # 1.25
    assert score_now(raw, at + dt.timedelta(days=900)) == 0


def test_raw_bound_is_the_inverse_of_the_score():
    for value in (1, 40, 72.5):
        for when in (NOW, NOW + dt.timedelta(days=400), NOW - dt.timedelta(days=700)):
            assert math.isclose(score_now(raw_bound(value, when), when), math.floor(value + 0.5))
    assert raw_bound(0, NOW) == 0


def test_weights_by_type_result_and_volunteer(two_groups):
    login = make_user("vic", Role.VOLUNTEER)
    vic = person_create(actor=None, first_name="Vic", user=login)
    ann = person_create(actor=None, first_name="Ann")
    record(ann, T.CALL, days_ago=2, result="talked", actor=login)
    record(ann, T.CALL, days_ago=3, result="not_home", actor=login)  # reached no one: 0 for Ann
    record(ann, T.DOOR_KNOCK, days_ago=4, result="talked", actor=login)
    record(ann, T.DONATION, days_ago=40, amount=Decimal("25"))
    record(ann, T.EMAIL_SENT, days_ago=1)  # weight 0
    fold()
    s = current_scoring()
    ann_raw = (
        contribution(3, NOW - dt.timedelta(days=2), s)
        + contribution(3, NOW - dt.timedelta(days=4), s)
        + contribution(8, NOW - dt.timedelta(days=40), s)
    )
    assert math.isclose(raw_of(ann), ann_raw, rel_tol=1e-9)
    # Vic made three contacts as a volunteer: one point each, credited to Vic.
    vic_raw = sum(contribution(1, NOW - dt.timedelta(days=d), s) for d in (2, 3, 4))
    assert math.isclose(raw_of(vic), vic_raw, rel_tol=1e-9)
    # engagement_score is the score at the time of the fold
    stats = PersonStats.objects.get(person=ann)
    assert stats.engagement_score == score_now(ann_raw, LATER)


def test_level_change_never_counts_even_if_configured(person_in_a):
    config = engagement_config()
    config.weights = {**DEFAULT_WEIGHTS, T.LEVEL_CHANGE: 50}
    config.save()
    record(person_in_a, T.LEVEL_CHANGE, days_ago=1)
    record(person_in_a, T.PETITION_SIGNATURE, days_ago=1)
    fold()
    s = current_scoring()
    assert math.isclose(
        raw_of(person_in_a), contribution(3, NOW - dt.timedelta(days=1), s), rel_tol=1e-9
    )


def _history(two_groups) -> list[Person]:
    login = make_user("val", Role.VOLUNTEER)
    people = [
        person_create(actor=None, first_name="Val", user=login, home_group=two_groups[0]),
        person_create(actor=None, first_name="Ann", home_group=two_groups[1]),
        person_create(actor=None, first_name="Bob"),
    ]
    kinds = [
        T.EMAIL_OPENED, T.DONATION, T.ATTENDANCE, T.CALL, T.DOOR_KNOCK, T.SHIFT_COMPLETED,
        T.PETITION_SIGNATURE, T.EMAIL_CLICKED, T.MEETING, T.LEVEL_CHANGE,
    ]  # fmt: skip
    for i in range(50):
        kind = kinds[i % len(kinds)]
        record(
            people[i % 3],
            kind,
            days_ago=(i * 37) % 700,
            amount=Decimal(5 + i) if kind == T.DONATION else None,
            result="talked" if i % 2 else "not_home",
            actor=login if kind in (T.CALL, T.DOOR_KNOCK) else None,
        )
    return people


def test_incremental_equals_full_recompute_equals_definition(two_groups):
    people = _history(two_groups)
    # Fold in small batches so that many incremental additions happen.
    while rollups_update(batch_size=7, now=settled()):
        while ladders_update(batch_size=3, now=LATER):
            pass
    while ladders_update(now=LATER):
        pass
    incremental = {p.pk: raw_of(p) for p in people}
    for p in people:
        assert math.isclose(incremental[p.pk], expected_raw(p), rel_tol=1e-9)
    assert any(v > 0 for v in incremental.values())

    PersonStats.objects.update(engagement_raw=0, engagement_score=0)
    changed = scores_recompute(now=LATER)
    assert changed == sum(1 for v in incremental.values() if v)
    for p in people:
        assert math.isclose(raw_of(p), incremental[p.pk], rel_tol=1e-9)
    mark = RollupWatermark.objects.get(name="ladders").last_activity_id
    assert mark == RollupWatermark.objects.get(name="activity").last_activity_id
    assert scores_recompute(now=LATER) == 0  # nothing changes on a re-run


def test_scores_never_run_ahead_of_the_rollups(person_in_a):
    record(person_in_a, T.ATTENDANCE, days_ago=1)
    # The rollups have not folded it yet: the score does not count it either.
    assert ladders_update(now=LATER) == 0
    assert not PersonStats.objects.filter(person=person_in_a).exists()
    fold()
    assert raw_of(person_in_a) > 0


def test_rollups_rebuild_command_recomputes_scores(person_in_a):
    record(person_in_a, T.SHIFT_COMPLETED, days_ago=2)
    Activity.objects.update(created_at=NOW - dt.timedelta(minutes=5))
    fold()
    before = raw_of(person_in_a)
    assert before > 0
    out = StringIO()
    call_command("rollups", "rebuild", stdout=out, stderr=StringIO())
    assert "recomputed engagement scores" in out.getvalue()
    assert math.isclose(raw_of(person_in_a), before, rel_tol=1e-9)


def test_ladders_command_recompute_and_update(person_in_a):
    record(person_in_a, T.SHIFT_COMPLETED, days_ago=2)
    Activity.objects.update(created_at=NOW - dt.timedelta(minutes=5))
    while rollups_update():
        pass
    out = StringIO()
    call_command("ladders", "update", stdout=out)
    assert "Folded 1 activities" in out.getvalue()
    PersonStats.objects.update(engagement_raw=0)
    call_command("ladders", "recompute", stdout=out, stderr=StringIO())
    assert "Recomputed engagement scores (1 changed)" in out.getvalue()
    assert raw_of(person_in_a) > 0


def test_half_life_change_recomputes_and_is_bounded(person_in_a):
    record(person_in_a, T.ATTENDANCE, days_ago=30)
    fold()
    at_90 = score_now(raw_of(person_in_a), NOW)
    engagement_config_update(actor=None, half_life_days=30, weights=DEFAULT_WEIGHTS)
    assert score_now(raw_of(person_in_a), NOW) == 5 < at_90  # one half-life old now
    with pytest.raises(WeightsError):
        engagement_config_update(actor=None, half_life_days=3, weights=DEFAULT_WEIGHTS)
    # A row edited by hand below the bound is clamped, never trusted.
    EngagementConfig.objects.filter(pk=1).update(half_life_days=1)
    assert current_scoring().half_life_days == MIN_HALF_LIFE_DAYS


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ([1, 2], "must be an object"),
        ({"nonsense": 1}, "no such activity type"),
        ({"call:maybe": 1}, "not a result code"),
        ({"volunteer:donation": 1}, "call and door_knock only"),
        ({"donation": "lots"}, "must be a number"),
        ({"donation": True}, "must be a number"),
        ({"donation": float("nan")}, "must be a number"),
        ({"donation": 10_000}, "between"),
    ],
)
def test_bad_weights_are_refused(weights, message):
    with pytest.raises(WeightsError, match=message):
        weights_validate(weights)


def test_explanation_names_the_biggest_contributions(person_in_a):
    for days in (5, 20, 60):
        record(person_in_a, T.ATTENDANCE, days_ago=days)
    record(person_in_a, T.CALL, days_ago=3, result="talked")
    record(person_in_a, T.CALL, days_ago=10, result="talked")
    record(person_in_a, T.DONATION, days_ago=40, amount=Decimal("20"))
    record(person_in_a, T.EMAIL_OPENED, days_ago=1)
    fold()
    breakdown = score_breakdown(person_in_a, LATER)
    assert [p.key for p in breakdown.parts[:3]] == [T.ATTENDANCE, T.DONATION, "call:talked"]
    text = score_explain(person_in_a, LATER)
    assert text == (
        f"{breakdown.score}: 3 events this quarter, last donation 40 days ago, "
        "2 calls answered this quarter"
    )
    assert breakdown.score == score_now(raw_of(person_in_a), LATER)
    exact = raw_of(person_in_a) * decay_factor(LATER)
    assert math.isclose(sum(p.points for p in breakdown.parts), exact, rel_tol=1e-9)


def test_explanation_of_someone_quiet(person_in_a):
    record(person_in_a, T.ATTENDANCE, days_ago=200)
    fold()
    assert score_explain(person_in_a, LATER).endswith(": last event 200 days ago")
    nobody = person_create(actor=None, first_name="Nobody")
    assert score_explain(nobody, LATER) == "0: no scored activity yet"
