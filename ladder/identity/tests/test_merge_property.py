"""Property: merging any two records and undoing the merge gives back both records — their row,
their contact points, activities, tags, groups, relationships, recruits — and the consent of
every contact point, exactly; the ledger keeps every line it had."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ladder.activity.catalogue import ActivityType as T
from ladder.activity.services import activity_record
from ladder.identity.merging import CHOSEN_FIELDS, merge_undo, person_merge
from ladder.identity.tests.state import ledger, person_state
from ladder.people.models import (
    Channel,
    ConsentEvent,
    EmailAddress,
    ExternalId,
    Group,
    Person,
    Phone,
    Relationship,
)
from ladder.people.services import consent_record, group_add_person, person_create, tag_add

pytestmark = pytest.mark.django_db
NOW = timezone.now()
NAMES = ["Ana", "Annie", "Bo", ""]
NUMBERS = ["+15155550101", "+15155550102", "+15155550103"]  # shared numbers happen
TYPES = [T.RSVP, T.PETITION_SIGNATURE, T.DONATION, T.CALL, T.EMAIL_OPENED]

person_plan = st.fixed_dictionaries({
    "first": st.sampled_from(NAMES), "last": st.sampled_from(["Lopez", ""]),
    "employer": st.sampled_from(["", "Schools"]), "emails": st.integers(0, 2),
    "phones": st.lists(st.sampled_from(NUMBERS), max_size=2, unique=True),
    "tags": st.sets(st.sampled_from(["rent", "transit", "water"])),
    "groups": st.sets(st.integers(0, 1)), "acts": st.lists(st.sampled_from(TYPES), max_size=3),
    "custom": st.dictionaries(st.sampled_from(["issue", "score"]), st.sampled_from(["a", "b"])),
    "consent": st.lists(st.tuples(st.sampled_from(["email", "sms", "phone"]), st.booleans(),
                                  st.booleans()), max_size=3),
    "external": st.booleans(),
})  # fmt: skip


def _build(plans: list[dict[str, Any]], links: dict[str, Any]) -> list[Person]:
    groups = [Group.objects.create(name=f"G{n}", slug=f"g{n}") for n in range(2)]
    people = []
    for n, plan in enumerate(plans):
        person = person_create(actor=None, first_name=plan["first"], last_name=plan["last"],
                               employer=plan["employer"])  # fmt: skip
        person.custom_fields = plan["custom"]
        person.save(update_fields=["custom_fields"])
        for k in range(plan["emails"]):
            EmailAddress.objects.create(person=person, address=f"p{n}.{k}@example.org",
                                        is_primary=k == 0)  # fmt: skip
        for number in plan["phones"]:
            Phone.objects.create(person=person, number=number)
        for tag in plan["tags"]:
            tag_add(actor=None, person=person, name=tag)
        for g in plan["groups"]:
            group_add_person(actor=None, group=groups[g], person=person)
        for k, kind in enumerate(plan["acts"]):
            activity_record(person=person, type=kind, occurred_at=NOW - dt.timedelta(days=k + 1))
        if plan["external"]:
            ExternalId.objects.create(person=person, system="van", value=f"V{n}")
        people.append(person)
    for n, plan in enumerate(plans):
        person = people[n]
        for k, (channel, opt_in, by_person) in enumerate(plan["consent"]):
            points = (
                list(person.emails.values_list("address", flat=True))  # type: ignore[attr-defined]
                if channel == "email"
                else list(person.phones.values_list("number", flat=True))  # type: ignore[attr-defined]
            )
            if points:
                consent_record(
                    actor=None, person=person, channel=Channel(channel),
                    contact_point=points[k % len(points)],
                    status=ConsentEvent.Status.OPT_IN if opt_in else ConsentEvent.Status.OPT_OUT,
                    source="test", by_person=by_person,
                    occurred_at=NOW - dt.timedelta(hours=10 - k),
                )  # fmt: skip
    if links["recruit"] is not None:
        recruit, recruiter = links["recruit"]
        if recruit != recruiter:
            Person.objects.filter(pk=people[recruit].pk).update(recruited_by=people[recruiter])
    for knower, known in links["knows"]:
        if knower != known:
            Relationship.objects.get_or_create(knower=people[knower], person=people[known])
    return people


@settings(
    max_examples=int(os.environ.get("LADDER_PROPERTY_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    plans=st.lists(person_plan, min_size=3, max_size=3),
    links=st.fixed_dictionaries(
        {
            "recruit": st.none() | st.tuples(st.integers(0, 2), st.integers(0, 2)),
            "knows": st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2)), max_size=3),
        }
    ),
    pair=st.sampled_from([(0, 1), (1, 0), (0, 2), (2, 1)]),
    choices=st.dictionaries(
        st.sampled_from(CHOSEN_FIELDS[:8]), st.sampled_from(["survivor", "merged"])
    ),
)
def test_merge_then_unmerge_restores_everything(staff_user, plans, links, pair, choices) -> None:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        people = _build(plans, links)
        before = [person_state(p.pk) for p in people]
        ledger_before = ledger()
        survivor, merged = people[pair[0]], people[pair[1]]
        merge = person_merge(actor=staff_user, survivor=survivor, merged=merged, choices=choices)
        merge_undo(actor=staff_user, merge=merge)
        after = [person_state(p.pk) for p in people]
        for n, (was, now) in enumerate(zip(before, after, strict=True)):
            assert now == was, f"person {n} differs after the unmerge"
        assert ledger()[: len(ledger_before)] == ledger_before
        transaction.set_rollback(True)
