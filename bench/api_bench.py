"""API person reads under load, on loopback: ``GET /api/v2/people/<id>`` of random people
(each with an email, an address and a tag, as `bench.mail_data` writes them) with an admin's
token, beside the framework's floor (``GET /healthz`` on the same server), measured in the same
run.

The server (`granian`, as `ladder web` runs it) is pinned to one core and this load generator
(asyncio, keep-alive HTTP/1.1 connections) to the other. Each case runs at rising concurrency
for ``--seconds`` per level; the figure reported is the highest throughput whose p95 stays at
or under 50 ms with no errors (DESIGN.md §7: ≥ 400 req/s at p95 ≤ 50 ms). The token's rate
limit is raised out of the way: the benchmark measures reads, not the limiter's refusals.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.loopback import bench_env, cores, log, served

P95_TARGET = 0.050
TARGET_RPS = 400
LEVELS = (4, 16, 32)
SECRET = "bench-api-secret-key-not-for-production-0123456789abcdef"
PORT = 8735


def prepare(env: dict[str, str], people: int) -> tuple[list[str], str]:
    """Migrate, write ``people`` people the way the mail benchmarks do, and make an admin's
    token; return the people's API ids and the plain token."""
    os.environ.update(env)
    from bench.mail_data import admin, django_setup, people_create

    django_setup(env["DATABASE_URL"], Path(env["LADDER_DATA_DIR"]))
    from ladder.api import ids
    from ladder.api.tokens import token_create
    from ladder.people.models import Person

    people_create(people)
    _, raw = token_create(actor=None, user=admin(), name="bench", rate_per_minute=10**9)
    pks = Person.objects.order_by("id").values_list("id", flat=True)
    return [ids.encode("person", pk) for pk in pks], raw


async def _client(
    port: int,
    stop: float,
    paths: Callable[[], str],
    headers: str,
    out: list[tuple[float, int]],
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < stop:
            request = (
                f"GET {paths()} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{headers}"
                "Accept: application/hal+json\r\n\r\n"
            ).encode()
            began = time.perf_counter()
            try:
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                if length:
                    await reader.readexactly(length)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                status = 0
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            out.append((time.perf_counter() - began, status))
    finally:
        writer.close()


def run(concurrency: int, seconds: float, paths: Callable[[], str], headers: str) -> dict[str, Any]:
    results: list[tuple[float, int]] = []

    async def main() -> float:
        stop = time.perf_counter() + seconds
        began = time.perf_counter()
        await asyncio.gather(
            *(_client(PORT, stop, paths, headers, results) for _ in range(concurrency))
        )
        return time.perf_counter() - began

    elapsed = asyncio.run(main())
    latencies = sorted(r[0] for r in results)
    quantile = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    ok = sum(1 for _, s in results if s == 200)
    return {
        "concurrency": concurrency,
        "requests": len(results),
        "requests_per_second": round(len(results) / elapsed, 1),
        "p50_ms": round(quantile[49] * 1000, 2),
        "p95_ms": round(quantile[94] * 1000, 2),
        "p99_ms": round(quantile[98] * 1000, 2),
        "errors": len(results) - ok,
        "statuses": sorted({s for _, s in results}),
    }


def best(levels: list[dict[str, Any]]) -> dict[str, Any] | None:
    ok = [lv for lv in levels if lv["errors"] == 0 and lv["p95_ms"] <= P95_TARGET * 1000]
    return max(ok, key=lambda lv: lv["requests_per_second"]) if ok else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp dir")
    parser.add_argument("--label", default="sqlite")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=7.0, help="per concurrency level")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    server_cpu, client_cpu = cores()

    with tempfile.TemporaryDirectory(prefix="ladder-api-bench-") as tmp:
        data = Path(tmp)
        database_url = args.database_url or f"sqlite:///{data / 'bench.sqlite3'}"
        env = bench_env(data, database_url, SECRET)
        began = time.perf_counter()
        people, raw = prepare(env, args.people)
        log(f"prepared: {len(people):,} people in {time.perf_counter() - began:.0f} s")
        pick = random.Random(7)
        cases: dict[str, list[dict[str, Any]]] = {}
        with served(env, PORT):
            for name, paths, headers in (
                ("floor_healthz_get", lambda: "/healthz", ""),
                (
                    "person_get",
                    lambda: f"/api/v2/people/{pick.choice(people)}",
                    f"OSDI-API-Token: {raw}\r\n",
                ),
            ):
                cases[name] = []
                for level in LEVELS:
                    result = run(level, args.seconds, paths, headers)
                    cases[name].append(result)
                    log(f"{name} × {level}: {result['requests_per_second']} req/s, p50 "
                        f"{result['p50_ms']} ms, p95 {result['p95_ms']} ms, p99 "
                        f"{result['p99_ms']} ms, errors {result['errors']}")  # fmt: skip

    floor = best(cases["floor_healthz_get"])
    top = best(cases["person_get"])
    peak = max(cases["person_get"], key=lambda lv: lv["requests_per_second"])
    summary = {
        "person_get": {
            "requests_per_second": top["requests_per_second"] if top else None,
            "at_concurrency": top["concurrency"] if top else None,
            "p50_ms": top["p50_ms"] if top else None,
            "p95_ms": top["p95_ms"] if top else None,
            "p99_ms": top["p99_ms"] if top else None,
            "floor_requests_per_second": floor["requests_per_second"] if floor else None,
            "floor_p95_ms": floor["p95_ms"] if floor else None,
            "ratio_to_floor": round(top["requests_per_second"] / floor["requests_per_second"], 3)
            if top and floor
            else None,
            "target_met": bool(top and top["requests_per_second"] >= TARGET_RPS),
            # The most the server gave at any concurrency, whatever its latency.
            "peak_requests_per_second": peak["requests_per_second"],
            "peak_at_concurrency": peak["concurrency"],
            "peak_p95_ms": peak["p95_ms"],
        }
    }
    result = {
        "benchmark": "api",
        "label": args.label,
        "target": f"≥ {TARGET_RPS} req/s at p95 ≤ {P95_TARGET * 1000:.0f} ms with 0 errors",
        "summary": summary,
        "people": len(people),
        "seconds_per_level": args.seconds,
        "cases": cases,
        "machine": {
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
            "server_cpu": server_cpu,
            "client_cpu": client_cpu,
            "platform": platform.platform(),
        },
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    log(f"person_get: {summary['person_get']}")


if __name__ == "__main__":
    main()
