"""Normalising contact points: one email or phone at a time, through the libraries.

Bulk paths (imports) settle the common shapes vectorised first and call these only for the
rows the fast path cannot decide (see `ladder.imports.normalise`).
"""

from __future__ import annotations

import hashlib

import phonenumbers
from django.conf import settings
from email_validator import EmailNotValidError, validate_email


class InvalidContact(ValueError):
    """The value cannot be a working email address or phone number; the message says why."""


def normalise_email(raw: str) -> str:
    value = (raw or "").strip()
    if not value:
        raise InvalidContact("empty email address")
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidContact(str(exc)) from None
    return result.normalized.lower()


def normalise_phone(raw: str, region: str | None = None) -> str:
    """Return the number in E.164 form, or raise InvalidContact."""
    value = (raw or "").strip()
    if not value:
        raise InvalidContact("empty phone number")
    try:
        number = phonenumbers.parse(value, region or settings.LADDER_PHONE_REGION)
    except phonenumbers.NumberParseException as exc:
        raise InvalidContact(f"not a phone number: {exc}") from None
    if not phonenumbers.is_possible_number(number):
        raise InvalidContact("not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """A number as people read it: national format at home, international abroad."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if phonenumbers.region_code_for_number(number) == settings.LADDER_PHONE_REGION:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def address_hash(channel: str, normalised: str) -> str:
    """The key of the suppression list: it must not store the address itself."""
    return hashlib.sha256(f"{channel}:{normalised}".encode()).hexdigest()
