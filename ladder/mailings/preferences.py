"""What a recipient says about the mail they get: unsubscribe (from one click in their mail
client, the page behind the link, or an email service's report) and their preferences
(topics they do not want, a weekly cap), kept by the hash of the address like suppressions.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from ladder.activity.catalogue import ActivityType
from ladder.activity.services import activity_record
from ladder.mailings.models import Delivery, MailPreference, Topic
from ladder.people.models import ConsentEvent, Person
from ladder.people.normalize import InvalidContact, address_hash, normalise_email
from ladder.people.services import consent_current, consent_record

MAX_WEEKLY_CAP = 50


def is_unsubscribed(address: str) -> bool:
    """Is the ledger's latest word on this address an opt-out?"""
    try:
        point = normalise_email(address)
    except InvalidContact:
        return False
    current = consent_current("email", point)
    return current is not None and current.status == ConsentEvent.Status.OPT_OUT


@transaction.atomic
def unsubscribe(delivery: Delivery, *, source: str) -> bool:
    """Opt the delivery's address out of email (which suppresses it), mark the delivery and
    log it. Returns False when the address was already opted out: a replayed one-click POST,
    a second press of the button, a link scanner that POSTs, all change nothing."""
    locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if is_unsubscribed(locked.email):
        if locked.unsubscribed_at is None:
            Delivery.objects.filter(pk=locked.pk).update(unsubscribed_at=timezone.now())
        return False
    person = Person.objects.filter(pk=locked.person_id).first()
    event = consent_record(
        actor=None,
        person=person,
        channel="email",
        contact_point=locked.email,
        status="opt_out",
        source=source[:200],
        by_person=True,
    )
    now = timezone.now()
    if locked.unsubscribed_at is None:
        Delivery.objects.filter(pk=locked.pk).update(unsubscribed_at=now)
    if person is not None:
        activity_record(
            person=person,
            type=ActivityType.EMAIL_UNSUBSCRIBED,
            occurred_at=now,
            source=source[:200],
            object_type="mailing",
            object_id=locked.mailing_id,
            payload={"address": locked.email},
            idempotency_key=f"mail-unsub:{locked.pk}:{event.pk if event else 0}",
        )
    return True


def _key(address: str) -> str:
    return address_hash("email", normalise_email(address))


def preferences_for(address: str) -> MailPreference | None:
    try:
        return MailPreference.objects.filter(address_hash=_key(address)).first()
    except InvalidContact:
        return None


def topics_off_of(preference: MailPreference | None) -> list[str]:
    if preference is None:
        return []
    return [t for t in preference.topics_off.split(",") if t]


@transaction.atomic
def preferences_set(
    *, address: str, topics_off: Iterable[str], weekly_cap: int | None
) -> MailPreference:
    """Store what an address wants. ``topics_off`` are `Topic` values; stored as
    ",fundraising,news," (a comma at each end, so the audience query can LIKE it)."""
    off = sorted(set(topics_off))
    unknown = [t for t in off if t not in Topic.values]
    if unknown:
        raise ValueError(f"unknown topics: {', '.join(unknown)}")
    if weekly_cap is not None and not 1 <= weekly_cap <= MAX_WEEKLY_CAP:
        raise ValueError(f"a weekly cap is between 1 and {MAX_WEEKLY_CAP}")
    preference, _ = MailPreference.objects.update_or_create(
        address_hash=_key(address),
        defaults={"topics_off": f",{','.join(off)}," if off else "", "weekly_cap": weekly_cap},
    )
    return preference
