"""The profile timeline's keyset cursor as URL text, and the read behind the screen.

The read is `ladder.activity.selectors.timeline_for` (scoped, keyset on (occurred_at, id));
this module only turns its ``next_before`` position into a query-string value and back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from ladder.activity.selectors import TimelinePage, timeline_for
from ladder.core.models import User
from ladder.people.models import Person

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
PAGE_SIZE = 50


def encode_cursor(before: tuple[dt.datetime, int] | None) -> str:
    """A (occurred_at, id) position as URL-safe text: microseconds since the epoch, then id.
    Integers, not an ISO string, so no time zone or "+" ever needs escaping."""
    if before is None:
        return ""
    at, pk = before
    return f"{(at - EPOCH) // dt.timedelta(microseconds=1)}_{pk}"


def decode_cursor(text: str) -> tuple[dt.datetime, int]:
    """Raise ValueError (or OverflowError) for anything that is not a cursor we wrote."""
    micros, _, pk = text.partition("_")
    if not micros.lstrip("-").isdigit() or not pk.isdigit():
        raise ValueError(text)
    return EPOCH + dt.timedelta(microseconds=int(micros)), int(pk)


def timeline_page(
    user: User,
    person: Person,
    *,
    types: Sequence[str] | None = None,
    channel: str | None = None,
    before: tuple[dt.datetime, int] | None = None,
    limit: int = PAGE_SIZE,
) -> TimelinePage:
    """One page of ``person``'s timeline, newest first."""
    return timeline_for(
        user, person, types=list(types) if types else None, channel=channel, before=before,
        limit=limit,
    )  # fmt: skip
