"""The demo organization as plain Python data, before anything touches the database.

`build_plan` (in `ladder.demo.generator`) fills a `Plan`: people referred to by their position
in ``Plan.people``, users by username, and every activity and consent line in the order it will
be inserted. Keeping the plan free of database ids makes it deterministic and testable on its
own; `ladder.demo.load` turns it into rows with set-based bulk inserts.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from ladder.demo.data import DORMANT_CHAPTER, DORMANT_DAYS

LOCAL = ZoneInfo("America/Chicago")


@dataclass(slots=True)
class EmailPlan:
    address: str
    primary: bool
    status: str = "active"


@dataclass(slots=True)
class PhonePlan:
    number: str
    kind: str
    primary: bool


@dataclass(slots=True)
class AddressPlan:
    line1: str
    line2: str
    locality: str
    postal_code: str
    county: str
    congressional_district: str
    state_upper_district: str
    state_lower_district: str
    precinct: str
    latitude: float
    longitude: float


@dataclass(slots=True)
class PersonPlan:
    n: int  # position in Plan.people
    identity: int  # index in the identity space (ladder.demo.identity)
    first: str
    last: str
    birthdate: dt.date | None
    languages: str
    occupation: str
    employer: str
    source: str
    chapter: str | None  # chapter slug; None = statewide (home group: the organization)
    joined: dt.datetime
    level: int  # 0 list only … 4 host / leader track
    interests: tuple[str, ...]
    emails: list[EmailPlan] = field(default_factory=list)
    phones: list[PhonePlan] = field(default_factory=list)
    address: AddressPlan | None = None
    custom_fields: dict[str, Any] = field(default_factory=dict)
    external_ids: list[tuple[str, str]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)  # slugs of teams besides the home group
    recruited_by: int | None = None
    point_person: str | None = None  # username
    user: str | None = None  # username of this person's login
    duplicate_of: int | None = None
    variant: str = ""
    voter_file: bool = False
    mobile: bool = True
    first_touch: str = ""  # petition, form, signup, donation, event, social, referral, list

    @property
    def email(self) -> str | None:
        return self.emails[0].address if self.emails else None

    @property
    def phone(self) -> str | None:
        return self.phones[0].number if self.phones else None

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


@dataclass(slots=True)
class UserPlan:
    username: str
    role: str
    first: str
    last: str
    chapter: str
    person: int


@dataclass(slots=True)
class GroupPlan:
    slug: str
    name: str
    kind: str
    parent: str | None


class PersonRef(NamedTuple):
    """A person inside an activity payload; the loader writes their database id instead."""

    n: int


class Act(NamedTuple):
    person: int
    type: str
    occurred_at: dt.datetime
    actor: str | None = None
    source: str = ""
    object_type: str = ""
    object_id: int | None = None
    amount: Decimal | None = None
    result: str = ""
    payload: dict[str, Any] = {}  # a shared default: payloads are never mutated
    channel: str | None = None


class Consent(NamedTuple):
    person: int
    channel: str
    contact_point: str
    status: str  # "opt_in" / "opt_out"
    source: str
    wording: str
    by_person: bool
    occurred_at: dt.datetime


@dataclass
class Plan:
    seed: int
    now: dt.datetime
    people: list[PersonPlan] = field(default_factory=list)
    users: list[UserPlan] = field(default_factory=list)
    groups: list[GroupPlan] = field(default_factory=list)
    activities: list[Act] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)
    duplicates: list[tuple[int, int, str]] = field(default_factory=list)  # original, copy, kind

    @property
    def start(self) -> dt.datetime:
        """The first moment of the year of history."""
        return self.now - dt.timedelta(days=365)

    @property
    def dormant_after(self) -> dt.datetime:
        """Nothing happens to the dormant chapter's people after this."""
        return self.now - dt.timedelta(days=DORMANT_DAYS + 1)

    def cutoff(self, person: PersonPlan) -> dt.datetime:
        return self.dormant_after if person.chapter == DORMANT_CHAPTER else self.now


class Story:
    """The plan being written, with the one seeded random stream every program draws from.

    `act` and `consent` drop anything after a person's cutoff (now, or 46 days ago for the
    dormant chapter), so no program can make the dormant chapter look alive by mistake.
    """

    def __init__(self, plan: Plan, rng: random.Random) -> None:
        self.plan = plan
        self.rng = rng
        self.now = plan.now
        self.start = plan.start
        self.given: dict[int, Decimal] = {}  # running total of gifts per person

    def act(self, person: int, type: str, when: dt.datetime, **fields: Any) -> bool:
        if when > self.plan.cutoff(self.plan.people[person]):
            return False
        self.plan.activities.append(Act(person, type, when, **fields))
        return True

    def consent(
        self,
        person: int,
        channel: str,
        point: str,
        status: str,
        source: str,
        when: dt.datetime,
        *,
        wording: str = "",
        by_person: bool = True,
    ) -> None:
        if when <= self.plan.cutoff(self.plan.people[person]):
            self.plan.consents.append(
                Consent(person, channel, point, status, source, wording, by_person, when)
            )

    def between(self, a: dt.datetime, b: dt.datetime) -> dt.datetime:
        """A moment between a and b (a when the range is empty), to the minute."""
        if b <= a:
            return a
        seconds = int((b - a).total_seconds())
        return a + dt.timedelta(minutes=self.rng.randrange(max(1, seconds // 60)))

    def local(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p
