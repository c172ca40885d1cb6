"""The mail fault test: send 10,000 messages to the local SMTP sink while killing the sender
with SIGKILL at random moments (at least 20 times), restarting it each time; then count, from
the messages the sink actually received, duplicates and silent losses.

    python -m bench.mail_fault [--people 5000] [--kills 20] [--db URL] [--out FILE]

Two mailings go to the same people (2 × 5,000 = 10,000 messages). After the fifth kill, 50
people whose second message is still queued unsubscribe: none of them may get it.

Each received message names its delivery in its Message-ID, so the check needs nothing from
the sender's own bookkeeping: a delivery received twice is a duplicate; a delivery the ledger
calls sent that never arrived, or one left queued or sending at the end, is a silent loss; a
delivery recorded as in doubt may have arrived once or not at all, and is reported.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections import Counter
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from bench.mail_data import ROOT, django_setup, kill, mailing_start, people_create, sender_process


def received(directory: Path) -> Counter[int]:
    from ladder.mailings.message_ids import delivery_from_message_id

    parser = BytesParser(policy=default_policy)
    counts: Counter[int] = Counter()
    for path in directory.glob("*.eml"):
        with path.open("rb") as handle:
            headers = parser.parse(handle, headersonly=True)
        delivery = delivery_from_message_id(str(headers["Message-ID"]))
        if delivery is not None:
            counts[delivery] += 1
    return counts


def unsubscribe_some(mailing: Any, count: int) -> list[int]:
    """People whose message of ``mailing`` is still queued (the last in line) say stop."""
    from ladder.mailings.models import Delivery
    from ladder.people.services import consent_record

    rows = list(
        Delivery.objects.filter(mailing=mailing, state=Delivery.State.QUEUED)
        .order_by("-id")
        .values_list("id", "email")[:count]
    )
    for _, email in rows:
        consent_record(
            actor=None, person=None, channel="email", contact_point=email, status="opt_out",
            source="fault test: one-click", by_person=True,
        )  # fmt: skip
    return [delivery_id for delivery_id, _ in rows]


def run(people: int, kills: int, seed: int, db_url: str | None, workdir: Path) -> dict[str, Any]:
    url = db_url or f"sqlite:///{workdir / 'fault.sqlite3'}"
    django_setup(url, workdir / "data")
    from ladder.core.mailsink import MailSink
    from ladder.mailings.models import Delivery, SendBatch

    started = time.monotonic()
    people_create(people)
    first, second = mailing_start("Fault test 1"), mailing_start("Fault test 2")
    setup_seconds = time.monotonic() - started
    rng = random.Random(seed)
    mail_dir = workdir / "mail"
    killed, lives, unsubscribed = 0, 0, []
    with MailSink(port=0, directory=mail_dir) as sink:
        env = {"LADDER_SMTP_PORT": str(sink.port), "LADDER_MAIL_BATCH_SIZE": "100"}
        send_started = time.monotonic()
        while True:
            process = sender_process(env)
            lives += 1
            if killed >= kills:
                _, stderr = process.communicate()
                if process.returncode:
                    raise SystemExit(f"sender failed: {stderr.decode()[-2000:]}")
                break
            # Kill mid-send: after a random number of messages of this life have arrived
            # (starting Django takes a second or two, so a timer alone would mostly kill
            # senders that have not begun), then after a random few milliseconds more.
            target = sink.count + rng.randint(1, 400)
            deadline = time.monotonic() + 30
            while sink.count < target and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.002)
            time.sleep(rng.uniform(0, 0.02))
            if process.poll() is not None:
                break  # finished before we could kill it
            kill(process)
            killed += 1
            if killed == 5:
                unsubscribed = unsubscribe_some(second, 50)
        send_seconds = time.monotonic() - send_started
        time.sleep(0.5)  # let the sink finish writing what it accepted last
    counts = received(mail_dir)
    states = dict(Delivery.objects.values_list("id", "state"))
    state = Delivery.State
    duplicates = sorted(d for d, n in counts.items() if n > 1)
    lost = sorted(d for d, s in states.items() if s == state.SENT and counts[d] == 0)
    unfinished = sorted(d for d, s in states.items() if s in (state.QUEUED, state.SENDING))
    phantom = sorted(
        d for d, s in states.items() if s in (state.SKIPPED, state.FAILED) and counts[d]
    )
    in_doubt = [d for d, s in states.items() if s == state.IN_DOUBT]
    unsubscribed_received = [d for d in unsubscribed if counts[d]]
    result: dict[str, Any] = {
        "benchmark": "mail-fault",
        "database": url.split(":", 1)[0],
        "messages_planned": len(states),
        "mailings": [first.pk, second.pk],
        "kills": killed,
        "sender_starts": lives,
        "batches": SendBatch.objects.count(),
        "batches_recovered": SendBatch.objects.filter(recovered=True).count(),
        "received": sum(counts.values()),
        "distinct_received": len(counts),
        "sent": sum(1 for s in states.values() if s == state.SENT),
        "skipped": sum(1 for s in states.values() if s == state.SKIPPED),
        "failed": sum(1 for s in states.values() if s == state.FAILED),
        "in_doubt": len(in_doubt),
        "in_doubt_received": sum(1 for d in in_doubt if counts[d]),
        "duplicates": len(duplicates),
        "silent_losses": len(lost) + len(unfinished),
        "delivered_although_skipped_or_failed": len(phantom),
        "unsubscribed_mid_send": len(unsubscribed),
        "unsubscribed_who_got_it": len(unsubscribed_received),
        "setup_seconds": round(setup_seconds, 1),
        "send_seconds": round(send_seconds, 1),
        "seed": seed,
    }
    accounted = (
        result["received"] + result["skipped"] + result["failed"]
        + result["in_doubt"] - result["in_doubt_received"]
    )  # fmt: skip
    result["passed"] = (
        result["duplicates"] == 0
        and result["silent_losses"] == 0
        and result["delivered_although_skipped_or_failed"] == 0
        and result["unsubscribed_who_got_it"] == 0
        and accounted == result["messages_planned"]
        and killed >= kills
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--db", help="a database URL (default: a new SQLite file)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "mail-fault.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ladder-fault-") as workdir:
        result = run(args.people, args.kills, args.seed, args.db, Path(workdir))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    raise SystemExit(0 if result["passed"] else 1)


if __name__ == "__main__":
    main()
