"""Digests: point persons and leaders hear when their people act — one email a day (or a week),
never one per action, and none at all when nobody acted.

Who gets one: a login with an email address who is someone's point person, or who leads a
group; staff only for the people assigned to them (everyone's actions would be a flood). What
is in it: the people within their reach who acted since the last digest (or the day before),
with what they did, and a link to My day. `digests_send` runs daily (``ladder digests send``,
from cron at the start of the day) and sends what is due.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from ladder.activity.catalogue import ACTION_TYPES
from ladder.activity.models import Activity
from ladder.core.models import Role, User
from ladder.insights.models import Digest
from ladder.people.models import Person
from ladder.people.selectors import visible_people

SHOWN = 25
WEEK = dt.timedelta(days=7)
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Sent:
    users: int
    messages: int


def digest_for(user: User) -> Digest:
    return Digest.objects.get_or_create(user=user)[0]


def digest_set(*, user: User, frequency: str) -> Digest:
    if frequency not in Digest.Frequency.values:
        raise ValueError(f"{frequency} is not a digest frequency")
    digest = digest_for(user)
    digest.frequency = frequency
    digest.save(update_fields=["frequency"])
    return digest


def _their_people(user: User) -> QuerySet[Person]:
    if user.sees_everyone:
        return Person.objects.filter(point_person=user, merged_into__isnull=True)
    return visible_people(user)


def _recipients() -> QuerySet[User]:
    return (
        User.objects.filter(is_active=True)
        .exclude(email="")
        .filter(Q(point_for__isnull=False) | Q(role=Role.LEADER, led_groups__isnull=False))
        .distinct()
    )


def _due(digest: Digest, now: dt.datetime) -> dt.datetime | None:
    """The start of what the digest covers, or None when it is not due."""
    if digest.frequency == Digest.Frequency.NEVER:
        return None
    gap = WEEK if digest.frequency == Digest.Frequency.WEEKLY else DAY
    if digest.frequency == Digest.Frequency.WEEKLY and timezone.localdate(now).weekday() != 0:
        return None
    if digest.last_sent_at is not None and now - digest.last_sent_at < gap - dt.timedelta(hours=4):
        return None
    return digest.last_sent_at or now - gap


def _body(user: User, people: list[Person], total: int, since: dt.datetime) -> str:
    when = f"{timezone.localtime(since):%A %B %-d}"
    lines = [f"Hi {user.first_name or user.username},", "",
             f"{total} of your people acted since {when}:", ""]  # fmt: skip
    recent = Activity.objects.filter(type__in=ACTION_TYPES, occurred_at__gte=since)
    for person in people:
        did = [a.get_type_display().lower() for a in recent.filter(person=person)[:3]]
        lines.append(f"- {person.display_name}: {', '.join(did)}")
    if total > len(people):
        lines.append(f"- and {total - len(people)} more")
    link = settings.LADDER_PUBLIC_URL.rstrip("/") + reverse("insights:today")
    lines += ["", f"See them all on My day: {link}", "",
              "You get this once a day at most. Change it on My day."]  # fmt: skip
    return "\n".join(lines)


def digests_send(*, now: dt.datetime | None = None) -> Sent:
    now = now or timezone.now()
    users = messages = 0
    for user in _recipients():
        digest = digest_for(user)
        since = _due(digest, now)
        if since is None:
            continue
        users += 1
        acted = _their_people(user).filter(stats__last_action_at__gte=since)
        total = acted.count()
        if total:
            people = list(acted.order_by("-stats__last_action_at", "pk")[:SHOWN])
            EmailMessage(
                subject=f"{total} of your people acted", body=_body(user, people, total, since),
                from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email],
                headers={"Auto-Submitted": "auto-generated"},
            ).send()  # fmt: skip
            messages += 1
        digest.last_sent_at = now
        digest.save(update_fields=["last_sent_at"])
    return Sent(users, messages)


__all__ = ["Sent", "digest_for", "digest_set", "digests_send"]
