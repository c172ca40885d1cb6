"""What the loopback benchmarks share (public pages, tracking): their environment, one
granian worker pinned to one core with the load generator on the other, and a log line."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def bench_env(data_dir: Path, database_url: str, secret: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "LADDER_DATA_DIR": str(data_dir),
        "LADDER_SECRET_KEY": secret,
        "LADDER_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SETTINGS_MODULE": "ladder.settings",
        **extra,
    }


def cores() -> tuple[int, int]:
    """The server's core and the load's (the same one on a single-core machine)."""
    cpus = sorted(os.sched_getaffinity(0))
    return (cpus[-1], cpus[0]) if len(cpus) > 1 else (cpus[0], cpus[0])


@contextmanager
def served(env: dict[str, str], port: int) -> Iterator[None]:
    """Ladder under one granian worker on the server core, this process moved to the other,
    until /healthz answers; stopped on the way out."""
    server_cpu, client_cpu = cores()
    server = subprocess.Popen(
        ["taskset", "-c", str(server_cpu), sys.executable, "-m", "granian", "--interface",
         "wsgi", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
         "--blocking-threads", "4", "--log-level", "warning", "ladder.wsgi:application"],
        env=env, cwd=ROOT,
    )  # fmt: skip
    try:
        os.sched_setaffinity(0, {client_cpu})
        for _ in range(100):
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                probe.request("GET", "/healthz")
                if probe.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit("the server did not start")
        yield
    finally:
        server.terminate()
        server.wait(timeout=30)
