"""Signing a webhook post: ``X-Ladder-Signature: sha256=<hex HMAC-SHA256>`` of
``f"{timestamp}.{body}"`` with the subscription's secret, where ``timestamp`` is the
``X-Ladder-Timestamp`` header (Unix seconds). A receiver recomputes it over the raw body and
compares in constant time (`verify`), and may refuse old timestamps to stop replays."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def secret_new() -> str:
    """A fresh signing secret: 64 hex characters (256 bits)."""
    return secrets.token_hex(32)


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: int | str, body: bytes, header: str) -> bool:
    return hmac.compare_digest(signature(secret, timestamp, body), header or "")
