"""Dashboard: every tile of `ladder.insights.dashboard` over the segments benchmark's data (1M
people and 20M activities on PostgreSQL by default, generated once and kept in var/bench), for
the last 30 and 90 days as staff see them, beside a floor measured in the same run: the raw SQL
that answers "actions by type in the window" straight from the activity table
(``SELECT type, COUNT(*), SUM(amount) … GROUP BY type``), which is what the rollups spare us.

    DATABASE_URL=postgres://… python -m bench.dashboard_bench --people 1000000 --out F.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

RUNS = 5
TARGET_SECONDS = 1.0  # DESIGN.md §7: all tiles within 1 s


def _floor(since: dt.datetime) -> tuple[float, int]:
    from django.db import connection

    from ladder.activity.models import Activity

    table = connection.ops.quote_name(Activity._meta.db_table)
    times, rows = [], 0
    with connection.cursor() as cursor:
        for _ in range(RUNS):
            started = time.perf_counter()
            cursor.execute(
                f"SELECT type, COUNT(*), SUM(amount) FROM {table} WHERE occurred_at >= %s "
                "GROUP BY type",
                [since],
            )
            rows = len(cursor.fetchall())
            times.append(time.perf_counter() - started)
    return statistics.median(times), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    from bench.segments_bench import bench_user, postgres_database, prepare
    from bench.segments_data import Scale

    scale = Scale(args.people, 20 * args.people)
    url = os.environ["DATABASE_URL"]
    if url.startswith("postgres"):
        os.environ["DATABASE_URL"] = postgres_database(url, f"bench_segments_{scale.key}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ladder.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from ladder.insights.dashboard import TILES, dashboard, scope_for

    call_command("migrate", verbosity=0)
    meta = prepare(scale, False)
    user = bench_user()
    now = dt.datetime.fromisoformat(meta["generated_at"])
    cases = []
    for days in (30, 90):
        scope = scope_for(user, days=days, now=now)
        dashboard(scope)  # warm the caches once, as a page that is opened every morning is
        tiles: dict[str, list[float]] = {name: [] for name in TILES}
        totals = []
        for _ in range(RUNS):
            started = time.perf_counter()
            board = dashboard(scope)
            totals.append(time.perf_counter() - started)
            for name, seconds in board.seconds.items():
                tiles[name].append(seconds)
        since = dt.datetime.combine(scope.start, dt.time.min, tzinfo=now.tzinfo)
        floor, types = _floor(since)
        total = statistics.median(totals)
        cases.append({
            "name": f"dashboard, {days} days", "seconds": round(total, 4),
            "floor_seconds": round(floor, 4),
            "floor": "SELECT type, COUNT(*), SUM(amount) FROM activity WHERE occurred_at >= "
                     "window start GROUP BY type",
            "floor_types": types, "ratio": round(total / floor, 3) if floor else None,
            "target_seconds": TARGET_SECONDS, "met": total <= TARGET_SECONDS,
            "tiles_seconds": {n: round(statistics.median(v), 4) for n, v in tiles.items()},
            "actions_in_window": board.tiles["actions"]["total"],
        })  # fmt: skip
    result = {
        "benchmark": "dashboard",
        "label": f"{connection.vendor}-{args.people}",
        "people": args.people,
        "activities": scale.activities,
        "runs": RUNS,
        "cases": cases,
        "machine": {
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    for case in cases:
        print(json.dumps({k: case[k] for k in ("name", "seconds", "floor_seconds", "ratio",
                                               "met")}))  # fmt: skip


if __name__ == "__main__":
    main()
