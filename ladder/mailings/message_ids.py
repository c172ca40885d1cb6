"""Message-IDs that name their delivery, so that a bounce, a complaint or an email service's
event can be tied back to the one delivery it is about without storing anything per message.

``<m{mailing_id}.d{delivery_id}.{mac}@{domain}>``: the mac is the first ten characters of the
signature of ``tokens.make("bounce", delivery_id)``, so a Message-ID cannot be made up for a
delivery and an altered one names nobody.

Email services that replace the Message-ID with their own (Postmark, SES…) echo back the
metadata a message was sent with: `esp_metadata` is what to send, `delivery_from_metadata`
reads it back.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from typing import Any

from ladder.mailings import tokens

_MAC_CHARS = 10
_PATTERN = re.compile(
    r"<?m(?P<mailing>\d{1,19})\.d(?P<delivery>\d{1,19})\.(?P<mac>[\w-]{10})@[^>\s]+>?"
)
METADATA_KEY = "ladder_delivery"


def _mac(delivery_id: int) -> str:
    return tokens.make("bounce", delivery_id).partition(".")[2][:_MAC_CHARS]


def message_id_for(mailing_id: int, delivery_id: int, domain: str) -> str:
    """The Message-ID header (with its angle brackets) of one delivery."""
    return f"<m{mailing_id}.d{delivery_id}.{_mac(delivery_id)}@{domain}>"


def delivery_from_message_id(value: str | None) -> int | None:
    """The delivery a Message-ID (ours, checked) names, or None for anyone else's."""
    match = _PATTERN.search(value or "")
    if match is None:
        return None
    delivery_id = int(match.group("delivery"))
    if delivery_id >= 2**64 or not hmac.compare_digest(match.group("mac"), _mac(delivery_id)):
        return None
    return delivery_id


def esp_metadata(delivery_id: int) -> dict[str, str]:
    """Metadata to hand an email service with a message (anymail's ``metadata``)."""
    return {METADATA_KEY: tokens.make("bounce", delivery_id)}


def delivery_from_metadata(metadata: Mapping[str, Any] | None) -> int | None:
    value = (metadata or {}).get(METADATA_KEY)
    if not isinstance(value, str):
        return None
    try:
        return tokens.read("bounce", value).delivery_id
    except tokens.BadToken:
        return None
