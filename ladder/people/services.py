"""Every write to people, contact points, tags, fields and consent goes through here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from ladder.core.models import User
from ladder.people.models import (
    Address,
    Channel,
    ConsentEvent,
    ContactStatus,
    CustomField,
    EmailAddress,
    ExternalId,
    Group,
    Membership,
    Person,
    Phone,
    Subscription,
    Suppression,
    Tag,
    Tagging,
    make_sort_name,
)
from ladder.people.normalize import address_hash, normalise_email, normalise_phone

NAME_FIELDS = ("first_name", "middle_name", "last_name", "suffix")
EDITABLE_FIELDS = (*NAME_FIELDS, "birthdate", "languages", "employer", "occupation", "source")


@transaction.atomic
def person_create(
    *,
    actor: User | None,
    first_name: str = "",
    last_name: str = "",
    email: str | None = None,
    phone: str | None = None,
    source: str = "",
    home_group: Group | None = None,
    **fields: Any,
) -> Person:
    person = Person.objects.create(
        first_name=first_name,
        last_name=last_name,
        sort_name=make_sort_name(first_name, last_name),
        source=source,
        home_group=home_group,
        **fields,
    )
    if email:
        email_add(actor=actor, person=person, address=email, is_primary=True)
    if phone:
        phone_add(actor=actor, person=person, number=phone, is_primary=True)
    if home_group:
        group_add_person(actor=actor, group=home_group, person=person)
    return person


@transaction.atomic
def supporter_upsert(
    *,
    actor: User | None,
    email: str = "",
    phone: str = "",
    first_name: str = "",
    last_name: str = "",
    postal_code: str = "",
    source: str = "",
) -> tuple[Person, bool]:
    """The person an action on a public page (or a webhook) is from, matched by the import's
    rules (`people.selectors.person_match`) or created; returns (person, created).

    What the form adds fills gaps and never overwrites: a blank name gets the one typed, a new
    email or phone is added (not made primary), a postal code becomes an address only for
    someone who has none. ``email`` and ``phone`` must already be normalised.
    """
    from ladder.people.selectors import person_match

    person = person_match(email=email, phone=phone)
    if person is None:
        person = person_create(
            actor=actor,
            first_name=first_name[:100],
            last_name=last_name[:100],
            email=email or None,
            phone=phone or None,
            source=source[:200],
        )
        created = True
    else:
        created = False
        blanks = {
            name: value[:100]
            for name, value in (("first_name", first_name), ("last_name", last_name))
            if value and not getattr(person, name)
        }
        if blanks:
            person_update(actor=actor, person=person, **blanks)
        if email and not person.emails.filter(address=email).exists():
            email_add(actor=actor, person=person, address=email)
        if phone:
            phone_add(actor=actor, person=person, number=phone)
    if postal_code and not person.addresses.exists():
        Address.objects.create(person=person, postal_code=postal_code[:20], is_primary=True)
    return person, created


@transaction.atomic
def person_update(*, actor: User | None, person: Person, **changes: Any) -> Person:
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    for name, value in changes.items():
        setattr(person, name, value)
    person.sort_name = make_sort_name(person.first_name, person.last_name)
    person.full_clean(exclude=["custom_fields"])
    person.save()
    return person


def _suppressed(channel: str, normalised: str) -> bool:
    return Suppression.objects.filter(
        channel=channel, address_hash=address_hash(channel, normalised)
    ).exists()


@transaction.atomic
def email_add(
    *, actor: User | None, person: Person, address: str, is_primary: bool = False
) -> EmailAddress:
    normalised = normalise_email(address)
    existing = EmailAddress.objects.filter(address=normalised).first()
    if existing is not None:
        if existing.person_id != person.pk:
            raise ValidationError({"address": f"{normalised} already belongs to someone else."})
        return existing
    if is_primary:
        person.emails.update(is_primary=False)
    # An address on the suppression list comes back unsubscribed, whoever adds it.
    subscription = (
        Subscription.UNSUBSCRIBED
        if _suppressed(Channel.EMAIL, normalised)
        else Subscription.UNKNOWN
    )
    return EmailAddress.objects.create(
        person=person,
        address=normalised,
        is_primary=is_primary or not person.emails.exists(),
        subscription=subscription,
    )


@transaction.atomic
def phone_add(
    *,
    actor: User | None,
    person: Person,
    number: str,
    kind: str = Phone.Kind.OTHER,
    is_primary: bool = False,
    do_not_call: bool = False,
) -> Phone:
    normalised = normalise_phone(number)
    existing = person.phones.filter(number=normalised).first()
    if existing is not None:
        return existing
    if is_primary:
        person.phones.update(is_primary=False)
    return Phone.objects.create(
        person=person,
        number=normalised,
        kind=kind,
        do_not_call=do_not_call or _suppressed(Channel.PHONE, normalised),
        sms_subscription=(
            Subscription.UNSUBSCRIBED if _suppressed(Channel.SMS, normalised) else "unknown"
        ),
        is_primary=is_primary or not person.phones.exists(),
    )


def tag_get_or_create(name: str) -> Tag:
    clean = " ".join(name.split())
    if not clean:
        raise ValidationError({"name": "A tag needs a name."})
    tag = Tag.objects.filter(name__iexact=clean).first()
    return tag or Tag.objects.get_or_create(name=clean)[0]


@transaction.atomic
def tag_add(*, actor: User | None, person: Person, name: str) -> Tagging:
    from ladder.activity.catalogue import ActivityType
    from ladder.activity.services import activity_record

    tag = tag_get_or_create(name)
    tagging, created = Tagging.objects.get_or_create(person=person, tag=tag)
    if created:
        activity_record(
            person=person,
            type=ActivityType.TAG_ADDED,
            actor=actor,
            payload={"tag": tag.name},
            object_type="tag",
            object_id=tag.pk,
        )
    return tagging


@transaction.atomic
def tag_remove(*, actor: User | None, person: Person, tag: Tag) -> None:
    Tagging.objects.filter(person=person, tag=tag).delete()


def custom_field_coerce(field: CustomField, raw: Any) -> Any:
    """Turn a raw value into the JSON value stored for ``field``, or raise ValidationError."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    text = str(raw).strip()
    match field.type:
        case CustomField.Type.NUMBER:
            try:
                number = Decimal(text.replace(",", ""))
            except InvalidOperation:
                raise ValidationError(f"{field.label}: “{text}” is not a number.") from None
            return int(number) if number == number.to_integral_value() else float(number)
        case CustomField.Type.DATE:
            for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%d.%m.%Y"):
                try:
                    return dt.datetime.strptime(text, fmt).date().isoformat()
                except ValueError:
                    continue
            raise ValidationError(f"{field.label}: “{text}” is not a date (use YYYY-MM-DD).")
        case CustomField.Type.BOOLEAN:
            lowered = text.lower()
            if lowered in {"1", "true", "yes", "y", "t", "x"}:
                return True
            if lowered in {"0", "false", "no", "n", "f"}:
                return False
            raise ValidationError(f"{field.label}: “{text}” is not yes or no.")
        case CustomField.Type.CHOICE:
            for choice in field.choices:
                if str(choice).lower() == text.lower():
                    return choice
            raise ValidationError(
                f"{field.label}: “{text}” is not one of {', '.join(map(str, field.choices))}."
            )
        case _:
            return text


@transaction.atomic
def custom_fields_set(*, actor: User | None, person: Person, values: dict[str, Any]) -> Person:
    fields = {f.key: f for f in CustomField.objects.filter(key__in=values)}
    missing = set(values) - set(fields)
    if missing:
        raise ValidationError(f"Unknown custom fields: {', '.join(sorted(missing))}")
    errors: dict[str, str] = {}
    data = dict(person.custom_fields)
    for key, raw in values.items():
        try:
            value = custom_field_coerce(fields[key], raw)
        except ValidationError as exc:
            errors[key] = exc.messages[0]
            continue
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    if errors:
        raise ValidationError(errors)
    person.custom_fields = data
    person.save(update_fields=["custom_fields", "updated_at"])
    return person


@transaction.atomic
def external_id_add(*, actor: User | None, person: Person, system: str, value: str) -> ExternalId:
    try:
        with transaction.atomic():
            return ExternalId.objects.create(person=person, system=system, value=value.strip())
    except IntegrityError:
        existing = ExternalId.objects.get(system=system, value=value.strip())
        if existing.person_id != person.pk:
            raise ValidationError(f"{system} id {value} already belongs to someone else.") from None
        return existing


@transaction.atomic
def group_add_person(*, actor: User | None, group: Group, person: Person) -> Membership:
    return Membership.objects.get_or_create(group=group, person=person)[0]


def _normalise_point(channel: str, contact_point: str) -> str:
    if channel == Channel.EMAIL:
        return normalise_email(contact_point)
    if channel in (Channel.SMS, Channel.PHONE):
        return normalise_phone(contact_point)
    return contact_point.strip().lower()


def consent_current(channel: str, contact_point: str) -> ConsentEvent | None:
    """The ledger's latest word on one contact point."""
    return (
        ConsentEvent.objects.filter(channel=channel, contact_point=contact_point)
        .order_by("-occurred_at", "-id")
        .first()
    )


@transaction.atomic
def consent_record(
    *,
    actor: User | None,
    person: Person | None,
    channel: str,
    contact_point: str,
    status: str,
    source: str,
    wording: str = "",
    by_person: bool = False,
    occurred_at: dt.datetime | None = None,
) -> ConsentEvent | None:
    """Append to the consent ledger and refresh the cached status on the contact point.

    Consent is sticky: an opt-in is ignored (returns None) when the latest word is an opt-out or
    the address is suppressed, unless the person themself asked (``by_person``) after that
    opt-out. Opt-outs always apply and put the address on the suppression list.
    """
    point = _normalise_point(channel, contact_point)
    when = occurred_at or timezone.now()
    current = consent_current(channel, point)
    key = address_hash(channel, point)
    if status == ConsentEvent.Status.OPT_IN:
        blocked_by_ledger = current is not None and current.status == ConsentEvent.Status.OPT_OUT
        suppressed = Suppression.objects.filter(channel=channel, address_hash=key).exists()
        newer = current is None or when > current.occurred_at
        if (blocked_by_ledger or suppressed) and not (by_person and newer):
            return None
        if suppressed:
            Suppression.objects.filter(channel=channel, address_hash=key).delete()
    event = ConsentEvent.objects.create(
        person=person,
        channel=channel,
        contact_point=point,
        status=status,
        source=source,
        wording=wording,
        by_person=by_person,
        occurred_at=when,
        actor=actor,
    )
    if status == ConsentEvent.Status.OPT_OUT:
        Suppression.objects.get_or_create(
            channel=channel, address_hash=key, defaults={"reason": f"opt-out: {source}"}
        )
    _consent_cache_refresh(channel, point)
    return event


_CACHED = {
    ConsentEvent.Status.OPT_IN: Subscription.SUBSCRIBED,
    ConsentEvent.Status.OPT_OUT: Subscription.UNSUBSCRIBED,
    ConsentEvent.Status.CLEARED: Subscription.UNKNOWN,
}


def _consent_cache_refresh(channel: str, point: str) -> None:
    """Write the ledger's latest word on ``point`` into the cached status of its rows."""
    latest = consent_current(channel, point)
    value = _CACHED[latest.status] if latest is not None else Subscription.UNKNOWN  # type: ignore[index]
    if channel == Channel.EMAIL:
        EmailAddress.objects.filter(address=point).update(subscription=value)
    elif channel == Channel.SMS:
        Phone.objects.filter(number=point).update(sms_subscription=value)
    elif channel == Channel.PHONE:
        Phone.objects.filter(number=point).update(do_not_call=value == Subscription.UNSUBSCRIBED)


def contact_suppressed(channel: str, point: str) -> bool:
    return Suppression.objects.filter(
        channel=channel, address_hash=address_hash(channel, _normalise_point(channel, point))
    ).exists()


@transaction.atomic
def consent_merge_revert(*, lines: Iterable[dict[str, Any]], source: str, when: dt.datetime) -> int:
    """Take back the opt-outs a merge wrote (``lines``: channel, point, event, and whether the
    point was suppressed before). A point is given back the word it had before the merge — or
    none — only while the merge's opt-out is still the latest word on it: if the person has
    spoken since, their word stands. Returns the number of points given back."""
    given_back = 0
    for line in lines:
        channel, point = line["channel"], line["point"]
        latest = consent_current(channel, point)
        if latest is None or latest.pk != line["event"]:
            continue
        earlier = (
            ConsentEvent.objects.filter(channel=channel, contact_point=point)
            .exclude(pk=latest.pk)
            .filter(
                Q(occurred_at__lt=latest.occurred_at)
                | Q(occurred_at=latest.occurred_at, pk__lt=latest.pk)
            )
            .order_by("-occurred_at", "-id")
            .first()
        )
        ConsentEvent.objects.create(
            person=latest.person, channel=channel, contact_point=point,
            status=earlier.status if earlier else ConsentEvent.Status.CLEARED,
            source=source, wording=earlier.wording if earlier else "", by_person=False,
            occurred_at=max(when, latest.occurred_at),
        )  # fmt: skip
        if not line.get("suppressed"):
            Suppression.objects.filter(
                channel=channel, address_hash=address_hash(channel, point)
            ).delete()
        _consent_cache_refresh(channel, point)
        given_back += 1
    return given_back


@transaction.atomic
def suppress(*, actor: User | None, channel: str, contact_point: str, reason: str) -> Suppression:
    point = _normalise_point(channel, contact_point)
    return Suppression.objects.get_or_create(
        channel=channel, address_hash=address_hash(channel, point), defaults={"reason": reason}
    )[0]


def people_delete(*, actor: User | None, people: Iterable[Person]) -> int:
    """Delete people. Their consent lines stay (person set null) and suppressions stay."""
    ids = [p.pk for p in people]
    return Person.objects.filter(pk__in=ids).delete()[0]


@transaction.atomic
def email_status_set(
    *, actor: User | None, address: str, status: str, only_from: Iterable[str] | None = None
) -> int:
    """Mark an email address active, bouncing or invalid (bounce handling); returns how many
    rows changed. ``only_from`` limits the change to addresses in those states, so that a soft
    bounce never turns an invalid address back into a merely bouncing one."""
    if status not in ContactStatus.values:
        raise ValueError(f"{status} is not a contact status")
    rows = EmailAddress.objects.filter(address=address.strip().lower())
    if only_from is not None:
        rows = rows.filter(status__in=list(only_from))
    return rows.update(status=status)
