"""`make bench`: import benchmarks on PostgreSQL and SQLite, each beside its floor.

Each database runs in its own subprocess (`python -m bench.import_bench`) because Django's
settings are fixed per process. PostgreSQL comes from LADDER_BENCH_PG_URL, or a throwaway
cluster this script starts (scripts/pg-throwaway). Results: bench/results/*.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=100_000, help="people on PostgreSQL")
    parser.add_argument(
        "--sqlite-scale",
        type=int,
        default=None,
        help="people on SQLite (default: min(scale, 100k))",
    )
    parser.add_argument("--only", choices=["postgres", "sqlite"], default=None)
    args = parser.parse_args()
    sqlite_rows = args.sqlite_scale or min(args.scale, 100_000)
    RESULTS.mkdir(parents=True, exist_ok=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="ladder-bench-") as tmp:
        work = Path(tmp)
        if args.only in (None, "sqlite"):
            url = f"sqlite:///{work / 'bench.sqlite3'}"
            results.append(run_one(url, f"sqlite-{sqlite_rows}", sqlite_rows, work))
        if args.only in (None, "postgres"):
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
