"""What reached a merge's survivor after the merge through the merged record's contact points,
so that an unmerge takes it back with them (`ladder.identity.merging.merge_undo`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import models
from django.db.models import Q

from ladder.activity.models import Activity
from ladder.identity.models import Merge, SocialEngagement
from ladder.mailings.models import Delivery
from ladder.people.models import EmailAddress, ExternalId, Person


def arrivals(merge: Merge, survivor: Person) -> dict[str, list[int]]:
    """What reached the survivor after the merge through one of the merged record's contact
    points: the mail sent to its email addresses (with their opens and clicks), and social
    engagement matched by its handles or email addresses. It goes back with them."""
    addresses = list(
        EmailAddress.objects.filter(pk__in=merge.moved.get("people.EmailAddress.person", []))
        .values_list("address", flat=True)
    )  # fmt: skip
    handles = list(
        ExternalId.objects.filter(pk__in=merge.moved.get("people.ExternalId.person", []),
                                  system__startswith="social:").values_list("system", "value")
    )  # fmt: skip
    found: dict[str, list[int]] = {}

    def add(key: str, ids: Iterable[int]) -> None:
        found.setdefault(key, []).extend(ids)

    deliveries = Delivery.objects.filter(person=survivor, email__in=addresses)
    deliveries = deliveries.filter(pk__gt=last_before(Delivery, merge.merged_at))
    mailings = set(deliveries.values_list("mailing_id", flat=True)) if addresses else set()
    if mailings:
        add("mailings.Delivery.person", deliveries.values_list("pk", flat=True))
        add("activity.Activity.person", Activity.objects.filter(
            person=survivor, object_type="mailing", object_id__in=mailings,
            created_at__gt=merge.merged_at,
        ).values_list("pk", flat=True))  # fmt: skip
    social = _social_arrivals(merge, survivor, addresses, handles)
    if social:
        add("identity.SocialEngagement.person", (pk for pk, _ in social))
        add("activity.Activity.person", (a for _, a in social if a is not None))
    return found


def _social_arrivals(
    merge: Merge, survivor: Person, addresses: list[str], handles: list[tuple[str, str]]
) -> list[tuple[int, int | None]]:
    if not addresses and not handles:
        return []
    by = Q(email__in=addresses, matched_by=SocialEngagement.MatchedBy.EMAIL)
    for system, value in handles:
        by |= Q(platform=system.removeprefix("social:"), handle=value,
                matched_by=SocialEngagement.MatchedBy.HANDLE)  # fmt: skip
    rows = SocialEngagement.objects.filter(by, person=survivor, created_at__gt=merge.merged_at)
    return list(rows.values_list("pk", "activity_id"))


def last_before(model: type[models.Model], moment: dt.datetime) -> int:
    """The highest id of ``model`` written before ``moment`` (ids grow with time)."""
    if not any(f.name == "created_at" for f in model._meta.fields):
        return 0
    last = (
        model._default_manager.filter(created_at__lte=moment)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    return int(last or 0)


__all__ = ["arrivals", "last_before"]
