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
removals; then one more suggests the responsibilities of the rungs reached (`pathways`). No
per-person ORM saves.

Two entry points:

* `ladders_update` — incremental, called by the worker after `rollups_update`. Under its own
  watermark (``RollupWatermark`` "ladders", never past the rollups' "activity"), it adds the
  new activities' terms to the engagement score and re-places the people they touch.
* `ladders_recompute` — everything: scores from the whole log, then every person on every
  ladder (``ladder ladders recompute``; run it nightly after ``ladder rollups rebuild``, which
  calls it, so that time-based criteria and step-downs catch up with people who did nothing).

The incremental pass re-places, on each ladder, only the people whose new activities can change
its criteria (`ladder_triggers`): a batch of email sends does not re-evaluate a donor ladder.
What changes without an activity (a tag edited by hand, a window sliding past an old action)
waits for the nightly recompute.

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
from django.db.models import BigIntegerField, Case, F, FilteredRelation, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.utils import timezone

from ladder.activity.catalogue import ActivityChannel, ActivityType, Direction
from ladder.activity.models import Activity
from ladder.ladders.models import Ladder, Rung, RungMove, RungPlacement
from ladder.ladders.pathways import suggest_from_moves
from ladder.ladders.scoring import (
    VOLUNTEER_TYPES,
    Scoring,
    analyze_if_big,
    current_scoring,
    lock_watermark,
    rollups_watermark,
    scores_add,
    scores_recompute,
)
from ladder.people.models import Person
from ladder.segments.filters import FilterError, compile_definition, parse
from ladder.segments.filters.dependencies import ANY, AnyActivity, Triggers, dependencies

log = logging.getLogger(__name__)

# progress(phase, done, total)
Progress = Callable[[str, int, int], None]

MOVES = "ladder_moves"  # temporary tables, private to the connection
TOUCHED = "ladder_touched"
# People per statement in a full recompute. Each statement hashes what the criteria read
# (a year of attendance, everyone's stats) once, whatever the number of people it places, so
# fewer, bigger statements are cheaper: at 1M people, four chunks cost 11.5 s per ladder and
# one 8.9 s. The moves table holds only the people who move, so memory stays small.
RECOMPUTE_CHUNK = 1_000_000

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


def _target(ladder: Ladder, rungs: Sequence[Rung], now: dt.datetime, within: Any) -> Case:
    """The rung each person's criteria reach now, top rung first (NULL: none).

    On a ladder without step-downs a person never moves down, so a rung at or below the one
    they stand on can never be their new place: its criteria are not even evaluated (``here``
    is their current placement, a LEFT JOIN). With step-downs every rung is evaluated: someone
    inactive falls to the highest rung they still meet.
    """
    whens = []
    for k, rung in enumerate(rungs):  # top first
        criteria = compile_definition(rung.criteria, now=now, within=within)
        if not ladder.step_down_after_days:
            below = [r.pk for r in rungs[k + 1 :]]
            criteria = (Q(here__rung_id__isnull=True) | Q(here__rung_id__in=below)) & criteria
        whens.append(When(criteria, then=Value(rung.pk)))
    return Case(*whens, default=Value(None), output_field=BigIntegerField())


def moves_query(
    ladder: Ladder,
    rungs: Sequence[Rung],
    people: QuerySet[Person],
    now: dt.datetime,
    within: Any = None,
) -> tuple[str, list[Any]]:
    """SQL (and params) of the moves on ``ladder`` for ``people``: rows (pid, from_rung,
    to_rung) for everyone whose rung changes; to_rung NULL means off the ladder. ``within``:
    the ids of ``people`` as a subquery, when they are few (see `compile_definition`)."""
    placed = people.annotate(
        here=FilteredRelation("rung_placements", condition=Q(rung_placements__ladder=ladder.pk))
    )
    columns: dict[str, Any] = {"pid": F("pk"), "target": _target(ladder, rungs, now, within),
                               "cur": F("here__rung_id")}  # fmt: skip
    if ladder.step_down_after_days:
        columns["last_action"] = F("stats__last_action_at")
    inner = placed.annotate(**columns).values(*columns)
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
    ladder: Ladder,
    rungs: Sequence[Rung],
    people: QuerySet[Person],
    now: dt.datetime,
    within: Any = None,
) -> int:
    """Move ``people`` on ``ladder`` to where they now stand; return the number of moves."""
    if not rungs:
        return 0
    try:
        sql, params = moves_query(ladder, rungs, people, now, within)
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
    if moves:
        suggest_from_moves(MOVES, rungs, now)
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


def placements_of(person_id: int) -> list[dict[str, Any]]:
    """Where one person stands on each ladder, as JSON values (for a merge's snapshot)."""
    rows = RungPlacement.objects.filter(person_id=person_id).order_by("ladder_id")
    found = rows.values_list("ladder_id", "rung_id", "since")
    return [{"ladder": ladder, "rung": rung, "since": since.isoformat()}
            for ladder, rung, since in found]  # fmt: skip


def placements_restore(person_id: int, rows: list[dict[str, Any]]) -> None:
    """Put one person back where `placements_of` found them (ladders and rungs since deleted
    are left out)."""
    RungPlacement.objects.filter(person_id=person_id).delete()
    rungs = set(Rung.objects.filter(pk__in=[r["rung"] for r in rows]).values_list("pk", flat=True))
    RungPlacement.objects.bulk_create(
        RungPlacement(person_id=person_id, ladder_id=r["ladder"], rung_id=r["rung"],
                      since=dt.datetime.fromisoformat(r["since"]))
        for r in rows if r["rung"] in rungs
    )  # fmt: skip


def placements_refresh(person_ids: list[int], *, now: dt.datetime | None = None) -> int:
    """Re-place a few people on every active ladder at once (an unmerge gave them back their
    own history); returns the number of moves."""
    now = now or timezone.now()
    moves = 0
    for ladder, rungs in _ladders():
        with transaction.atomic():
            lock_watermark()
            moves += _place(ladder, rungs, _everyone().filter(pk__in=person_ids), now)
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
    """Who the activities in (lo, hi] can move, and why: rows (pid, trig) where trig is what
    arrived (see `ladder.segments.filters.dependencies`) — the subject's activity type (not
    for our own level_change rows), ``volunteer:<type>`` for the volunteer who made a call or
    door knock, and ``recruits`` for the recruiter of someone who acted."""
    batch = f"SELECT b.person_id FROM {ACT} b WHERE b.id > %s AND b.id <= %s"
    vol = ", ".join(f"'{t}'" for t in VOLUNTEER_TYPES)
    sql = f"""
SELECT DISTINCT t.pid, t.trig FROM (
    SELECT b.person_id AS pid, b.type AS trig FROM {ACT} b
    WHERE b.id > %s AND b.id <= %s AND b.type <> '{ActivityType.LEVEL_CHANGE}'
    UNION ALL
    SELECT v.id, 'volunteer:' || b.type FROM {ACT} b JOIN {PER} v ON v.user_id = b.actor_id
    WHERE b.id > %s AND b.id <= %s AND b.actor_id IS NOT NULL AND b.type IN ({vol})
    UNION ALL
    SELECT r.recruited_by_id, 'recruits' FROM {PER} r
    WHERE r.recruited_by_id IS NOT NULL AND r.id IN ({batch})
) t"""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TOUCHED}")
        cursor.execute(f"CREATE TEMPORARY TABLE {TOUCHED} AS {sql}", [lo, hi] * 3)
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {TOUCHED}")


def ladder_triggers(
    ladder: Ladder, rungs: Sequence[Rung], scoring: Scoring, earlier: dict[int, Triggers]
) -> Triggers:
    """What new activity can move someone on ``ladder``: the union of its rungs' criteria
    dependencies, with the engagement score expanded into the types it weighs and another
    ladder's rung into that ladder's own triggers (``earlier``, ladders placed before this
    one in the same pass; a rung of any other ladder counts as `ANY`)."""
    found: set[str] = set()
    for rung in rungs:
        try:
            needs = dependencies(parse(rung.criteria))
        except FilterError:
            return ANY  # _place reports and skips a ladder whose criteria do not compile
        if isinstance(needs, AnyActivity):
            return ANY
        for trigger in needs:
            if trigger == "score":
                found |= {k.partition(":")[0] for k in scoring.subject_weights()}
                found |= {f"volunteer:{t}" for t in scoring.volunteer_weights()}
            elif trigger.startswith("rung:"):
                other = earlier.get(int(trigger.removeprefix("rung:")), ANY)
                if isinstance(other, AnyActivity):
                    return ANY
                found |= other
            else:
                found.add(trigger)
    return frozenset(found)


def _touched_by(triggers: Triggers) -> RawSQL:
    """The ids of the people a trigger of ``triggers`` arrived for, as a subquery."""
    if isinstance(triggers, AnyActivity):
        return RawSQL(f"SELECT pid FROM {TOUCHED}", [])
    # A merge or its undoing moves history between two records, so it can move them anywhere.
    marks = ", ".join(["%s"] * (len(triggers) + 1))
    return RawSQL(
        f"SELECT pid FROM {TOUCHED} WHERE trig IN ({marks})",
        [*sorted(triggers), ActivityType.MERGE],
    )


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
                # The pass reads the rows of the few people who just acted, all of them hot in
                # memory: price index probes as such, or PostgreSQL hashes whole tables to
                # answer for a few thousand people (the default assumes spinning disks).
                cursor.execute("SET LOCAL random_page_cost = 1.1")
        if folded:
            scoring = current_scoring()
            scores_add(lo=lo, hi=hi, now=now, scoring=scoring)
            ladders = _ladders()
            if ladders:
                _touched_table(lo, hi)
                earlier: dict[int, Triggers] = {}
                for ladder, rungs in ladders:
                    triggers = earlier[ladder.pk] = ladder_triggers(ladder, rungs, scoring, earlier)
                    # Only the people whose new activity can move them on this ladder.
                    if triggers:
                        pids = _touched_by(triggers)
                        _place(ladder, rungs, _everyone().filter(pk__in=pids), now, pids)
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
