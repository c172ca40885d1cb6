"""A small organization for the segment screens' tests: people in and out of a region, tagged or
not, donors above and below $1,000 in the last year, recent and stale email openers — written
through the services, with the rollups rebuilt from the activity log.

`Someone` keeps what each person was made with, so that a test can compute the expected
members of a universe in plain Python, independently of the compiler.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from ladder.activity.catalogue import ActivityType
from ladder.activity.rollups import SETTLE, rollups_rebuild
from ladder.activity.services import activity_record
from ladder.people.models import Address, Group, Person
from ladder.people.services import group_add_person, person_create, tag_add

EDUCATION = "education"


@dataclass
class Someone:
    first: str
    last: str
    region: str
    city: str
    tags: tuple[str, ...] = ()
    gifts: tuple[tuple[int, str], ...] = ()  # (days ago, amount)
    opens: tuple[int, ...] = ()  # days ago of each email open
    group: str | None = None
    person: Person | None = field(default=None, compare=False)

    @property
    def email(self) -> str:
        return f"{self.first.lower()}.{self.last.lower()}@example.org"

    def given_within(self, days: int) -> Decimal:
        return sum((Decimal(a) for d, a in self.gifts if d < days), Decimal(0))

    def opened_within(self, days: int) -> bool:
        return any(d < days for d in self.opens)


# Region "IA" is the universe's region; "NE" people are outside it.
CAST = [
    Someone("Rosa", "Martinez", "IA", "Des Moines", (EDUCATION,), opens=(3, 40), group="a"),
    Someone("Dev", "Patel", "IA", "Ames", (EDUCATION,), gifts=((10, "1500.00"),), opens=(5,)),
    Someone("Kim", "Nguyen", "IA", "Des Moines", (EDUCATION,), opens=(120,), group="a"),
    Someone(
        "June",
        "Olsen",
        "IA",
        "Ames",
        (EDUCATION, "rent"),
        gifts=((30, "400.00"), (400, "2000.00")),
        opens=(60,),
        group="b",
    ),
    Someone("Omar", "Haddad", "IA", "Iowa City", ("rent",), opens=(2,), group="a"),
    Someone("Lena", "Berg", "NE", "Omaha", (EDUCATION,), opens=(1,), group="b"),
    Someone(
        "Ana",
        "Silva",
        "ia ",
        "Cedar Rapids",
        (EDUCATION,),
        gifts=((100, "999.99"), (200, "0.02")),
        opens=(89,),
        group="b",
    ),
    Someone(
        "Ben",
        "Cole",
        "IA",
        "Ames",
        (EDUCATION,),
        gifts=((50, "600.00"), (70, "600.00")),
        opens=(10,),
        group="a",
    ),
    Someone("=Eve", "Formula", "IA", "Ames", (EDUCATION,), opens=(4,), group="a"),
    Someone("Tom", "Quiet", "IA", "Ames", (EDUCATION,)),
]


def build(
    groups: dict[str, Group] | None = None, cast: list[Someone] | None = None
) -> list[Someone]:
    """Write the cast (each person a real Person with email, address, tags, activities) and
    rebuild the rollups. Returns the cast with `person` filled in."""
    now = timezone.now()
    people = [Someone(**{k: v for k, v in s.__dict__.items() if k != "person"})
              for s in (cast or CAST)]  # fmt: skip
    for someone in people:
        person = person_create(
            actor=None, first_name=someone.first, last_name=someone.last, email=someone.email
        )
        Address.objects.create(
            person=person, locality=someone.city, region=someone.region, postal_code="50309",
            is_primary=True,
        )  # fmt: skip
        for tag in someone.tags:
            tag_add(actor=None, person=person, name=tag)
        for days, amount in someone.gifts:
            activity_record(
                person=person, type=ActivityType.DONATION, amount=Decimal(amount),
                occurred_at=now - dt.timedelta(days=days), source="test",
            )  # fmt: skip
        for days in someone.opens:
            activity_record(
                person=person, type=ActivityType.EMAIL_OPENED,
                occurred_at=now - dt.timedelta(days=days), source="test",
            )  # fmt: skip
        if groups and someone.group in groups:
            group_add_person(actor=None, group=groups[someone.group], person=person)
        someone.person = person
    # The rebuild leaves out activities younger than SETTLE; these are all settled "now".
    rollups_rebuild(now=now + SETTLE + dt.timedelta(seconds=1))
    return people


def expected(
    people: list[Someone], *, region: str = "IA", visible: set[int] | None = None
) -> set[int]:
    """Region X, tagged education, minus donors over $1,000 in 365 days, minus no email open
    in 90 days — computed in plain Python from what the people were made with."""
    out = set()
    for s in people:
        assert s.person is not None
        if visible is not None and s.person.pk not in visible:
            continue
        if s.region.strip().lower() != region.lower():
            continue
        if EDUCATION not in s.tags:
            continue
        if s.given_within(365) > 1000:
            continue
        if not s.opened_within(90):
            continue
        out.add(s.person.pk)
    return out


def universe(tag_id: int, region: str = "IA") -> dict[str, object]:
    """The same universe in the filter language."""
    return {
        "version": 1,
        "match": {
            "kind": "all",
            "of": [
                {"kind": "address", "field": "region", "values": [region]},
                {"kind": "tags", "match": "any", "tags": [tag_id]},
                {
                    "kind": "not",
                    "of": {"kind": "stat", "field": "given_365d", "op": "gt", "value": 1000},
                },
                {
                    "kind": "not",
                    "of": {
                        "kind": "activity",
                        "types": ["email_opened"],
                        "days": 90,
                        "op": "eq",
                        "value": 0,
                    },
                },
            ],
        },
    }
