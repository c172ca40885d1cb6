"""The worker's half of tracking: fold raw hits into deliveries and the activity log, and
credit actions and gifts to the mailing whose link the person clicked.

`mail_fold()` is what the worker calls, every second or so; it runs both folds and costs two
indexed queries when there is nothing to do.

Tracking (`tracking_fold`). Hits are taken in id order in chunks. Each chunk, in one
transaction: the deliveries it touches get their counters (``opens`` counts every open,
``opened_at`` is the first, ``machine_open`` stays true only while every open so far was a
machine's; ``clicks`` / ``clicked_at`` count people only, never scanners), the log gets one
``email_opened`` per delivery (the first open by a person) and one ``email_clicked`` per
delivery and link (keyed, so a re-run adds nothing), and the hits are deleted. A second worker
waits on a lock row rather than fold the same hits twice.

Attribution (`attribution_fold`). An action or a gift (the types in `ATTRIBUTED`) by a person
within `ATTRIBUTION_WINDOW` after they clicked a delivery counts for the latest such delivery:
``acted_at`` (first), ``actions`` (+1 for every attributed activity, gifts included),
``gifts`` and ``gift_total``. Activities are read above a watermark (a `RollupWatermark` row
named ``mailings.attribution``), only once they are settled (see `ladder.activity.rollups`:
ids are handed out before commit), so each is considered exactly once.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import DateTimeField, F, Max, Min, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from ladder.activity.catalogue import ActivityType
from ladder.activity.models import Activity, RollupWatermark
from ladder.activity.services import activity_record_many
from ladder.mailings.models import Delivery, Mailing, TrackingHit
from ladder.mailings.tracking import _variant_links

CHUNK = 2000
MAX_CHUNKS = 50  # per call, so one call never holds the worker for long
# A hit this soon after sending is a machine's: a gateway scanning or a proxy prefetching.
MACHINE_SECONDS = 2.0
ATTRIBUTION_WINDOW = dt.timedelta(days=7)
SETTLE = dt.timedelta(seconds=5)
# Activity ids looked at per attribution pass (most of the log is not actions).
ID_WINDOW = 50_000
ATTRIBUTED = (
    ActivityType.PETITION_SIGNATURE,
    ActivityType.FORM_SUBMISSION,
    ActivityType.RSVP,
    ActivityType.WEB_SIGNUP,
    ActivityType.ASK_ACCEPTED,
    ActivityType.DONATION,
)
TRACKING_LOCK = "mailings.tracking"
ATTRIBUTION_MARK = "mailings.attribution"


def _lock(name: str) -> RollupWatermark | None:
    """Hold one watermark row for this transaction (None: another worker holds it)."""
    RollupWatermark.objects.get_or_create(name=name)
    return RollupWatermark.objects.select_for_update(skip_locked=True).filter(name=name).first()


def mail_fold(*, now: dt.datetime | None = None) -> int:
    """Both folds; returns how many hits and activities were folded."""
    return tracking_fold() + attribution_fold(now=now)


def tracking_fold(chunk: int = CHUNK) -> int:
    """Fold waiting hits into deliveries and the activity log; return how many were folded."""
    total = 0
    for _ in range(MAX_CHUNKS):
        if not TrackingHit.objects.exists():
            break
        done = _fold_chunk(chunk)
        total += done
        if done < chunk:
            break
    return total


def _fold_chunk(chunk: int) -> int:
    with transaction.atomic():
        if _lock(TRACKING_LOCK) is None:
            return 0
        hits = list(
            TrackingHit.objects.order_by("id").values_list(
                "id", "kind", "delivery_id", "link", "machine", "occurred_at"
            )[:chunk]
        )
        if not hits:
            return 0
        ids = {h[2] for h in hits}
        deliveries = {
            d.pk: d
            for d in Delivery.objects.filter(pk__in=ids).only(
                "id",
                "person_id",
                "mailing_id",
                "variant_id",
                "sent_at",
                "opens",
                "opened_at",
                "machine_open",
                "clicks",
                "clicked_at",
            )
        }
        names = dict(
            Mailing.objects.filter(pk__in={d.mailing_id for d in deliveries.values()}).values_list(
                "id", "name"
            )
        )
        activities: dict[str, dict[str, Any]] = {}
        changed: set[int] = set()
        for _, kind, delivery_id, link, machine, at in hits:
            d = deliveries.get(delivery_id)
            if d is None:  # deleted since: the hit goes with it
                continue
            if d.sent_at is not None and (at - d.sent_at).total_seconds() < MACHINE_SECONDS:
                machine = True
            changed.add(d.pk)
            source = f"mailing #{d.mailing_id}"
            payload: dict[str, Any] = {"mailing": names.get(d.mailing_id, "")}
            if kind == TrackingHit.Kind.OPEN:
                had_human = d.opens > 0 and not d.machine_open
                d.machine_open = machine and (d.opens == 0 or d.machine_open)
                d.opens += 1
                if d.opened_at is None or at < d.opened_at:
                    d.opened_at = at
                key = f"mail-open:{d.pk}"
                if not machine and not had_human and key not in activities:
                    activities[key] = _row(d, ActivityType.EMAIL_OPENED, at, source, payload, key)
            elif not machine:
                d.clicks += 1
                if d.clicked_at is None or at < d.clicked_at:
                    d.clicked_at = at
                key = f"mail-click:{d.pk}:{link}"
                if key not in activities:
                    links = _variant_links(d.variant_id) if d.variant_id else ()
                    if link is not None and link < len(links):
                        payload["url"] = links[link]
                    activities[key] = _row(d, ActivityType.EMAIL_CLICKED, at, source, payload, key)
        if changed:
            _write_counters([deliveries[pk] for pk in changed])
        activity_record_many(activities.values())
        TrackingHit.objects.filter(pk__in=[h[0] for h in hits]).delete()
    return len(hits)


def _write_counters(rows: list[Delivery]) -> None:
    """One prepared UPDATE run for every touched delivery (executemany: a C loop on SQLite,
    a pipeline on PostgreSQL), rather than an ORM save or a huge CASE per column."""
    ops = connection.ops
    table = connection.ops.quote_name(Delivery._meta.db_table)

    def when(value: dt.datetime | None) -> Any:
        return ops.adapt_datetimefield_value(value)

    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET opens = %s, opened_at = %s, machine_open = %s, clicks = %s, "
            "clicked_at = %s WHERE id = %s",
            [
                (d.opens, when(d.opened_at), d.machine_open, d.clicks, when(d.clicked_at), d.pk)
                for d in rows
            ],
        )


def _row(
    d: Delivery, type: str, at: dt.datetime, source: str, payload: dict[str, Any], key: str
) -> dict[str, Any]:
    return {
        "person_id": d.person_id,
        "type": type,
        "occurred_at": at,
        "source": source,
        "object_type": "mailing",
        "object_id": d.mailing_id,
        "payload": payload,
        "idempotency_key": key,
    }


def attribution_fold(*, now: dt.datetime | None = None, chunk: int = CHUNK) -> int:
    """Credit settled actions and gifts above the watermark to the delivery clicked last
    before each (within the window); return how many activities were looked at."""
    now = now or timezone.now()
    with transaction.atomic():
        mark = _lock(ATTRIBUTION_MARK)
        if mark is None:
            return 0
        low = mark.last_activity_id
        unsettled = Activity.objects.filter(id__gt=low, created_at__gte=now - SETTLE).aggregate(
            first=Min("id")
        )["first"]
        newest = Activity.objects.aggregate(top=Max("id"))["top"] or 0
        limit = (unsettled - 1) if unsettled else newest
        if limit <= low:
            return 0
        # Window by window (most of the log is not actions) until one holds some, so that a
        # stretch of other activities — or a gap in the ids — never stalls the fold.
        high, acts = low, list[tuple[int, int, str, dt.datetime, Decimal | None]]()
        while high < limit and not acts:
            following = Activity.objects.filter(id__gt=high).aggregate(first=Min("id"))["first"]
            low, high = high, min(limit, max(high, (following or limit) - 1) + ID_WINDOW)
            acts = list(
                Activity.objects.filter(id__gt=low, id__lte=high, type__in=ATTRIBUTED)
                .order_by("id")
                .values_list("id", "person_id", "type", "occurred_at", "amount")[:chunk]
            )
        if len(acts) == chunk:
            high = acts[-1][0]
        if acts:
            _credit(acts)
        mark.last_activity_id = high
        mark.save(update_fields=["last_activity_id", "updated_at"])
    return len(acts)


def _credit(acts: list[tuple[int, int, str, dt.datetime, Decimal | None]]) -> None:
    earliest = min(a[3] for a in acts) - ATTRIBUTION_WINDOW
    latest = max(a[3] for a in acts)
    clicked: dict[int, list[tuple[dt.datetime, int]]] = defaultdict(list)
    for pk, person_id, at in Delivery.objects.filter(
        person_id__in={a[1] for a in acts}, clicked_at__gte=earliest, clicked_at__lte=latest
    ).values_list("id", "person_id", "clicked_at"):
        if at is not None:
            clicked[person_id].append((at, pk))
    credit: dict[int, list[Any]] = {}  # delivery -> [first acted_at, actions, gifts, total]
    for _, person_id, type, at, amount in acts:
        window = [c for c in clicked.get(person_id, ()) if at - ATTRIBUTION_WINDOW <= c[0] <= at]
        if not window:
            continue
        delivery_id = max(window)[1]
        row = credit.setdefault(delivery_id, [at, 0, 0, Decimal(0)])
        row[0] = min(row[0], at)
        row[1] += 1
        if type == ActivityType.DONATION:
            row[2] += 1
            row[3] += amount or Decimal(0)
    for delivery_id, (first, actions, gifts, total) in credit.items():
        Delivery.objects.filter(pk=delivery_id).update(
            acted_at=Coalesce(F("acted_at"), Value(first, output_field=DateTimeField())),
            actions=F("actions") + actions,
            gifts=F("gifts") + gifts,
            gift_total=F("gift_total") + total,
        )
