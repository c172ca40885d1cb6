"""Writes the API makes to people: the person signup helper (POST /people) and PUT.

Action Network's rules, within Ladder's: a signup matches by email, then by phone; scalars
given replace what is there, arrays and hashes merge (emails, phones and addresses are added,
custom fields and foreign identifiers are merged in). Consent follows DESIGN.md §4.2 through
`consent_record`: ``"unsubscribed"`` always applies, ``"subscribed"`` never reverses an
opt-out or a suppression, because an integration is not the person asking.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from ladder.api import ids
from ladder.api.hal import ApiError
from ladder.api.models import ApiToken
from ladder.api.schemas import AddressIn, EmailIn, PersonIn, PhoneIn
from ladder.core.models import Role
from ladder.people.models import Address, Channel, ConsentEvent, CustomField, Person, Phone
from ladder.people.normalize import InvalidContact, normalise_email, normalise_phone
from ladder.people.selectors import person_match
from ladder.people.services import (
    consent_record,
    custom_fields_set,
    email_add,
    external_id_add,
    group_add_person,
    person_create,
    person_update,
    phone_add,
    tag_add,
    tag_get_or_create,
    tag_remove,
)

PHONE_KINDS = {"mobile": Phone.Kind.MOBILE, "home": Phone.Kind.HOME, "work": Phone.Kind.WORK}


def _emails(given: list[EmailIn]) -> list[tuple[str, EmailIn]]:
    found = []
    for n, email in enumerate(given):
        try:
            found.append((normalise_email(email.address), email))
        except InvalidContact as problem:
            raise ApiError(400, f"email_addresses[{n}].address: {problem}.") from None
    return found


def _phones(given: list[PhoneIn]) -> list[tuple[str, PhoneIn]]:
    found = []
    for n, phone in enumerate(given):
        try:
            found.append((normalise_phone(str(phone.number)), phone))
        except InvalidContact as problem:
            raise ApiError(400, f"phone_numbers[{n}].number: {problem}.") from None
    return found


def _source(token: ApiToken) -> str:
    return f"api: {token.name}"[:200]


def _consent(token: ApiToken, person: Person, channel: str, point: str, status: str) -> None:
    wanted = status.strip().lower()
    if wanted == "subscribed":
        verdict = ConsentEvent.Status.OPT_IN
    elif wanted in ("unsubscribed", "spam complaint"):
        verdict = ConsentEvent.Status.OPT_OUT
    else:  # bouncing and the like are ours to find out, not a client's to set
        return
    consent_record(
        actor=token.user, person=person, channel=channel, contact_point=point,
        status=verdict, source=_source(token),
    )  # fmt: skip


def _address(person: Person, given: AddressIn) -> None:
    lines = [line.strip() for line in (given.address_lines or []) if line and line.strip()]
    fields = {
        "line1": lines[0][:200] if lines else "",
        "line2": " ".join(lines[1:])[:200],
        "locality": (given.locality or "").strip()[:100],
        "region": (given.region or "").strip()[:50],
        "postal_code": (given.postal_code or "").strip()[:20],
    }
    if not any(fields.values()):
        return
    country = (given.country or "").strip().upper()
    if country and len(country) != 2:
        raise ApiError(400, f"postal_addresses.country: “{country}” is not a two-letter code.")
    same = person.addresses.filter(
        line1__iexact=fields["line1"], postal_code=fields["postal_code"]
    ).first()
    location = given.location
    extra: dict[str, Any] = {}
    if location is not None:
        extra = {"latitude": location.latitude, "longitude": location.longitude}
    if same is not None:
        for name, value in {**fields, **extra}.items():
            if value not in ("", None):
                setattr(same, name, value)
        if given.primary:
            person.addresses.exclude(pk=same.pk).update(is_primary=False)
            same.is_primary = True
        same.save()
        return
    if given.primary:
        person.addresses.update(is_primary=False)
    Address.objects.create(
        person=person,
        country=country or "US",
        is_primary=bool(given.primary) or not person.addresses.exists(),
        **fields,
        **extra,
    )


def _custom_fields(token: ApiToken, person: Person, values: dict[str, Any]) -> None:
    """Action Network takes any custom field; a key we have not seen becomes a text field."""
    clean: dict[str, Any] = {}
    for key, value in values.items():
        name = str(key).strip()
        if not name or len(name) > 60:
            raise ApiError(400, f"custom_fields: “{name[:60]}…” needs 1 to 60 characters.")
        if isinstance(value, dict | list):
            raise ApiError(400, f"custom_fields.{name}: give a text, number or true/false.")
        clean[name] = "" if value is None else value
    known = set(CustomField.objects.filter(key__in=clean).values_list("key", flat=True))
    for name in clean.keys() - known:
        CustomField.objects.get_or_create(key=name, defaults={"label": name})
    if clean:
        custom_fields_set(actor=token.user, person=person, values=clean)


def _identifiers(token: ApiToken, person: Person, given: list[str]) -> None:
    for n, text in enumerate(given):
        system, sep, value = str(text).partition(":")
        if not sep or not system.strip() or not value.strip():
            raise ApiError(400, f"identifiers[{n}]: “{text}” is not system:value.")
        if system == "action_network" and ids.decode("person", value) is not None:
            continue  # one of ours
        external_id_add(actor=token.user, person=person, system=system[:40], value=value[:100])


def person_apply(token: ApiToken, person: Person, data: PersonIn) -> Person:
    """Merge ``data`` into ``person`` (the caller holds the transaction)."""
    names: dict[str, str] = {}
    if data.given_name is not None:
        names["first_name"] = data.given_name.strip()[:100]
    if data.family_name is not None:
        names["last_name"] = data.family_name.strip()[:100]
    if data.languages_spoken is not None:
        spoken = [code.strip() for code in data.languages_spoken if code and code.strip()]
        names["languages"] = ",".join(dict.fromkeys(spoken))[:100]
    if names:
        person_update(actor=token.user, person=person, **names)
    for address, email in _emails(data.email_addresses or []):
        email_add(actor=token.user, person=person, address=address, is_primary=bool(email.primary))
        if email.status:
            _consent(token, person, Channel.EMAIL, address, email.status)
    for number, phone in _phones(data.phone_numbers or []):
        kind = PHONE_KINDS.get((phone.number_type or "").strip().lower(), Phone.Kind.OTHER)
        phone_add(
            actor=token.user, person=person, number=number, kind=kind,
            is_primary=bool(phone.primary),
        )  # fmt: skip
        if phone.status:
            _consent(token, person, Channel.SMS, number, phone.status)
    for postal in data.postal_addresses or []:
        _address(person, postal)
    if data.custom_fields:
        _custom_fields(token, person, data.custom_fields)
    if data.identifiers:
        _identifiers(token, person, data.identifiers)
    person.save(update_fields=["updated_at"])
    return person


def _place(token: ApiToken, person: Person) -> None:
    """Someone a leader's token creates joins the leader's group, so the leader can see them."""
    user = token.user
    if user.sees_everyone:
        return
    group = user.led_groups.order_by("id").first()
    if user.role == Role.LEADER and group is not None:
        group_add_person(actor=user, group=group, person=person)
        if person.home_group_id is None:
            person.home_group = group
            person.save(update_fields=["home_group"])
    else:
        person.point_person = user
        person.save(update_fields=["point_person"])


@transaction.atomic
def person_signup(
    *,
    token: ApiToken,
    visible: Any,
    data: PersonIn,
    add_tags: list[str] | None = None,
    remove_tags: list[str] | None = None,
) -> tuple[Person, bool]:
    """The person signup helper; returns (person, created). ``visible`` is the queryset of
    people the token may reach: a match outside it is refused rather than shown."""
    emails = _emails(data.email_addresses or [])
    phones = _phones(data.phone_numbers or [])
    if not emails and not phones:
        raise ApiError(400, "person: give an email address or a phone number to match on.")
    found: Person | None = None
    for address, _ in emails:
        found = person_match(email=address)
        if found is not None:
            break
    if found is None:
        for number, _ in phones:
            found = person_match(phone=number)
            if found is not None:
                break
    created = found is None
    if found is None:
        found = person_create(actor=token.user, source=_source(token))
        _place(token, found)
    elif not visible.filter(pk=found.pk).exists():
        raise ApiError(
            403,
            "That email address or phone number belongs to someone outside this token's "
            "reach; ask staff to add them to your group.",
        )
    person = person_apply(token, found, data)
    for name in add_tags or []:
        try:
            tag_add(actor=token.user, person=person, name=name)
        except ValidationError:
            raise ApiError(400, "add_tags: a tag needs a name.") from None
    for name in remove_tags or []:
        if name and name.strip():
            tag_remove(actor=token.user, person=person, tag=tag_get_or_create(name))
    return person, created
