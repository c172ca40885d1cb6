"""Hypothesis strategies for the filter-language property test: small datasets and filter trees.

A dataset is plain data (`DatasetSpec`, made by `random_dataset` from a drawn seed), written with
bulk inserts by `build()` — which then rebuilds the rollups and engagement scores the way
production does — and returns a `World` of the real ids (people, tags, groups, users, ladders,
lists, segments). Trees are drawn by Hypothesis against
the world and a `reference.Snapshot`, so that their values often match someone: existing tag
ids, the names, regions and postal codes people have, thresholds next to real amounts and
rollup values, date bounds on the very days activities happened.

Everything is relative to the fixed `NOW`. Times carry a random minute of the day, so that many
fall on a different calendar day in UTC than where the organization is (America/Chicago), and
none sits exactly on a "N days ago" boundary (the spec does not say whether that instant is in).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import BigIntegerField, Case, DateTimeField, Value, When
from hypothesis import strategies as st

from ladder.activity.models import Activity
from ladder.activity.rollups import rollups_rebuild
from ladder.core.models import Role, User
from ladder.ladders.models import Ladder, Rung, RungPlacement
from ladder.ladders.scoring import scores_recompute
from ladder.people.models import (
    Address,
    EmailAddress,
    Group,
    Membership,
    Person,
    Phone,
    Relationship,
    Suppression,
    Tag,
    Tagging,
)
from ladder.people.normalize import address_hash
from ladder.segments.models import ListMember, Segment, StaticList
from ladder.segments.tests.reference import (
    ADDRESS_FIELDS,
    STAT_NUMBERS,
    STAT_TIMES,
    Snapshot,
    _local_date,
)

NOW = dt.datetime(2026, 6, 15, 17, 30, tzinfo=dt.UTC)
TODAY = _local_date(NOW)

FIRST_NAMES = ["Ana", "ana", "Bo", "José", "Li", "Mary-Jo", "O'Neil", ""]
LAST_NAMES = ["Nguyen", "NGUYEN", "Smith", "Okafor", "de la Cruz", ""]
MIDDLE_NAMES = ["", "", "Q", "Lee"]
SOURCES = ["", "petition", "Petition", "import #1", "web"]
LANGUAGES = ["", "en", "es", "en,es"]
EMPLOYERS = ["", "Acme", "ACME Corp", "50% Off_Co", "school board"]
OCCUPATIONS = ["", "teacher", "Teacher", "nurse"]
# At least a week apart, so birthdate windows can avoid their edges (see _birthdate_days).
BIRTHDATES = [
    dt.date(1950, 1, 1),
    dt.date(1971, 3, 4),
    dt.date(1985, 6, 15),
    dt.date(1999, 12, 31),
    dt.date(2008, 7, 4),
    dt.date(2026, 5, 20),
]
TEAM_VALUES = ["Red", "red", "Blue", "", "green team"]
SCORE_VALUES: list[int | float] = [-3, 0, 2, 2.5, 10, 100]

REGIONS = ["IA", "ia ", "NE", "Il"]
LOCALITIES = ["Des Moines", "des moines", "Ames", " Omaha"]
COUNTIES = ["Polk", "POLK", "Story", ""]
COUNTRIES = ["US", "us", "CA"]
DISTRICTS = ["IA-3", "IA-4", "NE-2", ""]
PRECINCTS = ["P1", "p1", "P22", ""]
POSTAL_CODES = ["50309", "50309-1234", "50310", "50311", "68102", "5031", "A1B 2C3", ""]
CENTRES = [(41.59, -93.62), (41.26, -95.93)]
STATUSES = ["active", "active", "active", "inactive"]
CONTACT_STATUSES = ["active", "active", "active", "bouncing", "invalid"]
SUBSCRIPTIONS = ["unknown", "subscribed", "subscribed", "unsubscribed"]
PHONE_NUMBERS = ["+15155550101", "+15155550102", "+15155550103", "+14025550104", "+13125550105"]

ACTIVITY_TYPES = [
    "email_opened",
    "email_clicked",
    "donation",
    "donation_refund",
    "attendance",
    "rsvp",
    "call",
    "door_knock",
    "shift_completed",
    "petition_signature",
    "text",
]
AMOUNT_TYPES = {"donation", "donation_refund"}
RESULT_TYPES = {"call", "door_knock", "text"}
RESULTS = ["talked", "not_home", "left_message", ""]
AMOUNTS = [Decimal("5"), Decimal("25"), Decimal("100"), Decimal("1000.50"), Decimal("1500")]
OBJECTS: list[tuple[str, int | None]] = [("", None), ("event", 1), ("event", 2), ("mailing", 1)]

TAGS, GROUPS, USERS = 4, 3, 3

# While hunting, known compiler bugs can be stepped around to find the next one:
# LADDER_PROPERTY_AVOID=fraction,empty_all. Empty in CI. fraction: a fractional value compared
# with a whole-number measure by eq (activity count, integer stats) or, when negative, by gt/lte
# (integer stats); empty_all: an empty "all" (everyone) among the members of an "any".
AVOID = set(filter(None, os.environ.get("LADDER_PROPERTY_AVOID", "").split(",")))


# ---------------------------------------------------------------------------------------------
# Datasets


@dataclass
class PersonSpec:
    first_name: str
    middle_name: str
    last_name: str
    source: str
    languages: str
    employer: str
    occupation: str
    birthdate: dt.date | None
    created_at: dt.datetime
    custom_fields: dict[str, Any]
    point_person: int | None  # index into users
    recruited_by: int | None  # index into people
    tags: set[int]
    groups: set[int]
    addresses: list[dict[str, Any]]
    emails: list[dict[str, Any]]
    phones: list[dict[str, Any]]
    activities: list[dict[str, Any]]
    placements: dict[int, int]  # ladder index -> rung index


@dataclass
class DatasetSpec:
    people: list[PersonSpec]
    merged: dict[int, int]  # person index -> index of the person they were merged into
    lists: list[set[int]]  # person indexes
    seed: int = 0  # what `random_dataset` made it from
    # person index -> user index: whose login a person is (person 0 is always user 0's)
    logins: dict[int, int] = field(default_factory=lambda: {0: 0})
    knows: set[tuple[int, int]] = field(default_factory=set)  # (knower, person) indexes


@dataclass
class World:
    """The real ids of what `build` wrote."""

    people: list[int]
    tags: list[int]
    groups: list[int]
    users: list[int]
    ladders: list[list[int]]  # per ladder, rung ids bottom to top
    ladder_ids: list[int]
    lists: list[int]
    segments: list[int] = field(default_factory=list)


# Datasets come from one drawn seed through `random.Random`, not from hundreds of Hypothesis
# draws: that is ten times faster, and a dataset shrinks badly anyway (minutes for little gain).
# Trees are drawn by Hypothesis against the built data, and they shrink well. A failure prints
# the rows of the people the two sides disagree on.


def _address(rng: random.Random) -> dict[str, Any]:
    lat: float | None = None
    lon: float | None = None
    if rng.random() < 0.8:
        lat, lon = rng.choice(CENTRES)
        lat, lon = lat + rng.uniform(-0.3, 0.3), lon + rng.uniform(-0.3, 0.3)
    return {
        "region": rng.choice(REGIONS),
        "locality": rng.choice(LOCALITIES),
        "county": rng.choice(COUNTIES),
        "country": rng.choice(COUNTRIES),
        "congressional_district": rng.choice(DISTRICTS),
        "state_upper_district": rng.choice(["12", "7", ""]),
        "state_lower_district": rng.choice(["24", "13", ""]),
        "precinct": rng.choice(PRECINCTS),
        "postal_code": rng.choice(POSTAL_CODES),
        "latitude": lat,
        "longitude": lon,
        "status": rng.choice(STATUSES),
    }


def _email(rng: random.Random) -> dict[str, Any]:
    return {
        "status": rng.choice(CONTACT_STATUSES),
        "subscription": rng.choice(SUBSCRIPTIONS),
        "suppressed": rng.random() < 0.2,
    }


def _phone(rng: random.Random, number: str) -> dict[str, Any]:
    return {
        "number": number,
        "kind": rng.choice(["mobile", "mobile", "home", "other"]),
        "do_not_call": rng.random() < 0.3,
        "sms_subscription": rng.choice(SUBSCRIPTIONS),
        "status": rng.choice(CONTACT_STATUSES),
        "suppress": rng.choice([(), (), (), ("sms",), ("phone",)]),
    }


def _moment(rng: random.Random) -> dt.datetime:
    """Whole days before NOW and then some minutes more: never exactly on an "N days" edge."""
    days = rng.choice([rng.randint(0, 40), rng.randint(0, 730)])
    return NOW - dt.timedelta(days=days, minutes=rng.randint(1, 1439), seconds=17)


def _activity(rng: random.Random) -> dict[str, Any]:
    kind = rng.choice(ACTIVITY_TYPES)
    object_type, object_id = rng.choice(OBJECTS)
    amount = rng.choice(AMOUNTS) if kind in AMOUNT_TYPES and rng.random() < 0.85 else None
    return {
        "type": kind,
        "occurred_at": _moment(rng),
        "object_type": object_type,
        "object_id": object_id,
        "amount": amount,
        "result": rng.choice(RESULTS) if kind in RESULT_TYPES else "",
        # Calls and door knocks made by user 0, whose login is person 0: calls_made, doors_knocked.
        "by_volunteer": kind in {"call", "door_knock"} and rng.random() < 0.5,
    }


def _custom_fields(rng: random.Random) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if rng.random() < 0.7:
        values["team"] = rng.choice(TEAM_VALUES)
    if rng.random() < 0.7:
        values["score"] = rng.choice(SCORE_VALUES)
    if rng.random() < 0.5:
        values["shirt"] = rng.choice(["S", "M", "L"])
    return values


def _maybe(rng: random.Random, value: Any, p: float = 0.5) -> Any:
    return value if rng.random() < p else None


def _person(rng: random.Random, index: int) -> PersonSpec:
    placements = {}
    if rng.random() < 0.6:
        placements[0] = rng.randint(0, 2)
    if rng.random() < 0.4:
        placements[1] = rng.randint(0, 1)
    return PersonSpec(
        first_name=rng.choice(FIRST_NAMES),
        middle_name=rng.choice(MIDDLE_NAMES),
        last_name=rng.choice(LAST_NAMES),
        source=rng.choice(SOURCES),
        languages=rng.choice(LANGUAGES),
        employer=rng.choice(EMPLOYERS),
        occupation=rng.choice(OCCUPATIONS),
        birthdate=_maybe(rng, rng.choice(BIRTHDATES), 0.7),
        created_at=_moment(rng),
        custom_fields=_custom_fields(rng),
        point_person=_maybe(rng, rng.randrange(USERS)),
        recruited_by=_maybe(rng, rng.randrange(index), 0.3) if index else None,
        tags=set(rng.sample(range(TAGS), rng.randint(0, 3))),
        groups=set(rng.sample(range(GROUPS), rng.randint(0, 2))),
        addresses=[_address(rng) for _ in range(rng.randint(0, 2))],
        emails=[_email(rng) for _ in range(rng.randint(0, 2))],
        phones=[_phone(rng, n) for n in rng.sample(PHONE_NUMBERS, rng.randint(0, 2))],
        activities=[_activity(rng) for _ in range(rng.choice([0, 1, 2, 3, 4, 5, 6, 8]))],
        placements=placements,
    )


def random_dataset(seed: int, min_people: int = 5, max_people: int = 20) -> DatasetSpec:
    rng = random.Random(seed)
    count = rng.randint(min_people, max_people)
    people = [_person(rng, i) for i in range(count)]
    merged: dict[int, int] = {}
    for _ in range(rng.randint(0, 2)):
        # Never person 0, whose login made the volunteer calls.
        loser, winner = rng.randrange(1, count), rng.randrange(count)
        if winner != loser and winner not in merged:
            merged[loser] = winner
    lists = [set(rng.sample(range(count), rng.randint(0, count))) for _ in range(2)]
    logins, knows = _relationships(rng, count, merged)
    return DatasetSpec(
        people=people, merged=merged, lists=lists, seed=seed, logins=logins, knows=knows
    )


def _relationships(
    rng: random.Random, count: int, merged: dict[int, int]
) -> tuple[dict[int, int], set[tuple[int, int]]]:
    """Who has a login (person 0, and now and then users 1 and 2 too) and who knows whom.

    Knowers are mostly people with a login — in no group, one or two, as their own spec drew
    them — and sometimes people without one, who do not count. The people they know may be
    merged away. A knower with a login is never merged away (the spec does not say whether
    such a knower counts) and nobody knows themselves (a volunteer's contacts leave out their
    own record)."""
    logins = {0: 0}
    free = [i for i in range(1, count) if i not in merged]
    for user in range(1, USERS):
        if free and rng.random() < 0.6:
            logins[free.pop(rng.randrange(len(free)))] = user
    knowers = list(logins)
    knows: set[tuple[int, int]] = set()
    for person in range(count):
        for _ in range(rng.choice([0, 0, 1, 1, 2])):
            knower = rng.choice(knowers) if rng.random() < 0.75 else rng.randrange(count)
            if knower != person:
                knows.add((knower, person))
    return logins, knows


def datasets(min_people: int = 5, max_people: int = 20) -> st.SearchStrategy[DatasetSpec]:
    return st.integers(0, 2**32 - 1).map(lambda seed: random_dataset(seed, min_people, max_people))


@dataclass
class Fixed:
    """What every dataset shares and the test creates once: tags, groups, users (user 0 is
    person 0's login; users 1 and 2 are sometimes someone's), and two ladders of 3 and 2 rungs."""

    tags: list[int]
    groups: list[int]
    users: list[int]
    ladders: list[list[int]]  # per ladder, rung ids bottom to top
    ladder_ids: list[int]


def build_fixed() -> Fixed:
    tags = Tag.objects.bulk_create([Tag(name=f"prop tag {i}") for i in range(TAGS)])
    groups = Group.objects.bulk_create(
        [Group(name=f"Prop group {i}", slug=f"prop-group-{i}") for i in range(GROUPS)]
    )
    users = User.objects.bulk_create(
        [User(username=f"prop-user-{i}", role=Role.VOLUNTEER) for i in range(USERS)]
    )
    ladders: list[list[int]] = []
    ladder_ids: list[int] = []
    for n, rungs in enumerate((3, 2)):
        ladder = Ladder.objects.create(name=f"Ladder {n}", slug=f"prop-ladder-{n}", position=n)
        ladder_ids.append(ladder.pk)
        made = Rung.objects.bulk_create(
            [
                Rung(
                    ladder=ladder,
                    position=p + 1,
                    name=f"Rung {p + 1}",
                    criteria={"version": 1, "match": {"kind": "all", "of": []}},
                )
                for p in range(rungs)
            ]
        )
        ladders.append([r.pk for r in made])
    return Fixed(
        tags=[t.pk for t in tags],
        groups=[g.pk for g in groups],
        users=[u.pk for u in users],
        ladders=ladders,
        ladder_ids=ladder_ids,
    )


def _set_each(ids: list[int], column: str, values: dict[int, Any], output: Any) -> None:
    """One UPDATE that gives each person (by index) their own value of ``column``."""
    if values:
        whens = [When(pk=ids[i], then=Value(v)) for i, v in values.items()]
        Person.objects.filter(pk__in=[ids[i] for i in values]).update(
            **{column: Case(*whens, output_field=output)}
        )


def build(spec: DatasetSpec, fixed: Fixed, now: dt.datetime = NOW) -> World:
    """Write the dataset with bulk inserts, rebuild the rollups as of ``now``; return the ids."""
    users = fixed.users
    people = Person.objects.bulk_create(
        [
            Person(
                first_name=p.first_name,
                middle_name=p.middle_name,
                last_name=p.last_name,
                sort_name=f"{p.last_name} {p.first_name}".strip().lower(),
                source=p.source,
                languages=p.languages,
                employer=p.employer,
                occupation=p.occupation,
                birthdate=p.birthdate,
                custom_fields=p.custom_fields,
                point_person_id=users[p.point_person] if p.point_person is not None else None,
                user_id=users[spec.logins[i]] if i in spec.logins else None,
            )
            for i, p in enumerate(spec.people)
        ]
    )
    ids = [p.pk for p in people]
    # created_at is auto_now_add: set the drawn moments afterwards.
    _set_each(
        ids, "created_at", dict(enumerate(p.created_at for p in spec.people)), DateTimeField()
    )
    recruiters = {
        i: ids[p.recruited_by] for i, p in enumerate(spec.people) if p.recruited_by is not None
    }
    _set_each(ids, "recruited_by_id", recruiters, BigIntegerField())
    _set_each(ids, "merged_into_id", {i: ids[w] for i, w in spec.merged.items()}, BigIntegerField())
    tags, groups = fixed.tags, fixed.groups
    ladders, ladder_ids = fixed.ladders, fixed.ladder_ids

    Tagging.objects.bulk_create(
        [
            Tagging(person_id=ids[i], tag_id=tags[t])
            for i, p in enumerate(spec.people)
            for t in p.tags
        ]
    )
    Membership.objects.bulk_create(
        [
            Membership(person_id=ids[i], group_id=groups[g])
            for i, p in enumerate(spec.people)
            for g in p.groups
        ]
    )
    Relationship.objects.bulk_create(
        [Relationship(knower_id=ids[k], person_id=ids[p]) for k, p in sorted(spec.knows)]
    )
    Address.objects.bulk_create(
        [Address(person_id=ids[i], **a) for i, p in enumerate(spec.people) for a in p.addresses]
    )
    suppressions: set[tuple[str, str]] = set()
    emails = []
    for i, p in enumerate(spec.people):
        for j, e in enumerate(p.emails):
            address = f"p{i}.{j}@example.org"
            emails.append(
                EmailAddress(
                    person_id=ids[i],
                    address=address,
                    status=e["status"],
                    subscription=e["subscription"],
                    is_primary=j == 0,
                )
            )
            if e["suppressed"]:
                suppressions.add(("email", address_hash("email", address)))
    EmailAddress.objects.bulk_create(emails)
    phones = []
    for i, p in enumerate(spec.people):
        for j, ph in enumerate(p.phones):
            phones.append(
                Phone(
                    person_id=ids[i],
                    number=ph["number"],
                    kind=ph["kind"],
                    do_not_call=ph["do_not_call"],
                    sms_subscription=ph["sms_subscription"],
                    status=ph["status"],
                    is_primary=j == 0,
                )
            )
            for channel in ph["suppress"]:
                suppressions.add((channel, address_hash(channel, ph["number"])))
    Phone.objects.bulk_create(phones)
    Suppression.objects.bulk_create(
        [Suppression(channel=c, address_hash=h, reason="test") for c, h in sorted(suppressions)]
    )
    Activity.objects.bulk_create(
        [
            Activity(
                person_id=ids[i],
                type=a["type"],
                occurred_at=a["occurred_at"],
                channel="web",
                direction="in",
                actor_id=users[0] if a["by_volunteer"] else None,
                object_type=a["object_type"],
                object_id=a["object_id"],
                amount=a["amount"],
                result=a["result"],
                idempotency_key=uuid.uuid4().hex,
            )
            for i, p in enumerate(spec.people)
            for a in p.activities
        ]
    )
    RungPlacement.objects.bulk_create(
        [
            RungPlacement(
                person_id=ids[i],
                ladder_id=ladder_ids[ladder],
                rung_id=ladders[ladder][rung],
                since=now,
            )
            for i, p in enumerate(spec.people)
            for ladder, rung in p.placements.items()
        ]
    )
    list_ids = []
    for n, members in enumerate(spec.lists):
        static = StaticList.objects.create(name=f"List {n}", size=len(members))
        ListMember.objects.bulk_create(
            [ListMember(static_list=static, person_id=ids[m]) for m in sorted(members)]
        )
        list_ids.append(static.pk)
    # The rollups fold only activities older than a few seconds (their "settled" rule) and the
    # bulk insert stamped these with the wall clock, which is after the fixed NOW: age them.
    Activity.objects.filter(person_id__in=ids).update(created_at=now - dt.timedelta(hours=1))
    # PersonStats from the log, the way production builds them, so they are consistent.
    rollups_rebuild(now=now)
    scores_recompute(now=now)
    return World(
        people=ids,
        tags=tags,
        groups=groups,
        users=users,
        ladders=ladders,
        ladder_ids=ladder_ids,
        lists=list_ids,
    )


def save_segment(definition: dict[str, Any], world: World) -> int:
    segment = Segment.objects.create(name=f"Segment {len(world.segments)}", definition=definition)
    world.segments.append(segment.pk)
    return segment.pk


# ---------------------------------------------------------------------------------------------
# Filter trees


def _case_variant(text: str, mask: int) -> str:
    """The same text in another (ASCII) case, one bit of ``mask`` per letter. SQLite folds only
    ASCII, which the spec does not promise to fix, so accented letters keep their case."""
    return "".join(
        (c.upper() if mask >> (i % 30) & 1 else c.lower()) if c.isascii() else c
        for i, c in enumerate(text)
    )


_MASK = st.integers(0, 2**30 - 1)


@st.composite
def _text_value(draw: st.DrawFn, pool: list[str]) -> str:
    base = draw(st.sampled_from([v for v in pool if v] or ["x"]))
    return _case_variant(base, draw(_MASK))


@st.composite
def _substring(draw: st.DrawFn, pool: list[str]) -> str:
    base = draw(st.sampled_from([v for v in pool if v] or ["x"]))
    start = draw(st.integers(0, len(base) - 1))
    end = draw(st.integers(start + 1, len(base)))
    return _case_variant(base[start:end], draw(_MASK))


TEXT_POOLS = {
    "first_name": FIRST_NAMES,
    "middle_name": MIDDLE_NAMES,
    "last_name": LAST_NAMES,
    "source": SOURCES,
    "languages": LANGUAGES,
    "employer": EMPLOYERS,
    "occupation": OCCUPATIONS,
}


def _birthdate_days(day: dt.date) -> st.SearchStrategy[int]:
    # Three days either side of a real birthdate: clear of any question about the edge day.
    age = (TODAY - day).days
    return st.sampled_from([d for d in (age - 3, age + 3) if d >= 0])


@st.composite
def field_condition(draw: st.DrawFn, snap: Snapshot) -> dict[str, Any]:
    name = draw(st.sampled_from([*TEXT_POOLS, "birthdate", "created_at"]))
    if name in TEXT_POOLS:
        pool = TEXT_POOLS[name]
        op = draw(
            st.sampled_from(["eq", "ne", "in", "contains", "starts_with", "blank", "present"])
        )
        if op in ("blank", "present"):
            return {"kind": "field", "field": name, "op": op}
        if op == "in":
            value: Any = draw(st.lists(_text_value(pool), min_size=1, max_size=3))
        elif op in ("contains", "starts_with"):
            value = draw(_substring(pool))
        else:
            value = draw(_text_value(pool))
        return {"kind": "field", "field": name, "op": op, "value": value}
    op = draw(
        st.sampled_from(["before", "after", "within_days", "not_within_days", "blank", "present"])
    )
    if op in ("blank", "present"):
        return {"kind": "field", "field": name, "op": op}
    if name == "birthdate":
        day = draw(st.sampled_from(BIRTHDATES))
        if op in ("before", "after"):
            shift = draw(st.sampled_from([-1, 0, 0, 1]))
            return {
                "kind": "field",
                "field": name,
                "op": op,
                "value": (day + dt.timedelta(days=shift)).isoformat(),
            }
        return {"kind": "field", "field": name, "op": op, "value": draw(_birthdate_days(day))}
    created = [p["created_at"] for p in snap.people.values()]
    if op in ("before", "after"):
        # The very local day someone was created, or the day either side of it.
        day = _local_date(draw(st.sampled_from(created)))
        day += dt.timedelta(days=draw(st.sampled_from([-1, 0, 0, 1])))
        return {"kind": "field", "field": name, "op": op, "value": day.isoformat()}
    days = draw(st.sampled_from([0, 1, 7, 30, 90, 365, 400, 800]))
    return {"kind": "field", "field": name, "op": op, "value": days}


@st.composite
def custom_condition(draw: st.DrawFn, snap: Snapshot) -> dict[str, Any]:
    key = draw(st.sampled_from(["team", "score", "shirt", "missing_key"]))
    if key == "score":
        op = draw(st.sampled_from(["gt", "gte", "lt", "lte", "blank", "present"]))
        if op in ("blank", "present"):
            return {"kind": "custom", "key": key, "op": op}
        number = draw(st.sampled_from(SCORE_VALUES) | st.sampled_from([1, 2.4, 50]))
        return {"kind": "custom", "key": key, "op": op, "value": number}
    pool = TEAM_VALUES if key == "team" else ["S", "M", "L", "XL"]
    op = draw(st.sampled_from(["eq", "ne", "in", "contains", "blank", "present"]))
    if op in ("blank", "present"):
        return {"kind": "custom", "key": key, "op": op}
    value: str | list[str]
    if op == "in":
        value = draw(st.lists(_text_value(pool), min_size=1, max_size=3))
    elif op == "contains":
        value = draw(_substring(pool))
    else:
        value = draw(_text_value(pool))
    return {"kind": "custom", "key": key, "op": op, "value": value}


def _membership(kind: str, ids: list[int]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "kind": st.just(kind),
            "match": st.sampled_from(["any", "all", "none"]),
            kind: st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True),
        }
    )


@st.composite
def geography_condition(draw: st.DrawFn) -> dict[str, Any]:
    which = draw(st.sampled_from(["postal_code", "address", "near"]))
    if which == "postal_code":
        codes = draw(
            st.lists(
                st.sampled_from(["50309", "50310", "68102", "5031", "A1B 2C3", "50309-1234"]),
                max_size=2,
            )
        )
        prefixes = draw(
            st.lists(st.sampled_from(["503", "5030", "68", "A1B", "50309-1"]), max_size=2)
        )
        if not codes and not prefixes:
            codes = ["50309"]
        return {"kind": "postal_code", "codes": codes, "prefixes": prefixes}
    if which == "address":
        name = draw(st.sampled_from(ADDRESS_FIELDS))
        pool = {
            "region": REGIONS,
            "locality": LOCALITIES,
            "county": COUNTIES,
            "country": COUNTRIES,
            "congressional_district": DISTRICTS,
            "state_upper_district": ["12", "7"],
            "state_lower_district": ["24", "13"],
            "precinct": PRECINCTS,
        }[name]
        values = draw(
            st.lists(
                _text_value(pool).map(lambda v: v.strip())
                | _text_value(pool).map(lambda v: f" {v} "),
                min_size=1,
                max_size=2,
            )
        )
        return {"kind": "address", "field": name, "values": values}
    lat, lon = draw(st.sampled_from(CENTRES))
    return {
        "kind": "near",
        "lat": round(lat + draw(st.floats(-0.1, 0.1)), 4),
        "lon": round(lon + draw(st.floats(-0.1, 0.1)), 4),
        "km": draw(st.sampled_from([1, 5, 10, 20.5, 40])),
    }


@st.composite
def activity_condition(draw: st.DrawFn, snap: Snapshot) -> dict[str, Any]:
    c: dict[str, Any] = {"kind": "activity"}
    c["types"] = draw(st.lists(st.sampled_from(ACTIVITY_TYPES), max_size=3, unique=True))
    window = draw(st.sampled_from(["ever", "days", "from", "to", "between"]))
    moments_seen = [a["occurred_at"] for rows in snap.activities.values() for a in rows] or [NOW]

    def day() -> str:
        # The local day an activity happened, or one either side: the inclusive edges.
        base = _local_date(draw(st.sampled_from(moments_seen)))
        return (base + dt.timedelta(days=draw(st.sampled_from([-1, 0, 1])))).isoformat()

    if window == "days":
        c["days"] = draw(st.sampled_from([1, 7, 30, 90, 365, 800]))
    if window in ("from", "between"):
        c["from"] = day()
    if window in ("to", "between"):
        c["to"] = day()
    if window == "between" and c["from"] > c["to"]:
        c["from"], c["to"] = c["to"], c["from"]
    if draw(st.integers(0, 3)) == 0:
        object_type, object_id = draw(st.sampled_from(OBJECTS[1:]))
        c["object"] = {"type": object_type, "id": object_id}
    if draw(st.integers(0, 3)) == 0:
        c["results"] = draw(st.lists(st.sampled_from(RESULTS[:3]), min_size=1, max_size=2))
    measure = draw(st.sampled_from(["count", "count", "sum", "min", "max", None]))
    op = draw(st.sampled_from(["gte", "gt", "lte", "lt", "eq", None]))
    if measure in (None, "count"):
        fractions = [] if "fraction" in AVOID and op == "eq" else [0.5, 1.5]
        value: Any = draw(st.sampled_from([0, 1, 2, 3, *fractions]))
    else:
        value = draw(
            st.sampled_from([0, 5, 25, 30, 100, 1000.5, 1500, 2000])
            | st.sampled_from([float(a) for a in AMOUNTS])
        )
    if measure is not None:
        c["measure"] = measure
    if op is not None:
        c["op"] = op
    if draw(st.integers(0, 4)):
        c["value"] = value
    return c


@st.composite
def stat_condition(draw: st.DrawFn, snap: Snapshot) -> dict[str, Any]:
    name = draw(st.sampled_from([*STAT_NUMBERS, *STAT_TIMES]))
    if name in STAT_TIMES:
        op = draw(st.sampled_from(["within_days", "not_within_days", "never"]))
        if op == "never":
            return {"kind": "stat", "field": name, "op": op}
        days = draw(st.sampled_from([1, 7, 30, 90, 365, 800]))
        return {"kind": "stat", "field": name, "op": op, "value": days}
    op = draw(st.sampled_from(["gte", "gt", "lte", "lt", "eq"]))
    seen = sorted({float(row[name]) for row in snap.stats.values() if row.get(name) is not None})
    if name == "engagement_score":
        value: Any = draw(st.sampled_from([0, 1, 5, 10, 30, 50, 100]))
    else:
        base = draw(st.sampled_from(seen or [0.0]))
        # Beside real values, and half-way between whole ones (integer columns, float values).
        value = base + draw(st.sampled_from([0, 0, -1, 1, 0.5, -0.5]))
        if "fraction" in AVOID and value != int(value) and (op == "eq" or value < 0):
            value = base
        if value == int(value):
            value = int(value)
    return {"kind": "stat", "field": name, "op": op, "value": value}


@st.composite
def rung_condition(draw: st.DrawFn, world: World) -> dict[str, Any]:
    which = draw(st.integers(0, len(world.ladder_ids) - 1))
    rungs = world.ladders[which]
    if draw(st.booleans()):
        chosen = draw(st.lists(st.sampled_from(rungs), min_size=1, max_size=2, unique=True))
        return {"kind": "rung", "ladder": world.ladder_ids[which], "rungs": chosen}
    return {
        "kind": "rung",
        "ladder": world.ladder_ids[which],
        "at_least": draw(st.sampled_from(rungs)),
    }


def leaf_options(world: World, snap: Snapshot) -> list[st.SearchStrategy[dict[str, Any]]]:
    """One strategy per kind of condition (a few kinds twice: they have more to get wrong)."""
    options: list[st.SearchStrategy[dict[str, Any]]] = [
        field_condition(snap),
        custom_condition(snap),
        _membership("tags", world.tags),
        _membership("groups", world.groups),
        st.fixed_dictionaries(
            {
                "kind": st.just("point_person"),
                "users": st.lists(st.sampled_from(world.users), max_size=2, unique=True),
            }
        ),
        geography_condition(),
        st.fixed_dictionaries(
            {
                "kind": st.just("known_by"),
                "groups": st.lists(st.sampled_from(world.groups), max_size=2, unique=True),
            }
        ),
        st.fixed_dictionaries(
            {"kind": st.just("reachable"), "channel": st.sampled_from(["email", "sms", "phone"])}
        ),
        st.fixed_dictionaries(
            {"kind": st.just("unsubscribed"), "channel": st.sampled_from(["email", "sms"])}
        ),
        activity_condition(snap),
        activity_condition(snap),
        stat_condition(snap),
        stat_condition(snap),
        rung_condition(world),
        st.fixed_dictionaries({"kind": st.just("list"), "id": st.sampled_from(world.lists)}),
        st.fixed_dictionaries(
            {
                "kind": st.just("sample"),
                "percent": st.sampled_from([0, 10, 33.3, 50, 100]),
                "seed": st.integers(0, 2**20 - 1),
            }
        ),
    ]
    # The identities of the logic: everyone and no one, alone or among other members.
    options.append(
        st.sampled_from(
            [{"kind": "any", "of": []}, {"kind": "not", "of": {"kind": "any", "of": []}}]
        )
    )
    if "empty_all" not in AVOID:
        options.append(st.just({"kind": "all", "of": []}))
    if world.segments:
        options.append(
            st.fixed_dictionaries(
                {"kind": st.just("segment"), "id": st.sampled_from(world.segments)}
            )
        )
    return options


def leaves(world: World, snap: Snapshot) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(leaf_options(world, snap))


def conditions(world: World, snap: Snapshot, depth: int = 3) -> st.SearchStrategy[dict[str, Any]]:
    """A condition tree at most ``depth`` levels of all/any/not deep."""
    leaf = leaves(world, snap)
    tree = leaf
    for _ in range(depth):
        inner = tree
        tree = st.one_of(
            leaf,
            leaf,
            st.fixed_dictionaries({"kind": st.just("any"), "of": st.lists(inner, max_size=3)}),
            st.fixed_dictionaries(
                {
                    "kind": st.just("all"),
                    "of": st.lists(inner, min_size=int("empty_all" in AVOID), max_size=3),
                }
            ),
            st.fixed_dictionaries({"kind": st.just("not"), "of": inner}),
        )
    return tree


def definitions(world: World, snap: Snapshot, depth: int = 3) -> st.SearchStrategy[dict[str, Any]]:
    """Whole definitions, sometimes with a top-level sample. Build it once per dataset and draw
    from it many times: building is the expensive part."""
    sample = st.fixed_dictionaries({"size": st.integers(1, 8), "seed": st.integers(0, 2**20 - 1)})
    return st.builds(
        lambda match, top: {"version": 1, "match": match, **({"sample": top} if top else {})},
        conditions(world, snap, depth),
        st.none() | st.none() | st.none() | sample,
    )


__all__ = [
    "NOW",
    "DatasetSpec",
    "World",
    "build",
    "conditions",
    "datasets",
    "definitions",
    "leaf_options",
    "save_segment",
]
