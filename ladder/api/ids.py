"""The ``action_network:<uuid>`` identifiers of API resources.

Clients treat the id as an opaque UUID. Ours is a UUIDv8 (RFC 9562's layout for vendor
formats) that carries the resource kind and the row's primary key, under a per-installation
prefix, so that no table needs a UUID column (and no bulk insert path has to mint one), a
lookup is a primary-key lookup, and an id from another installation or of another kind of
resource is simply not found:

    | 48 bits prefix | version 8 | 12 bits kind | variant 10 | 62 bits primary key |
"""

from __future__ import annotations

import uuid

from django.conf import settings

KINDS = {
    "person": 1,
    "tag": 2,
    "tagging": 3,
    "event": 4,
    "attendance": 5,
    "petition": 6,
    "signature": 7,
    "form": 8,
    "submission": 9,
    "fundraising_page": 10,
    "donation": 11,
    "list": 12,
    "segment": 13,
    "message": 14,
    "wrapper": 15,
    "item": 16,
    "custom_field": 17,
}
_PK_BITS = 62


def _prefix() -> int:
    return int(settings.LADDER_API_ID_PREFIX, 16) & ((1 << 48) - 1)


def encode(kind: str, pk: int) -> str:
    value = (_prefix() << 80) | (0x8 << 76) | (KINDS[kind] << 64) | (0b10 << 62) | pk
    return str(uuid.UUID(int=value))


def decode(kind: str | tuple[str, ...], text: str) -> int | None:
    """The primary key in ``text`` if it is an id of (one of) ``kind``, else None."""
    kinds = (kind,) if isinstance(kind, str) else kind
    try:
        value = uuid.UUID(text.strip().rsplit("/", 1)[-1]).int
    except (ValueError, AttributeError):
        return None
    if value >> 80 != _prefix() or (value >> 76) & 0xF != 0x8 or (value >> 62) & 0b11 != 0b10:
        return None
    if (value >> 64) & 0xFFF not in {KINDS[k] for k in kinds}:
        return None
    pk = value & ((1 << _PK_BITS) - 1)
    return pk or None


def kind_of(text: str) -> str | None:
    try:
        value = uuid.UUID(text.strip().rsplit("/", 1)[-1]).int
    except (ValueError, AttributeError):
        return None
    code = (value >> 64) & 0xFFF
    return next((k for k, c in KINDS.items() if c == code), None)


def identifier(kind: str, pk: int) -> str:
    return f"action_network:{encode(kind, pk)}"
