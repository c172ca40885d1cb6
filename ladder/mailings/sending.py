"""Sending: claim a batch of the ledger, hand each message to the mail server exactly once,
and recover what a dead worker left behind.

The guarantee rests on one journal write per message. Before a message is handed off, the
batch records ``inflight_upto`` = this delivery and ``done_upto`` = the last one the server
accepted. A worker killed at any moment therefore leaves, per batch, deliveries that are
certainly sent (≤ done_upto), at most one that may be on the wire (the in-flight one, marked
*in doubt* and reported, never retried), and deliveries that certainly were not (queued again).
That write is cheap: SQLite's WAL and PostgreSQL with ``synchronous_commit=off`` both keep it
through the death of the worker process, which is the failure this defends against.

Suppression is checked again for the whole batch just before its first hand-off, so an
unsubscribe that lands mid-send stops that person's mail from the next batch on.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from ladder.mailings import stats
from ladder.mailings.merge import Needs
from ladder.mailings.message import CompiledVariant, build
from ladder.mailings.models import Delivery, Mailing, MailPreference, SendBatch, Variant
from ladder.mailings.recipients import recipients_load
from ladder.mailings.services import mailing_launch
from ladder.mailings.transport import InDoubt, Refused, Retry, Transport, open_transport
from ladder.people.models import Channel, ContactStatus, EmailAddress, Subscription, Suppression
from ladder.people.normalize import address_hash

log = logging.getLogger(__name__)
State = Delivery.State
SENDABLE = (Mailing.Status.TESTING, Mailing.Status.SENDING)
# After this many retry-worthy failures in a row the server is down: give the batch back.
GIVE_UP_AFTER = 3


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class Tally:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    retried: int = 0
    in_doubt: int = 0
    batches: int = 0

    def add(self, other: Tally) -> None:
        for name in ("sent", "failed", "skipped", "retried", "in_doubt", "batches"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


_compiled: dict[tuple[int, int, str, str, int], CompiledVariant] = {}


def _variants(ids: set[int]) -> dict[int, CompiledVariant]:
    """The batch's variants, compiled once per process. Keyed by content as well as id: a
    variant never changes once frozen, but SQLite may hand a deleted row's id to a new one."""
    out = {}
    for variant in Variant.objects.filter(pk__in=ids).select_related("sender"):
        key = (variant.pk, variant.mailing_id, variant.subject, variant.body, variant.sender_id)
        if key not in _compiled:
            if len(_compiled) > 1000:
                _compiled.clear()
            _compiled[key] = CompiledVariant.of(variant)
        out[variant.pk] = _compiled[key]
    return out


def _fast_commits() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")


def claim(mailing: Mailing, worker: str, size: int, now: dt.datetime) -> SendBatch | None:
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(mailing=mailing, state=State.QUEUED)
            .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
            .order_by("id")
            .values_list("id", flat=True)[:size]
        )
        if not ids:
            return None
        batch = SendBatch.objects.create(
            mailing=mailing, worker=worker, started_at=now, heartbeat_at=now
        )
        Delivery.objects.filter(id__in=ids, state=State.QUEUED).update(
            state=State.SENDING, batch=batch
        )
    return batch


class _Journal:
    """The per-message journal write, as one prepared statement: through the ORM it cost a
    millisecond a message, more than rendering and the SMTP exchange together."""

    def __init__(self, batch: SendBatch) -> None:
        table = SendBatch._meta.db_table
        self.batch_id = batch.pk
        self.sql = (
            f"UPDATE {table} SET done_upto = %s, inflight_upto = %s, heartbeat_at = %s "
            "WHERE id = %s"
        )
        self.cursor = connection.cursor()
        self._beat = 0.0
        self._stamp: Any = None

    def write(self, done: int, inflight: int) -> None:
        now = time.monotonic()
        if now - self._beat > 1.0:  # the heartbeat needs seconds, not microseconds
            self._beat = now
            self._stamp = connection.ops.adapt_datetimefield_value(timezone.now())
        self.cursor.execute(self.sql, (done, inflight, self._stamp, self.batch_id))

    def close(self) -> None:
        self.cursor.close()


def _blocked(rows: list[Delivery], topic: str) -> dict[int, str]:
    """Deliveries of the batch that must not go now, with why: suppressed, unsubscribed or
    no longer active since the ledger was written, or the topic turned off."""
    hashes = {r.id: address_hash(Channel.EMAIL, r.email) for r in rows}
    suppressed = set(
        Suppression.objects.filter(
            channel=Channel.EMAIL, address_hash__in=set(hashes.values())
        ).values_list("address_hash", flat=True)
    )
    unmailable = set(
        EmailAddress.objects.filter(address__in={r.email for r in rows})
        .filter(~Q(subscription=Subscription.SUBSCRIBED) | ~Q(status=ContactStatus.ACTIVE))
        .values_list("address", flat=True)
    )
    topic_off = set(
        MailPreference.objects.filter(
            address_hash__in=set(hashes.values()), topics_off__contains=f",{topic},"
        ).values_list("address_hash", flat=True)
    )
    out = {}
    for row in rows:
        if hashes[row.id] in suppressed:
            out[row.id] = "suppressed before hand-off"
        elif row.email in unmailable:
            out[row.id] = "unsubscribed or inactive before hand-off"
        elif hashes[row.id] in topic_off:
            out[row.id] = f"turned off {topic} mail before hand-off"
    return out


def _back_off(row: Delivery, reason: str, now: dt.datetime) -> bool:
    """Queue a refused delivery again, later; returns False when it has had enough tries."""
    attempts = row.attempts + 1
    if attempts >= settings.LADDER_MAIL_MAX_ATTEMPTS:
        Delivery.objects.filter(pk=row.pk).update(
            state=State.FAILED, attempts=attempts, error=f"gave up after {attempts}: {reason}"
        )
        return False
    delay = settings.LADDER_MAIL_RETRY_SECONDS * 2 ** (attempts - 1)
    Delivery.objects.filter(pk=row.pk).update(
        state=State.QUEUED,
        batch=None,
        attempts=attempts,
        error=reason,
        not_before=now + dt.timedelta(seconds=delay),
    )
    return True


def batch_send(batch: SendBatch, transport: Transport, topic: str) -> Tally:
    tally = Tally(batches=1)
    rows = list(
        Delivery.objects.filter(batch=batch, state=State.SENDING)
        .only("id", "person_id", "email", "variant_id", "attempts")
        .order_by("id")
    )
    blocked = _blocked(rows, topic)
    for reason in set(blocked.values()):
        ids = [i for i, why in blocked.items() if why == reason]
        Delivery.objects.filter(id__in=ids).update(state=State.SKIPPED, error=reason)
    tally.skipped = len(blocked)
    rows = [r for r in rows if r.id not in blocked]
    variants = _variants({r.variant_id for r in rows if r.variant_id})
    needs = Needs(
        tags=any(v.body.needs.tags for v in variants.values()),
        rungs=any(v.body.needs.rungs for v in variants.values()),
        groups=any(v.body.needs.groups for v in variants.values()),
        address=any(v.body.needs.address for v in variants.values()),
    )
    people = recipients_load({r.person_id: r.email for r in rows}, needs)
    sent: list[int] = []
    done = batch.done_upto
    journal = _Journal(batch)
    failures_in_a_row = 0
    now = timezone.now()
    for position, row in enumerate(rows):
        try:
            if row.variant_id is None:
                raise ValueError("no variant was chosen for this delivery")
            built = build(variants[row.variant_id], row.id, row.email, people[row.person_id])
        except Exception as error:  # one bad render fails that delivery, not the batch
            Delivery.objects.filter(pk=row.pk).update(
                state=State.FAILED, error=f"could not render: {error}"[:500]
            )
            tally.failed += 1
            continue
        journal.write(done, row.id)
        try:
            transport.send(built)
        except Retry as error:
            tally.retried += 1
            if not _back_off(row, str(error), now):
                tally.failed += 1
            failures_in_a_row += 1
            if failures_in_a_row >= GIVE_UP_AFTER:
                rest = [r.id for r in rows[position + 1 :]]
                Delivery.objects.filter(id__in=rest, state=State.SENDING).update(
                    state=State.QUEUED,
                    batch=None,
                    not_before=now + dt.timedelta(seconds=settings.LADDER_MAIL_RETRY_SECONDS),
                )
                break
            continue
        except Refused as error:
            Delivery.objects.filter(pk=row.pk).update(state=State.FAILED, error=str(error)[:500])
            tally.failed += 1
            continue
        except InDoubt as error:
            Delivery.objects.filter(pk=row.pk).update(state=State.IN_DOUBT, error=str(error)[:500])
            tally.in_doubt += 1
            continue
        failures_in_a_row = 0
        done = row.id
        sent.append(row.id)
    journal.write(done, done)
    journal.close()
    with transaction.atomic():
        Delivery.objects.filter(id__in=sent, state=State.SENDING).update(
            state=State.SENT, sent_at=timezone.now()
        )
        SendBatch.objects.filter(pk=batch.pk).update(finished_at=timezone.now())
    tally.sent = len(sent)
    return tally


def send_available(
    worker: str | None = None,
    *,
    max_batches: int | None = None,
    mailing_id: int | None = None,
    stop: Callable[[], bool] | None = None,
) -> Tally:
    """Send what is queued, batch after batch, on one connection, until nothing is left."""
    worker = worker or worker_name()
    size = settings.LADDER_MAIL_BATCH_SIZE
    tally = Tally()
    _fast_commits()
    mailings = Mailing.objects.filter(status__in=SENDABLE).order_by("id")
    if mailing_id is not None:
        mailings = mailings.filter(pk=mailing_id)
    with open_transport() as transport:
        for mailing in mailings:
            while max_batches is None or tally.batches < max_batches:
                if stop is not None and stop():
                    return tally
                batch = claim(mailing, worker, size, timezone.now())
                if batch is None:
                    break
                tally.add(batch_send(batch, transport, mailing.topic))
    return tally


def _alive(worker: str) -> bool | None:
    """Whether the worker is alive, when this host can tell (None: another host's)."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover_dead_batches(now: dt.datetime | None = None) -> int:
    """Settle every open batch whose worker is gone, from its journal. Returns how many."""
    now = now or timezone.now()
    stale = now - dt.timedelta(seconds=settings.LADDER_MAIL_STALE_SECONDS)
    recovered = 0
    for batch in SendBatch.objects.filter(finished_at__isnull=True):
        alive = _alive(batch.worker)
        if alive or (alive is None and batch.heartbeat_at > stale):
            continue
        with transaction.atomic():
            locked = SendBatch.objects.select_for_update().get(pk=batch.pk)
            if locked.finished_at is not None:
                continue
            rows = Delivery.objects.filter(batch=locked, state=State.SENDING)
            rows.filter(id__lte=locked.done_upto).update(state=State.SENT, sent_at=now)
            rows.filter(id__gt=locked.done_upto, id__lte=locked.inflight_upto).update(
                state=State.IN_DOUBT,
                error=f"worker {locked.worker} stopped while handing this one off",
            )
            rows.filter(id__gt=locked.inflight_upto).update(state=State.QUEUED, batch=None)
            locked.finished_at, locked.recovered = now, True
            locked.save(update_fields=["finished_at", "recovered"])
        recovered += 1
    return recovered


def _breaker(mailing: Mailing) -> str:
    counts = mailing.deliveries.aggregate(
        sent=Count("id", filter=Q(state=State.SENT)),
        unsubscribed=Count("id", filter=Q(unsubscribed_at__isnull=False)),
        complaints=Count("id", filter=Q(complained_at__isnull=False)),
    )
    sent = counts["sent"]
    if sent < max(1, mailing.breaker_min_sent):
        return ""
    if counts["unsubscribed"] / sent > mailing.breaker_unsubscribe_rate:
        return (
            f"{counts['unsubscribed']} of {sent} sent unsubscribed "
            f"(over {mailing.breaker_unsubscribe_rate:.1%}): paused for someone to look."
        )
    if counts["complaints"] / sent > mailing.breaker_complaint_rate:
        return (
            f"{counts['complaints']} of {sent} sent complained "
            f"(over {mailing.breaker_complaint_rate:.2%}): paused for someone to look."
        )
    return ""


def winner_release(mailing: Mailing, winner: Variant, note: str, now: dt.datetime) -> None:
    with transaction.atomic():
        locked = Mailing.objects.select_for_update().get(pk=mailing.pk)
        if locked.status != Mailing.Status.TESTING:
            return
        locked.deliveries.filter(state=State.HELD).update(state=State.QUEUED, variant=winner)
        locked.winner, locked.decided_at, locked.decision_note = winner, now, note
        locked.status = Mailing.Status.SENDING
        locked.save(update_fields=["winner", "decided_at", "decision_note", "status"])


def mailings_tick(now: dt.datetime | None = None) -> None:
    """The worker's bookkeeping pass: take back dead batches, launch what is due, decide
    tests, trip the circuit breaker, and close finished mailings."""
    now = now or timezone.now()
    recover_dead_batches(now)
    due = Mailing.objects.filter(status=Mailing.Status.SCHEDULED, scheduled_at__lte=now)
    for mailing in due.order_by("scheduled_at"):
        mailing_launch(mailing, now=now)
    for mailing in Mailing.objects.filter(status__in=SENDABLE):
        reason = _breaker(mailing)
        if reason:
            Mailing.objects.filter(pk=mailing.pk, status__in=SENDABLE).update(
                status=Mailing.Status.PAUSED, paused_reason=reason
            )
            continue
        if mailing.status == Mailing.Status.TESTING:
            decision = stats.decide(mailing, now)
            if decision is not None:
                winner_release(mailing, decision.variant, decision.note, now)
            continue
        open_rows = mailing.deliveries.filter(
            state__in=(State.HELD, State.QUEUED, State.SENDING)
        ).exists()
        if not open_rows:
            Mailing.objects.filter(pk=mailing.pk, status=Mailing.Status.SENDING).update(
                status=Mailing.Status.SENT, finished_at=now
            )


def send_until_done(worker: str | None = None, *, idle_exit: float = 2.0) -> Tally:
    """Tick and send until nothing is left to do for ``idle_exit`` seconds (the fault test's
    and the benchmark's sender; the worker runs the same steps in its loop)."""
    tally = Tally()
    idle_since = time.monotonic()
    while time.monotonic() - idle_since < idle_exit:
        mailings_tick()
        got = send_available(worker)
        tally.add(got)
        if got.batches:
            idle_since = time.monotonic()
        else:
            time.sleep(0.2)
    return tally


__all__ = [
    "Tally",
    "batch_send",
    "claim",
    "mailings_tick",
    "recover_dead_batches",
    "send_available",
    "send_until_done",
    "worker_name",
]
