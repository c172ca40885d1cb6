"""Walk order with coordinates: each postal code walked as a route through its buildings, door to
door with no long jumps; a building's households and a household's people kept together; doors
without coordinates slotted in beside their street or, failing that, after the route in street
order; and without any coordinates, the street order as before."""

from __future__ import annotations

import math
import random
from itertools import pairwise

import pytest

from ladder.organizing.models import ContactList
from ladder.organizing.services import contact_list_create
from ladder.organizing.walking import Door, point_of, route, walk_key, walk_order
from ladder.people.models import Address, Person
from ladder.people.services import person_create
from ladder.segments.models import ListMember, StaticList

LAT0, LON0 = 41.59, -93.62  # Des Moines
PER_LAT = 110_574.0
PER_LON = 111_320.0 * math.cos(math.radians(LAT0))


def at(x: float, y: float) -> tuple[float, float]:
    """(latitude, longitude) of a point ``x`` metres east and ``y`` metres north of LAT0, LON0."""
    return (LAT0 + y / PER_LAT, LON0 + x / PER_LON)


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.hypot((a[1] - b[1]) * PER_LON, (a[0] - b[0]) * PER_LAT)


def steps(points: list[tuple[float, float]], order: list[int]) -> list[float]:
    return [metres(points[a], points[b]) for a, b in pairwise(order)]


def walked(doors: list[Door]) -> list[int]:
    return [person for person, _, _ in walk_order(doors)]


def walk_steps(doors: list[Door], people: list[int]) -> list[float]:
    """The length of each step walking ``people`` (all located) in that order."""
    where = {d.person: (d.latitude or 0.0, d.longitude or 0.0) for d in doors}
    return [metres(where[a], where[b]) for a, b in pairwise(people)]


# --- the route --------------------------------------------------------------------------------


def test_a_grid_is_walked_door_to_door():
    """A 12 × 12 block of doors 15 m apart, handed over shuffled: every step is to a
    neighbouring door."""
    spots = [at(15 * c, 15 * r) for r in range(12) for c in range(12)]
    random.Random(1).shuffle(spots)
    order = route(spots)
    assert sorted(order) == list(range(len(spots)))
    assert max(steps(spots, order)) < 15.5


def test_a_ragged_grid_has_no_long_jumps():
    """Doors 15 m apart give or take 2 m: the walk is barely longer than door to door, almost
    every step is to a neighbour, and no step is longer than ten doors."""
    rng = random.Random(3)
    spots = [
        at(15 * c + rng.uniform(-2, 2), 15 * r + rng.uniform(-2, 2))
        for r in range(20)
        for c in range(20)
    ]
    rng.shuffle(spots)
    walk = steps(spots, route(spots))
    assert sum(walk) < 1.1 * 15 * len(walk)
    assert sum(step > 25 for step in walk) <= 0.05 * len(walk)
    assert max(walk) < 10 * 15


def test_a_street_is_walked_up_one_side_and_back_down_the_other():
    """Forty houses a side, 15 m apart, 24 m across the road: along one side, across once,
    back along the other — not zig-zagging across the road."""
    spots = [at(15 * h, side * 12) for side in (1, -1) for h in range(40)]
    order = route(spots)
    crossings = sum((a < 40) != (b < 40) for a, b in pairwise(order))
    assert crossings <= 3
    assert sum(steps(spots, order)) < 1.05 * (2 * 39 * 15 + 24)


def test_scattered_numbers_walk_far_shorter_than_by_number():
    """400 doors over a square kilometre whose house numbers say nothing about where they are
    (scattered on purpose): the route is a fraction of the walk in street-number order, and
    its steps are short."""
    rng = random.Random(5)
    numbers = rng.sample(range(1, 2000), 400)
    doors = [
        Door(pk, f"{number} Maple St", "50309", *at(rng.uniform(0, 1000), rng.uniform(0, 1000)))
        for pk, number in enumerate(numbers, start=1)
    ]
    by_number = [d.person for d in sorted(doors, key=lambda d: walk_key(d.line1, d.postal_code))]
    people = walked(doors)
    assert sorted(people) == sorted(by_number)
    walk = sorted(walk_steps(doors, people))
    assert sum(walk) < 0.1 * sum(walk_steps(doors, by_number))  # about 40 m a step, not 500
    assert walk[int(0.95 * len(walk))] < 150


def test_doors_at_one_point_are_walked_in_street_order():
    """A geocoder that put a whole street on its centroid: one stop, in street order there."""
    doors = [Door(pk, f"{n} Oak Ave", "50309", *at(0, 0)) for pk, n in enumerate(range(60, 0, -1))]
    doors.append(Door(99, "3 Elm St", "50309", *at(500, 500)))
    people = walked(doors)
    assert people[-1] == 99
    numbers = [int(doors[pk].line1.split()[0]) for pk in people[:-1]]
    assert numbers == sorted(numbers, key=lambda n: (n % 2 == 0, n))


# --- buildings, households, doors without coordinates ------------------------------------------


def test_a_building_and_a_household_stay_together():
    """Flats of one building geocoded apart, with a door of another building nearer to one of
    them than the other flat is: the building is still one stop, its flats adjacent, the people of
    a flat in one block and by id."""
    doors = [
        Door(5, "12 Maple St Apt 2", "50309", *at(0, 0)),
        Door(1, "10 Maple St", "50309", *at(-15, 0)),
        Door(7, "12 Maple St Apt 1", "50309", *at(40, 0)),  # the same building, placed off
        Door(3, "12 Maple St Apt 2", "50309", *at(0, 1)),
        Door(2, "14 Maple St", "50309", *at(30, 0)),
        Door(4, "12 Maple St #1", "50309"),  # the same flat as 7, written otherwise, no point
    ]
    people = walked(doors)
    assert people.index(1) < people.index(2)  # 10, 12, 14 along the street
    building = people[people.index(1) + 1 : people.index(2)]
    assert building == [4, 7, 3, 5]  # flat 1 (written two ways), then flat 2 by id
    rows = {person: household for person, household, _ in walk_order(doors)}
    assert rows[3] == rows[5] != rows[7]


def test_doors_without_coordinates_go_beside_their_street():
    """Maple St's odd side is located, walked east, numbers rising; 5 has no point and goes
    between 3 and 7, 13 beyond 11, 4 across from 3 and 5; Birch Rd has no located door, so it
    follows the route in street order."""
    located = [(1, 0), (3, 15), (7, 45), (9, 60), (11, 75)]
    doors = [Door(n, f"{n} Maple St", "50309", *at(x, 0)) for n, x in located]
    doors += [
        Door(105, "5 Maple St", "50309"),
        Door(113, "13 Maple St", "50309"),
        Door(104, "4 Maple St", "50309"),
        Door(202, "2 Birch Rd", "50309"),
        Door(201, "1 Birch Rd", "50309"),
    ]
    people = walked(doors)
    assert people == [1, 3, 104, 105, 7, 9, 11, 113, 201, 202]


def test_slotted_doors_follow_the_way_the_route_walks_the_street():
    """The same street numbered the other way (numbers rising westwards): the route walks it
    down, and the doors without points go in walking order too."""
    located = [(3, 60), (7, 30), (9, 15), (11, 0)]
    doors = [Door(n, f"{n} Maple St", "50309", *at(x, 0)) for n, x in located]
    doors += [Door(100 + n, f"{n} Maple St", "50309") for n in (1, 5, 13)]
    assert walked(doors) == [113, 11, 9, 7, 105, 3, 101]


def test_without_coordinates_the_order_is_the_street_order():
    lines = ["14 Maple St", "3 Maple St", "8 Maple St", "1 Oak Ave", "7 Maple St", "PO Box 9"]
    doors = [Door(pk, line, "50309") for pk, line in enumerate(lines, start=1)]
    doors += [Door(7, "2 Elm St", "50310"), Door(8, "3 Maple St", "50309")]
    assert walked(doors) == [2, 8, 5, 3, 1, 4, 6, 7]


@pytest.mark.parametrize(
    ("lat", "lon"),
    [(None, None), (41.6, None), (0.0, 0.0), (float("nan"), -93.6), (95.0, -93.6), (41.6, 200.0)],
)
def test_coordinates_a_route_cannot_use_count_as_none(lat, lon):
    assert point_of(lat, lon) is None
    doors = [Door(1, "9 Maple St", "50309", lat, lon), Door(2, "3 Maple St", "50309", *at(0, 50))]
    assert walked(doors) == [2, 1]  # 9 slotted in after 3, not walked where the point says


def test_postal_codes_are_walked_one_after_another_and_the_order_is_stable():
    rng = random.Random(9)
    doors = [
        Door(pk, f"{rng.randint(1, 500)} {rng.choice('ABC')} St", rng.choice(["50309", "50310"]),
             *at(rng.uniform(0, 400), rng.uniform(0, 400)))
        for pk in range(1, 301)
    ]  # fmt: skip
    doors += [Door(1000 + pk, f"{pk} D St", "50309") for pk in range(1, 20)]
    rows = walk_order(doors)
    postal = {d.person: d.postal_code for d in doors}
    codes = [postal[person] for person, _, _ in rows]
    assert codes == sorted(codes)
    assert sorted(rows, key=lambda row: row[2]) == rows  # the key reproduces the order
    shuffled = doors[:]
    rng.shuffle(shuffled)
    assert walk_order(shuffled) == rows


def test_walk_key_sees_the_street_past_the_flat():
    for line1 in ("12 Maple St Apt 2", "12 Maple St #2", "12 Maple St, Unit 2", "12 maple st # 2"):
        assert walk_key(line1, "50309") == ("50309", "maple st", 1, 12, "2")
    assert walk_key("12A Rue Ste Catherine", "H2X")[1:4] == ("rue ste catherine", 1, 12)


# --- through the service ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_walk_list_follows_the_route_through_its_doors(staff_user):
    """Doors on two streets, numbered against the way they lie: the list's positions follow the
    coordinates — along Maple St, round the corner up Oak Ave — with the two people of one house
    together and a door without a point beside its street's neighbours."""
    houses: list[tuple[str, float | None, float | None, int]] = [  # line1, x, y, residents
        ("40 Maple St", 0, 0, 1),
        ("2 Maple St", 15, 0, 2),
        ("18 Maple St", 30, 0, 1),
        ("6 Maple St", 45, 0, 1),
        ("9 Oak Ave", 60, 15, 1),
        ("1 Oak Ave", 60, 30, 1),
        ("5 Oak Ave", 60, 45, 1),
        ("3 Oak Ave", None, None, 1),
    ]
    people: list[Person] = []
    for line1, x, y, residents in houses:
        for _ in range(residents):
            n = len(people) + 1
            person = person_create(actor=None, first_name=f"W{n}", last_name="Walker",
                                   email=f"w{n}@example.org")  # fmt: skip
            lat, lon = at(x, y) if x is not None and y is not None else (None, None)
            Address.objects.create(person=person, line1=line1, postal_code="50309",
                                   latitude=lat, longitude=lon, is_primary=True)  # fmt: skip
            people.append(person)
    turf = StaticList.objects.create(name="Turf", owner=staff_user)
    ListMember.objects.bulk_create(ListMember(static_list=turf, person=p) for p in people[::-1])
    walk = contact_list_create(
        actor=staff_user, name="Corner walk", kind=ContactList.Kind.WALK, static_list=turf
    )
    entries = list(walk.entries.order_by("position").select_related("person"))  # type: ignore[attr-defined]
    assert [e.position for e in entries] == list(range(1, len(people) + 1))
    lines = [e.person.addresses.get().line1 for e in entries]
    assert lines == [
        "40 Maple St", "2 Maple St", "2 Maple St", "18 Maple St", "6 Maple St",
        "9 Oak Ave", "1 Oak Ave", "3 Oak Ave", "5 Oak Ave",
    ]  # fmt: skip
    two = [e for e in entries if e.person.addresses.get().line1 == "2 Maple St"]
    assert two[0].household == two[1].household and two[0].person_id < two[1].person_id
    assert lines != sorted(lines, key=lambda line: walk_key(line, "50309"))


@pytest.mark.django_db
def test_the_point_is_the_one_of_the_address_walked(staff_user):
    """A person's coordinates come from the address the list walks (the primary), not from
    another address of theirs: 5 Maple St has no point, so it goes between 7 and 3."""
    people = []
    for n, (line1, x) in enumerate(
        [("7 Maple St", 0.0), ("3 Maple St", 100.0), ("5 Maple St", None)]
    ):
        person = person_create(actor=None, first_name=f"M{n}", last_name="Walker",
                               email=f"m{n}@example.org")  # fmt: skip
        lat, lon = at(x, 0) if x is not None else (None, None)
        Address.objects.create(person=person, line1=line1, postal_code="50309",
                               latitude=lat, longitude=lon, is_primary=True)  # fmt: skip
        people.append(person)
    Address.objects.create(person=people[2], line1="1 Elm St", postal_code="50309",
                           latitude=at(500, 0)[0], longitude=at(500, 0)[1])  # fmt: skip
    turf = StaticList.objects.create(name="Maple", owner=staff_user)
    ListMember.objects.bulk_create(ListMember(static_list=turf, person=p) for p in people)
    walk = contact_list_create(
        actor=staff_user, name="Maple", kind=ContactList.Kind.WALK, static_list=turf
    )
    order = list(walk.entries.order_by("position").values_list("person_id", flat=True))  # type: ignore[attr-defined]
    assert order == [people[0].pk, people[2].pk, people[1].pk]
