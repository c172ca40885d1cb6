"""Duplicate detection: precision, recall, F1 and time of `ladder.identity.candidates.find_pairs`
on people with planted duplicates and household traps (`bench.identity_data`: nicknames, typos,
Gmail dots and plus-tags, new emails, phone formats, street abbreviations, missing fields, and
housemates and same-named parents who are not duplicates), beside a floor measured in the same
run: a DuckDB self-join that only counts the pairs the same blocking keys produce (no
comparison, no training, no scoring).

The rows go straight into the frame matching reads (through the same `normalised` step as the
database path), so the figure is the matcher's, not the database's: reading 1M people out of
PostgreSQL is measured by the export benchmark.

    python -m bench.identity_bench --people 100000 --out bench/results/identity-100000.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import sys
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 300.0  # DESIGN.md §7: ≤ 5 minutes over 1M people
TARGET_F1 = 0.95


def _side(expression: str, table: str) -> str:
    """A blocking column or expression ("substr(last_name, 1, 3)") on one side of the join."""
    return re.sub(r"\b([a-z_][a-z0-9_]*)\b(?!\()", rf"{table}.\1", expression)


def _floor(frame: pl.DataFrame) -> tuple[float, int]:
    """Seconds for DuckDB to count the distinct pairs the blocking keys produce."""
    import duckdb

    from ladder.identity.candidates import BLOCKS

    con = duckdb.connect()
    con.register("people", frame.to_arrow())
    joins = " UNION ".join(
        "SELECT l.unique_id AS a, r.unique_id AS b FROM people l JOIN people r ON "
        + " AND ".join(f"{_side(c, 'l')} = {_side(c, 'r')}" for c in cols)
        + " WHERE l.unique_id < r.unique_id"
        for cols in BLOCKS
    )
    started = time.perf_counter()
    pairs = con.execute(f"SELECT COUNT(*) FROM ({joins})").fetchone()[0]  # type: ignore[index]
    return time.perf_counter() - started, int(pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--duplicates", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ladder.settings")
    import django

    django.setup()
    from bench.identity_data import records
    from ladder.identity.candidates import find_pairs, normalised, scores

    started = time.perf_counter()
    planted = records(args.seed, args.people, share=args.duplicates)
    generated = time.perf_counter()
    frame = normalised(planted.frame)
    truth = planted.truth
    framed = time.perf_counter()
    floor_seconds, blocked = _floor(frame)
    phases: dict[str, float] = {}
    last = [time.perf_counter()]

    def progress(phase: str, done: int, total: int) -> None:
        now = time.perf_counter()
        phases[phase] = phases.get(phase, 0.0) + now - last[0]
        last[0] = now

    matched = time.perf_counter()
    last[0] = matched
    pairs = find_pairs(frame, threshold=args.threshold, progress=progress)
    seconds = time.perf_counter() - matched
    quality = scores(pairs, truth)  # type: ignore[arg-type]
    by_threshold = {
        str(t): {k: round(v, 4) for k, v in scores([p for p in pairs if p.probability >= t],
                                                    truth).items()}  # type: ignore[arg-type]
        for t in (0.5, 0.8, 0.9, 0.95, 0.99, 0.999)
    }  # fmt: skip
    found = {(p.low, p.high) for p in pairs}
    kinds: dict[str, list[int]] = {}
    for original, duplicate in truth:
        for kind in planted.kinds[duplicate] or ("exact name, nothing else changed",):
            kinds.setdefault(kind, [0, 0])[0 if (original, duplicate) in found else 1] += 1
    recall_by_kind = {k: round(v[0] / (v[0] + v[1]), 3) for k, v in sorted(kinds.items())}
    trapped = sum(1 for p in pairs if p.high >= args.people + len(truth))
    result = {
        "benchmark": "identity",
        "records": frame.height,
        "people": args.people,
        "planted_duplicates": len(truth),
        "threshold": args.threshold,
        "seconds": round(seconds, 2),
        "phases_seconds": {k: round(v, 2) for k, v in phases.items()},
        "floor_seconds": round(floor_seconds, 2),
        "floor": "DuckDB COUNT of the distinct pairs the same blocking keys produce",
        "blocked_pairs": blocked,
        "ratio": round(seconds / floor_seconds, 1) if floor_seconds else None,
        **{k: round(v, 4) if isinstance(v, float) else v for k, v in quality.items()},
        "by_threshold": by_threshold,
        "recall_by_kind": recall_by_kind,
        "household_traps": planted.households,
        "household_traps_matched": trapped,
        "target_seconds": TARGET_SECONDS,
        "target_met": seconds <= TARGET_SECONDS,
        "target_f1": TARGET_F1,
        "f1_met": quality["f1"] >= TARGET_F1,
        "setup_seconds": {
            "generate": round(generated - started, 1),
            "normalise": round(framed - generated, 1),
        },
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "machine": {
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        },
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    out = Path(args.out or ROOT / f"bench/results/identity-{args.people}.json")
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("records", "seconds", "floor_seconds", "precision",
                                             "recall", "f1", "max_rss_mb")}))  # fmt: skip


if __name__ == "__main__":
    main()
