"""Social engagement from outside sources, matched to people through handles and emails.

A row says who (a platform handle, an email address, or both), did what (shared, replied,
mentioned…), when, and in what words. It is matched to the person known by that handle — an
external id with the system ``social:<platform>`` — or else to the person with that email, who
is then known by the handle too, so the next row from it matches without an email. A match
becomes a social-engagement activity on the person's timeline, beside their door knocks and
gifts: "the person who shared our post three days after the door knock" is one person. Rows
nobody is known by wait; linking the handle to someone (`social_handle_link`) matches them all.

Rows are checked one by one: a bad row is reported with its row number and column and is not
saved, the good rows around it are. A row seen before (the platform's id for it, or the same
handle, action, time and text) adds nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import Count, Max, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from ladder.activity.catalogue import ActivityType
from ladder.activity.models import Activity
from ladder.activity.services import activity_record_many
from ladder.core.models import User
from ladder.identity.models import SocialEngagement
from ladder.people.models import EmailAddress, ExternalId, Person
from ladder.people.normalize import InvalidContact, normalise_email
from ladder.people.selectors import survivor_id
from ladder.people.services import external_id_add

PLATFORM = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")
HANDLE = re.compile(r"^[a-z0-9._:-]{1,200}$")
TEXT_LIMIT = 10_000
# The activity keeps the start of the text; the whole of it stays on the row.
ACTIVITY_TEXT = 500


def handle_system(platform: str) -> str:
    """The external-id system a platform's handles are kept under."""
    return f"social:{platform}"


def handle_normalised(raw: str) -> str:
    """ "@Maria_G", "maria_g" and "https://x.example/Maria_G" are one handle: "maria_g".
    (A Bluesky profile URL ends in the handle too.) Raises ValueError if it cannot be one."""
    value = (raw or "").strip()
    if "://" in value or value.startswith("www."):
        path = urlsplit(value if "://" in value else f"https://{value}").path
        value = path.rstrip("/").rsplit("/", 1)[-1]
    value = value.lstrip("@").lower()
    if not HANDLE.match(value):
        raise ValueError("a handle is letters, digits, dots, dashes and underscores")
    return value


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str
    message: str


@dataclass
class Ingested:
    added: int = 0
    repeated: int = 0
    matched: int = 0
    waiting: int = 0
    problems: list[RowProblem] = field(default_factory=list)


def _occurred(raw: str) -> dt.datetime:
    text = (raw or "").strip()
    moment = parse_datetime(text)
    if moment is None:
        day = parse_date(text)
        if day is None:
            raise ValueError("a date and time such as 2026-11-28T14:05:00Z, or a date")
        moment = dt.datetime.combine(day, dt.time(12))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def social_row_clean(raw: dict[str, Any]) -> tuple[dict[str, Any] | None, list[tuple[str, str]]]:
    """The row ready to save, or None and what is wrong with it as (column, message)."""
    text = {str(k): str(v if v is not None else "").strip() for k, v in raw.items()}
    problems: list[tuple[str, str]] = [
        (k, "contains a NUL character") for k, v in text.items() if "\x00" in v
    ]
    if problems:
        return None, problems
    platform = text.get("platform", "").lower()
    if not PLATFORM.match(platform):
        problems.append(("platform", "say which platform (facebook, instagram, bluesky…)"))
    handle = email = ""
    if text.get("handle"):
        try:
            handle = handle_normalised(text["handle"])
        except ValueError as bad:
            problems.append(("handle", str(bad)))
    if text.get("email"):
        try:
            email = normalise_email(text["email"])
        except InvalidContact as bad:
            problems.append(("email", str(bad)))
    if not text.get("handle") and not text.get("email"):
        problems.append(("handle", "a handle or an email address says who it was"))
    action = text.get("action", "").lower()
    if not action or len(action) > 40:
        problems.append(("action", "say what they did (shared, replied, mentioned…), 40 letters"))
    try:
        occurred = _occurred(text.get("occurred_at", ""))
    except ValueError as bad:
        problems.append(("occurred_at", str(bad)))
    if len(text.get("text", "")) > TEXT_LIMIT:
        problems.append(("text", f"at most {TEXT_LIMIT:,} characters"))
    if len(text.get("url", "")) > 500 or len(text.get("id", "")) > 150:
        problems.append(("url" if len(text.get("url", "")) > 500 else "id", "too long"))
    if problems:
        return None, problems
    words = text.get("text", "")
    if text.get("id"):
        key = f"{platform}:{text['id']}"
    else:
        seen = "|".join((platform, handle, email, action, occurred.isoformat(), words))
        key = f"{platform}:sha1:{hashlib.sha1(seen.encode()).hexdigest()}"
    return {
        "platform": platform, "handle": handle, "email": email, "action": action,
        "display_name": text.get("name", "")[:200], "text": words, "url": text.get("url", ""),
        "occurred_at": occurred, "key": key,
    }, []  # fmt: skip


def social_rows_add(rows: Iterable[tuple[int, dict[str, Any]]], *, source: str) -> Ingested:
    """Check, save and match ``(row number, row)`` pairs; see the module's docstring."""
    result = Ingested()
    clean: list[SocialEngagement] = []
    for number, raw in rows:
        row, problems = social_row_clean(raw)
        if row is None:
            result.problems += [RowProblem(number, c, m) for c, m in problems]
            continue
        clean.append(SocialEngagement(source=source[:200], **row))
    keys = [row.key for row in clean]
    with transaction.atomic():
        known = set(SocialEngagement.objects.filter(key__in=keys).values_list("key", flat=True))
        fresh = {row.key: row for row in clean if row.key not in known}
        SocialEngagement.objects.bulk_create(fresh.values(), batch_size=2000)
        result.added, result.repeated = len(fresh), len(clean) - len(fresh)
        waiting = SocialEngagement.objects.filter(key__in=list(fresh), person__isnull=True)
        result.matched = social_match(waiting)
    result.waiting = result.added - result.matched
    return result


def _people_by_handle(pairs: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    for platform in {p for p, _ in pairs}:
        handles = [h for p, h in pairs if p == platform]
        rows = ExternalId.objects.filter(system=handle_system(platform), value__in=handles)
        for value, pid in rows.values_list("value", "person_id"):
            found[(platform, value)] = pid
    return found


@transaction.atomic
def social_match(rows: QuerySet[SocialEngagement]) -> int:
    """Match unmatched ``rows`` by handle, else by email (learning the handle); each match
    becomes an activity. Returns how many matched."""
    waiting = list(rows.filter(person__isnull=True))
    by_handle = _people_by_handle({(r.platform, r.handle) for r in waiting if r.handle})
    emails = {r.email for r in waiting if r.email}
    by_email = dict(
        EmailAddress.objects.filter(address__in=emails).values_list("address", "person_id")
    )
    live: dict[int, int] = {}  # a merged-away record's rows go to whoever it answers as now

    def current(pid: int) -> int:
        if pid not in live:
            live[pid] = survivor_id(pid)
        return live[pid]

    matched: list[SocialEngagement] = []
    for row in waiting:
        if row.handle and (row.platform, row.handle) in by_handle:
            row.person_id, row.matched_by = current(by_handle[(row.platform, row.handle)]), "handle"
        elif row.email in by_email:
            pid = current(by_email[row.email])
            row.person_id, row.matched_by = pid, "email"
            if row.handle and (row.platform, row.handle) not in by_handle:
                _learn(row, pid)
                by_handle[(row.platform, row.handle)] = pid
        else:
            continue
        matched.append(row)
    activity_record_many(
        {
            "person_id": row.person_id,
            "type": ActivityType.SOCIAL_ENGAGEMENT,
            "occurred_at": row.occurred_at,
            "source": row.platform,
            "idempotency_key": _activity_key(row),
            "object_type": "social_engagement",
            "object_id": row.pk,
            "payload": {
                "platform": row.platform,
                "handle": row.handle,
                "action": row.action,
                "text": row.text[:ACTIVITY_TEXT],
                "url": row.url,
            },
        }
        for row in matched
    )
    ids = dict(
        Activity.objects.filter(
            idempotency_key__in=[_activity_key(row) for row in matched]
        ).values_list("idempotency_key", "pk")
    )
    for row in matched:
        row.activity_id = ids.get(_activity_key(row))
    SocialEngagement.objects.bulk_update(
        matched, ["person", "matched_by", "activity_id"], batch_size=2000
    )
    return len(matched)


def _activity_key(row: SocialEngagement) -> str:
    return f"social:{hashlib.sha1(row.key.encode()).hexdigest()}"


def _learn(row: SocialEngagement, person_id: int) -> None:
    """The person matched by email is known by this handle from now on."""
    ExternalId.objects.get_or_create(
        system=handle_system(row.platform), value=row.handle, defaults={"person_id": person_id}
    )


def social_handle_link(*, actor: User | None, person: Person, platform: str, handle: str) -> int:
    """``person`` is known by ``handle`` on ``platform``; every waiting row from it joins them.
    Raises ValidationError if someone else is known by that handle."""
    value = handle_normalised(handle)
    external_id_add(actor=actor, person=person, system=handle_system(platform), value=value)
    return social_match(SocialEngagement.objects.filter(platform=platform, handle=value))


def social_waiting() -> QuerySet[Any]:
    """Handles with rows nobody is known by yet, the busiest first."""
    return (
        SocialEngagement.objects.filter(person__isnull=True)
        .exclude(handle="")
        .values("platform", "handle")
        .annotate(rows=Count("id"), last=Max("occurred_at"), name=Max("display_name"))
        .order_by("-rows", "-last", "platform", "handle")
    )


__all__ = [
    "Ingested",
    "RowProblem",
    "handle_normalised",
    "handle_system",
    "social_handle_link",
    "social_match",
    "social_row_clean",
    "social_rows_add",
    "social_waiting",
]
