"""Requests per minute per token, counted in Django's cache (one fixed window per minute).

With the default in-process cache each web process counts on its own; point ``CACHES`` at a
shared cache (database, Redis) to count across processes."""

from __future__ import annotations

from time import time as clock

from django.conf import settings
from django.core.cache import cache


def over_limit(token_key: str, limit: int | None = None) -> int:
    """0 when this request is allowed, else the seconds until the next window opens."""
    per_minute = limit or settings.LADDER_API_RATE_PER_MINUTE
    now = clock()
    window = int(now // 60)
    key = f"api-rate:{token_key}:{window}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # the window expired between add and incr
        cache.set(key, 1, timeout=120)
        count = 1
    if count <= per_minute:
        return 0
    return max(1, int((window + 1) * 60 - now + 0.999))
