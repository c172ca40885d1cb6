"""`make bench`: import, segments, public-page, mail-tracking, API, field-organizing and identity
benchmarks on PostgreSQL and SQLite, each beside its floor.

Each database runs in its own subprocess (`python -m bench.import_bench`, `python -m
bench.segments_bench`) because Django's settings are fixed per process. PostgreSQL comes from
LADDER_BENCH_PG_URL, or a cluster this script starts: a throwaway one for imports
(scripts/pg-throwaway), a kept one under var/bench/pg for segments (bench/pgcluster.py), whose
generated people and activities are reused by the next run. Results: bench/results/*.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
ONLY = [
    "postgres",
    "sqlite",
    "imports",
    "segments",
    "actions",
    "mail",
    "tracking",
    "api",
    "organizing",
    "identity",
    "dashboard",
]


def run_one(db_url: str, label: str, rows: int, workdir: Path) -> dict:
    out = workdir / f"{label}.json"
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "LADDER_DATA_DIR": str(workdir / label),
        "DJANGO_SETTINGS_MODULE": "ladder.settings",
    }
    command = [sys.executable, "-m", "bench.import_bench", "--rows", str(rows)]
    command += ["--label", label, "--out", str(out)]
    subprocess.run(command, env=env, cwd=ROOT, check=True)
    return json.loads(out.read_text())


def run_segments(people: int, sqlite_people: int, cases: str | None, databases: str) -> None:
    """The segments benchmark: PostgreSQL at ``people``, SQLite at ``sqlite_people``."""
    from bench import pgcluster

    cache = ROOT / "var" / "bench"
    cache.mkdir(parents=True, exist_ok=True)
    runs = []
    pg_url = os.environ.get("LADDER_BENCH_PG_URL")
    own_cluster = not pg_url and databases in ("both", "postgresql")
    if own_cluster:
        pg_url = pgcluster.start(cache / "pg", 55441)
    try:
        if databases in ("both", "postgresql"):
            assert pg_url is not None
            runs.append(("postgresql", people, pg_url))
        if databases in ("both", "sqlite"):
            path = cache / f"segments-{sqlite_people}_{20 * sqlite_people}.sqlite3"
            runs.append(("sqlite", sqlite_people, f"sqlite:///{path}"))
        for vendor, n, url in runs:
            name = f"segments-{vendor}-{n}"
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "LADDER_DATA_DIR": str(cache / "data"),
                "DJANGO_SETTINGS_MODULE": "ladder.settings",
            }
            command = [sys.executable, "-m", "bench.segments_bench", "--people", str(n)]
            command += ["--out", str(RESULTS / f"{name}.json")]
            command += ["--plans", str(RESULTS / f"{name}.plans.txt")]
            if cases:
                command += ["--cases", cases, "--merge"]
            subprocess.run(command, env=env, cwd=ROOT, check=True)
            result = json.loads((RESULTS / f"{name}.json").read_text())
            print(f"wrote bench/results/{name}.json ({result['run_seconds']:.0f} s)")
            for case in result["cases"]:
                print_segments_case(result["label"], case)
    finally:
        if own_cluster:
            pgcluster.stop(cache / "pg")


def _loopback(module: str, prefix: str, databases: str, port: int,
              report: Callable[[str, dict], None],
              extra: tuple[str, ...] = ()) -> None:  # fmt: skip
    """A benchmark that serves Ladder on loopback (``bench.<module>``), on SQLite and on a
    throwaway PostgreSQL (or LADDER_BENCH_PG_URL), each in its own process."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ladder-bench-") as tmp:
        work = Path(tmp)
        work.chmod(0o755)  # the cluster runs as the postgres user when we are root
        targets = []
        if databases in ("both", "sqlite"):
            targets.append(("sqlite", ""))
        pg_dir = work / "pg"
        own = databases in ("both", "postgresql") and not os.environ.get("LADDER_BENCH_PG_URL")
        if databases in ("both", "postgresql"):
            url = os.environ.get("LADDER_BENCH_PG_URL") or subprocess.run(
                [str(ROOT / "scripts" / "pg-throwaway"), "start", str(pg_dir), str(port)],
                check=True, capture_output=True, text=True,
            ).stdout.strip()  # fmt: skip
            targets.append(("postgresql", url))
        try:
            for label, url in targets:
                out = RESULTS / f"{prefix}-{label}.json"
                command = [sys.executable, "-m", f"bench.{module}", "--label", label,
                           "--out", str(out)]  # fmt: skip
                if url:
                    command += ["--database-url", url]
                command += extra
                subprocess.run(command, cwd=ROOT, check=True)
                print(f"wrote bench/results/{out.name}")
                report(label, json.loads(out.read_text()))
        finally:
            if own:
                subprocess.run([str(ROOT / "scripts" / "pg-throwaway"), "stop", str(pg_dir)])


def run_actions(databases: str) -> None:
    """The public pages under load (bench/actions_bench.py)."""

    def report(label: str, result: dict) -> None:
        for name, row in result["summary"].items():
            print(f"  {label:>12} {name:<14} {row['requests_per_second']} req/s at p95 "
                  f"{row['p95_ms']} ms (floor {row['floor_requests_per_second']} req/s, "
                  f"ratio {row['ratio_to_floor']})")  # fmt: skip
        print(f"  {label:>12} signups accepted {result['signups_accepted']:,}, stored "
              f"{result['signups_in_database']:,}")  # fmt: skip

    _loopback("actions_bench", "actions", databases, 55443, report)


def run_mail(people: int) -> None:
    """Mailings: the send rate beside the sink's raw accept rate, and the fault test (SIGKILLs
    mid-send), each in its own process on its own SQLite file."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"mail-sqlite-{people}.json"
    command = [sys.executable, "-m", "bench.mail_bench", "--people", str(people), "--senders", "2"]
    command += ["--out", str(out)]
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    send = json.loads(out.read_text())
    print(f"wrote bench/results/{out.name}: {send['messages_per_second']} messages/s, floor "
          f"{send['floor_messages_per_second']}/s, ratio {send['ratio_to_floor']}")  # fmt: skip
    out = RESULTS / "mail-fault.json"
    command = [sys.executable, "-m", "bench.mail_fault", "--out", str(out)]
    subprocess.run(command, cwd=ROOT, check=False, stdout=subprocess.DEVNULL)
    fault = json.loads(out.read_text())
    print(f"wrote bench/results/{out.name}: {fault['kills']} kills, "
          f"{fault['received']:,} received, duplicates {fault['duplicates']}, "
          f"silent losses {fault['silent_losses']}, in doubt "
          f"{fault['in_doubt']} — {'passed' if fault['passed'] else 'FAILED'}")  # fmt: skip


def run_tracking(databases: str) -> None:
    """Open and click tracking under load (bench/tracking_bench.py)."""

    def report(label: str, result: dict) -> None:
        for name, row in result["summary"].items():
            print(f"  {label:>12} {name:<10} {row['hits_per_second']} hits/s at p99 "
                  f"{row['p99_ms']} ms (floor {row['floor_requests_per_second']} req/s, "
                  f"ratio {row['ratio_to_floor']})")  # fmt: skip
        print(f"  {label:>12} hits accepted {result['opens_accepted']:,} opens + "
              f"{result['clicks_accepted']:,} clicks, all folded: "
              f"{result['all_hits_folded']}")  # fmt: skip

    _loopback("tracking_bench", "tracking", databases, 55444, report)


def run_api(databases: str, people: int) -> None:
    """API person reads under load (bench/api_bench.py), at ``people`` people."""

    def report(label: str, result: dict) -> None:
        row = result["summary"]["person_get"]
        print(f"  {label:>12} person_get {row['requests_per_second']} req/s at p95 "
              f"{row['p95_ms']} ms (floor {row['floor_requests_per_second']} req/s, ratio "
              f"{row['ratio_to_floor']}; peak {row['peak_requests_per_second']} req/s at p95 "
              f"{row['peak_p95_ms']} ms), {result['people']:,} people")  # fmt: skip

    _loopback("api_bench", "api", databases, 55445, report, ("--people", str(people)))


def run_organizing(people: int, sqlite_people: int) -> None:
    """Call and walk lists built, served and walked (bench/organizing_bench.py): on a throwaway
    PostgreSQL at ``people`` people, on SQLite at ``sqlite_people``."""

    def report(label: str, result: dict) -> None:
        for case in result["cases"]:
            print_segments_case(label, case)
            if "entries_per_second" in case:
                print(f"  {label:>18} {'':<24} {case['entries_per_second']} entries/s, p50 "
                      f"{case['p50_ms']} ms, p95 {case['p95_ms']} ms (floor "
                      f"{case['floor_entries_per_second']} entries/s)")  # fmt: skip

    for databases, n in (("sqlite", sqlite_people), ("postgresql", people)):
        _loopback("organizing_bench", "organizing", databases, 55446, report, ("--people", str(n)))


def run_dashboard(people: int) -> None:
    """Every dashboard tile over the segments benchmark's kept data (bench/dashboard_bench.py)
    on its PostgreSQL cluster, beside a GROUP BY over the activity table."""
    from bench import pgcluster

    cache = ROOT / "var" / "bench"
    pg_url = os.environ.get("LADDER_BENCH_PG_URL") or pgcluster.start(cache / "pg", 55441)
    out = RESULTS / f"dashboard-postgresql-{people}.json"
    env = {**os.environ, "DATABASE_URL": pg_url, "LADDER_DATA_DIR": str(cache / "data"),
           "DJANGO_SETTINGS_MODULE": "ladder.settings"}  # fmt: skip
    try:
        command = [sys.executable, "-m", "bench.dashboard_bench", "--people", str(people)]
        subprocess.run([*command, "--out", str(out)], env=env, cwd=ROOT, check=True)
    finally:
        if not os.environ.get("LADDER_BENCH_PG_URL"):
            pgcluster.stop(cache / "pg")
    for case in json.loads(out.read_text())["cases"]:
        print_segments_case("dashboard", case)


def run_identity(people: int) -> None:
    """Duplicate detection (bench/identity_bench.py) at ``people`` people with planted
    duplicates and household traps: precision, recall, F1 and time beside a DuckDB floor."""
    out = RESULTS / f"identity-{people}.json"
    command = [sys.executable, "-m", "bench.identity_bench", "--people", str(people)]
    subprocess.run([*command, "--out", str(out)], cwd=ROOT, check=True)
    result = json.loads(out.read_text())
    print(f"  {'identity':>18} {result['records']:,} records: {result['seconds']} s (floor "
          f"{result['floor_seconds']} s, ratio {result['ratio']}), precision "
          f"{result['precision']}, recall {result['recall']}, F1 {result['f1']} (target "
          f"{result['target_f1']} {'met' if result['f1_met'] else 'MISSED'})")  # fmt: skip


def print_segments_case(label: str, case: dict) -> None:
    if "missing" in case:
        print(f"  {label:>18} {case['name']:<24} not measured: {case['missing']} is missing")
        return
    target = case.get("target_seconds")
    verdict = (
        "" if target is None else f"  target {target:g} s {'met' if case['met'] else 'MISSED'}"
    )
    floor = case.get("floor_seconds")
    print(
        f"  {label:>18} {case['name']:<24} {case['seconds']:9.3f} s"
        f"  floor {floor if floor is not None else float('nan'):8.3f} s"
        f"  ratio {case['ratio'] if case['ratio'] is not None else float('nan'):7.2f}{verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=100_000, help="people on PostgreSQL")
    parser.add_argument(
        "--sqlite-scale",
        type=int,
        default=None,
        help="people on SQLite (default: min(scale, 100k))",
    )
    parser.add_argument(
        "--only",
        choices=ONLY,
        default=None,
        help="postgres / sqlite: the import benchmark on that database; imports / segments: one "
        "benchmark on both",
    )
    parser.add_argument(
        "--segments-cases",
        default=None,
        help="comma-separated subset of segments,recompute,incremental (default: all)",
    )
    parser.add_argument(
        "--segments-scale",
        type=int,
        default=1_000_000,
        help="people in the kept segments data the dashboard reads",
    )
    parser.add_argument(
        "--identity-scale", type=int, default=1_000_000, help="people for duplicate detection"
    )
    parser.add_argument("--segments-db", choices=["both", "postgresql", "sqlite"], default="both")
    args = parser.parse_args()
    if args.only in (None, "mail"):
        run_mail(args.scale)
    if args.only == "mail":
        return
    if args.only in (None, "actions"):
        run_actions("both")
    if args.only == "actions":
        return
    if args.only in (None, "tracking"):
        run_tracking("both")
    if args.only == "tracking":
        return
    if args.only in (None, "api"):
        run_api("both", args.scale)
    if args.only == "api":
        return
    if args.only in (None, "organizing"):
        run_organizing(args.scale, min(args.sqlite_scale or args.scale, 100_000))
    if args.only == "organizing":
        return
    if args.only in (None, "dashboard"):
        run_dashboard(args.segments_scale)
    if args.only == "dashboard":
        return
    if args.only in (None, "identity"):
        run_identity(args.identity_scale)
    if args.only == "identity":
        return
    if args.only in (None, "segments"):
        sqlite_people = min(args.sqlite_scale or args.scale, 100_000)
        run_segments(args.scale, sqlite_people, args.segments_cases, args.segments_db)
    if args.only == "segments":
        return
    sqlite_rows = args.sqlite_scale or min(args.scale, 100_000)
    RESULTS.mkdir(parents=True, exist_ok=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="ladder-bench-") as tmp:
        work = Path(tmp)
        # The throwaway cluster runs as the postgres user when we are root: it must be able to
        # reach its directory inside ours (mkdtemp makes it private to us).
        work.chmod(0o755)
        if args.only in (None, "sqlite", "imports"):
            url = f"sqlite:///{work / 'bench.sqlite3'}"
            results.append(run_one(url, f"sqlite-{sqlite_rows}", sqlite_rows, work))
        if args.only in (None, "postgres", "imports"):
            pg_url = os.environ.get("LADDER_BENCH_PG_URL")
            pgdir = work / "pg"
            if not pg_url:
                started = subprocess.run(
                    [str(ROOT / "scripts" / "pg-throwaway"), "start", str(pgdir), "55439"],
                    check=True, capture_output=True, text=True,
                )  # fmt: skip
                pg_url = started.stdout.strip()
            try:
                results.append(run_one(pg_url, f"postgres-{args.scale}", args.scale, work))
            finally:
                if not os.environ.get("LADDER_BENCH_PG_URL"):
                    subprocess.run([str(ROOT / "scripts" / "pg-throwaway"), "stop", str(pgdir)])
    for result in results:
        path = RESULTS / f"import-{result['label']}.json"
        path.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {path.relative_to(ROOT)}")
        for case in result["cases"]:
            print(
                f"  {result['label']:>18} {case['name']:<16} {case['seconds']:8.2f} s"
                f"  floor {case['floor_seconds']:7.2f} s  ratio {case['ratio']:5.2f}"
                f"  ({case['rows_per_second']:,.0f} rows/s)"
            )


if __name__ == "__main__":
    main()
