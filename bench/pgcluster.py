"""A PostgreSQL cluster for benchmarks that survives between runs (unlike scripts/pg-throwaway).

The segments benchmark loads 20M activities once and reuses them, so its cluster lives under
``var/bench/`` and is only stopped, never deleted, at the end of a run. It is configured exactly
like scripts/pg-throwaway (the one CI and the import benchmark use), so figures compare.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

# The same settings as scripts/pg-throwaway: unsafe for production (no fsync), fair for a bench.
SETTINGS = [
    "listen_addresses=127.0.0.1",
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
    "max_connections=200",
    "shared_buffers=512MB",
    "work_mem=64MB",
    "maintenance_work_mem=512MB",
]


def _pgbin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not found:
        raise SystemExit("PostgreSQL is not installed (scripts/pg-throwaway can install it)")
    return found[-1]


def _as_postgres(args: list[str]) -> subprocess.CompletedProcess[str]:
    """initdb refuses to run as root, so root runs the server as the postgres user."""
    if os.geteuid() == 0:
        args = ["su", "postgres", "-s", "/bin/bash", "-c", " ".join(args)]
    return subprocess.run(args, capture_output=True, text=True, check=False)


def start(directory: Path, port: int) -> str:
    """Start the cluster in ``directory`` (creating it on first use); return its URL."""
    directory = directory.resolve()
    data = directory / "data"
    pgbin = _pgbin()
    if not (data / "PG_VERSION").exists():
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(directory, "postgres")
        done = _as_postgres(
            [str(pgbin / "initdb"), "-D", str(data), "-U", "ladder", "-A", "trust", "--no-sync"]
        )
        if done.returncode:
            raise SystemExit(f"initdb failed: {done.stderr}")
    status = _as_postgres([str(pgbin / "pg_ctl"), "-D", str(data), "status"])
    if status.returncode != 0:
        options = " ".join(f"-c {s}" for s in SETTINGS)
        done = _as_postgres(
            [
                str(pgbin / "pg_ctl"), "-D", str(data), "-l", str(directory / "log"), "-w",
                "start", "-o", f"'-p {port} -k {directory} {options}'",
            ]
        )  # fmt: skip
        if done.returncode:
            raise SystemExit(f"pg_ctl start failed: {done.stderr}{done.stdout}")
    return f"postgres://ladder@127.0.0.1:{port}/postgres"


def stop(directory: Path) -> None:
    """Stop the cluster, keeping its data for the next run."""
    data = directory.resolve() / "data"
    if data.exists():
        _as_postgres([str(_pgbin() / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"])
