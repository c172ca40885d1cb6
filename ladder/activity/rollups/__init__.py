"""Rollups: `PersonStats` per person and `DailyMetric` per day × type × home group.

The activity log is the truth; these tables are a fast, rebuildable summary of it
(DESIGN.md §3). Two ways to keep them current:

* `rollups_update` — the worker calls it every few seconds. It folds the activities above the
  watermark (`RollupWatermark`, the highest activity id already folded) in batches: it *adds*
  their counts and amounts to DailyMetric, *recomputes whole rows* of PersonStats for the people
  they touch, and advances the watermark — all in one transaction, so a crash either folds a
  batch completely or not at all and never double-counts.
* `rollups_rebuild` — recomputes everything from the log (`ladder rollups rebuild`).

Activity ids and commits. Ids come from a sequence and are handed out when a row is inserted,
but transactions commit in any order: id 101 may be visible while id 100 is still in flight.
A watermark that jumped past 100 would skip it for ever. We cannot see rows in flight, so we
only fold a *settled* prefix of the log: ids below the first activity created less than
`SETTLE` ago. This assumes a transaction that writes activities commits within `SETTLE` of
writing them, which holds for services (short transactions) and for imports, which write
activities in batches of their own transactions. Anything that still slips past (a writer
stalled for longer) is corrected by the next rebuild, which reads the whole log.

The engagement score is not computed here: `ladder.ladders.scoring` owns
`PersonStats.engagement_raw` / `engagement_score`; new rows start at 0 and updates leave them
alone. A rebuild re-inserts rows (score 0), so `ladder rollups rebuild` recomputes the scores
right after it (this module never imports the ladders app).

Windowed fields decay with time: `touches_30d`, `touches_90d` and `given_365d` are computed
relative to the moment a row is computed. The incremental path recomputes a touched person's
whole row, so it is exact for anyone with new activity; people with no new activity keep the
values of their last computation until a rebuild (run `ladder rollups rebuild` nightly, e.g.
from cron, to refresh them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min, Sum
from django.utils import timezone

from ladder.activity.models import Activity, DailyMetric, RollupWatermark
from ladder.activity.rollups import sql
from ladder.people.models import Person

WATERMARK = "activity"
# How old an activity must be before it is folded; see "Activity ids and commits" above.
SETTLE = dt.timedelta(seconds=5)
# Activity ids per DailyMetric statement during a rebuild: large, because each statement
# joins its slice of the log to people once.
REBUILD_ACTIVITY_CHUNK = 2_000_000
# People per PersonStats transaction during a rebuild. A person's activities are scattered
# through the log, so each range reads most of it: few, large ranges (the aggregate spills to
# disk gracefully when it outgrows work_mem).
REBUILD_PEOPLE_CHUNK = 200_000
_NO_LIMIT = 2**63 - 1

# progress(phase, done, total): phase is "daily metrics" or "people".
Progress = Callable[[str, int, int], None]


def _unsettled_from(after_id: int, now: dt.datetime) -> int:
    """The first activity id above ``after_id`` that is too new to fold (or no limit)."""
    first = (
        Activity.objects.filter(id__gt=after_id, created_at__gte=now - SETTLE)
        .aggregate(first=Min("id"))["first"]
    )  # fmt: skip
    return _NO_LIMIT if first is None else first


def _lock_watermark(*, skip_locked: bool = False) -> RollupWatermark | None:
    """Lock the one watermark row for this transaction so that updates and rebuilds never
    interleave. SQLite ignores FOR UPDATE; its IMMEDIATE transactions serialise writers."""
    RollupWatermark.objects.get_or_create(name=WATERMARK)
    rows = RollupWatermark.objects.select_for_update(skip_locked=skip_locked)
    return rows.filter(name=WATERMARK).first()


def rollups_update(batch_size: int | None = None, *, now: dt.datetime | None = None) -> int:
    """Fold the next settled batch of activities into the rollups; return how many were folded.

    ``now`` is the moment the rollups are computed at (window starts, settling); tests pass one.
    """
    size = batch_size or settings.LADDER_ROLLUP_BATCH_SIZE
    now = now or timezone.now()
    with transaction.atomic():
        # Another worker holding the lock is folding this very batch: let it.
        mark = _lock_watermark(skip_locked=True)
        if mark is None:
            return 0
        low = mark.last_activity_id
        params = {"lo": low, "stop": _unsettled_from(low, now), "n": size}
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # A batch runs every few seconds; compiling it costs more than it saves.
                cursor.execute("SET LOCAL jit = off")
            cursor.execute(sql.BATCH_END, params)
            folded, high = cursor.fetchone()
            if not folded:
                return 0
            daily, daily_params = sql.daily_add()
            cursor.execute(daily, {**daily_params, "lo": low, "hi": high})
            cursor.execute(
                sql.stats_upsert(sql.touched_people),
                {**sql.time_params(now), "lo": low, "hi": high},
            )
        mark.last_activity_id = high
        mark.save(update_fields=["last_activity_id", "updated_at"])
    return int(folded)


@dataclass(frozen=True)
class RebuildResult:
    people: int
    activities: int
    watermark: int


def rollups_rebuild(
    progress: Progress | None = None,
    *,
    now: dt.datetime | None = None,
    people_chunk: int = REBUILD_PEOPLE_CHUNK,
    activity_chunk: int = REBUILD_ACTIVITY_CHUNK,
) -> RebuildResult:
    """Recompute DailyMetric and every PersonStats row from the whole log.

    DailyMetric and the watermark are replaced in one transaction (readers keep seeing the old
    figures until it commits). PersonStats is then recomputed in person-id ranges, one
    transaction each: a row is always a full computation from the log, so ranges need no common
    snapshot, and a stopped rebuild leaves every row either old or new, never half-made.
    """
    now = now or timezone.now()
    report = progress or (lambda phase, done, total: None)

    with transaction.atomic():
        mark = _lock_watermark()
        assert mark is not None
        stop = _unsettled_from(0, now)
        bounds = Activity.objects.filter(id__lt=stop).aggregate(low=Min("id"), high=Max("id"))
        first, last = bounds["low"] or 0, bounds["high"] or 0
        DailyMetric.objects.all().delete()
        daily, daily_params = sql.daily_add()
        total = last - first + 1 if last else 0
        report("daily metrics", 0, total)
        with connection.cursor() as cursor:
            for low in range(first - 1, last, activity_chunk):
                high = min(low + activity_chunk, last)
                cursor.execute(daily, {**daily_params, "lo": low, "hi": high})
                report("daily metrics", high - first + 1, total)
        activities = DailyMetric.objects.aggregate(n=Sum("count"))["n"] or 0
        mark.last_activity_id = last
        mark.save(update_fields=["last_activity_id", "updated_at"])

    ids = Person.objects.aggregate(low=Min("id"), high=Max("id"))
    people = 0
    if ids["low"] is not None:
        low_id, high_id = ids["low"], ids["high"]
        span = high_id - low_id + 1
        report("people", 0, span)
        upsert = sql.stats_upsert(sql.person_range)
        delete = sql.stats_delete(sql.person_range)
        times = sql.time_params(now)
        for start in range(low_id, high_id + 1, people_chunk):
            bounds_params = {"plo": start, "phi": start + people_chunk}
            with transaction.atomic():
                _lock_watermark()
                with connection.cursor() as cursor:
                    cursor.execute(delete, bounds_params)
                    cursor.execute(upsert, {**times, **bounds_params})
                    people += max(cursor.rowcount, 0)
            report("people", min(start + people_chunk, high_id + 1) - low_id, span)
    return RebuildResult(people=people, activities=activities, watermark=last)


def stats_refresh(person_ids: list[int], *, now: dt.datetime | None = None) -> None:
    """Recompute the PersonStats rows of a few people from the log at once (a merge or an
    unmerge moved activities between them). Engagement scores wait for the next recompute."""
    ids = sorted({int(pk) for pk in person_ids})
    if not ids:
        return
    listed = ", ".join(str(pk) for pk in ids)
    with connection.cursor() as cursor:
        cursor.execute(
            sql.stats_upsert(lambda column: f"{column} IN ({listed})"),
            sql.time_params(now or timezone.now()),
        )


__all__ = [
    "SETTLE",
    "RebuildResult",
    "rollups_rebuild",
    "rollups_update",
    "stats_refresh",
]
