"""The compiler on a small hand-made town: each condition kind picks exactly the people it
should, on SQLite and on PostgreSQL. (The property test covers random combinations.)"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from ladder.activity.catalogue import ActivityType as T
from ladder.activity.rollups import rollups_rebuild
from ladder.activity.services import activity_record
from ladder.core.models import Role
from ladder.core.testing import make_user
from ladder.people.models import Address, Group, Person, Phone, Tag
from ladder.people.services import (
    consent_record,
    group_add_person,
    person_create,
    suppress,
    tag_add,
)
from ladder.segments.filters import FilterError, compile_definition, describe
from ladder.segments.models import ListMember, Segment, StaticList
from ladder.segments.selectors import segment_count, segment_people

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)


def ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


@pytest.fixture
def town(db) -> dict[str, Any]:
    """Six people with known facts."""
    north = Group.objects.create(name="North", slug="north")
    ana = person_create(actor=None, first_name="Ana", last_name="Ruiz", email="ana@example.org")
    ben = person_create(actor=None, first_name="Ben", last_name="Cole", email="ben@example.org")
    cy = person_create(actor=None, first_name="Cy", last_name="Ng", phone="+15155550101")
    dee = person_create(actor=None, first_name="Dee", last_name="Park")
    eve = person_create(actor=None, first_name="Eve", last_name="Stone", email="eve@example.org")
    gone = person_create(actor=None, first_name="Ana", last_name="Ruiz")
    gone.merged_into = ana
    gone.save(update_fields=["merged_into"])

    for person, region, code, lat, lon in [
        (ana, "IA", "50309", 41.59, -93.62),
        (ben, "ia ", "50310-1234", 41.60, -93.70),
        (cy, "NE", "68102", 41.26, -95.94),
        (eve, "IA", "52240", 41.66, -91.53),
    ]:
        Address.objects.create(
            person=person, region=region, postal_code=code, latitude=lat, longitude=lon
        )
    for person in (ana, ben):
        tag_add(actor=None, person=person, name="education")
    tag_add(actor=None, person=cy, name="transit")
    group_add_person(actor=None, group=north, person=ana)
    group_add_person(actor=None, group=north, person=cy)
    ana.custom_fields = {"support": "2", "dues": 12}
    ana.save(update_fields=["custom_fields"])
    ben.custom_fields = {"support": "4", "dues": "12"}
    ben.save(update_fields=["custom_fields"])

    consent_record(actor=None, person=ana, channel="email", contact_point="ana@example.org",
                   status="opt_in", source="test", by_person=True)  # fmt: skip
    consent_record(actor=None, person=ben, channel="email", contact_point="ben@example.org",
                   status="opt_out", source="test", by_person=True)  # fmt: skip
    consent_record(actor=None, person=eve, channel="email", contact_point="eve@example.org",
                   status="opt_in", source="test", by_person=True)  # fmt: skip
    Phone.objects.filter(person=cy).update(kind=Phone.Kind.MOBILE, sms_subscription="subscribed")

    gifts = [(ana, 1500, 30), (ana, 20, 400), (ben, 50, 10), (eve, 600, 100), (eve, 500, 200)]
    for person, amount, days in gifts:
        activity_record(person=person, type=T.DONATION, amount=Decimal(amount),
                        occurred_at=ago(days))  # fmt: skip
    activity_record(person=ana, type=T.EMAIL_OPENED, occurred_at=ago(5))
    activity_record(person=eve, type=T.EMAIL_OPENED, occurred_at=ago(120))
    for days in (3, 40):
        activity_record(person=ben, type=T.ATTENDANCE, occurred_at=ago(days),
                        object_type="event", object_id=7)  # fmt: skip
    activity_record(person=cy, type=T.CALL, occurred_at=ago(2), result="talked")
    activity_record(person=dee, type=T.CALL, occurred_at=ago(2), result="not_home")
    rollups_rebuild(now=NOW)
    return {"ana": ana, "ben": ben, "cy": cy, "dee": dee, "eve": eve, "gone": gone,
            "north": north}  # fmt: skip


def names(match: dict[str, Any]) -> set[str]:
    definition = {"version": 1, "match": match}
    people = Person.objects.filter(compile_definition(definition, now=NOW))
    return set(people.values_list("first_name", flat=True))


def tag(name: str) -> int:
    return Tag.objects.get(name=name).pk


def test_everyone_and_no_one(town):
    assert names({"kind": "all", "of": []}) == {"Ana", "Ben", "Cy", "Dee", "Eve"}
    assert names({"kind": "any", "of": []}) == set()
    assert names({"kind": "not", "of": {"kind": "any", "of": []}}) == {
        "Ana", "Ben", "Cy", "Dee", "Eve"
    }  # fmt: skip


def test_person_fields_and_custom_fields(town):
    assert names({"kind": "field", "field": "first_name", "op": "eq", "value": "ana"}) == {"Ana"}
    assert names({"kind": "field", "field": "last_name", "op": "in", "value": ["cole", "NG"]}) == {
        "Ben", "Cy"
    }  # fmt: skip
    assert names({"kind": "custom", "key": "support", "op": "eq", "value": "2"}) == {"Ana"}
    # ne holds for people with no value at all.
    assert names({"kind": "custom", "key": "support", "op": "ne", "value": "2"}) == {
        "Ben", "Cy", "Dee", "Eve"
    }  # fmt: skip
    # Numbers compare only with numbers: Ben's "12" is text.
    assert names({"kind": "custom", "key": "dues", "op": "gte", "value": 10}) == {"Ana"}
    assert names({"kind": "custom", "key": "support", "op": "blank"}) == {"Cy", "Dee", "Eve"}


def test_tags_groups_and_point_person(town):
    edu, transit = tag("education"), tag("transit")
    assert names({"kind": "tags", "match": "any", "tags": [edu, transit]}) == {"Ana", "Ben", "Cy"}
    assert names({"kind": "tags", "match": "all", "tags": [edu, transit]}) == set()
    assert names({"kind": "tags", "match": "none", "tags": [edu]}) == {"Cy", "Dee", "Eve"}
    north = town["north"].pk
    assert names({"kind": "groups", "match": "any", "groups": [north]}) == {"Ana", "Cy"}
    assert names({"kind": "point_person", "users": []}) == {"Ana", "Ben", "Cy", "Dee", "Eve"}


def test_geography(town):
    assert names({"kind": "address", "field": "region", "values": ["ia"]}) == {"Ana", "Ben", "Eve"}
    assert names({"kind": "postal_code", "codes": ["50310"], "prefixes": []}) == {"Ben"}
    assert names({"kind": "postal_code", "codes": [], "prefixes": ["503"]}) == {"Ana", "Ben"}
    # Des Moines: Ana (0 km) and Ben (~7 km), not Iowa City (~175 km) or Omaha.
    assert names({"kind": "near", "lat": 41.59, "lon": -93.62, "km": 10}) == {"Ana", "Ben"}


def test_reachability_and_consent(town):
    assert names({"kind": "reachable", "channel": "email"}) == {"Ana", "Eve"}
    assert names({"kind": "unsubscribed", "channel": "email"}) == {"Ben"}
    assert names({"kind": "reachable", "channel": "sms"}) == {"Cy"}
    assert names({"kind": "reachable", "channel": "phone"}) == {"Cy"}
    suppress(actor=None, channel="email", contact_point="eve@example.org", reason="complaint")
    assert names({"kind": "reachable", "channel": "email"}) == {"Ana"}


def test_activity_thresholds(town):
    gave_over_1000 = {"kind": "activity", "types": ["donation"], "days": 365,
                      "measure": "sum", "op": "gt", "value": 1000}  # fmt: skip
    assert names(gave_over_1000) == {"Ana", "Eve"}
    no_open_90 = {"kind": "activity", "types": ["email_opened"], "days": 90, "op": "eq",
                  "value": 0}  # fmt: skip
    assert names(no_open_90) == {"Ben", "Cy", "Dee", "Eve"}
    two_events = {"kind": "activity", "types": ["attendance"], "op": "gte", "value": 2,
                  "object": {"type": "event", "id": 7}}  # fmt: skip
    assert names(two_events) == {"Ben"}
    # sum below a threshold includes people who never gave (their sum is 0)...
    assert names({"kind": "activity", "types": ["donation"], "measure": "sum", "op": "lt",
                  "value": 100}) == {"Ben", "Cy", "Dee"}  # fmt: skip
    # ...but the smallest gift of someone who never gave has no value.
    assert names({"kind": "activity", "types": ["donation"], "measure": "min", "op": "lt",
                  "value": 100}) == {"Ana", "Ben"}  # fmt: skip
    talked = {"kind": "activity", "types": ["call"], "days": 7, "results": ["talked"]}
    assert names(talked) == {"Cy"}
    window = {"kind": "activity", "types": ["donation"], "from": "2026-05-01", "to": "2026-06-30"}
    assert names(window) == {"Ana", "Ben"}


def test_rollup_stats(town):
    assert names({"kind": "stat", "field": "given_365d", "op": "gt", "value": 1000}) == {
        "Ana", "Eve"
    }  # fmt: skip
    # No stats row counts as 0, so "given at most 100" includes people who never gave.
    assert names({"kind": "stat", "field": "given_total", "op": "lte", "value": 100}) == {
        "Ben", "Cy", "Dee"
    }  # fmt: skip
    assert names({"kind": "stat", "field": "last_contact_at", "op": "within_days", "value": 7}) == {
        "Cy", "Dee"
    }  # fmt: skip
    assert names({"kind": "stat", "field": "last_open_at", "op": "never"}) == {"Ben", "Cy", "Dee"}


def test_segments_lists_and_samples(town):
    edu = Segment.objects.create(
        name="Education",
        definition={
            "version": 1,
            "match": {"kind": "tags", "match": "any", "tags": [tag("education")]},
        },
    )
    assert names({"kind": "segment", "id": edu.pk}) == {"Ana", "Ben"}
    shortlist = StaticList.objects.create(name="Shortlist")
    ListMember.objects.create(static_list=shortlist, person=town["dee"])
    assert names({"kind": "list", "id": shortlist.pk}) == {"Dee"}
    everyone = {"kind": "sample", "percent": 100, "seed": 3}
    assert len(names(everyone)) == 5
    assert names({"kind": "sample", "percent": 0, "seed": 3}) == set()
    half = names({"kind": "sample", "percent": 50, "seed": 9})
    assert half == names({"kind": "sample", "percent": 50, "seed": 9})  # deterministic


def test_a_segment_that_includes_itself_is_an_error(town):
    loop = Segment.objects.create(
        name="Loop", definition={"version": 1, "match": {"kind": "all", "of": []}}
    )
    loop.definition = {"version": 1, "match": {"kind": "segment", "id": loop.pk}}
    loop.save()
    with pytest.raises(FilterError, match="includes itself"):
        names({"kind": "segment", "id": loop.pk})


def test_top_level_sample_is_drawn_from_what_the_user_sees(town):
    staff = make_user("staff", role=Role.STAFF)
    leader = make_user("lead", role=Role.LEADER)
    town["north"].leaders.add(leader)
    definition = {
        "version": 1,
        "match": {"kind": "all", "of": []},
        "sample": {"size": 1, "seed": 0},
    }
    assert segment_count(staff, definition, now=NOW) == 1
    picked = segment_people(leader, definition, now=NOW)
    assert picked.count() == 1
    assert picked.get().pk in {town["ana"].pk, town["cy"].pk}


def test_scoping_a_leader_counts_only_their_people(town):
    leader = make_user("lead", role=Role.LEADER)
    town["north"].leaders.add(leader)
    other = make_user("other", role=Role.LEADER)
    Group.objects.create(name="South", slug="south").leaders.add(other)
    definition = {"version": 1, "match": {"kind": "all", "of": []}}
    assert segment_count(leader, definition, now=NOW) == 2
    assert segment_count(other, definition, now=NOW) == 0


def test_describe_reads_like_a_sentence(town):
    definition = {
        "version": 1,
        "match": {"kind": "all", "of": [
            {"kind": "address", "field": "region", "values": ["IA"]},
            {"kind": "tags", "match": "any", "tags": [tag("education")]},
            {"kind": "not", "of": {
                "kind": "stat", "field": "given_365d", "op": "gt", "value": 1000,
            }},
        ]},
    }  # fmt: skip
    assert describe(definition) == (
        "In region IA, tagged education, minus given in the last 365 days more than $1,000"
    )


@pytest.mark.parametrize(
    ("definition", "path"),
    [
        ({"version": 2, "match": {"kind": "all", "of": []}}, "version"),
        ({"version": 1, "match": {"kind": "wat"}}, "match.kind"),
        (
            {
                "version": 1,
                "match": {"kind": "stat", "field": "given_365d", "op": "gt", "value": "lots"},
            },
            "match.value",
        ),
        (
            {
                "version": 1,
                "match": {"kind": "all", "of": [{"kind": "tags", "match": "any", "tags": []}]},
            },
            "match.of[0].tags",
        ),
    ],
)
def test_bad_definitions_name_the_place(definition, path):
    with pytest.raises(FilterError) as error:
        compile_definition(definition)
    assert error.value.path == path
