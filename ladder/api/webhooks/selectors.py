"""Reads for the webhook screens: subscriptions, the delivery log (newest first, by keyset),
one delivery with its tries, and the inbound hooks' recent calls. Staff only: callers check
`is_staff_user` first (the views do)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from ladder.api.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from ladder.core.models import HookCall

PAGE = 50


def subscriptions_listed() -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.annotate(
        pending=Count("deliveries", filter=Q(deliveries__status=WebhookDelivery.Status.PENDING)),
        failed=Count("deliveries", filter=Q(deliveries__status=WebhookDelivery.Status.FAILED)),
    ).order_by("name", "id")


def subscription_get(pk: int) -> WebhookSubscription:
    found = WebhookSubscription.objects.filter(pk=pk).first()
    if found is None:
        raise Http404("No such subscription.")
    return found


@dataclass(frozen=True)
class LogPage:
    rows: Sequence[Any]  # deliveries (with ``tries_count``) or hook calls
    older: int | None  # the ``before`` of the next page, if there is one


def deliveries_page(
    *,
    subscription: WebhookSubscription | None = None,
    status: str = "",
    before: int | None = None,
    size: int = PAGE,
) -> LogPage:
    """The delivery log newest first, ``size`` rows below id ``before`` (keyset, no OFFSET)."""
    rows = WebhookDelivery.objects.select_related("subscription").defer("payload")
    if subscription is not None:
        rows = rows.filter(subscription=subscription)
    if status in WebhookDelivery.Status.values:
        rows = rows.filter(status=status)
    if before is not None:
        rows = rows.filter(pk__lt=before)
    found = list(rows.annotate(tries_count=Count("tries")).order_by("-pk")[: size + 1])
    older = found[size - 1].pk if len(found) > size else None
    return LogPage(found[:size], older)


def delivery_get(pk: int) -> WebhookDelivery:
    found = WebhookDelivery.objects.select_related("subscription").filter(pk=pk).first()
    if found is None:
        raise Http404("No such delivery.")
    return found


def delivery_tries(delivery: WebhookDelivery) -> QuerySet[WebhookAttempt]:
    return delivery.tries.order_by("-at", "-id")


def hooks_summary(*, now: dt.datetime | None = None, days: int = 7) -> list[dict[str, Any]]:
    """Per inbound hook, its calls in the last ``days`` days: total, 2xx, 4xx, 5xx, last call."""
    since = (now or timezone.now()) - dt.timedelta(days=days)
    rows: Any = (
        HookCall.objects.filter(received_at__gte=since)
        .values("hook")
        .annotate(
            total=Count("id"),
            ok=Count("id", filter=Q(status__gte=200, status__lt=300)),
            client=Count("id", filter=Q(status__gte=400, status__lt=500)),
            server=Count("id", filter=Q(status__gte=500)),
            last=Max("received_at"),
        )
        .order_by("hook")
    )
    return list(rows)


def hook_calls(*, hook: str = "", before: int | None = None, size: int = PAGE) -> LogPage:
    rows = HookCall.objects.all()
    if hook:
        rows = rows.filter(hook=hook)
    if before is not None:
        rows = rows.filter(pk__lt=before)
    found = list(rows.order_by("-pk")[: size + 1])
    older = found[size - 1].pk if len(found) > size else None
    return LogPage(found[:size], older)
