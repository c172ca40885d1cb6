"""One database's segments-and-ladders benchmark (run by bench/run.py in its own process).

Data: N people and M activities (default 1M / 20M) made by `bench.segments_data` and loaded with
COPY, kept between runs (PostgreSQL: a database named after the scale; SQLite: a file under
var/bench/), then rolled up with `rollups_rebuild`. Each run first puts the data back to that
loaded state (drops the activities, placements and moves an earlier run added), then measures,
each case beside a floor measured in the same run on the same data:

- count:        `segment_count` of a three-clause universe (region IA, tagged education, not
                given > $1,000 in 365 days), p50 of --runs; floor: hand-written SQL over the raw
                tables (addresses, taggings, the activity log), the faster of two formulations.
- first_page /  `segment_page` (50 people) and the next page by keyset; floor: the same hand SQL
  next_page     with ORDER BY … LIMIT 50 (and a keyset predicate).
- scores /      `scores_recompute` and `placements_recompute` over everyone (first placement,
  placements   then again when settled); floor: one GROUP BY person over the whole log.
- incremental:  100k new activities, then `rollups_update` until caught up, then
                `ladders_update` (the case with the target; the rollups part and the sum are
                reported beside it); floor: a GROUP BY over the whole history of the people those
                activities touch.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import importlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUNS = 7
INCREMENT = 100_000
# DESIGN.md §7 targets, in seconds.
TARGETS = {
    "count": 0.5,
    "first_page": 0.2,
    "next_page": 0.1,
    "recompute": 30.0,
    "incremental": 2.0,
}
SQLITE_COUNT_TARGET = 1.0
TYPE_INDEX = "activity_type_time"
# Tried (and dropped again) by the segments cases on PostgreSQL: see `main`.
REGION_INDEX = (
    "CREATE INDEX IF NOT EXISTS bench_address_region ON people_address "
    "((UPPER(TRIM(region))), person_id) WHERE status = 'active'"
)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------------------- setup


def postgres_database(url: str, name: str) -> str:
    """Point at database ``name`` on the server of ``url``, creating it when missing."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


def meta_read() -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_meta (key varchar(40) PRIMARY KEY, value text)"
        )
        cursor.execute("SELECT key, value FROM bench_meta")
        return {key: json.loads(value) for key, value in cursor.fetchall()}


def meta_write(**values: Any) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for key, value in values.items():
            cursor.execute("DELETE FROM bench_meta WHERE key = %s", [key])
            cursor.execute(
                "INSERT INTO bench_meta (key, value) VALUES (%s, %s)", [key, json.dumps(value)]
            )


def stats_fingerprint() -> list[str]:
    """The PersonStats columns: when they change, the rollups must be rebuilt."""
    from ladder.activity.models import PersonStats

    return sorted(str(f.column) for f in PersonStats._meta.concrete_fields)


def prepare(scale: Any, fresh: bool, stop_after: str | None = None) -> dict[str, Any]:
    """Load the data unless this database already holds it; roll it up unless done."""
    from django.db import connection
    from django.utils import timezone

    from bench.segments_data import load_all
    from ladder.activity.models import Activity
    from ladder.activity.rollups import rollups_rebuild

    meta = meta_read()
    meta["reused"] = True
    if fresh or meta.get("loaded") != scale.key:
        now = timezone.now().replace(microsecond=0)
        log(f"generating and loading {scale.people:,} people, {scale.activities:,} activities")
        meta_write(loaded=None, rollups=None)
        started = time.perf_counter()
        timings = load_all(scale, now, log)
        total = time.perf_counter() - started
        base = Activity.objects.order_by("-id").values_list("id", flat=True).first() or 0
        meta_write(
            loaded=scale.key,
            generated_at=now.isoformat(),
            base_activity_id=base,
            load_seconds=round(total, 1),
            load_phases={k: round(v, 1) for k, v in timings.items()},
        )
        log(f"loaded in {total:.0f} s")
        meta = {**meta_read(), "reused": False}
    if stop_after == "load":
        return meta
    if meta.get("rollups") != stats_fingerprint():
        log("rollups_rebuild …")
        reset(meta)
        started = time.perf_counter()
        last = [started]

        def progress(phase: str, done: int, total: int) -> None:
            if time.perf_counter() - last[0] > 30:
                last[0] = time.perf_counter()
                log(f"  rollups {phase}: {done:,}/{total:,}")

        with sqlite_type_index_hidden():
            rollups_rebuild(progress)
        seconds = time.perf_counter() - started
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE activity_personstats")
        log(f"rollups_rebuild took {seconds:.0f} s")
        meta_write(rollups=stats_fingerprint(), rollups_seconds=round(seconds, 1))
        meta = {**meta_read(), "reused": meta["reused"]}
    return meta


@contextlib.contextmanager
def sqlite_type_index_hidden() -> Iterator[None]:
    """SQLite only: drop the activity (type, occurred_at) index for the duration.

    With it, SQLite plans the rollups' volunteer subquery (calls and door knocks a person made,
    joined on ``a.actor_id = v.user_id``) as "for each person in the range, scan every call and
    door knock by type": quadratic — 269 s for 2,000 people at 200k activities, against 1 s
    without the index (it then builds an automatic index on actor_id). A workaround for the
    bench only, reported to the rollups' owner; PostgreSQL is not affected.
    """
    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = %s", [TYPE_INDEX]
        )
        row = cursor.fetchone()
        if row:
            cursor.execute(f'DROP INDEX "{TYPE_INDEX}"')
    try:
        yield
    finally:
        if row:
            with connection.cursor() as cursor:
                cursor.execute(row[0])


def reset(meta: dict[str, Any]) -> None:
    """Undo what an earlier run added: activities above the loaded log (with the stats of the
    people they touched recomputed), placements and moves; watermarks back to the loaded log."""
    from django.db import connection, transaction
    from django.utils import timezone

    from ladder.activity.models import Activity, RollupWatermark
    from ladder.activity.rollups import sql

    base = int(meta["base_activity_id"])
    act = connection.ops.quote_name(Activity._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {act} WHERE id > %s", [base])
        extra = cursor.fetchone()[0]
        if extra:
            cursor.execute("DROP TABLE IF EXISTS bench_touched")
            cursor.execute(
                f"CREATE TABLE bench_touched AS SELECT DISTINCT person_id FROM {act} WHERE id > %s",
                [base],
            )
            cursor.execute(f"DELETE FROM {act} WHERE id > %s", [base])
            upsert = sql.stats_upsert(lambda c: f"{c} IN (SELECT person_id FROM bench_touched)")
            cursor.execute(upsert, sql.time_params(timezone.now()))
            cursor.execute("DROP TABLE bench_touched")
        if connection.vendor == "postgresql":
            cursor.execute("DROP INDEX IF EXISTS bench_address_region")
        for model in _ladder_models():
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                [Activity._meta.db_table, base],
            )
        else:
            cursor.execute(
                "UPDATE sqlite_sequence SET seq = %s WHERE name = %s",
                [base, Activity._meta.db_table],
            )
    RollupWatermark.objects.filter(last_activity_id__gt=base).update(last_activity_id=base)
    if extra:
        log(f"reset: removed {extra:,} activities added by an earlier run")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM ANALYZE {act}")


def _ladder_models() -> list[Any]:
    from ladder.ladders.models import Responsibility, RungMove, RungPlacement

    return [RungMove, RungPlacement, Responsibility]


def bench_user() -> Any:
    from ladder.core.models import Role, User
    from ladder.core.services import user_create

    user = User.objects.filter(username="bench-staff").first()
    if user is None:
        user = user_create(
            username="bench-staff", role=Role.STAFF, password="bench-" * 4, validate=False
        )
    return user


def stat(field: str, op: str, value: float) -> dict[str, Any]:
    return {"kind": "stat", "field": field, "op": op, "value": value}


def did(types: list[str], days: int | None = None, at_least: int = 1) -> dict[str, Any]:
    """At least ``at_least`` activities of ``types`` in the last ``days`` (or ever)."""
    node: dict[str, Any] = {"kind": "activity", "types": types, "op": "gte", "value": at_least}
    if days is not None:
        node["days"] = days
    return node


def both(*conditions: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "all", "of": list(conditions)}


# Three ladders with criteria of the kinds organizers write: rollup thresholds, activity in a
# window, the engagement score, and combinations of them.
LADDERS: list[dict[str, Any]] = [
    {
        "slug": "bench-volunteer",
        "name": "Volunteer",
        "rungs": [
            ("Supporter", stat("actions_total", "gte", 1)),
            ("Participant", did(["attendance", "rsvp"], days=365)),
            ("Volunteer", both(stat("shifts_done", "gte", 1), did(["attendance"], days=365))),
            ("Leader", both(stat("shifts_done", "gte", 5), did(["meeting"], days=180))),
        ],
        # Pathways: reaching these rungs suggests a responsibility (one more set-based insert
        # per ladder in the placement pass).
        "grants": {"Participant": "host", "Volunteer": "caller", "Leader": "team_leader"},
    },
    {
        "slug": "bench-donor",
        "name": "Donor",
        "rungs": [
            ("Donor", stat("gifts_count", "gte", 1)),
            ("Repeat donor", did(["donation"], days=365, at_least=3)),
            ("Major donor", stat("given_365d", "gte", 1000)),
        ],
    },
    {
        "slug": "bench-advocate",
        "name": "Advocate",
        "rungs": [
            ("Signer", did(["petition_signature"])),
            ("Engaged", both(stat("engagement_score", "gte", 10), did(["email_clicked"], 90))),
            ("Champion", stat("engagement_score", "gte", 40)),
        ],
    },
]


def count_rungs() -> int:
    from ladder.ladders.models import Rung

    return Rung.objects.filter(ladder__slug__startswith="bench-").count()


def ladders_create() -> int:
    """(Re)create the bench ladders with the current model and filter language."""
    from ladder.ladders.models import Ladder, Rung

    Ladder.objects.filter(slug__startswith="bench-").delete()
    rungs = 0
    for position, spec in enumerate(LADDERS):
        ladder = Ladder.objects.create(slug=spec["slug"], name=spec["name"], position=position)
        for k, (name, condition) in enumerate(spec["rungs"], start=1):
            Rung.objects.create(
                ladder=ladder,
                position=k,
                name=name,
                criteria={"version": 1, "match": condition},
                next_steps=[{"text": "Come to the next event", "channel": "events"}],
                grants=spec.get("grants", {}).get(name, ""),
            )
            rungs += 1
    return rungs


# ---------------------------------------------------------------------------- measuring


def optional(module: str, name: str) -> Callable[..., Any] | None:
    """An API another part of the project provides, or None while it does not exist yet."""
    try:
        return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]
    except (ImportError, AttributeError):
        return None


def timed(fn: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    seconds, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - started)
    return seconds, result


def scalar(sql: str, params: Any = None) -> Any:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        row = cursor.fetchone()
    return row[0] if row else None


def rows(sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return list(cursor.fetchall())


def case(
    name: str,
    seconds: list[float],
    floor_seconds: list[float],
    floor: str,
    *,
    target: float | None,
    **detail: Any,
) -> dict[str, Any]:
    value = statistics.median(seconds)
    floor_value = statistics.median(floor_seconds) if floor_seconds else None
    out: dict[str, Any] = {
        "name": name,
        "seconds": round(value, 4),
        "floor_seconds": None if floor_value is None else round(floor_value, 4),
        "floor": floor,
        "ratio": round(value / floor_value, 2) if floor_value else None,
        "target_seconds": target,
        "met": None if target is None else value <= target and not detail.get("cut_short"),
    }
    if len(seconds) > 1:
        out["runs"] = [round(s, 4) for s in seconds]
        out["statistic"] = f"p50 of {len(seconds)}"
    if len(floor_seconds) > 1:
        out["floor_runs"] = [round(s, 4) for s in floor_seconds]
    out.update(detail)
    if detail.get("cut_short"):
        out["note"] = "cancelled at the time limit: seconds is a lower bound"
    log(
        f"{name}: {value:.3f} s  floor {floor_value or 0:.3f} s  ratio {out['ratio']}"
        + (f"  target {target} s {'met' if out['met'] else 'MISSED'}" if target else "")
    )
    return out


class Plans:
    """EXPLAIN ANALYZE (PostgreSQL) / EXPLAIN QUERY PLAN (SQLite) of the queries a call runs."""

    def __init__(self) -> None:
        self.text: list[str] = []

    def capture(self, title: str, fn: Callable[[], Any]) -> None:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            fn()
        for query in ctx.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            if connection.vendor == "postgresql":
                plan = rows(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            else:
                plan = rows(f"EXPLAIN QUERY PLAN {sql}")
            lines = ["  ".join(str(c) for c in row) for row in plan]
            self.text.append(f"=== {title}\n{sql}\n\n" + "\n".join(lines) + "\n")

    def add(self, title: str, sql: str, params: list[Any]) -> None:
        from django.db import connection

        if connection.vendor == "postgresql":
            plan = rows(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        else:
            plan = rows(f"EXPLAIN QUERY PLAN {sql}", params)
        lines = ["  ".join(str(c) for c in row) for row in plan]
        self.text.append(f"=== {title} (floor)\n{sql}\n{params}\n\n" + "\n".join(lines) + "\n")


def universe(education: int) -> dict[str, Any]:
    return {
        "version": 1,
        "match": {
            "kind": "all",
            "of": [
                {"kind": "address", "field": "region", "values": ["IA"]},
                {"kind": "tags", "match": "any", "tags": [education]},
                {"kind": "not", "of": stat("given_365d", "gt", 1000)},
            ],
        },
    }


def floor_queries(education: int, since: dt.datetime) -> dict[str, tuple[str, list[Any]]]:
    """The universe in hand-written SQL over the raw tables, in two formulations: the donor
    condition as a correlated sum per candidate, and as an anti-join with the year's donors."""
    from django.db import connection

    adapt = connection.ops.adapt_datetimefield_value
    base = """
FROM people_person p
WHERE p.merged_into_id IS NULL
  AND EXISTS (SELECT 1 FROM people_address a WHERE a.person_id = p.id
              AND a.region = 'IA' AND a.status = 'active')
  AND EXISTS (SELECT 1 FROM people_tagging t WHERE t.person_id = p.id AND t.tag_id = %s)"""
    net = "CASE WHEN d.type = 'donation' THEN d.amount ELSE -d.amount END"
    correlated = (
        base
        + f"""
  AND COALESCE((SELECT SUM({net}) FROM activity_activity d WHERE d.person_id = p.id
       AND d.type IN ('donation', 'donation_refund') AND d.occurred_at >= %s), 0) <= 1000"""
    )
    anti = (
        base
        + f"""
  AND p.id NOT IN (SELECT d.person_id FROM activity_activity d
       WHERE d.type IN ('donation', 'donation_refund') AND d.occurred_at >= %s
       GROUP BY d.person_id HAVING SUM({net}) > 1000)"""
    )
    params = [education, adapt(since)]
    return {"correlated": (correlated, params), "anti_join": (anti, params)}


def measure_segments(
    user: Any,
    runs: int,
    plans: Plans,
    target_count: float,
    *,
    suffix: str = "",
    memo: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Count and pages, each beside its floor. A second call with the same ``memo`` (e.g.
    after adding an index) reuses the floors measured by the first and names its cases with
    ``suffix``."""
    from django.db import connection
    from django.utils import timezone

    from ladder.people.models import Tag

    education = Tag.objects.get(name="education").pk
    definition = universe(education)
    now = timezone.now()
    floors = floor_queries(education, now - dt.timedelta(days=365))
    cases = []

    # --- the floor first (and its count, to check the compiled query against)
    floor_runs: dict[str, list[float]] = {}
    floor_counts: dict[str, int] = {}
    memo = {} if memo is None else memo

    def floor_timed(key: str, fn: Callable[[], Any]) -> tuple[list[float], Any]:
        if key not in memo:
            memo[key] = timed(fn, runs)
        return memo[key]  # type: ignore[no-any-return]

    for name, (body, params) in floors.items():
        query = functools.partial(scalar, f"SELECT COUNT(*) {body}", params)
        seconds, value = floor_timed(f"count:{name}", query)
        floor_runs[name], floor_counts[name] = seconds, value
        log(f"  floor {name}: p50 {statistics.median(seconds):.3f} s, {value:,} people")
    best = min(floor_runs, key=lambda k: statistics.median(floor_runs[k]))
    if not suffix:
        plans.add(f"count floor ({best})", f"SELECT COUNT(*) {floors[best][0]}", floors[best][1])

    segment_count = optional("ladder.segments.selectors", "segment_count")
    if segment_count is None:
        log("segment_count not available yet: count not measured")
        cases.append({"name": "count", "missing": "ladder.segments.selectors.segment_count"})
    else:
        seconds, count = timed(lambda: segment_count(user, definition), runs)
        plans.capture(f"count{suffix} (segment_count)", lambda: segment_count(user, definition))
        cases.append(
            case(
                "count" + suffix,
                seconds,
                floor_runs[best],
                f"hand SQL over people, addresses, taggings and the activity log ({best})",
                target=target_count,
                people=count,
                floor_people=floor_counts[best],
                floor_variants={
                    k: {"seconds": round(statistics.median(v), 4), "people": floor_counts[k]}
                    for k, v in floor_runs.items()
                },
            )
        )

    # --- pages
    segment_page = optional("ladder.segments.selectors", "segment_page")
    if segment_page is None:
        log("segment_page not available yet: pages not measured")
        cases.append({"name": "first_page", "missing": "ladder.segments.selectors.segment_page"})
        return cases
    first_runs, first = timed(
        lambda: page_ids(segment_page(user, definition, after=None, limit=50)), runs
    )
    after = next_cursor(segment_page(user, definition, after=None, limit=50))
    next_runs, second = timed(
        lambda: page_ids(segment_page(user, definition, after=after, limit=50)), runs
    )
    plans.capture(
        "first page", lambda: page_ids(segment_page(user, definition, after=None, limit=50))
    )
    plans.capture(
        "next page", lambda: page_ids(segment_page(user, definition, after=after, limit=50))
    )
    body, params = floors[best]
    # The page as a hand-written query would fetch it: the people, newest first (as
    # segment_page orders them), with their primary email and phone and their addresses.
    page_sql = """
SELECT x.id, x.first_name, x.last_name, e.address, ph.number, a.line1, a.locality, a.region
FROM (SELECT p.id, p.first_name, p.last_name {body} {keyset} ORDER BY p.id DESC LIMIT 50) x
LEFT JOIN people_emailaddress e ON e.person_id = x.id AND e.is_primary
LEFT JOIN people_phone ph ON ph.person_id = x.id AND ph.is_primary
LEFT JOIN people_address a ON a.person_id = x.id
ORDER BY x.id DESC"""
    first_sql = page_sql.format(body=body, keyset="")
    floor_first_runs, floor_first = floor_timed("first", lambda: rows(first_sql, params))
    last_id = min(r[0] for r in floor_first)
    next_sql = page_sql.format(body=body, keyset="AND p.id < %s")
    next_params = [*params, last_id]
    floor_next_runs, floor_next = floor_timed("next", lambda: rows(next_sql, next_params))
    if not suffix:
        plans.add("first page", first_sql, params)
        plans.add("next page", next_sql, next_params)
    cases.append(
        case(
            "first_page" + suffix,
            first_runs,
            floor_first_runs,
            f"hand SQL ({best}), newest 50 with primary email, phone and addresses",
            target=TARGETS["first_page"] if connection.vendor == "postgresql" else None,
            people=len(first),
            same_people=sorted({r[0] for r in floor_first}, reverse=True) == first,
        )
    )
    cases.append(
        case(
            "next_page" + suffix,
            next_runs,
            floor_next_runs,
            "the same with a keyset predicate (id < last)",
            target=TARGETS["next_page"] if connection.vendor == "postgresql" else None,
            people=len(second),
            same_people=sorted({r[0] for r in floor_next}, reverse=True) == second,
        )
    )
    return cases


def page_ids(page: Any) -> list[int]:
    """Person ids of a page (`ladder.people.selectors.SearchPage`)."""
    return [int(person.pk) for person in page.people]


def next_cursor(page: Any) -> Any:
    return page.next_after


def group_by_floor() -> tuple[list[float], int]:
    """A plain GROUP BY person over the whole log: the least a full recompute can cost."""
    sql = """
SELECT COUNT(*), SUM(n) FROM (
    SELECT a.person_id, COUNT(*) AS n, SUM(a.amount) AS given, MAX(a.occurred_at) AS latest
    FROM activity_activity a GROUP BY a.person_id) t"""
    seconds, value = timed(lambda: scalar(sql), 1)
    return seconds, int(value)


class Deadline:
    """Cancel this connection's running statement after ``seconds`` (PostgreSQL), so that one
    slow call cannot hold the machine for longer than a benchmark may take."""

    def __init__(self, seconds: float) -> None:
        import threading

        from django.db import connection

        self.seconds = seconds
        self.fired = False
        self.timer: threading.Timer | None = None
        if connection.vendor == "postgresql":
            connection.ensure_connection()
            pid = connection.connection.info.backend_pid
            params = connection.get_connection_params()
            self.timer = threading.Timer(seconds, self._cancel, [pid, params])

    def _cancel(self, pid: int, params: dict[str, Any]) -> None:
        import psycopg

        self.fired = True
        keys = ("host", "port", "user", "dbname", "password")
        with psycopg.connect(**{k: params[k] for k in keys if params.get(k)}) as conn:
            conn.execute("SELECT pg_cancel_backend(%s)", [pid])

    def __enter__(self) -> Deadline:
        if self.timer:
            self.timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.timer:
            self.timer.cancel()


def capped(fn: Callable[[], Any], seconds: float) -> tuple[list[float], Any, bool]:
    """Run ``fn`` once with a deadline: (seconds, result, whether it was cut short)."""
    from django.db import OperationalError

    started = time.perf_counter()
    with Deadline(seconds) as deadline:
        try:
            result = fn()
        except OperationalError:
            if not deadline.fired:
                raise
            result = None
    elapsed = time.perf_counter() - started
    if deadline.fired:
        log(f"  cut short after {elapsed:.0f} s (limit {seconds:.0f} s)")
    return [elapsed], result, deadline.fired


def measure_recompute(
    now: dt.datetime, limit: float, *, placed: bool = False
) -> list[dict[str, Any]]:
    """Scores and placements over everyone. ``placed``: people are already on the ladders
    (a run with --keep-placements), so skip the first placement and time the settled one."""
    scores_recompute = optional("ladder.ladders.scoring", "scores_recompute")
    placements_recompute = optional("ladder.ladders.placement", "placements_recompute")
    floor_seconds, people = group_by_floor()
    floor = "SELECT … GROUP BY person_id over the whole activity log"
    cases = []
    total: list[float] = []
    cut = False
    if scores_recompute is None:
        cases.append(
            {"name": "scores_recompute", "missing": "ladder.ladders.scoring.scores_recompute"}
        )
    else:
        seconds, changed, stopped = capped(lambda: scores_recompute(now=now), limit)
        cut |= stopped
        total.append(seconds[0])
        cases.append(
            case(
                "scores_recompute",
                seconds,
                floor_seconds,
                floor,
                target=None,
                changed=changed,
                cut_short=stopped,
            )
        )
    if placements_recompute is None:
        cases.append(
            {
                "name": "placements_recompute",
                "missing": "ladder.ladders.placement.placements_recompute",
            }
        )
    else:
        # First placement: nobody is on a ladder yet, so everyone who meets a rung moves.
        # (Already placed: this pass only settles what an earlier, cut-short run left.)
        seconds, result, stopped = capped(lambda: placements_recompute(now=now), limit)
        cases.append(
            case(
                "placements_catch_up" if placed else "placements_first",
                seconds,
                floor_seconds,
                floor,
                target=None,
                moves=result,
                cut_short=stopped,
            )
        )
        if stopped:
            cut = True
            total.append(seconds[0])
        else:
            # Settled: everyone placed, nothing changed since: the nightly recompute.
            seconds, result, stopped = capped(lambda: placements_recompute(now=now), limit)
            cut |= stopped
            total.append(seconds[0])
            cases.append(
                case(
                    "placements_settled",
                    seconds,
                    floor_seconds,
                    floor,
                    target=None,
                    moves=result,
                    cut_short=stopped,
                )
            )
    if total:
        cases.append(
            case(
                "recompute",
                [sum(total)],
                floor_seconds,
                floor,
                target=TARGETS["recompute"],
                parts="scores_recompute + placements_recompute (settled)",
                cut_short=cut,
                complete=scores_recompute is not None and placements_recompute is not None,
                floor_people=people,
            )
        )
    return cases


def measure_incremental(scale: Any, limit: float) -> list[dict[str, Any]]:
    from django.db import connection
    from django.utils import timezone

    from bench.segments_data import HISTORY, Loader, activities_frame
    from ladder.activity.models import Activity, RollupWatermark
    from ladder.activity.rollups import rollups_update

    ladders_update = optional("ladder.ladders.placement", "ladders_update")
    now = timezone.now()
    top = Activity.objects.order_by("-id").values_list("id", flat=True).first() or 0
    # Start caught up: move both watermarks to the end of the log. Above the loaded log there
    # are only the level_change rows the placements wrote, which change no rollup and weigh 0
    # in the score; folding them is not what this case times.
    for name in ("activity", "ladders"):
        RollupWatermark.objects.update_or_create(name=name, defaults={"last_activity_id": top})
    low = top + 1
    placed_before = scalar("SELECT COUNT(DISTINCT person_id) FROM ladders_rungplacement")
    # The next 100k of the log: the last two days, settled (created a minute ago).
    frame = activities_frame(
        low, low + INCREMENT, people=scale.people, total=INCREMENT, first_id=low,
        start=now - dt.timedelta(days=2), span=dt.timedelta(days=2) - dt.timedelta(minutes=5),
    )  # fmt: skip
    assert dt.timedelta(days=2) < HISTORY
    import polars as pl

    frame = frame.with_columns(
        created_at=pl.lit(now - dt.timedelta(minutes=1), dtype=pl.Datetime("us", "UTC")),
        idempotency_key=pl.format("bench-inc:{}", pl.col("id")),
    )
    Loader(now).append(Activity, frame)
    if connection.vendor == "postgresql":
        scalar(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
            [Activity._meta.db_table, low + INCREMENT - 1],
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE activity_activity")
    touched = scalar(
        "SELECT COUNT(DISTINCT person_id) FROM activity_activity WHERE id >= %s", [low]
    )
    log(f"inserted {INCREMENT:,} activities touching {touched:,} people")

    floor_sql = """
SELECT COUNT(*), SUM(n) FROM (
    SELECT a.person_id, COUNT(*) AS n, SUM(a.amount) AS given, MAX(a.occurred_at) AS latest
    FROM activity_activity a
    WHERE a.person_id IN (SELECT b.person_id FROM activity_activity b WHERE b.id >= %s)
    GROUP BY a.person_id) t"""
    floor_seconds, _ = timed(lambda: scalar(floor_sql, [low]), 1)

    folded, batches = 0, 0

    def fold() -> None:
        nonlocal folded, batches
        while n := rollups_update(now=now + dt.timedelta(seconds=10)):
            folded += n
            batches += 1

    spent, _, cut = capped(fold, limit)
    rollup_seconds = spent[0]
    ladder_seconds = None
    if ladders_update is not None and not cut:
        spent, _, cut = capped(
            lambda: ladders_update(now=now + dt.timedelta(seconds=10)), limit - rollup_seconds
        )
        ladder_seconds = spent[0]
    floor_name = "GROUP BY person over the whole history of the people the new activities touch"
    common = {"activities": INCREMENT, "people_touched": touched, "people_placed_before":
              placed_before}  # fmt: skip
    # The target (DESIGN.md §7, "ladder + score recompute … after 100k new activities") is
    # the scores-and-ladders pass; the rollups it waits for are reported beside it, and so is
    # the whole of what the worker does.
    return [
        case(
            "incremental",
            [ladder_seconds if ladder_seconds is not None else rollup_seconds],
            floor_seconds,
            floor_name,
            target=TARGETS["incremental"],
            parts="ladders_update (scores + placements), after the rollups caught up",
            complete=ladders_update is not None,
            cut_short=cut,
            **common,
        ),
        case(
            "incremental_rollups",
            [rollup_seconds],
            floor_seconds,
            floor_name,
            target=None,
            parts="rollups_update until caught up (PersonStats, daily metrics)",
            folded=folded,
            batches=batches,
            cut_short=cut,
            **common,
        ),
        case(
            "incremental_worker",
            [rollup_seconds + (ladder_seconds or 0)],
            floor_seconds,
            floor_name,
            target=None,
            parts="rollups_update + ladders_update: the worker's whole catch-up",
            complete=ladders_update is not None,
            cut_short=cut,
            **common,
        ),
    ]


# ---------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--activities", type=int, default=None, help="default: 20 per person")
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--fresh", action="store_true", help="regenerate even if cached")
    parser.add_argument(
        "--cases",
        default=None,
        help="comma-separated subset of segments,recompute,incremental (default: all on "
        "PostgreSQL, segments on SQLite, whose target is the count)",
    )
    parser.add_argument(
        "--no-index-trial",
        action="store_true",
        help="PostgreSQL: skip re-measuring count and pages with the suggested region index",
    )
    parser.add_argument(
        "--limit",
        type=float,
        default=600,
        help="seconds after which a recompute call is cancelled (reported as cut short)",
    )
    parser.add_argument(
        "--keep-placements",
        action="store_true",
        help="skip the reset: time the recompute over people already placed by an earlier run",
    )
    parser.add_argument("--label", default=None)
    parser.add_argument("--out", required=True)
    parser.add_argument("--plans", default=None, help="write query plans here")
    parser.add_argument(
        "--stop-after",
        choices=["load", "rollups"],
        default=None,
        help="only prepare the data (to split a long first load into shorter jobs)",
    )
    parser.add_argument(
        "--merge", action="store_true", help="keep the other cases already in --out (by name)"
    )
    args = parser.parse_args()

    from bench.segments_data import Scale

    scale = Scale(args.people, args.activities or 20 * args.people)
    sqlite = not os.environ["DATABASE_URL"].startswith("postgres")
    default = "segments" if sqlite else "segments,recompute,incremental"
    wanted = set((args.cases or default).split(","))
    url = os.environ["DATABASE_URL"]
    if url.startswith("postgres"):
        os.environ["DATABASE_URL"] = postgres_database(url, f"bench_segments_{scale.key}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ladder.settings")
    started_run = time.perf_counter()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    meta = prepare(scale, args.fresh, args.stop_after)
    if args.stop_after:
        log(f"prepared (stopped after {args.stop_after})")
        return
    if not args.keep_placements:
        reset(meta)
    rungs = count_rungs() if args.keep_placements else ladders_create()
    user = bench_user()
    log(f"ready: {scale.people:,} people, {scale.activities:,} activities, {rungs} rungs")

    plans = Plans()
    cases: list[dict[str, Any]] = []
    target_count = TARGETS["count"] if connection.vendor == "postgresql" else SQLITE_COUNT_TARGET
    if "segments" in wanted:
        memo: dict[str, Any] = {}
        cases += measure_segments(user, args.runs, plans, target_count, memo=memo)
        if connection.vendor == "postgresql" and not args.no_index_trial:
            # What the index suggested for the compiled address condition would change: the
            # compiler compares UPPER(TRIM(region)), which no plain index serves (and which
            # PostgreSQL has no statistics for until an index on the expression exists).
            with connection.cursor() as cursor:
                cursor.execute(REGION_INDEX)
                cursor.execute("ANALYZE people_address")
            try:
                cases += measure_segments(
                    user, args.runs, plans, target_count, suffix="+region_index", memo=memo
                )
            finally:
                with connection.cursor() as cursor:
                    cursor.execute("DROP INDEX IF EXISTS bench_address_region")
                    cursor.execute("ANALYZE people_address")
    if "recompute" in wanted:
        cases += measure_recompute(timezone.now(), args.limit, placed=args.keep_placements)
    if "incremental" in wanted:
        cases += measure_incremental(scale, args.limit)

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "ladder"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    ).stdout.strip()
    result = {
        "benchmark": "segments",
        "label": args.label or f"{connection.vendor}-{scale.people}",
        "database": connection.vendor,
        "people": scale.people,
        "activities": scale.activities,
        "cases": cases,
        "setup": {
            "generated_at": meta.get("generated_at"),
            "load_seconds": meta.get("load_seconds"),
            "load_phases": meta.get("load_phases"),
            "rollups_rebuild_seconds": meta.get("rollups_seconds"),
            "reused": meta["reused"],
        },
        "run_seconds": round(time.perf_counter() - started_run, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "machine": {
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "commit": commit + ("+dirty" if dirty else ""),
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }  # fmt: skip
    out = Path(args.out)
    if args.merge and out.exists():
        earlier = json.loads(out.read_text())
        names = {c["name"] for c in cases}
        kept = [c for c in earlier.get("cases", []) if c["name"] not in names]
        result["cases"] = kept + cases
        result["merged_from"] = earlier.get("measured_at")
    out.write_text(json.dumps(result, indent=2) + "\n")
    if args.plans:
        plans_path = Path(args.plans)
        mode = "a" if args.merge and plans_path.exists() else "w"
        with plans_path.open(mode) as handle:
            handle.write("\n".join(plans.text))


if __name__ == "__main__":
    main()
