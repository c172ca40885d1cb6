"""Bounces and complaints, whichever way they come: an email service's webhook (through
django-anymail's ``tracking`` signal) or a bounce message (`ladder.mailings.dsn`).

The rules (`bounce_record`):

* a **hard** bounce (a 5.x.x status, or a service saying the address is bad) suppresses the
  address at once and marks it ``invalid`` (5.1.x: no such mailbox or domain) or ``bouncing``;
* a **complaint** (the person marked the mail as spam) is an opt-out in the consent ledger
  (which suppresses the address too);
* a **soft** bounce (4.x.x: mailbox full, greylisting…) only counts; the third within
  `SOFT_WINDOW` suppresses the address and marks it ``bouncing``.

Every bounce is one `Bounce` row keyed by its source's event id, so a replayed webhook or a
bounce message ingested twice is one bounce; it marks the delivery (``bounced_at``,
``bounce_kind``, ``complained_at``) and writes an ``email_bounced`` activity.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from anymail.signals import AnymailTrackingEvent, EventType, tracking
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.utils import timezone

from ladder.activity.catalogue import ActivityType
from ladder.activity.services import activity_record
from ladder.mailings.message_ids import delivery_from_message_id, delivery_from_metadata
from ladder.mailings.models import Bounce, Delivery
from ladder.mailings.preferences import unsubscribe
from ladder.people.models import ContactStatus, EmailAddress, Person
from ladder.people.normalize import InvalidContact, address_hash, normalise_email
from ladder.people.services import consent_record, email_status_set, suppress

SOFT_LIMIT = 3
SOFT_WINDOW = dt.timedelta(days=30)
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
# Postmark's bounce types that are temporary (anymail calls them all "bounced").
_SOFT_TYPES = {"SoftBounce", "Transient", "DnsError", "AutoResponder"}


def status_code(text: str | None) -> str:
    """The first enhanced status code (RFC 3463, "5.1.1") in a server's answer, or ""."""
    match = _STATUS.search(text or "")
    return ".".join(match.groups()) if match else ""


@dataclass(frozen=True)
class Outcome:
    bounce: Bounce | None  # None: a replay, nothing done
    suppressed: bool


def _delivery_for(address: str, delivery_id: int | None) -> Delivery | None:
    if delivery_id is not None:
        found = Delivery.objects.filter(pk=delivery_id).first()
        if found is not None:
            return found
    # The latest mail to this address, found through its owner (deliveries are indexed by
    # person, not by address).
    owner = EmailAddress.objects.filter(address=address).values_list("person_id", flat=True)
    return (
        Delivery.objects.filter(person_id__in=owner, email=address, sent_at__isnull=False)
        .order_by("-sent_at")
        .first()
    )


@transaction.atomic
def bounce_record(
    *,
    address: str,
    kind: str,
    source: str,
    event_id: str = "",
    detail: str = "",
    delivery_id: int | None = None,
    occurred_at: dt.datetime | None = None,
) -> Outcome:
    """Record one bounce or complaint and apply the rules above. `InvalidContact` when the
    address is not one (we never sent to it)."""
    if kind not in Bounce.Kind.values:
        raise ValueError(f"{kind} is not a kind of bounce")
    point = normalise_email(address)
    when = occurred_at or timezone.now()
    delivery = _delivery_for(point, delivery_id)
    key = address_hash("email", point)
    try:
        with transaction.atomic():
            bounce = Bounce.objects.create(
                address_hash=key,
                kind=kind,
                delivery=delivery,
                source=source[:60],
                detail=detail[:2000],
                event_id=event_id[:200],
                occurred_at=when,
            )
    except IntegrityError:
        return Outcome(None, False)
    suppressed = False
    code = status_code(detail)
    if kind == Bounce.Kind.HARD:
        suppress(
            actor=None,
            channel="email",
            contact_point=point,
            reason=f"hard bounce: {detail[:150]}",
        )
        bad_mailbox = code.startswith("5.1.")
        email_status_set(
            actor=None,
            address=point,
            status=ContactStatus.INVALID if bad_mailbox else ContactStatus.BOUNCING,
        )
        suppressed = True
    elif kind == Bounce.Kind.COMPLAINT:
        person = Person.objects.filter(pk=delivery.person_id).first() if delivery else None
        consent_record(
            actor=None,
            person=person,
            channel="email",
            contact_point=point,
            status="opt_out",
            source=f"spam complaint ({source})"[:200],
            by_person=True,
            occurred_at=when,
        )
        suppressed = True
    else:
        recent = Bounce.objects.filter(
            address_hash=key, kind=Bounce.Kind.SOFT, occurred_at__gte=when - SOFT_WINDOW
        ).count()
        if recent >= SOFT_LIMIT:
            suppress(
                actor=None,
                channel="email",
                contact_point=point,
                reason=f"{recent} soft bounces in {SOFT_WINDOW.days} days",
            )
            email_status_set(
                actor=None,
                address=point,
                status=ContactStatus.BOUNCING,
                only_from=[ContactStatus.ACTIVE, ContactStatus.INACTIVE],
            )
            suppressed = True
    if delivery is not None:
        changes: dict[str, Any] = {}
        if kind == Bounce.Kind.COMPLAINT:
            if delivery.complained_at is None:
                changes["complained_at"] = when
        elif delivery.bounced_at is None or delivery.bounce_kind == Bounce.Kind.SOFT:
            changes |= {"bounced_at": delivery.bounced_at or when, "bounce_kind": kind}
        if changes:
            Delivery.objects.filter(pk=delivery.pk).update(**changes)
        payload = {"kind": kind, "mailing_id": delivery.mailing_id}
        if code:
            payload["status"] = code
        if detail:
            payload["detail"] = detail[:300]
        activity_record(
            person=Person(pk=delivery.person_id),
            type=ActivityType.EMAIL_BOUNCED,
            occurred_at=when,
            source=source[:200],
            object_type="mailing",
            object_id=delivery.mailing_id,
            payload=payload,
            idempotency_key=f"mail-bounce:{bounce.pk}",
        )
    return Outcome(bounce, suppressed)


# ---------------------------------------------------------------------------------------------
# Email services, through django-anymail.


def _kind_of(event: AnymailTrackingEvent) -> str | None:
    if event.event_type == EventType.COMPLAINED:
        return Bounce.Kind.COMPLAINT
    if event.event_type == EventType.REJECTED:
        return Bounce.Kind.HARD
    if event.event_type != EventType.BOUNCED:
        return None
    esp = event.esp_event if isinstance(event.esp_event, dict) else {}
    if esp.get("Type") in _SOFT_TYPES:
        return Bounce.Kind.SOFT
    code = status_code(f"{event.mta_response or ''} {event.description or ''}")
    return Bounce.Kind.SOFT if code.startswith("4.") else Bounce.Kind.HARD


def _event_key(event: AnymailTrackingEvent) -> str:
    if event.event_id:
        return str(event.event_id)
    # Some events (Postmark's subscription changes) carry no id: the same event sent again
    # has the same type, message, recipient and time.
    seed = f"{event.event_type}|{event.message_id}|{event.recipient}|{event.timestamp}"
    return "h:" + hashlib.sha256(seed.encode()).hexdigest()[:40]


@receiver(tracking, dispatch_uid="ladder.mailings.bounces.tracking_received")
def tracking_received(
    sender: object, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any
) -> None:
    """Bounces, rejections, complaints and unsubscribes reported by an email service."""
    delivery_id = delivery_from_message_id(event.message_id) or delivery_from_metadata(
        event.metadata if isinstance(event.metadata, dict) else None
    )
    delivery = Delivery.objects.filter(pk=delivery_id).first() if delivery_id else None
    address = event.recipient or (delivery.email if delivery else "")
    if not address:
        return  # nothing names who it was about: there is nothing to do
    source = f"anymail:{esp_name.lower()}"
    try:
        address = normalise_email(address)
    except InvalidContact:
        return  # not an address we could have sent to
    if event.event_type == EventType.UNSUBSCRIBED:
        if delivery is None:
            delivery = _delivery_for(address, None)
        if delivery is not None:
            unsubscribe(delivery, source=f"mailing #{delivery.mailing_id} ({source})")
        else:
            consent_record(
                actor=None,
                person=None,
                channel="email",
                contact_point=address,
                status="opt_out",
                source=f"unsubscribed ({source})",
                by_person=True,
            )
        return
    kind = _kind_of(event)
    if kind is None:
        return
    detail = " ".join(str(p) for p in (event.description, event.mta_response) if p)
    bounce_record(
        address=address,
        kind=kind,
        source=source,
        event_id=_event_key(event),
        detail=detail,
        delivery_id=delivery.pk if delivery else None,
        occurred_at=event.timestamp,
    )
