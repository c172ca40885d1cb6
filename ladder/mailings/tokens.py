"""Short signed tokens for the links in a message: open pixel, click redirect, unsubscribe and
preferences, attribution of actions, and the bounce address.

A token carries a delivery id (and a link number for clicks) with a truncated HMAC keyed by
SECRET_KEY and the token's purpose, so ids cannot be enumerated, one purpose's token is no
good for another, and nothing has to be looked up to check it. Tokens are compact (≈ 30
characters) because a message carries one per link, and checking one costs microseconds
because every open and click checks one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
from dataclasses import dataclass
from functools import cache

from django.conf import settings

PURPOSES = ("open", "click", "list", "attr", "bounce")
# delivery id, link number, variant id (clicks carry their variant so a redirect needs no query)
_PAYLOAD = struct.Struct(">QHI")
_MAC_BYTES = 12


@cache
def _key(purpose: str, secret: str) -> bytes:
    return hmac.new(secret.encode(), f"ladder.mailings.{purpose}".encode(), "sha256").digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Token:
    delivery_id: int
    link: int
    variant: int = 0


class BadToken(ValueError):
    """The token was altered, made up, or belongs to another purpose."""


def make(purpose: str, delivery_id: int, link: int = 0, variant: int = 0) -> str:
    payload = _PAYLOAD.pack(delivery_id, link, variant)
    mac = hmac.new(_key(purpose, settings.SECRET_KEY), payload, hashlib.sha256).digest()
    return _b64(payload) + "." + _b64(mac[:_MAC_BYTES])


def read(purpose: str, token: str) -> Token:
    body, _, signature = (token or "").partition(".")
    try:
        payload, mac = _unb64(body), _unb64(signature)
    except ValueError:
        raise BadToken("not a token") from None
    if len(payload) != _PAYLOAD.size or len(mac) != _MAC_BYTES:
        raise BadToken("not a token")
    expected = hmac.new(_key(purpose, settings.SECRET_KEY), payload, hashlib.sha256).digest()
    if not hmac.compare_digest(mac, expected[:_MAC_BYTES]):
        raise BadToken("bad signature")
    delivery_id, link, variant = _PAYLOAD.unpack(payload)
    return Token(delivery_id, link, variant)
