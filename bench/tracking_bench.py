"""Open and click tracking under load, on loopback: GET /m/o/<token> (the pixel) and GET
/m/c/<token> (the redirect) of real deliveries, beside the framework's floor (GET /healthz on
the same server), measured in the same run.

The server (`granian`, as `ladder web` runs it) is pinned to one core and this load generator
(asyncio, keep-alive HTTP/1.1 connections) to the other. Each case runs at rising concurrency
for ``--seconds``; the figure reported is the highest throughput whose p99 stays at or under
50 ms with no errors (DESIGN.md §7: ≥ 2,000 hits/s at p99 ≤ 50 ms). Every hit uses a browser's
user agent, so none is a machine's. After the run the server is stopped, the worker's fold runs,
and the opens and clicks on the deliveries are counted against the hits the server accepted.
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

P99_TARGET = 0.050
LEVELS = (4, 16, 32, 64)
SECRET = "bench-tracking-secret-key-not-for-production-0123456789"
PORT = 8733
AGENT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def prepare(env: dict[str, str], people: int) -> tuple[list[int], int]:
    """Migrate and write one sent mailing to ``people`` people; return the delivery ids and
    the variant's id (click tokens carry it, as in a real message)."""
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from ladder.core.models import Role
    from ladder.core.services import user_create
    from ladder.mailings.models import Delivery, Mailing, SenderIdentity, Variant
    from ladder.people.models import EmailAddress, Person

    call_command("migrate", verbosity=0)
    staff = user_create(username="bench", role=Role.STAFF, password="bench-" * 4, validate=False)
    Person.objects.bulk_create(
        [
            Person(first_name=f"P{n}", last_name="Bench", sort_name=f"bench p{n}")
            for n in range(people)
        ],
        batch_size=2000,
    )
    ids = list(Person.objects.order_by("id").values_list("id", flat=True))
    EmailAddress.objects.bulk_create(
        [EmailAddress(person_id=p, address=f"p{p}@bench.example", is_primary=True) for p in ids],
        batch_size=2000,
    )
    sender = SenderIdentity.objects.create(from_name="Bench", from_email="bench@bench.example")
    mailing = Mailing.objects.create(
        name="Bench mailing", created_by=staff, status=Mailing.Status.SENT,
        subjects=["Hello"], bodies=["[Sign](/act/bench/) or [read](https://news.example.com/x)"],
    )  # fmt: skip
    variant = Variant.objects.create(
        mailing=mailing, label="A", subject="Hello", body="…", sender=sender,
        links=["/act/bench/", "https://news.example.com/x"],
    )  # fmt: skip
    sent = timezone.now() - dt.timedelta(hours=1)
    Delivery.objects.bulk_create(
        [
            Delivery(
                mailing=mailing,
                person_id=p,
                email=f"p{p}@bench.example",
                variant=variant,
                state=Delivery.State.SENT,
                sent_at=sent,
            )
            for p in ids
        ],
        batch_size=2000,
    )
    return list(Delivery.objects.order_by("id").values_list("id", flat=True)), variant.pk


async def _client(
    host: str, port: int, stop: float, paths: Callable[[], str], out: list[tuple[float, int]]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < stop:
            request = (
                f"GET {paths()} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: {AGENT}\r\n"
                "Accept: */*\r\n\r\n"
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
                reader, writer = await asyncio.open_connection(host, port)
            out.append((time.perf_counter() - began, status))
    finally:
        writer.close()


def run(concurrency: int, seconds: float, paths: Callable[[], str], ok: int) -> dict[str, Any]:
    results: list[tuple[float, int]] = []

    async def main() -> float:
        stop = time.perf_counter() + seconds
        began = time.perf_counter()
        await asyncio.gather(
            *(_client("127.0.0.1", PORT, stop, paths, results) for _ in range(concurrency))
        )
        return time.perf_counter() - began

    elapsed = asyncio.run(main())
    latencies = sorted(r[0] for r in results)
    quantile = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    accepted = sum(1 for _, s in results if s == ok)
    return {
        "concurrency": concurrency,
        "requests": len(results),
        "requests_per_second": round(len(results) / elapsed, 1),
        "p50_ms": round(quantile[49] * 1000, 2),
        "p95_ms": round(quantile[94] * 1000, 2),
        "p99_ms": round(quantile[98] * 1000, 2),
        "errors": len(results) - accepted,
        "accepted": accepted,
        "statuses": sorted({s for _, s in results}),
    }


def best(levels: list[dict[str, Any]]) -> dict[str, Any] | None:
    ok = [lv for lv in levels if lv["errors"] == 0 and lv["p99_ms"] <= P99_TARGET * 1000]
    return max(ok, key=lambda lv: lv["requests_per_second"]) if ok else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp dir")
    parser.add_argument("--label", default="sqlite")
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    server_cpu, client_cpu = cores()

    with tempfile.TemporaryDirectory(prefix="ladder-tracking-bench-") as tmp:
        data = Path(tmp)
        database_url = args.database_url or f"sqlite:///{data / 'bench.sqlite3'}"
        env = bench_env(data, database_url, SECRET, LADDER_PUBLIC_URL=f"http://127.0.0.1:{PORT}")
        deliveries, variant = prepare(env, args.people)
        log(f"prepared: {len(deliveries):,} deliveries")
        from ladder.mailings import tokens

        opens = [f"/m/o/{tokens.make('open', d)}" for d in deliveries]
        clicks = [
            f"/m/c/{tokens.make('click', d, n % 2, variant)}" for n, d in enumerate(deliveries)
        ]
        cases: dict[str, list[dict[str, Any]]] = {}
        with served(env, PORT):
            pick = random.Random(5)
            for name, paths, ok in (
                ("floor_healthz_get", lambda: "/healthz", 200),
                ("open_get", lambda: pick.choice(opens), 200),
                ("click_get", lambda: pick.choice(clicks), 302),
            ):
                cases[name] = []
                for level in LEVELS:
                    result = run(level, args.seconds, paths, ok)
                    cases[name].append(result)
                    log(f"{name} × {level}: {result['requests_per_second']} req/s, p50 "
                        f"{result['p50_ms']} ms, p99 {result['p99_ms']} ms, errors "
                        f"{result['errors']}")  # fmt: skip
            time.sleep(2.5)  # the server's buffer is written within about a second
        from django.db.models import Sum

        from ladder.mailings.fold import tracking_fold
        from ladder.mailings.models import Delivery, TrackingHit

        hits_written = TrackingHit.objects.count()
        began = time.perf_counter()
        folded = 0
        while True:
            done = tracking_fold()
            folded += done
            if not done:
                break
        fold_seconds = time.perf_counter() - began
        totals = Delivery.objects.aggregate(opens=Sum("opens"), clicks=Sum("clicks"))
        accepted_opens = sum(lv["accepted"] for lv in cases["open_get"])
        accepted_clicks = sum(lv["accepted"] for lv in cases["click_get"])

    floor = best(cases["floor_healthz_get"])
    summary = {}
    for name in ("open_get", "click_get"):
        top = best(cases[name])
        summary[name] = {
            "hits_per_second": top["requests_per_second"] if top else None,
            "at_concurrency": top["concurrency"] if top else None,
            "p50_ms": top["p50_ms"] if top else None,
            "p95_ms": top["p95_ms"] if top else None,
            "p99_ms": top["p99_ms"] if top else None,
            "floor_requests_per_second": floor["requests_per_second"] if floor else None,
            "floor_p99_ms": floor["p99_ms"] if floor else None,
            "ratio_to_floor": round(top["requests_per_second"] / floor["requests_per_second"], 3)
            if top and floor else None,
            "target_met": bool(top and top["requests_per_second"] >= 2000),
        }  # fmt: skip
    result = {
        "benchmark": "tracking",
        "label": args.label,
        "target": "≥ 2,000 hits/s at p99 ≤ 50 ms with 0 errors; every accepted hit folded",
        "summary": summary,
        "opens_accepted": accepted_opens,
        "clicks_accepted": accepted_clicks,
        "hits_written": hits_written,
        "hits_folded": folded,
        "fold_seconds": round(fold_seconds, 2),
        "fold_hits_per_second": round(folded / fold_seconds, 1) if fold_seconds else None,
        "opens_on_deliveries": totals["opens"] or 0,
        "clicks_on_deliveries": totals["clicks"] or 0,
        "all_hits_folded": (totals["opens"] or 0) == accepted_opens
        and (totals["clicks"] or 0) == accepted_clicks,
        "deliveries": len(deliveries),
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
    log(f"opens accepted {accepted_opens:,}, clicks accepted {accepted_clicks:,}; on deliveries "
        f"{result['opens_on_deliveries']:,} / {result['clicks_on_deliveries']:,}; folded "
        f"{folded:,} hits in {fold_seconds:.2f} s")  # fmt: skip
    for name, row in summary.items():
        log(f"{name}: {row}")


if __name__ == "__main__":
    main()
