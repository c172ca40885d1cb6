"""Every write to webhook subscriptions and deliveries: create, update, replay. Only admins and
staff manage webhooks (they carry every person's data out of Ladder)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ladder.api.models import EventType, WebhookDelivery, WebhookSubscription
from ladder.api.webhooks.signing import secret_new
from ladder.core.access import is_staff_user
from ladder.core.models import User


def _allowed(actor: User | None) -> None:
    if actor is not None and not is_staff_user(actor):
        raise PermissionDenied


def _checked(name: str, url: str, event_types: Iterable[str]) -> tuple[str, str, list[str]]:
    errors: dict[str, str] = {}
    name = name.strip()
    if not name:
        errors["name"] = "Give the subscription a name."
    elif len(name) > 100:
        errors["name"] = "At most 100 characters."
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        errors["url"] = "Enter an http:// or https:// address."
    elif len(url) > 500:
        errors["url"] = "At most 500 characters."
    chosen = list(dict.fromkeys(event_types))
    unknown = [e for e in chosen if e not in EventType.values]
    if unknown:
        errors["event_types"] = f"Unknown event types: {', '.join(unknown)}."
    elif not chosen:
        errors["event_types"] = "Choose at least one event type."
    if errors:
        raise ValidationError(errors)
    return name, url, [e for e in EventType.values if e in chosen]


@transaction.atomic
def subscription_create(
    *, actor: User | None, name: str, url: str, event_types: Iterable[str], active: bool = True
) -> WebhookSubscription:
    """A new subscription with a fresh secret; it receives events from now on."""
    _allowed(actor)
    name, url, types = _checked(name, url, event_types)
    return WebhookSubscription.objects.create(
        name=name, url=url, event_types=types, active=active, secret=secret_new(), created_by=actor
    )


@transaction.atomic
def subscription_update(
    *,
    actor: User | None,
    subscription: WebhookSubscription,
    name: str,
    url: str,
    event_types: Iterable[str],
    active: bool,
    new_secret: bool = False,
) -> WebhookSubscription:
    _allowed(actor)
    name, url, types = _checked(name, url, event_types)
    subscription.name, subscription.url = name, url
    subscription.event_types, subscription.active = types, active
    if new_secret:
        subscription.secret = secret_new()
    subscription.save(update_fields=["name", "url", "event_types", "active", "secret"])
    return subscription


@transaction.atomic
def delivery_replay(
    *, actor: User | None, delivery: WebhookDelivery, now: dt.datetime | None = None
) -> WebhookDelivery:
    """Send a delivered or given-up delivery again: pending, due now, with the same payload and
    idempotency key (so a receiver that has it already can tell). Its earlier tries stay in the
    log; the retry schedule starts over. A delivery still waiting is only made due now."""
    _allowed(actor)
    now = now or timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING, next_attempt_at=now, attempts=0, delivered_at=None
    )
    delivery.refresh_from_db()
    return delivery


__all__ = ["delivery_replay", "subscription_create", "subscription_update"]
