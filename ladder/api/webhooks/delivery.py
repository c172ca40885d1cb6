"""Delivery: post due `WebhookDelivery` rows to their subscription's URL, signed, and retry
with back-off.

Each post is ``POST <url>`` with the stored payload as JSON and the headers
``Content-Type: application/json``, ``X-Ladder-Event``, ``X-Ladder-Delivery`` (the delivery id),
``Idempotency-Key``, ``X-Ladder-Timestamp`` (Unix seconds) and ``X-Ladder-Signature``
(`ladder.api.webhooks.signing`). A 2xx answer delivers it; anything else — another status, a
timeout, a refused connection — is a `WebhookAttempt` and a retry after `BACKOFF` (30 s, 2 min,
10 min, 1 h, 6 h, 24 h, 24 h); after `MAX_ATTEMPTS` tries the delivery is given up (``failed``)
and can be replayed from the log.

Claiming. Due rows are taken in one short transaction (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL; SQLite's IMMEDIATE transactions serialise writers) and leased: their
``next_attempt_at`` moves `LEASE` ahead before the posts start, outside any transaction. A
second worker therefore never picks a row another is posting, and a worker that dies mid-post
leaves its rows to be tried again when the lease runs out — at least once, never lost, and the
receiver tells the repeat by its ``Idempotency-Key``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ladder.api.models import WebhookAttempt, WebhookDelivery
from ladder.api.webhooks import signing

BACKOFF = (
    dt.timedelta(seconds=30),
    dt.timedelta(minutes=2),
    dt.timedelta(minutes=10),
    dt.timedelta(hours=1),
    dt.timedelta(hours=6),
    dt.timedelta(hours=24),
    dt.timedelta(hours=24),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
BATCH = 50
EXCERPT = 500
USER_AGENT = "Ladder-Webhooks/1"
S = WebhookDelivery.Status


def lease() -> dt.timedelta:
    """How long a claimed row is kept from other workers: longer than a batch of posts."""
    return dt.timedelta(seconds=max(60.0, settings.LADDER_WEBHOOK_TIMEOUT * 2 * BATCH))


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failed try."""
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str
    excerpt: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()


def post(delivery: WebhookDelivery, *, now: dt.datetime) -> Outcome:
    """One signed POST of the delivery; never raises for the receiver's failures."""
    body = body_of(delivery)
    timestamp = int(now.timestamp())
    secret = delivery.subscription.secret
    request = urllib.request.Request(
        delivery.subscription.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Ladder-Event": delivery.event_type,
            "X-Ladder-Delivery": str(delivery.pk),
            "Idempotency-Key": delivery.idempotency_key,
            "X-Ladder-Timestamp": str(timestamp),
            "X-Ladder-Signature": signing.signature(secret, timestamp, body),
        },
    )
    started = time.perf_counter()
    code: int | None = None
    error = excerpt = ""
    try:
        with urllib.request.urlopen(request, timeout=settings.LADDER_WEBHOOK_TIMEOUT) as answer:
            code = answer.status
            excerpt = answer.read(EXCERPT).decode("utf-8", "replace")
    except urllib.error.HTTPError as problem:
        code = problem.code
        error = f"HTTP {problem.code} {problem.reason}"
        with contextlib.suppress(OSError):
            excerpt = problem.read(EXCERPT).decode("utf-8", "replace")
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as problem:
        reason = getattr(problem, "reason", problem)
        error = f"{type(problem).__name__}: {reason}"
    duration = int((time.perf_counter() - started) * 1000)
    return Outcome(code, error[:EXCERPT], excerpt[:EXCERPT], duration)


def claim(*, now: dt.datetime, limit: int = BATCH) -> list[WebhookDelivery]:
    """Take up to ``limit`` due rows for this worker (see "Claiming" above)."""
    with transaction.atomic():
        rows = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=S.PENDING, next_attempt_at__lte=now, subscription__active=True)
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)[:limit]
        )
        if not rows:
            return []
        WebhookDelivery.objects.filter(pk__in=rows).update(next_attempt_at=now + lease())
    return list(
        WebhookDelivery.objects.select_related("subscription").filter(pk__in=rows).order_by("id")
    )


def record(delivery: WebhookDelivery, outcome: Outcome, *, now: dt.datetime) -> None:
    """The attempt in the log, and the delivery delivered, waiting again, or given up."""
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            at=now,
            status_code=outcome.status_code,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
            response_excerpt=outcome.excerpt,
        )
        attempts = delivery.attempts + 1
        changes: dict[str, object] = {
            "attempts": F("attempts") + 1,
            "last_status_code": outcome.status_code,
            "last_error": outcome.error,
        }
        if outcome.ok:
            changes |= {"status": S.DELIVERED, "delivered_at": now, "last_error": ""}
        elif attempts >= MAX_ATTEMPTS:
            changes["status"] = S.FAILED
        else:
            changes["next_attempt_at"] = now + backoff(attempts)
        # Only while still ours: a replay in the meantime has already made it due again.
        WebhookDelivery.objects.filter(pk=delivery.pk, status=S.PENDING).update(**changes)


def deliver_due(*, now: dt.datetime | None = None, limit: int = BATCH) -> int:
    """Post one batch of due deliveries; returns how many were tried."""
    now = now or timezone.now()
    rows = claim(now=now, limit=limit)
    for delivery in rows:
        record(delivery, post(delivery, now=now), now=now)
    return len(rows)


def webhooks_tick(*, now: dt.datetime | None = None) -> tuple[int, int]:
    """What the worker runs every second: fan-out, then one batch of posts."""
    from ladder.api.webhooks.fanout import webhooks_fanout

    return webhooks_fanout(now=now), deliver_due(now=now)


__all__ = [
    "BACKOFF",
    "MAX_ATTEMPTS",
    "Outcome",
    "body_of",
    "claim",
    "deliver_due",
    "post",
    "record",
    "webhooks_tick",
]
