"""The mail benchmark: personalised messages handed to the local SMTP sink by `ladder mail send`,
beside the floor measured in the same run — the sink's raw accept rate for pre-rendered
messages sent over one connection with no database, no rendering and no journal.

    python -m bench.mail_bench --people 100000 [--senders 1] [--db URL] [--out FILE]

The sink runs in this process and only counts (nothing is written to disk in either run), so
the two rates differ only by what Ladder does per message: claim, suppression re-check,
render, sign the links, journal, hand off, mark sent.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.mail_data import ROOT, django_setup, mailing_start, people_create, sender_process


def _wait_for(sink: Any, count: int, processes: list[Any], timeout: float) -> tuple[float, float]:
    """Seconds from now to the first accepted message, and to the ``count``-th."""
    start = time.monotonic()
    first = None
    while sink.count < count:
        if first is None and sink.count:
            first = time.monotonic()
        if all(p.poll() is not None for p in processes) and sink.count < count:
            errors = [p.stderr.read().decode()[-2000:] for p in processes if p.stderr]
            raise SystemExit(f"senders stopped at {sink.count}/{count}: {errors}")
        if time.monotonic() - start > timeout:
            raise SystemExit(f"timed out at {sink.count}/{count}")
        time.sleep(0.01)
    end = time.monotonic()
    return (first or end) - start, end - start


def floor(port: int, count: int) -> None:
    """Run in a subprocess: the same messages, pre-rendered, over one SMTP connection."""
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ladder.settings")
    django.setup()
    from ladder.mailings.message import Built
    from ladder.mailings.transport import SmtpTransport

    transport = SmtpTransport("127.0.0.1", port)
    sample = (ROOT / "bench" / "results" / ".mail-sample.eml").read_bytes()
    for n in range(count):
        transport.send(Built("news@prairie.example", f"person{n}@example.org", sample, ""))
    transport.close()


def run(people: int, senders: int, db_url: str | None, workdir: Path) -> dict[str, Any]:
    import subprocess
    import sys

    url = db_url or f"sqlite:///{workdir / 'mail-bench.sqlite3'}"
    django_setup(url, workdir / "data")
    from django.db import connection
    from django.db.models import Count

    from ladder.core.mailsink import MailSink
    from ladder.mailings.message import CompiledVariant, build
    from ladder.mailings.models import Delivery
    from ladder.mailings.recipients import recipients_load

    started = time.monotonic()
    people_create(people)
    people_seconds = time.monotonic() - started
    started = time.monotonic()
    mailing = mailing_start("Benchmark")
    launch_seconds = time.monotonic() - started
    total = mailing.deliveries.count()
    # One real message of this mailing, pre-rendered, for the floor.
    first = Delivery.objects.filter(mailing=mailing).order_by("id").first()
    assert first is not None
    variant = CompiledVariant.of(mailing.variants.get())
    who = recipients_load({first.person_id: first.email})[first.person_id]
    sample = build(variant, first.pk, first.email, who).data
    (ROOT / "bench" / "results" / ".mail-sample.eml").write_bytes(sample)
    connection.close()

    with MailSink(port=0, store=False) as sink:
        env = {"LADDER_SMTP_PORT": str(sink.port)}
        processes = [sender_process(env, idle_exit=3.0) for _ in range(senders)]
        boot, elapsed = _wait_for(sink, total, processes, timeout=7200)
        for process in processes:
            process.wait()
        send_rate = (total - 1) / max(elapsed - boot, 1e-9)
        sent = sink.count

    # The floor on as many connections as there were senders, each from its own process.
    floor_count = min(total, 50_000)
    with MailSink(port=0, store=False) as sink:
        command = [sys.executable, "-m", "bench.mail_bench", "--floor-port", str(sink.port),
                   "--floor-count", str(floor_count // senders)]  # fmt: skip
        floor_started = time.monotonic()
        clients = [subprocess.Popen(command, cwd=ROOT) for _ in range(senders)]
        while sink.count == 0 and time.monotonic() - floor_started < 60:
            time.sleep(0.001)
        floor_first = time.monotonic()
        for client in clients:
            client.wait()
        floor_rate = (sink.count - 1) / (time.monotonic() - floor_first)
    (ROOT / "bench" / "results" / ".mail-sample.eml").unlink(missing_ok=True)
    states = dict(
        Delivery.objects.filter(mailing=mailing).values_list("state").annotate(n=Count("id"))
    )
    return {
        "benchmark": "mail-send",
        "database": url.split(":", 1)[0],
        "people": people,
        "messages": total,
        "accepted_by_sink": sent,
        "ledger_states": states,
        "senders": senders,
        "setup_people_seconds": round(people_seconds, 1),
        "launch_seconds": round(launch_seconds, 2),
        "sender_start_seconds": round(boot, 2),
        "send_seconds": round(elapsed - boot, 2),
        "messages_per_second": round(send_rate, 1),
        "floor": "sink raw accept rate, pre-rendered, one connection per sender",
        "floor_messages": floor_count,
        "floor_messages_per_second": round(floor_rate, 1),
        "ratio_to_floor": round(send_rate / floor_rate, 3),
        "message_bytes": len(sample),
        "target": ">= 1,000 messages/s and >= 0.5x the floor",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--senders", type=int, default=1)
    parser.add_argument("--db", help="a database URL (default: a new SQLite file)")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--floor-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--floor-count", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor_port:
        floor(args.floor_port, args.floor_count)
        return
    with tempfile.TemporaryDirectory(prefix="ladder-mail-bench-") as workdir:
        result = run(args.people, args.senders, args.db, Path(workdir))
    out = args.out or ROOT / "bench" / "results" / f"mail-{result['database']}-{args.people}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
