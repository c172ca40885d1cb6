"""Reads for the review screens: one candidate pair side by side, with what each record holds
and what is at stake, and the merges that can still be undone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet
from django.http import Http404

from ladder.activity.models import PersonStats
from ladder.core.models import User
from ladder.identity.finding import candidates_open
from ladder.identity.merging import CHOSEN_FIELDS
from ladder.identity.models import Candidate, Merge
from ladder.people.models import Person
from ladder.people.selectors import visible_people

SHOWN_FIELDS = CHOSEN_FIELDS[:8]  # names, birthdate, languages, employer, occupation


@dataclass(frozen=True)
class Side:
    person: Person
    stats: PersonStats | None
    emails: list[tuple[str, str]]  # (address, subscription)
    phones: list[str]
    addresses: list[str]
    tags: list[str]
    activities: int


@dataclass(frozen=True)
class Review:
    candidate: Candidate
    left: Side
    right: Side
    # (field, its label, left value, right value, which side is kept by default)
    fields: list[tuple[str, str, Any, Any, str]]
    keep: str  # the record kept by default: the one with more history
    evidence: list[tuple[str, str, float]]
    waiting: int


def _side(person: Person) -> Side:
    return Side(
        person=person,
        stats=PersonStats.objects.filter(person=person).first(),
        emails=list(person.emails.values_list("address", "subscription")),  # type: ignore[attr-defined]
        phones=list(person.phones.values_list("number", flat=True)),  # type: ignore[attr-defined]
        addresses=[str(a) for a in person.addresses.all()],  # type: ignore[attr-defined]
        tags=list(person.taggings.values_list("tag__name", flat=True)),  # type: ignore[attr-defined]
        activities=person.activities.count(),  # type: ignore[attr-defined]
    )


def review_queue(user: User) -> QuerySet[Candidate]:
    """Open pairs where the user may see both records."""
    visible = visible_people(user).values("pk")
    return candidates_open().filter(low__in=visible, high__in=visible)


def review_for(user: User, candidate_id: int | None = None) -> Review | None:
    queue = review_queue(user).select_related("low", "high")
    candidate = queue.filter(pk=candidate_id).first() if candidate_id else queue.first()
    if candidate_id and candidate is None:
        raise Http404("No such pair waiting")
    if candidate is None:
        return None
    left, right = _side(candidate.low), _side(candidate.high)
    keep_left = left.activities >= right.activities
    fields = []
    for name in SHOWN_FIELDS:
        a, b = getattr(candidate.low, name), getattr(candidate.high, name)
        default = "low" if (keep_left and a not in (None, "")) or b in (None, "") else "high"
        label = str(getattr(Person._meta.get_field(name), "verbose_name", name)).capitalize()
        fields.append((name, label, a, b, default))
    evidence = sorted(
        ((name, str(v[0]), float(v[1])) for name, v in candidate.evidence.items()),
        key=lambda row: -abs(row[2]),
    )
    return Review(candidate, left, right, fields, "low" if keep_left else "high", evidence,
                  queue.count())  # fmt: skip


def merges_undoable(user: User) -> QuerySet[Merge]:
    visible = visible_people(user).values("pk")
    return (
        Merge.objects.filter(undone_at=None, survivor__in=visible)
        .select_related("survivor", "merged", "actor")
        .annotate(n=Count("pk"))
        .order_by("-merged_at", "-pk")
    )


__all__ = ["Review", "merges_undoable", "review_for", "review_queue"]
