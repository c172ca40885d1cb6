"""Field organizing on one database (run by bench/run.py in its own process): building call and
walk lists, serving them to volunteers, and ordering a walk — each beside a floor measured in
the same run on the same data.

Data: ``--people`` people and 20 activities each, made and loaded by `bench.segments_data` (the
segments benchmark's generator), in a fresh database. A turf of ``--turf`` of them (each with a
phone we may call) is tagged, and their addresses are replaced by doors on a street grid in ten
postal codes (`doors_frame`): numbered houses on both sides of each street, a fifth of the
people sharing a door with someone, 70% of the doors geocoded. The universe is the segment
"tagged turf".

- call_list / walk_list: `contact_list_create` from the segment (the contact policy applied,
  rows ordered, households kept together, entries written), p50 of ``--runs``; floor: a
  hand-written ``INSERT INTO organizing_listentry … SELECT`` of the same people (person,
  position, household) into another list.
- serve: ``--serve`` entries served and recorded (`entry_next` + `entry_record`, with a
  one-question survey answered on "talked") by ``--volunteers`` volunteers at once, in threads,
  each with its own connection — and by one volunteer alone, to show what the second one adds;
  floor: the same threads claiming and closing entries of the floor's list with two bare
  statements each (``UPDATE … WHERE id = (SELECT … WHERE state = 'waiting' … LIMIT 1)``, then
  ``UPDATE … SET state = 'done'``). SQLite has one writer at a time (WAL, busy_timeout): its
  writes queue behind each other whatever the threads, and the threads share the GIL, so the
  second volunteer mostly adds waiting — which is what a phone bank on SQLite gets.
- walk_order: `walk_order` of ``--households`` doors, all geocoded, in ten postal codes and in
  one (the route's worst case), CPU seconds (p50 of ``--runs``); floor: Python's ``sorted`` of
  the same doors by their street key (`walk_key`), the order a walk list had without
  coordinates.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from bench.segments_bench import bench_user, case, log, postgres_database, rows, scalar, timed
from bench.segments_data import SPREAD, Loader, Scale, load_all, uniform

TURF = 50_000
POSTAL_CODES = 10
LOCATED = 0.7  # geocoded share of the turf's doors
SHARED = 0.2  # people who share a door with the person before them
PER_STREET = 250  # doors on one street (both sides) of a postal code's grid
LAT0, LON0 = 41.59, -93.62  # Des Moines


# ---------------------------------------------------------------------------- data


def doors_frame(n: int, postal_codes: int, *, located: float = 1.0, shared: float = 0.0) -> Any:
    """``n`` people at doors on a street grid, column-wise: ``postal_codes`` postal codes side
    by side, each a grid of east-west streets ("12th St") 90 m apart with houses every 16 m,
    odd numbers on the south side and even on the north, a few metres of jitter. A ``shared``
    share of the people live at the door of the person before them; a ``located`` share of
    the doors have coordinates. Columns: row (0..n-1), line1, postal_code, latitude,
    longitude."""
    new_door = (uniform(60, "row") >= shared) | (pl.col("row") == 0)
    frame = pl.select(pl.int_range(0, n, dtype=pl.Int64).alias("row"))
    frame = frame.with_columns(door=new_door.cast(pl.Int64).cum_sum() - 1)
    postal = pl.col("door") % postal_codes
    k = pl.col("door") // postal_codes
    street, pos = k // PER_STREET + 1, k % PER_STREET
    side, slot = pos % 2, pos // 2
    ordinal = (
        pl.when((street % 100).is_between(11, 13))
        .then(pl.lit("th"))
        .when(street % 10 == 1)
        .then(pl.lit("st"))
        .when(street % 10 == 2)
        .then(pl.lit("nd"))
        .when(street % 10 == 3)
        .then(pl.lit("rd"))
        .otherwise(pl.lit("th"))
    )
    jitter_x, jitter_y = (uniform(61, "door") - 0.5) * 4, (uniform(62, "door") - 0.5) * 4
    x = slot * 16 + jitter_x
    y = street * 90 + (side * 2 - 1) * 11 + jitter_y
    per_lon = 111_320.0 * math.cos(math.radians(LAT0))
    lat = LAT0 + (postal // 5) * 0.03 + y / 110_574.0
    lon = LON0 + (postal % 5) * 0.04 + x / per_lon
    geocoded = uniform(63, "door") < located
    return frame.with_columns(
        line1=pl.format("{} {}{} St", 101 + 2 * slot + side, street, ordinal),
        postal_code=(50310 + postal).cast(pl.String),
        latitude=pl.when(geocoded).then(lat.round(6)).otherwise(None),
        longitude=pl.when(geocoded).then(lon.round(6)).otherwise(None),
    ).drop("door")


def turf_make(size: int, now: dt.datetime) -> tuple[int, int]:
    """Tag ``size`` people with a phone we may call, spread over the ids, and move them to the
    doors of `doors_frame`; return (the tag's id, how many were tagged)."""
    from django.db import connection

    from ladder.people.models import Address, Tag, Tagging

    callable_ = [
        row[0]
        for row in rows(
            "SELECT DISTINCT person_id FROM people_phone WHERE status = 'active' "
            "AND NOT do_not_call ORDER BY person_id"
        )
    ]
    step = max(len(callable_) / size, 1.0)
    chosen = [callable_[int(i * step)] for i in range(min(size, len(callable_)))]
    n = len(chosen)
    tag = Tag.objects.create(name="bench-turf")
    loader = Loader(now)
    loader.append(Tagging, pl.DataFrame({"person_id": chosen, "tag_id": [tag.pk] * n}))
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM people_address WHERE person_id IN "
            "(SELECT person_id FROM people_tagging WHERE tag_id = %s)",
            [tag.pk],
        )
    # Person ids scattered over the doors (as in life, an id says nothing about a street).
    doors = doors_frame(n, POSTAL_CODES, located=LOCATED, shared=SHARED)
    scatter = (doors["row"] * SPREAD) % n
    doors = doors.with_columns(
        person_id=pl.Series("person_id", chosen, dtype=pl.Int64).gather(scatter),
        locality=pl.lit("Des Moines"),
        region=pl.lit("IA"),
        is_primary=pl.lit(True),
        status=pl.lit("active"),
    )
    loader.append(Address, doors.drop("row"))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE people_address")
            cursor.execute("ANALYZE people_tagging")
    return tag.pk, n


def fieldwork_make(user: Any, volunteers: int) -> tuple[Any, list[Any]]:
    """A script with a one-question survey (a "Yes" tags the person), and the volunteers."""
    from ladder.core.models import Role
    from ladder.core.services import user_create
    from ladder.organizing.services import QuestionPlan, script_create, survey_create

    survey = survey_create(
        actor=user, name="Bench survey",
        questions=[QuestionPlan(prompt="Will you vote yes?", kind="single", key="support",
                                choices=["Yes", "No", "Undecided"],
                                effects={"Yes": {"tag": "bench-supporter"}})],
    )  # fmt: skip
    script = script_create(
        actor=user, name="Bench script", body="Hi {{ first_name }}, this is the campaign.",
        survey=survey,
    )  # fmt: skip
    callers = [
        user_create(username=f"bench-caller-{n}", role=Role.VOLUNTEER, password="x", validate=False)
        for n in range(1, volunteers + 1)
    ]
    return script, callers


# ---------------------------------------------------------------------------- measuring


def load_now() -> float:
    return round(os.getloadavg()[0], 2)


ENTRY_COLUMNS = "(contact_list_id, person_id, position, household, state, result)"


def copy_floor(source: Any, name: str) -> tuple[float, float, Any]:
    """The floor of building a list: the same (person, position, household) rows written into a
    new list by one hand-written INSERT … SELECT; and, for the order worked out in Python (a
    walk), by one executemany of those rows held in memory. Returns both times and the first
    copy."""
    from django.db import connection, transaction

    from ladder.organizing.models import ContactList

    def new_list(suffix: str) -> Any:
        return ContactList.objects.create(
            name=f"{name} {suffix}", kind=source.kind, created_by=source.created_by
        )

    target = new_list("(INSERT … SELECT)")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
INSERT INTO organizing_listentry {ENTRY_COLUMNS}
SELECT %s, person_id, position, household, 'waiting', ''
FROM organizing_listentry WHERE contact_list_id = %s""",
            [target.pk, source.pk],
        )
        copied = cursor.rowcount
    seconds = time.perf_counter() - started
    ContactList.objects.filter(pk=target.pk).update(size=copied)
    other = new_list("(executemany)").pk
    held = [
        (other, *row, "waiting", "")
        for row in rows(
            "SELECT person_id, position, household FROM organizing_listentry "
            "WHERE contact_list_id = %s ORDER BY position",
            [source.pk],
        )
    ]
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO organizing_listentry {ENTRY_COLUMNS} VALUES (%s, %s, %s, %s, %s, %s)",
            held,
        )
    return seconds, time.perf_counter() - started, target


def measure_lists(
    user: Any, segment: Any, script: Any, callers: list[Any], runs: int
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """contact_list_create of a call list and a walk list, beside the INSERT … SELECT floor;
    returns the cases and the last lists built (and their floor copies) by kind."""
    from ladder.organizing.services import contact_list_create

    cases, last = [], {}
    for kind in ("call", "walk"):
        seconds, floors, from_python = [], [], []
        for n in range(runs):
            load = load_now()
            started = time.perf_counter()
            built = contact_list_create(
                actor=user, name=f"Bench {kind} {n}", kind=kind, segment=segment,
                script=script, volunteers=callers,
            )  # fmt: skip
            seconds.append(time.perf_counter() - started)
            floor, many, copy = copy_floor(built, f"Bench {kind} {n} floor")
            floors.append(floor)
            from_python.append(many)
            last[kind] = (built, copy)
            log(f"  {kind} list {n}: {seconds[-1]:.2f} s, {built.size:,} entries, "
                f"{built.left_out:,} left out; floor {floor:.2f} s (executemany {many:.2f} s); "
                f"load {load}")  # fmt: skip
        built = last[kind][0]
        households = scalar(
            "SELECT COUNT(DISTINCT household) FROM organizing_listentry WHERE contact_list_id = %s",
            [built.pk],
        )
        cases.append(
            case(
                f"{kind}_list", seconds, floors,
                "INSERT INTO organizing_listentry … SELECT of the same people (person, position, "
                "household) into another list", target=None,
                entries=built.size, households=households, left_out=built.left_out,
                floor_executemany_seconds=round(statistics.median(from_python), 4),
                ratio_to_executemany=round(
                    statistics.median(seconds) / statistics.median(from_python), 2),
                load_1m=load_now(),
            )
        )  # fmt: skip
    return cases, last


class Timings:
    """Per-serve latencies from several threads, and the errors they met."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.entries = 0
        self.reserved = 0  # serves begun: one more only while fewer than ``total`` have
        self.errors: list[str] = []

    def summary(self, wall: float) -> dict[str, Any]:
        q = statistics.quantiles(self.latencies, n=100) if len(self.latencies) > 1 else [0.0] * 99
        return {
            "entries": self.entries,
            "serves": len(self.latencies),
            "wall_seconds": round(wall, 3),
            "entries_per_second": round(self.entries / wall, 1) if wall else None,
            "p50_ms": round(q[49] * 1000, 2),
            "p95_ms": round(q[94] * 1000, 2),
            "errors": len(self.errors),
            "first_errors": self.errors[:3],
        }


def in_threads(
    workers: int, total: int, one: Callable[[int], int], timings: Timings
) -> dict[str, Any]:
    """Call ``one(worker)`` ``total`` times in all from ``workers`` threads (each with its own
    connection, as Django gives every thread), or until nothing is left; ``one`` returns how
    many entries it finished (0: the list is empty)."""
    from django.db import connection

    start = threading.Barrier(workers)

    def work(worker: int) -> None:
        start.wait()
        try:
            while True:
                with timings.lock:
                    if timings.reserved >= total:
                        return
                    timings.reserved += 1
                began = time.perf_counter()
                try:
                    done = one(worker)
                except Exception as problem:  # counted and reported
                    with timings.lock:
                        timings.errors.append(f"{type(problem).__name__}: {problem}")
                        timings.reserved -= 1
                        if len(timings.errors) > 50:
                            return
                    continue
                if not done:
                    return
                # (an error above gives its serve up: the next one is begun in its place)
                with timings.lock:
                    timings.latencies.append(time.perf_counter() - began)
                    timings.entries += done
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timings.summary(time.perf_counter() - began)


def serve_ladder(contact_list: Any, callers: list[Any]) -> Callable[[int], int]:
    """One serve by caller ``worker``: the next household, each person recorded (a third
    talked and answered the survey)."""
    from ladder.organizing.services import entry_next, entry_record

    def one(worker: int) -> int:
        actor = callers[worker]
        entries = entry_next(actor=actor, contact_list=contact_list)
        for entry in entries:
            talked = entry.pk % 3 == 0
            entry_record(
                actor=actor, entry=entry, result="talked" if talked else "not_home",
                answers={"support": ("Yes", "No", "Undecided")[entry.pk % 7 % 3]} if talked
                else None,
            )  # fmt: skip
        return len(entries)

    return one


def serve_floor(contact_list: Any, callers: list[Any]) -> Callable[[int], int]:
    """One serve in bare SQL: claim the first waiting entry, then close it."""
    from django.db import connection
    from django.utils import timezone

    skip = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    claim = f"""
UPDATE organizing_listentry SET state = 'served', served_to_id = %s, served_at = %s
WHERE id = (SELECT id FROM organizing_listentry
            WHERE contact_list_id = %s AND state = 'waiting'
            ORDER BY position LIMIT 1{skip})
  AND state = 'waiting'
RETURNING id"""
    close = (
        "UPDATE organizing_listentry SET state = 'done', result = %s, done_at = %s WHERE id = %s"
    )

    waiting = "SELECT 1 FROM organizing_listentry WHERE contact_list_id = %s AND state = 'waiting'"

    def one(worker: int) -> int:
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            while True:
                cursor.execute(claim, [callers[worker].pk, now, contact_list.pk])
                got = cursor.fetchone()
                if got is not None:
                    break
                if scalar(waiting, [contact_list.pk]) is None:
                    return 0  # nobody left (else: lost a race, claim again)
            cursor.execute(close, ["talked", now, got[0]])
        return 1

    return one


def measure_serving(lists: dict[str, Any], callers: list[Any], total: int, alone: int) -> list:
    """Serving the call list by all the callers at once, and by the first alone, beside the
    bare-SQL floor at the same concurrency."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    built, copy = lists["call"]
    with CaptureQueriesContext(connection) as one_serve:  # one serve, outside the timing
        serve_ladder(built, callers)(0)
    cases = []
    for name, workers, count in (("serve_alone", 1, alone), ("serve", len(callers), total)):
        if count <= 0:
            continue
        load = load_now()
        real = in_threads(workers, count, serve_ladder(built, callers), Timings())
        floor = in_threads(workers, count, serve_floor(copy, callers), Timings())
        log(f"  {name}: {real}")
        log(f"  {name} floor: {floor}")
        cases.append(
            case(
                name, [real["wall_seconds"]], [floor["wall_seconds"]],
                "the same threads: UPDATE … SET state = 'served' WHERE id = (SELECT … WHERE "
                "state = 'waiting' ORDER BY position LIMIT 1), then UPDATE … SET state = 'done'",
                target=None, volunteers=workers, entries=real["entries"],
                entries_per_second=real["entries_per_second"], p50_ms=real["p50_ms"],
                p95_ms=real["p95_ms"], errors=real["errors"], first_errors=real["first_errors"],
                floor_entries_per_second=floor["entries_per_second"],
                floor_p50_ms=floor["p50_ms"], floor_p95_ms=floor["p95_ms"],
                floor_errors=floor["errors"], serves=real["serves"],
                queries_per_serve=len(one_serve.captured_queries),
                seconds_are=f"wall seconds for {count:,} serves",
                load_1m_before=load, load_1m=load_now(),
            )
        )  # fmt: skip
    return cases


def cpu_timed(fn: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    """`timed`, in CPU seconds of this process."""
    spent: list[float] = []

    def once() -> Any:
        started = time.process_time()
        result = fn()
        spent.append(time.process_time() - started)
        return result

    return spent, timed(once, runs)[1]


def walk_doors(households: int, postal_codes: int) -> list[Any]:
    """`doors_frame`'s doors, all geocoded, as `walk_order` takes them, by (scattered) id."""
    from ladder.organizing.walking import Door

    frame = doors_frame(households, postal_codes).with_columns(
        person=(pl.col("row") * SPREAD) % households + 1
    )
    columns = ("person", "line1", "postal_code", "latitude", "longitude")
    return [Door(*row) for row in frame.select(columns).sort("person").iter_rows()]


def walk_case(name: str, doors: list[Any], runs: int, postal_codes: int) -> dict[str, Any]:
    from ladder.organizing.walking import walk_key, walk_order

    load = load_now()
    seconds, walked = cpu_timed(lambda: walk_order(doors), runs)
    floor, by_street = cpu_timed(
        lambda: sorted(doors, key=lambda d: walk_key(d.line1, d.postal_code)), runs
    )
    assert sorted(r[0] for r in walked) == sorted(d.person for d in by_street)
    return case(
        name, seconds, floor, "sorted(doors, key=walk_key(line1, postal_code)): the street order",
        target=None, doors=len(doors), postal_codes=postal_codes,
        located=sum(d.latitude is not None for d in doors),
        seconds_are="CPU seconds (time.process_time)", load_1m_before=load, load_1m=load_now(),
    )  # fmt: skip


def measure_walk_order(households: int, runs: int) -> list[dict[str, Any]]:
    """walk_order of ``households`` geocoded doors in ten postal codes, the same doors without
    coordinates, and as many in one postal code (the route's worst case), each beside sorted()
    by the street key."""
    from ladder.organizing.walking import Door

    doors = walk_doors(households, POSTAL_CODES)
    bare = [Door(d.person, d.line1, d.postal_code) for d in doors]
    return [
        walk_case("walk_order", doors, runs, POSTAL_CODES),
        walk_case("walk_order_no_coordinates", bare, runs, POSTAL_CODES),
        walk_case("walk_order_one_postal_code", walk_doors(households, 1), runs, 1),
    ]


# ---------------------------------------------------------------------------- main


def fresh_database(url: str, name: str) -> str:
    """A new, empty database ``name`` on the server of ``url`` (an earlier run's dropped)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return postgres_database(url, name)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp dir")
    parser.add_argument("--label", default="sqlite")
    parser.add_argument("--out", required=True)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=None, help="default: 20 per person")
    parser.add_argument("--turf", type=int, default=TURF, help="people in the segment")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--serve", type=int, default=2000, help="entries served concurrently")
    parser.add_argument("--serve-alone", type=int, default=500, help="entries by one volunteer")
    parser.add_argument("--volunteers", type=int, default=2)
    parser.add_argument("--households", type=int, default=50_000, help="doors for walk_order")
    args = parser.parse_args()
    started_run = time.perf_counter()
    load_start = os.getloadavg()

    with tempfile.TemporaryDirectory(prefix="ladder-organizing-bench-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        if url.startswith("postgres"):
            url = fresh_database(url, "bench_organizing")
        from bench.mail_data import django_setup

        django_setup(url, Path(tmp))
        from django.db import connection
        from django.utils import timezone

        from ladder.segments.services import segment_create

        scale = Scale(args.people, args.activities or 20 * args.people)
        now = timezone.now().replace(microsecond=0)
        log(f"{connection.vendor}: loading {scale.people:,} people, {scale.activities:,} "
            "activities")  # fmt: skip
        loaded = time.perf_counter()
        load_all(scale, now, log)
        tag, turf = turf_make(args.turf, now)
        load_seconds = time.perf_counter() - loaded
        user = bench_user()
        segment = segment_create(
            actor=user, name="Bench turf",
            definition={"version": 1, "match": {"kind": "tags", "match": "any", "tags": [tag]}},
        )  # fmt: skip
        script, callers = fieldwork_make(user, args.volunteers)
        log(f"ready in {load_seconds:.0f} s: a turf of {turf:,} people (segment count "
            f"{segment.last_count})")  # fmt: skip

        cases, lists = measure_lists(user, segment, script, callers, args.runs)
        cases += measure_serving(lists, callers, args.serve, args.serve_alone)
        cases += measure_walk_order(args.households, args.runs)

        if connection.vendor == "postgresql":
            server = scalar("SHOW server_version")
        else:
            server = scalar("SELECT sqlite_version()")
        result = {
            "benchmark": "organizing",
            "label": args.label,
            "database": connection.vendor,
            "database_version": server,
            "people": scale.people,
            "activities": scale.activities,
            "cases": cases,
            "settings": {
                "turf": turf,
                "postal_codes": POSTAL_CODES,
                "located_share": LOCATED,
                "shared_door_share": SHARED,
                "runs": args.runs,
                "serve": args.serve,
                "serve_alone": args.serve_alone,
                "volunteers": args.volunteers,
                "walk_order_doors": args.households,
                "contact_policy": "defaults (7 days same channel, 2 days another)",
                "segment": "tagged bench-turf",
            },
            "setup_seconds": round(load_seconds, 1),
            "run_seconds": round(time.perf_counter() - started_run, 1),
            "machine": {
                "python": sys.version.split()[0],
                "cpus": os.cpu_count(),
                "platform": platform.platform(),
                "load_average_at_start": [round(x, 2) for x in load_start],
                "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            },
            "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        connection.close()
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    log(f"wrote {args.out} ({result['run_seconds']:.0f} s)")


if __name__ == "__main__":
    main()
