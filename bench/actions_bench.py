"""The public pages under load, on loopback: the petition page GET and the signup POST, beside
the framework's own floor (GET /healthz on the same server), measured in the same run.

The server (`granian`, as `ladder web` runs it) is pinned to one core and this load generator
to the other. Each case runs at rising concurrency for ``--seconds``; the figure reported is the
highest throughput whose p95 stays at or under 250 ms with no errors. Every POST is a new
person signing (a fresh email and a fresh form token, shown ten seconds "before"), and after the
run the signatures in the database are counted against the POSTs the server accepted.

The rate limit per IP is turned off for the server under test: every request comes from
127.0.0.1, which in production would be one very busy network.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

from bench.loopback import bench_env, cores, log, served

P95_TARGET = 0.250
LEVELS = (1, 2, 4, 8, 16, 32)
SECRET = "bench-actions-secret-key-not-for-production-0123456789"
PORT = 8731


def prepare(env: dict[str, str], tokens: int) -> tuple[str, int, list[str]]:
    """Migrate, write a published petition, and mint ``tokens`` form tokens for it."""
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from ladder.actions.safety import form_token
    from ladder.actions.services import page_create, page_publish
    from ladder.core.models import Role
    from ladder.core.services import user_create

    call_command("migrate", verbosity=0)
    staff = user_create(username="bench", role=Role.STAFF, password="bench-" * 4, validate=False)
    page = page_create(actor=staff, kind="petition", title="Bench petition", goal=100_000,
                       consent_wording="Email me updates.")  # fmt: skip
    page_publish(actor=staff, page=page)
    shown = timezone.now() - dt.timedelta(seconds=10)
    return page.slug, page.pk, [form_token(page.pk, now=shown) for _ in range(tokens)]


class Runner:
    """Keep-alive HTTP/1.1 clients in threads, each recording (latency, status)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    def run(self, concurrency: int, seconds: float, make_request: Any) -> dict[str, Any]:
        results: list[tuple[float, int]] = []
        lock = threading.Lock()
        stop = time.perf_counter() + seconds
        start_barrier = threading.Barrier(concurrency)

        def worker(n: int) -> None:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
            mine: list[tuple[float, int]] = []
            start_barrier.wait()
            sequence = 0
            while time.perf_counter() < stop:
                method, path, body, headers = make_request(n, sequence)
                sequence += 1
                began = time.perf_counter()
                try:
                    connection.request(method, path, body=body, headers=headers)
                    response = connection.getresponse()
                    response.read()
                    status = response.status
                except (OSError, http.client.HTTPException):
                    status = 0
                    connection.close()
                    connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
                mine.append((time.perf_counter() - began, status))
            connection.close()
            with lock:
                results.extend(mine)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
        began = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - began
        latencies = sorted(r[0] for r in results)
        errors = sum(1 for _, s in results if s not in (200, 302))
        quantile = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
        return {
            "concurrency": concurrency,
            "requests": len(results),
            "requests_per_second": round(len(results) / elapsed, 1),
            "p50_ms": round(quantile[49] * 1000, 1),
            "p95_ms": round(quantile[94] * 1000, 1),
            "p99_ms": round(quantile[98] * 1000, 1),
            "errors": errors,
            "accepted": sum(1 for _, s in results if s in (200, 302)),
            "statuses": sorted({s for _, s in results}),
        }


def best(levels: list[dict[str, Any]]) -> dict[str, Any] | None:
    ok = [lv for lv in levels if lv["errors"] == 0 and lv["p95_ms"] <= P95_TARGET * 1000]
    return max(ok, key=lambda lv: lv["requests_per_second"]) if ok else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp dir")
    parser.add_argument("--label", default="sqlite")
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    server_cpu, client_cpu = cores()

    with tempfile.TemporaryDirectory(prefix="ladder-actions-bench-") as tmp:
        data = Path(tmp)
        database_url = args.database_url or f"sqlite:///{data / 'bench.sqlite3'}"
        env = bench_env(data, database_url, SECRET, LADDER_PUBLIC_POSTS_PER_MINUTE="0")
        slug, page_id, tokens = prepare(env, 60_000)
        log(f"prepared: petition /act/{slug}/ and {len(tokens):,} form tokens")
        with served(env, PORT):
            runner = Runner("127.0.0.1", PORT)
            # One GET for the CSRF cookie and the form's CSRF token; every POST reuses them.
            first = http.client.HTTPConnection("127.0.0.1", PORT)
            first.request("GET", f"/act/{slug}/")
            page = first.getresponse()
            html = page.read().decode()
            cookie = page.getheader("Set-Cookie", "").split(";")[0]
            csrf = html.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
            next_token = iter(tokens)
            token_lock = threading.Lock()

            def get(path: str) -> Any:
                return lambda n, i: ("GET", path, None, {"Host": f"127.0.0.1:{PORT}"})

            def post(n: int, i: int) -> tuple[str, str, str, dict[str, str]]:
                with token_lock:
                    token = next(next_token)
                body = urllib.parse.urlencode({
                    "csrfmiddlewaretoken": csrf, "token": token, "ref": "", "website": "",
                    "first_name": f"Bench{n}", "last_name": f"Signer{i}",
                    "email": f"b{n}-{i}-{time.monotonic_ns()}@bench.example",
                    "postal_code": "50309", "email_opt_in": "on",
                })  # fmt: skip
                return "POST", f"/act/{slug}/", body, {
                    "Host": f"127.0.0.1:{PORT}", "Cookie": cookie, "Origin": f"http://127.0.0.1:{PORT}",
                    "Content-Type": "application/x-www-form-urlencoded"}  # fmt: skip

            cases: dict[str, list[dict[str, Any]]] = {}
            for name, maker in (("floor_healthz_get", get("/healthz")),
                                ("petition_get", get(f"/act/{slug}/")),
                                ("signup_post", post)):  # fmt: skip
                cases[name] = []
                for level in LEVELS:
                    result = runner.run(level, args.seconds, maker)
                    cases[name].append(result)
                    log(f"{name} × {level}: {result['requests_per_second']} req/s, "
                        f"p95 {result['p95_ms']} ms, errors {result['errors']}")  # fmt: skip
                    if result["p95_ms"] > 4 * P95_TARGET * 1000:
                        break  # past saturation: more clients only queue
        os.environ.update(env)
        from ladder.actions.models import Submission

        accepted = sum(lv["accepted"] for lv in cases["signup_post"])
        stored = Submission.objects.filter(page_id=page_id).count()

    floor = best(cases["floor_healthz_get"])
    summary = {}
    for name in ("petition_get", "signup_post"):
        top = best(cases[name])
        summary[name] = {
            "requests_per_second": top["requests_per_second"] if top else None,
            "at_concurrency": top["concurrency"] if top else None,
            "p95_ms": top["p95_ms"] if top else None,
            "floor_requests_per_second": floor["requests_per_second"] if floor else None,
            "ratio_to_floor": round(top["requests_per_second"] / floor["requests_per_second"], 3)
            if top and floor else None,
        }  # fmt: skip
    result = {
        "benchmark": "actions",
        "label": args.label,
        "target": "requests/s at p95 ≤ 250 ms with 0 errors; every accepted signup stored",
        "summary": summary,
        "signups_accepted": accepted,
        "signups_in_database": stored,
        "all_accepted_stored": accepted == stored,
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
    log(f"signups accepted {accepted:,}, in the database {stored:,}")
    for name, row in summary.items():
        log(f"{name}: {row}")


if __name__ == "__main__":
    main()
