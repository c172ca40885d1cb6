"""What rendering needs to know about recipients, loaded a batch at a time.

A batch of a few hundred people costs one query per kind of data the template reads (names
always; tags, rungs, groups and addresses only when it uses them), never one per person.
"""

from __future__ import annotations

from collections import defaultdict

from ladder.ladders.models import RungPlacement
from ladder.mailings.merge import Needs, Recipient
from ladder.people.models import Address, Membership, Person, Tagging

EVERYTHING = Needs(tags=True, rungs=True, groups=True, address=True)


def recipients_load(emails: dict[int, str], needs: Needs = EVERYTHING) -> dict[int, Recipient]:
    """``emails`` maps person id → the address the message goes to."""
    ids = list(emails)
    tags: dict[int, set[str]] = defaultdict(set)
    rungs: dict[int, list[tuple[int, str]]] = defaultdict(list)
    groups: dict[int, set[str]] = defaultdict(set)
    places: dict[int, tuple[str, str, str]] = {}
    if needs.tags:
        for pid, name in Tagging.objects.filter(person_id__in=ids).values_list(
            "person_id", "tag__name"
        ):
            tags[pid].add(name.lower())
    if needs.rungs:
        for pid, position, name in (
            RungPlacement.objects.filter(person_id__in=ids)
            .order_by("ladder__position", "ladder_id")
            .values_list("person_id", "ladder__position", "rung__name")
        ):
            rungs[pid].append((position, name))
    if needs.groups:
        for pid, name in Membership.objects.filter(person_id__in=ids).values_list(
            "person_id", "group__name"
        ):
            groups[pid].add(name)
    if needs.address:
        for pid, city, region, postal in (
            Address.objects.filter(person_id__in=ids)
            .order_by("person_id", "is_primary", "id")
            .values_list("person_id", "locality", "region", "postal_code")
        ):
            places[pid] = (city, region, postal)  # the last one wins: the primary
    home: dict[int, str] = {}
    out: dict[int, Recipient] = {}
    for pid, first, last, group in Person.objects.filter(pk__in=ids).values_list(
        "pk", "first_name", "last_name", "home_group__name"
    ):
        home[pid] = group or ""
        city, region, postal = places.get(pid, ("", "", ""))
        ladder_rungs = rungs.get(pid, [])
        out[pid] = Recipient(
            first_name=first,
            last_name=last,
            email=emails[pid],
            city=city,
            state=region,
            zip=postal,
            group=home[pid] or next(iter(sorted(groups.get(pid, ()))), ""),
            rung=ladder_rungs[0][1] if ladder_rungs else "",
            tags=frozenset(tags.get(pid, ())),
            rungs=frozenset(name.lower() for _, name in ladder_rungs),
            groups=frozenset(g.lower() for g in groups.get(pid, set()) | {home[pid]} if g),
        )
    return out


def recipient_for(person: Person | None, *, email: str = "") -> Recipient:
    """One recipient, for previews and test sends (a blank one shows every fallback)."""
    if person is None:
        return Recipient(email=email)
    address = email or next(iter(person.emails.values_list("address", flat=True)), "")
    return recipients_load({person.pk: address})[person.pk]
