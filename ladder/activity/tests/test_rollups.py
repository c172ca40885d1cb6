"""Rollups (PersonStats, DailyMetric, the watermark) and the activity selectors, on the real DB."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Max
from django.forms.models import model_to_dict
from django.http import Http404
from django.utils import timezone

from conftest import make_user
from ladder.activity.catalogue import ActivityType as T
from ladder.activity.models import Activity, DailyMetric, PersonStats, RollupWatermark
from ladder.activity.rollups import SETTLE, rollups_rebuild, rollups_update
from ladder.activity.selectors import daily_totals, timeline_for
from ladder.activity.services import activity_record
from ladder.core.models import Role
from ladder.people.models import Person
from ladder.people.services import person_create

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)
# Every activity written in a test has settled by then: rows settle from when they are written,
# and a whole suite on two workers can reach this module many minutes after NOW was taken.
LATER = NOW + dt.timedelta(hours=2)


def record(person: Person, type: str, days_ago: float = 1, **fields: Any) -> Activity:
    return activity_record(
        person=person, type=type, occurred_at=NOW - dt.timedelta(days=days_ago), **fields
    )


def stats(person: Person) -> PersonStats:
    return PersonStats.objects.get(person=person)


def stats_snapshot() -> dict[int, dict[str, Any]]:
    return {
        row.person_id: {k: v for k, v in model_to_dict(row).items() if k != "computed_at"}
        for row in PersonStats.objects.all()
    }


def daily_snapshot() -> set[tuple]:
    return set(DailyMetric.objects.values_list("day", "type", "group_id", "count", "amount"))


def fold_all(batch_size: int | None = None) -> int:
    total = 0
    while folded := rollups_update(batch_size, now=LATER):
        total += folded
    return total


def test_update_folds_new_activities_and_is_idempotent(person_in_a):
    record(person_in_a, T.EMAIL_OPENED, days_ago=3)
    record(person_in_a, T.EMAIL_CLICKED, days_ago=2)
    record(person_in_a, T.DONATION, days_ago=2, amount=Decimal("25.00"))
    record(person_in_a, T.PETITION_SIGNATURE, days_ago=1)

    assert rollups_update(now=LATER) == 4
    row = stats(person_in_a)
    assert row.last_open_at == NOW - dt.timedelta(days=3)
    assert row.last_click_at == NOW - dt.timedelta(days=2)
    assert row.last_action_at == NOW - dt.timedelta(days=1)
    assert row.first_activity_at == NOW - dt.timedelta(days=3)
    assert (row.actions_total, row.gifts_count, row.given_total) == (2, 1, Decimal("25.00"))
    before = (stats_snapshot(), daily_snapshot())

    assert rollups_update(now=LATER) == 0
    assert (stats_snapshot(), daily_snapshot()) == before
    assert sum(DailyMetric.objects.values_list("count", flat=True)) == 4

    record(person_in_a, T.DONATION, days_ago=0.5, amount=Decimal("10.00"))
    assert rollups_update(now=LATER) == 1
    assert stats(person_in_a).given_total == Decimal("35.00")
    assert sum(DailyMetric.objects.values_list("count", flat=True)) == 5


def test_watermark_advances_batch_by_batch(person_in_a):
    ids = [record(person_in_a, T.NOTE, days_ago=i).pk for i in range(5)]
    assert rollups_update(2, now=LATER) == 2
    assert RollupWatermark.objects.get().last_activity_id == ids[1]
    assert rollups_update(2, now=LATER) == 2
    assert rollups_update(2, now=LATER) == 1
    assert RollupWatermark.objects.get().last_activity_id == ids[4]
    assert rollups_update(2, now=LATER) == 0
    assert sum(DailyMetric.objects.values_list("count", flat=True)) == 5


def test_unsettled_activity_holds_back_everything_after_it(person_in_a):
    """Ids are not committed in order, so the watermark never passes a recent activity: a
    later id that has settled waits until the earlier one has."""
    early = record(person_in_a, T.NOTE)
    late = record(person_in_a, T.NOTE)
    Activity.objects.filter(pk=early.pk).update(created_at=NOW)
    Activity.objects.filter(pk=late.pk).update(created_at=NOW - dt.timedelta(minutes=5))

    assert rollups_update(now=NOW + SETTLE / 2) == 0
    assert not PersonStats.objects.exists()
    assert rollups_update(now=NOW + SETTLE * 2) == 2
    assert RollupWatermark.objects.get().last_activity_id == late.pk


def test_refunds_subtract(person_in_a):
    record(person_in_a, T.DONATION, days_ago=400, amount=Decimal("100.00"))
    record(person_in_a, T.DONATION, days_ago=10, amount=Decimal("30.00"))
    record(person_in_a, T.DONATION_REFUND, days_ago=5, amount=Decimal("30.00"))
    fold_all()
    row = stats(person_in_a)
    assert row.given_total == Decimal("100.00")
    assert row.given_365d == Decimal("0.00")
    assert row.given_largest == Decimal("100.00")
    assert row.gifts_count == 2
    assert row.last_gift_at == NOW - dt.timedelta(days=10)
    refunds = DailyMetric.objects.get(type=T.DONATION_REFUND)
    assert (refunds.count, refunds.amount) == (1, Decimal("30.00"))


def test_calls_by_a_volunteer_count_for_the_volunteers_person(person_in_a, person_in_b):
    login = make_user("vic", Role.VOLUNTEER)
    volunteer = person_create(actor=None, first_name="Vic", last_name="Volunteer", user=login)
    record(person_in_a, T.CALL, actor=login, result="talked")
    record(person_in_b, T.CALL, actor=login, result="not_home")
    record(person_in_b, T.DOOR_KNOCK, actor=login, result="talked")
    record(person_in_b, T.CALL, actor=None)  # made by nobody we know

    fold_all()
    assert (stats(volunteer).calls_made, stats(volunteer).doors_knocked) == (2, 1)
    assert (stats(person_in_b).calls_made, stats(person_in_b).doors_knocked) == (0, 0)
    assert stats(person_in_b).last_contact_at == NOW - dt.timedelta(days=1)
    assert stats(person_in_b).touches_30d == 3


def test_windows_and_recruits(person_in_a):
    record(person_in_a, T.TEXT, days_ago=10)
    record(person_in_a, T.MEETING, days_ago=60)
    record(person_in_a, T.RELATIONAL_TOUCH, days_ago=200)
    record(person_in_a, T.ATTENDANCE, days_ago=20)
    record(person_in_a, T.SHIFT_COMPLETED, days_ago=20)
    recruit = person_create(actor=None, first_name="Rae", last_name="R", recruited_by=person_in_a)
    record(recruit, T.WEB_SIGNUP)
    fold_all()
    row = stats(person_in_a)
    assert (row.touches_30d, row.touches_90d) == (1, 2)
    assert row.last_contact_at == NOW - dt.timedelta(days=10)
    assert (row.events_attended, row.shifts_done, row.recruits) == (1, 1, 1)
    # meeting, attendance and shift are actions; the last was 20 days ago
    assert row.actions_total == 3
    # The score is ladder.ladders.scoring's: new rows start at 0 (see the next test).
    assert (row.engagement_score, row.engagement_raw) == (0, 0.0)


def test_score_columns_are_not_touched_by_updates(person_in_a):
    record(person_in_a, T.ATTENDANCE, days_ago=3)
    fold_all()
    PersonStats.objects.filter(person=person_in_a).update(engagement_raw=12.5, engagement_score=9)
    record(person_in_a, T.SHIFT_COMPLETED, days_ago=1)
    fold_all()
    row = stats(person_in_a)
    assert row.shifts_done == 1  # the row was recomputed…
    assert (row.engagement_raw, row.engagement_score) == (12.5, 9)  # …but not the score


def test_daily_metric_is_attributed_to_the_home_group(two_groups):
    home = person_create(actor=None, first_name="H", home_group=two_groups[1])
    nowhere = person_create(actor=None, first_name="N")
    record(home, T.DONATION, days_ago=0, amount=Decimal("20.00"))
    record(home, T.DONATION, days_ago=0, amount=Decimal("5.50"))
    record(nowhere, T.DONATION, days_ago=0, amount=Decimal("7.00"))
    fold_all()
    rows = {m.group_id: (m.count, m.amount) for m in DailyMetric.objects.filter(type=T.DONATION)}
    assert rows == {two_groups[1].pk: (2, Decimal("25.50")), 0: (1, Decimal("7.00"))}
    day = DailyMetric.objects.filter(type=T.DONATION).aggregate(day=Max("day"))["day"]
    assert day == timezone.localdate(NOW, timezone=timezone.get_default_timezone())


def _varied_history(two_groups) -> list[Person]:
    login = make_user("vic", Role.VOLUNTEER)
    people = [
        person_create(actor=None, first_name="Vic", user=login, home_group=two_groups[0]),
        person_create(actor=None, first_name="Ann", home_group=two_groups[1]),
        person_create(actor=None, first_name="Bob"),
    ]
    people.append(person_create(actor=None, first_name="Cy", recruited_by=people[1]))
    types = [
        T.EMAIL_OPENED, T.DONATION, T.ATTENDANCE, T.CALL, T.DOOR_KNOCK, T.TEXT,
        T.SHIFT_COMPLETED, T.PETITION_SIGNATURE, T.DONATION_REFUND, T.EMAIL_CLICKED,
    ]  # fmt: skip
    for i in range(60):
        kind = types[i % len(types)]
        record(
            people[i % len(people)],
            kind,
            days_ago=i * 7 % 500,
            amount=Decimal(5 + i) if kind in (T.DONATION, T.DONATION_REFUND) else None,
            actor=login if kind in (T.CALL, T.DOOR_KNOCK) else None,
        )
    return people


def test_rebuild_equals_incremental(two_groups):
    people = _varied_history(two_groups)
    fold_all(batch_size=7)
    incremental = (stats_snapshot(), daily_snapshot())
    assert set(incremental[0]) == {p.pk for p in people}

    PersonStats.objects.all().delete()
    DailyMetric.objects.all().delete()
    RollupWatermark.objects.all().delete()
    result = rollups_rebuild(now=LATER, people_chunk=2, activity_chunk=9)
    assert (stats_snapshot(), daily_snapshot()) == incremental
    assert result.activities == 60 and result.people == 4
    assert result.watermark == Activity.objects.aggregate(m=Max("id"))["m"]
    assert rollups_update(now=LATER) == 0  # nothing is folded twice after a rebuild


def test_rebuild_replaces_stale_figures_and_covers_people_without_activity(person_in_a):
    quiet = person_create(actor=None, first_name="Quiet")
    record(person_in_a, T.DONATION, amount=Decimal("10.00"))
    fold_all()
    PersonStats.objects.filter(person=person_in_a).update(given_total=999, touches_30d=7)
    DailyMetric.objects.update(count=42)
    phases: list[str] = []
    rollups_rebuild(lambda phase, done, total: phases.append(phase), now=LATER)
    assert (stats(person_in_a).given_total, stats(person_in_a).touches_30d) == (10, 0)
    assert DailyMetric.objects.get().count == 1
    assert stats(quiet).engagement_score == 0 and stats(quiet).first_activity_at is None
    assert {"daily metrics", "people"} <= set(phases)


def test_rollups_command_rebuild_and_update(person_in_a):
    record(person_in_a, T.DONATION, amount=Decimal("12.00"))
    Activity.objects.update(created_at=NOW - dt.timedelta(minutes=5))
    out, err = StringIO(), StringIO()
    call_command("rollups", "rebuild", stdout=out, stderr=err)
    assert "Rebuilt rollups for 1 people from 1 activities" in out.getvalue()
    assert stats(person_in_a).given_total == Decimal("12.00")

    record(person_in_a, T.DONATION, amount=Decimal("3.00"))
    Activity.objects.update(created_at=NOW - dt.timedelta(minutes=5))
    call_command("rollups", "update", stdout=out)
    assert "Folded 1 activities" in out.getvalue()
    assert stats(person_in_a).given_total == Decimal("15.00")


# Selectors -------------------------------------------------------------------------------


def test_timeline_filters_pages_and_orders(staff_user, person_in_a):
    made = [record(person_in_a, t, days_ago=d) for d, t in enumerate(
        [T.CALL, T.EMAIL_OPENED, T.DONATION, T.CALL, T.NOTE, T.TEXT]
    )]  # fmt: skip
    page = timeline_for(staff_user, person_in_a, limit=4)
    assert [a.pk for a in page.activities] == [a.pk for a in made[:4]]
    assert page.next_before == (made[3].occurred_at, made[3].pk)
    rest = timeline_for(staff_user, person_in_a, before=page.next_before, limit=4)
    assert [a.pk for a in rest.activities] == [a.pk for a in made[4:]]
    assert rest.next_before is None

    calls = timeline_for(staff_user, person_in_a, types=[T.CALL])
    assert [a.pk for a in calls.activities] == [made[0].pk, made[3].pk]
    email = timeline_for(staff_user, person_in_a, channel="email")
    assert [a.type for a in email.activities] == [T.EMAIL_OPENED]
    assert timeline_for(staff_user, person_in_a, types=["nonsense"]).activities == []


def test_timeline_keyset_breaks_ties_on_id(staff_user, person_in_a):
    same = [record(person_in_a, T.NOTE, days_ago=1) for _ in range(3)]
    first = timeline_for(staff_user, person_in_a, limit=2)
    second = timeline_for(staff_user, person_in_a, before=first.next_before, limit=2)
    seen = [a.pk for a in [*first.activities, *second.activities]]
    assert seen == sorted((a.pk for a in same), reverse=True)


def test_timeline_is_scoped(leader_a, leader_b, person_in_a):
    record(person_in_a, T.NOTE)
    assert len(timeline_for(leader_a, person_in_a).activities) == 1
    with pytest.raises(Http404):
        timeline_for(leader_b, person_in_a)
    with pytest.raises(Http404):
        timeline_for(leader_b, person_in_a.pk)


def test_daily_totals_are_scoped_by_group(staff_user, leader_a, leader_b, two_groups):
    in_a = person_create(actor=None, first_name="A", home_group=two_groups[0])
    in_b = person_create(actor=None, first_name="B", home_group=two_groups[1])
    nowhere = person_create(actor=None, first_name="N")
    for person in (in_a, in_b, in_b, nowhere):
        record(person, T.DONATION, days_ago=0, amount=Decimal("10.00"))
    record(in_a, T.DONATION, days_ago=45, amount=Decimal("99.00"))  # outside 30 days
    fold_all()

    def totals(user) -> tuple[int, Decimal]:
        rows = daily_totals(user, days=30)
        return sum(r.count for r in rows), sum((r.amount for r in rows), Decimal(0))

    assert totals(staff_user) == (4, Decimal("40.00"))
    assert totals(leader_a) == (1, Decimal("10.00"))
    assert totals(leader_b) == (2, Decimal("20.00"))
    assert daily_totals(make_user("val", Role.VOLUNTEER)) == []
    assert daily_totals(staff_user, days=60)[0].amount == Decimal("99.00")


def test_leader_of_a_group_without_metrics_sees_nothing(leader_b, person_in_a):
    # person_in_a is a member of group A but has no home group: the metric is group 0.
    record(person_in_a, T.DONATION, days_ago=0, amount=Decimal("10.00"))
    fold_all()
    assert daily_totals(leader_b) == []
