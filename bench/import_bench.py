"""One database's import benchmark (run by bench/run.py in its own process).

Cases, each timed end to end (upload → stage/normalise/match → apply) beside a floor measured in
the same run on the same file: the file loaded raw into a table with the same indexes as the
people tables (PostgreSQL: COPY; SQLite: one executemany transaction — SQLite has no COPY).
- new:      N people, none known yet;
- overlap:  N people of whom 30% are already known from `new` (matched by email and merged).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

FLOOR_COLUMNS = ["first_name", "last_name", "email", "phone", "line1", "locality", "region", "zip"]


def fresh_postgres(url: str) -> str:
    """Point at a new, empty database beside the one in ``url``."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS ladder_bench WITH (FORCE)")
        conn.execute("CREATE DATABASE ladder_bench")
    base, _, _ = url.rpartition("/")
    return f"{base}/ladder_bench"


def create_floor_table(cursor: Any, vendor: str) -> None:
    cursor.execute("DROP TABLE IF EXISTS bench_floor")
    cols = ", ".join(f"{c} varchar(254)" for c in FLOOR_COLUMNS)
    cursor.execute(f"CREATE TABLE bench_floor (id integer PRIMARY KEY, {cols})")
    # The same lookups the people tables index: email (unique), phone, name, postal code.
    cursor.execute("CREATE UNIQUE INDEX bench_floor_email ON bench_floor (email)")
    cursor.execute("CREATE INDEX bench_floor_phone ON bench_floor (phone)")
    cursor.execute("CREATE INDEX bench_floor_name ON bench_floor (last_name, first_name)")
    cursor.execute("CREATE INDEX bench_floor_zip ON bench_floor (zip)")


def floor_rows(path: Path) -> Any:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        for i, row in enumerate(reader):
            yield [i, *(row.get(column, "") or "" for column in FLOOR_COLUMNS)]


def measure_floor(path: Path) -> float:
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        create_floor_table(cursor, connection.vendor)
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            columns = ", ".join(["id", *FLOOR_COLUMNS])
            with cursor.cursor.copy(f"COPY bench_floor ({columns}) FROM STDIN") as copy:
                for row in floor_rows(path):
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * (len(FLOOR_COLUMNS) + 1))
            cursor.executemany(f"INSERT INTO bench_floor VALUES ({marks})", floor_rows(path))
    seconds = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_floor")
    return seconds


def run_import(path: Path) -> tuple[float, dict]:
    from ladder.imports import services
    from ladder.imports.selectors import import_progress

    start = time.perf_counter()
    job = services.import_create(actor=None, path_or_file=path, original_name=path.name)
    job = services.import_set_mapping(actor=None, job=job, mapping=dict(job.mapping))
    job = services.import_stage(job=job)
    job = services.import_apply(job=job)
    seconds = time.perf_counter() - start
    return seconds, import_progress(job)["counts"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--label", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    url = os.environ["DATABASE_URL"]
    if url.startswith("postgres"):
        os.environ["DATABASE_URL"] = fresh_postgres(url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from ladder.demo import write_people_csv
    from ladder.people.models import Person

    call_command("migrate", verbosity=0)
    data_dir = Path(os.environ["LADDER_DATA_DIR"])
    data_dir.mkdir(parents=True, exist_ok=True)
    new_file = data_dir / "people-new.csv"
    overlap_file = data_dir / "people-overlap.csv"
    write_people_csv(new_file, rows=args.rows, seed=1)
    write_people_csv(overlap_file, rows=args.rows, seed=1, overlap_with=args.rows)

    cases = []
    for name, path in (("new", new_file), ("overlap_30pct", overlap_file)):
        floor = measure_floor(path)
        seconds, counts = run_import(path)
        cases.append(
            {
                "name": name,
                "rows": args.rows,
                "seconds": round(seconds, 3),
                "floor_seconds": round(floor, 3),
                "floor": "COPY into an indexed table"
                if connection.vendor == "postgresql"
                else "executemany into an indexed table, one transaction",
                "ratio": round(seconds / floor, 2) if floor else None,
                "rows_per_second": round(args.rows / seconds),
                "counts": counts,
                "file_bytes": path.stat().st_size,
            }
        )
        print(f"{args.label} {name}: {seconds:.2f}s (floor {floor:.2f}s) {counts}", flush=True)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    result = {
        "benchmark": "import_people",
        "label": args.label,
        "database": connection.vendor,
        "people_after": Person.objects.count(),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "cases": cases,
        "machine": {
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "commit": commit,
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    Path(args.out).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
