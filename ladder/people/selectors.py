"""Reads of people, always scoped to the actor.

`visible_people` is the one scoping mechanism (DESIGN.md §4.1): every list, count, search,
export and profile starts from it, so a leader of group A can never reach a person who is only
in group B, and a volunteer sees only the people assigned to them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from ladder.core.models import Role, User
from ladder.people.models import (
    Address,
    EmailAddress,
    Group,
    Membership,
    Person,
    Phone,
    Tagging,
)
from ladder.people.normalize import InvalidContact, normalise_phone


def led_group_ids(user: User) -> set[int]:
    """The groups a user leads, with every group nested below them."""
    return groups_below(user.led_groups.values_list("id", flat=True))


def groups_below(roots: Iterable[int]) -> set[int]:
    """``roots`` and every group nested below them (groups are few: one query for all)."""
    edges = list(Group.objects.values_list("id", "parent_id"))
    children: dict[int | None, list[int]] = {}
    for gid, parent in edges:
        children.setdefault(parent, []).append(gid)
    found: set[int] = set()
    stack = list(roots)
    while stack:
        gid = stack.pop()
        if gid not in found:
            found.add(gid)
            stack.extend(children.get(gid, []))
    return found


def scope_filter(user: User) -> Q | None:
    """The condition a person must meet to be visible to ``user``; None means everyone."""
    if not user.is_active:
        return Q(pk__in=[])
    if user.sees_everyone:
        return None
    assigned = Q(point_person_id=user.pk)
    if user.role == Role.LEADER:
        in_groups = Exists(
            Membership.objects.filter(person_id=OuterRef("pk"), group_id__in=led_group_ids(user))
        )
        condition = assigned | Q(in_groups)
        own = Person.objects.filter(user_id=user.pk).values_list("pk", flat=True).first()
        if own is not None:
            condition |= Q(recruited_by_id=own)
        return condition
    return assigned


def visible_people(user: User) -> QuerySet[Person]:
    people = Person.objects.filter(merged_into__isnull=True)
    condition = scope_filter(user)
    return people if condition is None else people.filter(condition)


def person_for(user: User, person_id: int) -> Person:
    """One person the user may see, with contact points loaded; 404 otherwise."""
    person = (
        visible_people(user)
        .select_related("point_person", "home_group", "recruited_by", "stats")
        .prefetch_related(
            Prefetch("emails", queryset=EmailAddress.objects.order_by("-is_primary", "id")),
            Prefetch("phones", queryset=Phone.objects.order_by("-is_primary", "id")),
            "addresses",
            Prefetch("taggings", queryset=Tagging.objects.select_related("tag")),
            "external_ids",
            "groups",
        )
        .filter(pk=person_id)
        .first()
    )
    if person is None:
        raise Http404("No such person")
    return person


@dataclass(frozen=True)
class SearchPage:
    people: Sequence[Person]
    next_after: int | None


def _prefix_range(field: str, prefix: str) -> Q:
    # A range instead of LIKE so that a plain b-tree index serves it on SQLite and PostgreSQL.
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + "\uffff"})


def search_condition(query: str) -> Q:
    """Name, email or phone: "maria", "gonzalez maria", "maria@", "(515) 555-0134"."""
    text = " ".join(query.split()).lower()
    if not text:
        return Q()
    if "@" in text:
        emails = EmailAddress.objects.filter(_prefix_range("address", text))
        return Q(Exists(emails.filter(person_id=OuterRef("pk"))))
    digits = "".join(c for c in text if c.isdigit())
    if digits and len(digits) >= 7 and len(digits) >= len(text.replace(" ", "")) - 6:
        try:
            number = normalise_phone(text)
        except InvalidContact:
            number = ""
        if number:
            phones = Phone.objects.filter(number=number)
            return Q(Exists(phones.filter(person_id=OuterRef("pk"))))
    words = text.split(" ")
    # sort_name is "last first": try the words as "last first" and as "first last".
    condition = _prefix_range("sort_name", text)
    if len(words) >= 2:
        condition |= _prefix_range("sort_name", f"{words[-1]} {' '.join(words[:-1])}")
    else:
        condition |= Q(first_name__iexact=text)
    return condition


def people_search(
    user: User,
    *,
    query: str = "",
    tag_id: int | None = None,
    group_id: int | None = None,
    after: int | None = None,
    limit: int = 50,
) -> SearchPage:
    """One page of people, newest first, with keyset paging on id (never OFFSET)."""
    people = visible_people(user).filter(search_condition(query))
    if tag_id:
        people = people.filter(
            Exists(Tagging.objects.filter(person_id=OuterRef("pk"), tag_id=tag_id))
        )
    if group_id:
        people = people.filter(
            Exists(Membership.objects.filter(person_id=OuterRef("pk"), group_id=group_id))
        )
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
            # The search screen shows city/ZIP and tags: one query each for the whole page.
            Prefetch(
                "addresses",
                queryset=Address.objects.order_by("-is_primary", "id"),
                to_attr="address_list",
            ),
            Prefetch(
                "taggings",
                queryset=Tagging.objects.select_related("tag").order_by("tag__name"),
                to_attr="tag_list",
            ),
        )[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return SearchPage(people=rows, next_after=rows[-1].pk if more and rows else None)


def groups_visible(user: User) -> QuerySet[Group]:
    if user.sees_everyone:
        return Group.objects.all()
    if user.role == Role.LEADER:
        return Group.objects.filter(pk__in=led_group_ids(user))
    return Group.objects.none()


def person_match(*, email: str = "", phone: str = "") -> Person | None:
    """The person an action is from, by the import's matching rules: an email first, then a
    phone when exactly one person has it. Both must be normalised already. A merged-away
    record answers with the person it was merged into. Not scoped: public pages and webhooks
    match against everyone, and show nothing of the person they find."""
    found: Person | None = None
    if email:
        found = Person.objects.filter(emails__address=email).first()
    if found is None and phone:
        owners = list(Person.objects.filter(phones__number=phone).distinct()[:2])
        if len(owners) == 1:
            found = owners[0]
    if found is not None and found.merged_into_id is not None:
        found = Person.objects.filter(pk=survivor_id(found.pk)).first()
    return found


def survivor_id(person_id: int) -> int:
    """The record a (possibly merged-away) person id now answers as: itself, or the end of its
    chain of merges. Not scoped: the caller checks the survivor is visible."""
    current, seen = person_id, set()
    while current not in seen:
        seen.add(current)
        nxt = Person.objects.filter(pk=current).values_list("merged_into_id", flat=True).first()
        if nxt is None:
            return current
        current = nxt
    return current
