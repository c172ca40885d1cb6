"""Reads of universes, always scoped: a leader's counts, pages and exports hold only the people
`visible_people` lets them see (DESIGN.md §4.1)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from ladder.core.models import Role, User
from ladder.people.models import Address, EmailAddress, Person, Phone
from ladder.people.selectors import SearchPage, led_group_ids, visible_people
from ladder.segments.filters import parse
from ladder.segments.filters.compiler import Compiler, sample_hash
from ladder.segments.models import Segment, StaticList


def segment_people(
    user: User, definition: dict[str, Any], *, now: dt.datetime | None = None
) -> QuerySet[Person]:
    """Everyone the definition matches that ``user`` may see. A top-level sample is drawn from
    what the user may see, so a leader's "500 at random" is 500 of their own people."""
    parsed = parse(definition)
    compiler = Compiler(now or timezone.now())
    people = visible_people(user).filter(compiler.condition(parsed["match"]))
    sample = parsed.get("sample")
    if sample:
        chosen = (
            people.annotate(_h=sample_hash(seed=sample["seed"]))
            .order_by("_h", "pk")
            .values("pk")[: sample["size"]]
        )
        people = Person.objects.filter(pk__in=Subquery(chosen))
    return people


def segment_count(user: User, definition: dict[str, Any], *, now: dt.datetime | None = None) -> int:
    return segment_people(user, definition, now=now).count()


def segment_page(
    user: User,
    definition: dict[str, Any],
    *,
    after: int | None = None,
    limit: int = 50,
    now: dt.datetime | None = None,
) -> SearchPage:
    """One page of a universe, newest first, keyset-paged on id (never OFFSET)."""
    people = segment_people(user, definition, now=now)
    if after:
        people = people.filter(pk__lt=after)
    rows = list(
        people.order_by("-pk")
        .select_related("stats")
        .prefetch_related(
            Prefetch(
                "emails",
                queryset=EmailAddress.objects.filter(is_primary=True),
                to_attr="primary_emails",
            ),
            Prefetch(
                "phones", queryset=Phone.objects.filter(is_primary=True), to_attr="primary_phones"
            ),
            Prefetch(
                "addresses",
                queryset=Address.objects.order_by("-is_primary", "id"),
                to_attr="address_list",
            ),
        )[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return SearchPage(people=rows, next_after=rows[-1].pk if more and rows else None)


def _owned_by(user: User) -> Q:
    """Segments and lists a user may use: everything for staff; for a leader, their own and
    those of the groups they lead; for anyone else, their own."""
    if user.sees_everyone:
        return Q()
    condition = Q(owner_id=user.pk)
    if user.role == Role.LEADER:
        condition |= Q(group_id__in=led_group_ids(user))
    return condition


def segments_visible(user: User) -> QuerySet[Segment]:
    return Segment.objects.filter(_owned_by(user), is_archived=False)


def lists_visible(user: User) -> QuerySet[StaticList]:
    return StaticList.objects.filter(_owned_by(user))


def segment_for(user: User, segment_id: int) -> Segment:
    segment = segments_visible(user).filter(pk=segment_id).first()
    if segment is None:
        raise Http404("No such segment")
    return segment


def list_for(user: User, list_id: int) -> StaticList:
    found = lists_visible(user).filter(pk=list_id).first()
    if found is None:
        raise Http404("No such list")
    return found


def list_people(user: User, static_list: StaticList) -> QuerySet[Person]:
    """The members of a list that ``user`` may see (a list outlives a change of scope)."""
    return visible_people(user).filter(
        pk__in=static_list.members.values("person_id")  # type: ignore[attr-defined]
    )
