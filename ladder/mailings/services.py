"""Writes of mailings: compose, schedule, launch (freeze variants and write the ledger), cancel,
resume, preview and test sends. Sending itself is `ladder.mailings.sending`."""

from __future__ import annotations

import datetime as dt
import itertools
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Mod
from django.utils import timezone

from ladder.core.models import User
from ladder.mailings import audience
from ladder.mailings.merge import MergeError, check, compile_body, compile_subject
from ladder.mailings.message import CompiledVariant, build
from ladder.mailings.models import Delivery, Mailing, SenderIdentity, Variant
from ladder.mailings.recipients import recipient_for
from ladder.mailings.transport import open_transport
from ladder.people.models import Person

MAX_EACH = 3  # subjects, senders and bodies: 27 variants is already more than a test can rank
_M2M = ("senders", "include_segments", "include_lists", "exclude_segments", "exclude_lists")
_FIELDS = (
    "name",
    "topic",
    "group",
    "subjects",
    "bodies",
    "preheader",
    "frequency_cap",
    "test_share",
    "metric",
    "test_hours",
    "confidence",
    "breaker_unsubscribe_rate",
    "breaker_complaint_rate",
    "breaker_min_sent",
)


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    subjects = [s.strip() for s in values.get("subjects", []) if s and s.strip()]
    bodies = [b for b in values.get("bodies", []) if b and b.strip()]
    values["subjects"], values["bodies"] = subjects, bodies
    if not subjects:
        errors.setdefault("subjects", []).append("Write at least one subject.")
    if not bodies:
        errors.setdefault("bodies", []).append("Write at least one body.")
    for key, items in (("subjects", subjects), ("bodies", bodies)):
        if len(items) > MAX_EACH:
            errors.setdefault(key, []).append(f"At most {MAX_EACH}.")
    for subject in subjects:
        try:
            compile_subject(subject)
        except MergeError as error:
            errors.setdefault("subjects", []).append(str(error))
    for number, body in enumerate(bodies, 1):
        try:
            compile_body(body)
        except MergeError as error:
            label = f"Body {number}: " if len(bodies) > 1 else ""
            errors.setdefault("bodies", []).append(f"{label}{error}")
    senders = list(values.get("senders", []))
    if len(senders) > MAX_EACH:
        errors.setdefault("senders", []).append(f"At most {MAX_EACH} senders.")
    share = values.get("test_share", 20)
    if share is not None and not 1 <= int(share) <= 100:
        errors.setdefault("test_share", []).append("A share between 1 and 100 per cent.")
    confidence = values.get("confidence", 0.95)
    if confidence is not None and not 0.5 <= float(confidence) < 1:
        errors.setdefault("confidence", []).append("Between 0.5 and 0.999.")
    if errors:
        raise ValidationError(errors)
    return values


def _check_scope(actor: User, values: dict[str, Any]) -> None:
    """A leader may target only segments and lists they can see, and mail as their groups."""
    from ladder.segments.selectors import lists_visible, segments_visible

    seen_segments = set(segments_visible(actor).values_list("pk", flat=True))
    seen_lists = set(lists_visible(actor).values_list("pk", flat=True))
    for key in ("include_segments", "exclude_segments"):
        if any(s.pk not in seen_segments for s in values.get(key, [])):
            raise PermissionDenied("A segment that is not yours.")
    for key in ("include_lists", "exclude_lists"):
        if any(s.pk not in seen_lists for s in values.get(key, [])):
            raise PermissionDenied("A list that is not yours.")


def _save(actor: User, mailing: Mailing, values: dict[str, Any]) -> Mailing:
    """Check, then write the fields and the audience and sender choices of a draft."""
    values = _clean(values)
    _check_scope(actor, values)
    for key in _FIELDS:
        if key in values:
            setattr(mailing, key, values[key])
    mailing.full_clean(exclude=["created_by", "winner"])
    mailing.save()
    for key in _M2M:
        if key in values:
            getattr(mailing, key).set(values[key])
    return mailing


@transaction.atomic
def mailing_create(*, actor: User, name: str, **values: Any) -> Mailing:
    return _save(actor, Mailing(created_by=actor), {"name": name, **values})


@transaction.atomic
def mailing_update(*, actor: User, mailing: Mailing, **values: Any) -> Mailing:
    if not mailing.is_editable:
        raise ValidationError("This mailing has started; it can no longer be changed.")
    current = {k: getattr(mailing, k) for k in ("subjects", "bodies")}
    return _save(actor, mailing, {**current, **values})


def default_sender(group_id: int | None = None) -> SenderIdentity:
    own = SenderIdentity.objects.filter(group_id=group_id) if group_id else None
    sender = (
        own.order_by("-is_default", "pk").first() if own is not None else None
    ) or SenderIdentity.objects.filter(group__isnull=True).order_by("-is_default", "pk").first()
    if sender is None:
        from email.utils import parseaddr

        from django.conf import settings

        name, email = parseaddr(settings.DEFAULT_FROM_EMAIL)
        sender = SenderIdentity.objects.create(
            from_name=name or settings.LADDER_ORG_NAME, from_email=email, is_default=True
        )
    return sender


@transaction.atomic
def mailing_schedule(*, actor: User, mailing: Mailing, when: dt.datetime | None) -> Mailing:
    """Schedule, or (``when`` None) send now: the worker launches it on its next pass."""
    if not mailing.is_editable:
        raise ValidationError("This mailing has already started.")
    _clean({k: getattr(mailing, k) for k in ("subjects", "bodies", "test_share", "confidence")})
    if not (mailing.include_segments.exists() or mailing.include_lists.exists()):
        raise ValidationError({"include_segments": ["Choose who it goes to."]})
    mailing.status = Mailing.Status.SCHEDULED
    mailing.scheduled_at = when or timezone.now()
    mailing.save(update_fields=["status", "scheduled_at", "updated_at"])
    return mailing


def mailing_cancel(*, actor: User, mailing: Mailing) -> Mailing:
    with transaction.atomic():
        mailing = Mailing.objects.select_for_update().get(pk=mailing.pk)
        if mailing.status in (Mailing.Status.SENT, Mailing.Status.CANCELLED):
            return mailing
        mailing.status = Mailing.Status.CANCELLED
        mailing.finished_at = timezone.now()
        mailing.save(update_fields=["status", "finished_at", "updated_at"])
        # What is being handed off now finishes; nothing else goes.
        mailing.deliveries.filter(state__in=(Delivery.State.QUEUED, Delivery.State.HELD)).update(
            state=Delivery.State.SKIPPED, error="mailing cancelled"
        )
    return mailing


def mailing_resume(*, actor: User, mailing: Mailing) -> Mailing:
    """Go on after the circuit breaker paused a mailing (someone looked and decided)."""
    with transaction.atomic():
        mailing = Mailing.objects.select_for_update().get(pk=mailing.pk)
        if mailing.status != Mailing.Status.PAUSED:
            return mailing
        mailing.status = Mailing.Status.SENDING if mailing.winner_id else Mailing.Status.TESTING
        mailing.paused_reason = ""
        # Raise the breaker's floor past what is already out, so it does not trip again at once.
        mailing.breaker_min_sent = mailing.deliveries.filter(state=Delivery.State.SENT).count() * 2
        mailing.save(update_fields=["status", "paused_reason", "breaker_min_sent", "updated_at"])
    return mailing


def _labels() -> Iterable[str]:
    for size in itertools.count(1):
        for letters in itertools.product(string.ascii_uppercase, repeat=size):
            yield "".join(letters)


def variants_freeze(mailing: Mailing) -> list[Variant]:
    """Every combination of subject × sender × body, frozen as sent."""
    senders = list(mailing.senders.all()) or [default_sender(mailing.group_id)]
    combos = itertools.product(mailing.subjects, senders, mailing.bodies)
    made = []
    for label, (subject, sender, body) in zip(_labels(), combos, strict=False):
        links = CompiledVariant.of(
            Variant(mailing=mailing, subject=subject, body=body, sender=sender)
        ).body.links
        made.append(
            Variant.objects.create(
                mailing=mailing, label=label, subject=subject, body=body, sender=sender, links=links
            )
        )
    return made


# A multiplicative hash orders the ledger pseudo-randomly but the same way on both databases,
# so the test cohort is a fair sample and a re-run picks the same one.
_SHUFFLE = Mod(F("id") * Value(2654435761), Value(4294967296))


def mailing_launch(mailing: Mailing, *, now: dt.datetime | None = None) -> int:
    """Freeze variants, write the ledger, and pick the test cohort. Idempotent per mailing:
    the status moves on in the same transaction, so a second worker finds nothing to do."""
    now = now or timezone.now()
    with transaction.atomic():
        mailing = Mailing.objects.select_for_update().get(pk=mailing.pk)
        if mailing.status != Mailing.Status.SCHEDULED:
            return 0
        variants = variants_freeze(mailing)
        total = audience.deliveries_insert(mailing, now=now)
        testing = len(variants) > 1
        rows = mailing.deliveries.all()
        if not testing:
            rows.update(variant=variants[0])
            mailing.winner = variants[0]
        else:
            ids = list(rows.annotate(_o=_SHUFFLE).order_by("_o", "id").values_list("id", flat=True))
            cohort = max(len(variants), round(len(ids) * mailing.test_share / 100))
            test_ids, held_ids = ids[:cohort], ids[cohort:]
            for index, variant in enumerate(variants):
                mine = test_ids[index :: len(variants)]
                for chunk in _chunks(mine, 5000):
                    Delivery.objects.filter(id__in=chunk).update(variant=variant, in_test=True)
            for chunk in _chunks(held_ids, 5000):
                Delivery.objects.filter(id__in=chunk).update(state=Delivery.State.HELD)
            mailing.test_started_at = now
        mailing.status = Mailing.Status.TESTING if testing else Mailing.Status.SENDING
        mailing.audience_count = total
        mailing.started_at = now
        mailing.save()
    return total


def _chunks(items: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


def preview(
    mailing: Mailing | None,
    *,
    subject: str,
    body: str,
    sender: SenderIdentity | None,
    person: Person | None,
) -> Rendered:
    """What ``person`` would get (links are not tracked in a preview). Raises MergeError."""
    problems = check(subject, body)
    if problems:
        raise MergeError(" ".join(problems))
    variant = Variant(
        pk=0,
        mailing_id=mailing.pk if mailing else 0,
        subject=subject,
        body=body,
        sender=sender or default_sender(mailing.group_id if mailing else None),
    )
    compiled = CompiledVariant.of(variant)
    who = recipient_for(person)
    return Rendered(
        subject=compiled.subject.render(who),
        html=compiled.body.html.render(who, lambda i: compiled.body.links[i]),
        text=compiled.body.text.render(who, lambda i: compiled.body.links[i]),
    )


def send_test(*, actor: User, mailing: Mailing, to: str, person: Person | None = None) -> int:
    """Each combination once to ``to``, subject marked [Test], rendered as ``person`` (or the
    sender's own name), through the same transport as the real send."""
    if not to:
        raise ValidationError("Your login has no email address to send a test to.")
    senders = list(mailing.senders.all()) or [default_sender(mailing.group_id)]
    who = recipient_for(person) if person else recipient_for(None, email=to)
    sent = 0
    with open_transport() as transport:
        for subject, sender, body in itertools.product(mailing.subjects, senders, mailing.bodies):
            variant = Variant(
                pk=0, mailing_id=mailing.pk, subject=f"[Test] {subject}", body=body, sender=sender
            )
            built = build(CompiledVariant.of(variant), 0, to, who)
            transport.send(built)
            sent += 1
    return sent


__all__ = [
    "Rendered",
    "mailing_cancel",
    "mailing_create",
    "mailing_launch",
    "mailing_resume",
    "mailing_schedule",
    "mailing_update",
    "preview",
    "send_test",
]
