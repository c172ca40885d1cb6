"""Placing people on ladders, set-based.

A person stands on the highest rung whose criteria (filter language) they meet. Rungs only
ever go up, unless the ladder has ``step_down_after_days``: then someone whose last action
(`PersonStats.last_action_at`) is older than that steps down to the highest rung they still
meet — or off the ladder when they meet none.

For each ladder, one query built with the ORM gives every candidate person their current rung
and the rung their criteria reach (a CASE over the compiled criteria, top rung first); the
people whose rung changes go into a temporary table, and four statements write from it: the
`RungMove` rows, a ``level_change`` activity per move (idempotency key
``level:<ladder>:<person>:<to rung or off>:<timestamp>``), the new placements, and the
removals. No per-person ORM saves.

Two entry points:

* `ladders_update` — incremental, called by the worker after `rollups_update`. Under its own
  watermark (``RollupWatermark`` "ladders", never past the rollups' "activity"), it adds the
  new activities' terms to the engagement score and re-places the people they touch.
* `ladders_recompute` — everything: scores from the whole log, then every person on every
  ladder (``ladder ladders recompute``; run it nightly after ``ladder rollups rebuild``, which
  calls it, so that time-based criteria and step-downs catch up with people who did nothing).

The level_change activities written here are new activities too: they weigh 0 in the score
and are not "touches" for re-placement, and placement is idempotent, so they never loop.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BigIntegerField, Case, F, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.expressions import RawSQL
from django.utils import timezone

from ladder.activity.catalogue import ActivityChannel, ActivityType, Direction
from ladder.activity.models import Activity
from ladder.ladders.models import Ladder, Rung, RungMove, RungPlacement
from ladder.ladders.scoring import (
    VOLUNTEER_TYPES,
    analyze_if_big,
    current_scoring,
    lock_watermark,
    rollups_watermark,
    scores_add,
    scores_recompute,
)
from ladder.people.models import Person
from ladder.segments.filters import FilterError, compile_definition

log = logging.getLogger(__name__)

# progress(phase, done, total)
Progress = Callable[[str, int, int], None]

MOVES = "ladder_moves"  # temporary tables, private to the connection
TOUCHED = "ladder_touched"
# People per statement in a full recompute: big enough to stay set-based, small enough for a
# progress bar that moves and a temporary table that stays in memory.
RECOMPUTE_CHUNK = 250_000

_q = connection.ops.quote_name
ACT = _q(Activity._meta.db_table)
PER = _q(Person._meta.db_table)
RUNG = _q(Rung._meta.db_table)
MOVE = _q(RungMove._meta.db_table)
PLACE = _q(RungPlacement._meta.db_table)


def _ladders() -> list[tuple[Ladder, list[Rung]]]:
    """Active ladders in order (a ladder's criteria may name rungs of an earlier one), each
    with its rungs top first."""
    ladders = list(Ladder.objects.filter(is_active=True).prefetch_related("rungs"))
    return [(lad, sorted(lad.rungs.all(), key=lambda r: -r.position)) for lad in ladders]


def _position(column: str, rungs: Sequence[Rung]) -> str:
    whens = " ".join(f"WHEN {int(r.pk)} THEN {int(r.position)}" for r in rungs)
    return f"(CASE {column} {whens} END)"


def moves_query(
    ladder: Ladder, rungs: Sequence[Rung], people: QuerySet[Person], now: dt.datetime
) -> tuple[str, list[Any]]:
    """SQL (and params) of the moves on ``ladder`` for ``people``: rows (pid, from_rung,
    to_rung) for everyone whose rung changes; to_rung NULL means off the ladder."""
    target = Case(
        *[When(compile_definition(r.criteria, now=now), then=Value(r.pk)) for r in rungs],
        default=Value(None),
        output_field=BigIntegerField(),
    )
    current = RungPlacement.objects.filter(person_id=OuterRef("pk"), ladder_id=ladder.pk)
    inner = people.annotate(
        pid=F("pk"),
        target=target,
        cur=Subquery(current.values("rung_id")[:1], output_field=BigIntegerField()),
        last_action=F("stats__last_action_at"),
    ).values("pid", "target", "cur", "last_action")
    inner_sql, inner_params = inner.query.sql_with_params()

    up = _position("c.target", rungs) + " > " + _position("c.cur", rungs)
    keep_or_climb = (
        "CASE WHEN c.target IS NULL THEN c.cur WHEN c.cur IS NULL THEN c.target "
        f"WHEN {up} THEN c.target ELSE c.cur END"
    )
    # Placeholders in text order: the inner query (the CTE) first, then the step-down cutoff.
    params: list[Any] = list(inner_params)
    if ladder.step_down_after_days:
        cutoff = now - dt.timedelta(days=ladder.step_down_after_days)
        new = (
            "CASE WHEN c.last_action IS NULL OR c.last_action < %s THEN c.target "
            f"ELSE {keep_or_climb} END"
        )
        params.append(connection.ops.adapt_datetimefield_value(cutoff))
    else:
        new = keep_or_climb
    # MATERIALIZED: evaluate the criteria once per person. Inlined, PostgreSQL copies the CASE
    # into every place that reads c.target, and compiles (JIT) a monster expression.
    sql = f"""
WITH c AS MATERIALIZED ({inner_sql}),
m AS MATERIALIZED (
    SELECT c.pid, c.cur, {new} AS new FROM c WHERE c.target IS NOT NULL OR c.cur IS NOT NULL
)
SELECT m.pid, m.cur AS from_rung, m.new AS to_rung FROM m
WHERE (m.new IS NULL AND m.cur IS NOT NULL) OR (m.new IS NOT NULL AND m.cur IS NULL)
   OR m.new <> m.cur"""
    return sql, params


def _json_object(pairs: list[tuple[str, str]]) -> str:
    fn = "jsonb_build_object" if connection.vendor == "postgresql" else "json_object"
    return f"{fn}({', '.join(f"'{k}', {v}" for k, v in pairs)})"


def _write_moves(ladder: Ladder, rungs: Sequence[Rung], now: dt.datetime) -> int:
    """Write everything the rows of the moves table mean. Returns the number of moves."""
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    at = connection.ops.adapt_datetimefield_value(now)
    written = connection.ops.adapt_datetimefield_value(timezone.now())
    T = ActivityType
    move_kind = (
        "CASE WHEN m.from_rung IS NULL THEN 'joined' WHEN m.to_rung IS NULL THEN 'left' "
        f"WHEN {_position('m.to_rung', rungs)} > {_position('m.from_rung', rungs)} "
        "THEN 'up' ELSE 'down' END"
    )
    payload = _json_object([
        ("ladder", "CAST(%s AS TEXT)"), ("ladder_id", "%s"),
        ("from", "f.name"), ("from_rung_id", "m.from_rung"),
        ("to", "t.name"), ("to_rung_id", "m.to_rung"), ("move", move_kind),
    ])  # fmt: skip
    key = "%s || CAST(m.pid AS TEXT) || ':' || COALESCE(CAST(m.to_rung AS TEXT), 'off') || %s"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {MOVES}")
        moves = int(cursor.fetchone()[0])
        if not moves:
            return 0
        cursor.execute(
            f"INSERT INTO {MOVE} (person_id, ladder_id, from_rung_id, to_rung_id, moved_at) "
            f"SELECT m.pid, %s, m.from_rung, m.to_rung, %s FROM {MOVES} m",
            [ladder.pk, at],
        )
        cursor.execute(
            f"""
INSERT INTO {ACT} (person_id, type, occurred_at, channel, direction, actor_id, source,
    object_type, object_id, amount, result, payload, idempotency_key, import_job_id, created_at)
SELECT m.pid, %s, %s, %s, %s, NULL, 'ladders', 'ladder', %s, NULL, '', {payload}, {key},
    NULL, %s
FROM {MOVES} m
LEFT JOIN {RUNG} f ON f.id = m.from_rung
LEFT JOIN {RUNG} t ON t.id = m.to_rung
WHERE true
ON CONFLICT (idempotency_key) DO NOTHING""",
            [
                T.LEVEL_CHANGE.value, at, ActivityChannel.SYSTEM.value, Direction.OUTBOUND.value,
                ladder.pk,
                ladder.name, ladder.pk, f"level:{ladder.pk}:", f":{stamp}", written,
            ],
        )  # fmt: skip
        # Removals first (placements of people who step off the ladder), and only when
        # there are any: before the upsert, the table's statistics still match its contents.
        cursor.execute(f"SELECT COUNT(*) FROM {MOVES} m WHERE m.to_rung IS NULL")
        leaving = int(cursor.fetchone()[0])
        if leaving:
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"DELETE FROM {PLACE} p USING {MOVES} m WHERE p.ladder_id = %s "
                    "AND p.person_id = m.pid AND m.to_rung IS NULL",
                    [ladder.pk],
                )
            else:  # SQLite has no DELETE … USING
                cursor.execute(
                    f"DELETE FROM {PLACE} WHERE ladder_id = %s AND person_id IN "
                    f"(SELECT m.pid FROM {MOVES} m WHERE m.to_rung IS NULL)",
                    [ladder.pk],
                )
        cursor.execute(
            f"""
INSERT INTO {PLACE} (person_id, ladder_id, rung_id, since)
SELECT m.pid, %s, m.to_rung, %s FROM {MOVES} m WHERE m.to_rung IS NOT NULL
ON CONFLICT (person_id, ladder_id) DO UPDATE SET rung_id = excluded.rung_id,
    since = excluded.since""",
            [ladder.pk, at],
        )
    return moves


def _place(
    ladder: Ladder, rungs: Sequence[Rung], people: QuerySet[Person], now: dt.datetime
) -> int:
    """Move ``people`` on ``ladder`` to where they now stand; return the number of moves."""
    if not rungs:
        return 0
    try:
        sql, params = moves_query(ladder, rungs, people, now)
    except FilterError as exc:
        # One ladder with broken criteria must not stop the others (or the worker) for ever.
        log.error("ladder %s (%s) skipped: its criteria do not compile: %s", ladder.pk, ladder, exc)
        return 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Many short statements: compiling them would cost more than running them.
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(f"DROP TABLE IF EXISTS {MOVES}")
        cursor.execute(f"CREATE TEMPORARY TABLE {MOVES} AS {sql}", params)
        if connection.vendor == "postgresql":
            # Temporary tables have no statistics until analysed; without them the planner
            # may rescan this table once per placement row in the statements below.
            cursor.execute(f"ANALYZE {MOVES}")
    # No try/finally: on an error the transaction rolls back, and the table with it (DDL is
    # transactional on both databases); the DROP above also clears any leftover.
    moves = _write_moves(ladder, rungs, now)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {MOVES}")
        # The next ladder's criteria may read these placements (rung conditions).
        analyze_if_big(cursor, PLACE, moves)
    return moves


def _everyone() -> QuerySet[Person]:
    return Person.objects.filter(merged_into__isnull=True)


def placements_recompute(
    *,
    now: dt.datetime | None = None,
    progress: Progress | None = None,
    chunk: int = RECOMPUTE_CHUNK,
) -> int:
    """Re-place every person on every active ladder; return the number of moves.

    People are taken in id ranges of ``chunk``, one transaction each (holding the ladders
    watermark, so the worker's incremental pass never interleaves).
    """
    now = now or timezone.now()
    report = progress or (lambda phase, done, total: None)
    ids = _everyone().order_by("pk").values_list("pk", flat=True)
    low, high = ids.first(), ids.last()
    moves = 0
    for ladder, rungs in _ladders():
        phase = ladder.name
        if low is None or high is None:
            report(phase, 0, 0)
            continue
        span = high - low + 1
        report(phase, 0, span)
        for start in range(low, high + 1, chunk):
            people = _everyone().filter(pk__gte=start, pk__lt=start + chunk)
            with transaction.atomic():
                lock_watermark()
                moves += _place(ladder, rungs, people, now)
            report(phase, min(start + chunk, high + 1) - low, span)
    return moves


@dataclass(frozen=True)
class RecomputeResult:
    scores_changed: int
    moves: int


def ladders_recompute(
    *, now: dt.datetime | None = None, progress: Progress | None = None
) -> RecomputeResult:
    """Scores from the whole log, then everyone on every ladder."""
    now = now or timezone.now()
    report = progress or (lambda phase, done, total: None)
    report("scores", 0, 1)
    changed = scores_recompute(now=now)
    report("scores", 1, 1)
    return RecomputeResult(changed, placements_recompute(now=now, progress=progress))


def _batch_end(lo: int, top: int, size: int) -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*), MAX(t.id) FROM (SELECT a.id FROM {ACT} a "
            "WHERE a.id > %s AND a.id <= %s ORDER BY a.id LIMIT %s) t",
            [lo, top, size],
        )
        count, high = cursor.fetchone()
    return int(count or 0), int(high or lo)


def _touched_table(lo: int, hi: int) -> None:
    """The people whose standing activities in (lo, hi] can change: their subjects (except
    for our own level_change rows), the volunteers who made the calls and door knocks, and the
    recruiters of the subjects (recruit counts are criteria too)."""
    batch = f"SELECT b.person_id FROM {ACT} b WHERE b.id > %s AND b.id <= %s"
    vol = ", ".join(f"'{t}'" for t in VOLUNTEER_TYPES)
    sql = f"""
SELECT b.person_id AS pid FROM {ACT} b
WHERE b.id > %s AND b.id <= %s AND b.type <> '{ActivityType.LEVEL_CHANGE}'
UNION
SELECT v.id FROM {PER} v WHERE v.user_id IN (
    SELECT b.actor_id FROM {ACT} b WHERE b.id > %s AND b.id <= %s
    AND b.actor_id IS NOT NULL AND b.type IN ({vol}))
UNION
SELECT r.recruited_by_id FROM {PER} r
WHERE r.recruited_by_id IS NOT NULL AND r.id IN ({batch})"""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TOUCHED}")
        cursor.execute(f"CREATE TEMPORARY TABLE {TOUCHED} AS {sql}", [lo, hi] * 3)
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {TOUCHED}")


def ladders_update(*, now: dt.datetime | None = None, batch_size: int | None = None) -> int:
    """Fold the next batch of activities (up to the rollups watermark) into the scores and
    re-place the people they touch. Returns how many activities were folded (0: caught up, or
    another worker holds the lock)."""
    now = now or timezone.now()
    size = batch_size or settings.LADDER_ROLLUP_BATCH_SIZE * 4
    with transaction.atomic():
        mark = lock_watermark(skip_locked=True)
        if mark is None:
            return 0
        lo = mark.last_activity_id
        top = rollups_watermark()
        if top <= lo:
            return 0
        folded, hi = _batch_end(lo, top, size)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        if folded:
            scores_add(lo=lo, hi=hi, now=now, scoring=current_scoring())
            ladders = _ladders()
            if ladders:
                _touched_table(lo, hi)
                touched = _everyone().filter(pk__in=RawSQL(f"SELECT pid FROM {TOUCHED}", []))
                for ladder, rungs in ladders:
                    _place(ladder, rungs, touched, now)
                with connection.cursor() as cursor:
                    cursor.execute(f"DROP TABLE {TOUCHED}")
        else:
            hi = top
        mark.last_activity_id = hi
        mark.save(update_fields=["last_activity_id", "updated_at"])
    return folded


__all__ = [
    "RecomputeResult",
    "ladders_recompute",
    "ladders_update",
    "moves_query",
    "placements_recompute",
]
