"""API tokens: made, found, revoked, and the people a token may reach.

A token is ``ldr_`` and 43 random URL-safe characters. Only its SHA-256 digest is stored, so
a leaked database leaks no usable token; the plain token is returned once, by `token_create`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from ladder.api.models import ApiToken
from ladder.core.models import User
from ladder.people.models import Person
from ladder.people.selectors import visible_people
from ladder.segments.models import Segment, StaticList

PREFIX = "ldr_"
# The person fields a partner token can be limited to (the API's names).
PARTNER_FIELDS = (
    "given_name",
    "family_name",
    "email_addresses",
    "phone_numbers",
    "postal_addresses",
    "languages_spoken",
    "custom_fields",
)
# How often using a token writes its last-used time: often enough to see which tokens are in
# use, rarely enough that reads never queue behind writes.
LAST_USED_EVERY = dt.timedelta(minutes=1)
# A token found is remembered by this process for a few seconds, so that a client's run of
# requests does not look its token up every time (a fifth of a person read). Revoking it here
# forgets it at once; another web process stops accepting it within this many seconds.
REMEMBER_SECONDS = 5.0
_remembered: dict[str, tuple[float, ApiToken]] = {}


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def token_create(
    *,
    actor: User | None,
    user: User,
    name: str,
    partner: str = "",
    static_list: StaticList | None = None,
    segment: Segment | None = None,
    fields: Iterable[str] = (),
    rate_per_minute: int | None = None,
) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns it with the plain token, which is never shown again."""
    name = " ".join(name.split())
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Give the token a name that says what uses it."
    chosen = list(dict.fromkeys(fields))
    unknown = [f for f in chosen if f not in PARTNER_FIELDS]
    if unknown:
        errors["fields"] = f"Not person fields: {', '.join(unknown)}."
    if static_list is not None and segment is not None:
        errors["static_list"] = "Share one list or one segment, not both."
    if (static_list is not None or segment is not None) and not partner.strip():
        errors["partner"] = "Say which partner this token is for."
    if partner.strip() and static_list is None and segment is None:
        errors["static_list"] = "A partner token shares one list or segment: choose it."
    if errors:
        raise ValidationError(errors)
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=raw[:10],
        digest=digest(raw),
        partner=partner.strip()[:200],
        static_list=static_list,
        segment=segment,
        fields=chosen,
        rate_per_minute=rate_per_minute,
        created_by=actor,
    )
    return token, raw


def token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    forget_tokens()
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def token_authenticate(raw: str) -> ApiToken | None:
    """The live token with this value, its user loaded; None for anything else."""
    if not raw.startswith(PREFIX) or len(raw) > 100:
        return None
    key = digest(raw)
    clock = time.monotonic()
    remembered = _remembered.get(key)
    if remembered is not None and remembered[0] > clock:
        return remembered[1]
    token = (
        ApiToken.objects.select_related("user", "static_list", "segment")
        .filter(digest=key, revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        _remembered.pop(key, None)
        return None
    if len(_remembered) > 10_000:
        _remembered.clear()
    _remembered[key] = (clock + REMEMBER_SECONDS, token)
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def forget_tokens() -> None:
    """Drop what this process remembers of tokens (after a revocation, and between tests)."""
    _remembered.clear()


def tokens_visible(user: User) -> QuerySet[ApiToken]:
    """Staff see every token; anyone else their own."""
    tokens = ApiToken.objects.select_related("user", "static_list", "segment").order_by("-id")
    return tokens if user.sees_everyone else tokens.filter(user_id=user.pk)


def token_for(user: User, token_id: int) -> ApiToken:
    token = tokens_visible(user).filter(pk=token_id).first()
    if token is None:
        raise Http404("No such token")
    return token


def token_people(token: ApiToken) -> QuerySet[Person]:
    """Everyone the token may reach: its user's scoping, and for a partner token only the
    members of the shared list or segment."""
    from ladder.segments.selectors import list_people, segment_people

    if token.static_list is not None:
        return list_people(token.user, token.static_list)
    if token.segment is not None:
        return segment_people(token.user, token.segment.definition)
    return visible_people(token.user)
