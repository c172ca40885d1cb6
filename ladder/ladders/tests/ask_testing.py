"""Helpers of the ask tests: real people with real contact points, tags, addresses, scores and
groups, written through the services; a segment built with the segment service."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from ladder.activity.models import PersonStats
from ladder.core.models import User
from ladder.ladders.models import Ask, AskOffer
from ladder.ladders.scoring import raw_bound
from ladder.people.models import Address, Group, Person
from ladder.people.services import group_add_person, person_create, tag_add
from ladder.segments.models import Segment
from ladder.segments.services import segment_create

EVERYONE: dict[str, Any] = {"version": 1, "match": {"kind": "all", "of": []}}


def make_person(
    first: str,
    *,
    group: Group | None = None,
    email: bool = True,
    phone: str | None = None,
    tags: tuple[str, ...] = (),
    postal_code: str = "",
    score: float | None = None,
    **fields: Any,
) -> Person:
    person = person_create(
        actor=None,
        first_name=first,
        last_name="Tester",
        email=f"{first.lower()}@example.org" if email else None,
        phone=phone,
        **fields,
    )
    if group is not None:
        group_add_person(actor=None, group=group, person=person)
    for tag in tags:
        tag_add(actor=None, person=person, name=tag)
    if postal_code:
        Address.objects.create(person=person, postal_code=postal_code, is_primary=True)
    if score is not None:
        now = timezone.now()
        PersonStats.objects.create(
            person=person, engagement_score=round(score), engagement_raw=raw_bound(score, now)
        )
    return person


def make_segment(
    actor: User, definition: dict[str, Any] | None = None, *, group: Group | None = None
) -> Segment:
    return segment_create(actor=actor, name="Pool", definition=definition or EVERYONE, group=group)


def tagged(tag_id: int) -> dict[str, Any]:
    return {"version": 1, "match": {"kind": "tags", "match": "any", "tags": [tag_id]}}


def statuses(ask: Ask) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in AskOffer.objects.filter(ask=ask).values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts


def offered_names(ask: Ask, *, wave: int | None = None) -> list[str]:
    offers = AskOffer.objects.filter(ask=ask).order_by("-rank", "person_id")
    if wave is not None:
        offers = offers.filter(wave=wave)
    return [o.person.first_name for o in offers.select_related("person")]


def future(days: float = 7) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days)
