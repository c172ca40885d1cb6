"""The order a canvasser walks.

Without coordinates: by postal code, then street, then one side of the street (odd numbers,
then even), then up the house numbers — so a walk list reads like a walk.

With coordinates (an address's latitude and longitude), each postal code is walked as a route
through its buildings (``route``): a nearest-neighbour chain, tightened, which on real streets
goes door to door along one side of a street and turns at the corner, instead of the alphabet's
jump from Ash St to Elm St. A building (one street number: its flats, its "12A" and "12B") is
one stop, so its households stay adjacent, and the people of one household stay in one block.
Doors without coordinates are slotted in beside the located doors of their street — 15 between
13 and 17, or across the road from 14 and 16 when its own side has none — and only streets with
no located door at all come after the route, in street order: a geocoder that missed a few
houses does not send the canvasser back for them at the end.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterable, Sequence
from operator import attrgetter
from typing import Any, NamedTuple

_NUMBER = re.compile(r"^\s*(\d+)\s*([A-Za-z]?)\b[\s,-]*(.*)$")
_UNIT = re.compile(r",?\s+(?:(?:apt|apartment|unit|suite)\b\.?|#)\s*")

SWEEP_BAND_M = 100.0  # the fallback sweep's band: about a city block
NEIGHBOURS = 10  # nearest stops kept for each stop, before a dead end asks the tree again
DEAD_END_SEARCH = (16, 64, 256)  # how many of the stops left a dead end looks at, at most
TIGHTEN_PASSES = 4  # passes moving stragglers into the route: most of the gain is in the first

Building = tuple[str, str, int, int]  # postal code, street, side, number
Point = tuple[float, float]  # latitude, longitude


def walk_key(line1: str, postal_code: str) -> tuple[str, str, int, int, str]:
    """(postal code, street, side, number, the rest) for "1208 Maple St Apt 2"."""
    text = " ".join(line1.lower().split())
    match = _NUMBER.match(text)
    if match is None:  # "PO Box 9", "Rural Route": after the numbered houses of its postal code
        return (postal_code, text, 2, 0, "")
    number, suffix, rest = int(match.group(1)), match.group(2), match.group(3)
    unit = _UNIT.search(rest)
    street, flat = (rest[: unit.start()], rest[unit.end() :]) if unit else (rest, "")
    return (postal_code, street.strip(" ,"), int(number % 2 == 0), number, f"{suffix}{flat}")


def household_of(line1: str, postal_code: str) -> str:
    """The door people share: the address without its unit noise, case or spacing."""
    return f"{postal_code}|{' '.join(line1.lower().split())}"[:200]


class Door(NamedTuple):
    """One person at their street address, with its coordinates when it has them."""

    person: int
    line1: str
    postal_code: str
    latitude: float | None = None
    longitude: float | None = None


def point_of(latitude: float | None, longitude: float | None) -> Point | None:
    """Coordinates a route can use — present, finite, on the globe, and not the (0, 0) that
    geocoders write when they fail — or None."""
    if latitude is None or longitude is None:
        return None
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180) or latitude == longitude == 0:
        return None
    return (float(latitude), float(longitude))


def walk_order(doors: Iterable[Door]) -> list[tuple[int, str, tuple[Any, ...]]]:
    """(person, household, order key) for every door, in walking order: postal codes one
    after another, each walked as described above. Sorting by the order key gives the same
    order; ties end on the person id, so the order never depends on how the doors came."""
    by_postal: dict[str, list[Door]] = {}
    for door in doors:
        by_postal.setdefault(door.postal_code, []).append(door)
    rows: list[tuple[int, str, tuple[Any, ...]]] = []
    for postal in sorted(by_postal):
        for step, (person, household) in enumerate(_postal_walk(by_postal[postal])):
            rows.append((person, household, (postal, step, person)))
    return rows


def _postal_walk(doors: list[Door]) -> list[tuple[int, str]]:
    """(person, household) for the doors of one postal code, in walking order: building by
    building; in a building, its households by unit; in a household, its people by id. (Flat
    rows sorted once rather than objects per building: with tens of thousands of doors, the
    garbage collector's passes over many live containers cost as much as the route.)"""
    rows: list[tuple[Building, tuple[Any, ...], str, int]] = []
    points: dict[Building, Point] = {}  # where a building is: its first person's, by id, point
    for door in sorted(doors, key=attrgetter("person")):
        key = walk_key(door.line1, door.postal_code)
        building = key[:4]
        if building not in points:
            point = point_of(door.latitude, door.longitude)
            if point is not None:
                points[building] = point
        rows.append((building, key, household_of(door.line1, door.postal_code), door.person))
    if points:
        placed = _place({row[0] for row in rows}, points)
        rows.sort(key=lambda row: (placed[row[0]], row[1], row[2], row[3]))
    else:  # nothing located: the street order (what _place gives too, only cheaper)
        rows.sort(key=lambda row: (row[1], row[2], row[3]))
    return [(person, household) for _, _, household, person in rows]


def _place(buildings: set[Building], points: dict[Building, Point]) -> dict[Building, Any]:
    """A sort key per building: located buildings by their place on the route (buildings at
    one point — a geocoder's street or postal-code centroid — in street order there); the others
    beside the located doors of their street; the rest after the route, in street order."""
    sites: dict[Point, list[Building]] = {}
    for building in sorted(points):
        sites.setdefault(points[building], []).append(building)
    spots = list(sites)
    placed: dict[Building, Any] = {}
    sides: dict[tuple[str, int], list[tuple[int, int]]] = {}  # (street, side): (number, step)
    for step, site in enumerate(route(spots)):
        for building in sites[spots[site]]:
            placed[building] = (0, step, 0, 0, building)
            _, street, side, number = building
            if side < 2:
                sides.setdefault((street, side), []).append((number, step))
    for doors_on_side in sides.values():
        doors_on_side.sort()
    for building in buildings - placed.keys():
        _, street, side, number = building
        line = (sides.get((street, side)) or sides.get((street, 1 - side))) if side < 2 else None
        if line:  # a street with located doors (on this side, else across the road)
            placed[building] = (0, *_beside(line, number), building)
        else:
            placed[building] = (1, building)
    return placed


def _beside(line: Sequence[tuple[int, int]], number: int) -> tuple[int, int, int]:
    """(step, before -1 / after +1, order among the slotted) for a door without coordinates,
    given the located doors of its street as (number, step) sorted by number: between its
    neighbours by number when it has both, else just beyond the last one the route passes
    there, in the direction the route walks that street."""
    i = bisect.bisect_left(line, (number, -1))
    lo = line[i - 1] if i > 0 else None
    hi = line[i] if i < len(line) else None
    if lo is not None and hi is not None:  # between: after whichever of the two comes first
        return (lo[1], 1, number) if lo[1] < hi[1] else (hi[1], 1, -number)
    if lo is not None:  # above the highest located number
        down = i >= 2 and line[i - 2][1] > lo[1]  # the route walks down the street from lo
        return (lo[1], -1, -number) if down else (lo[1], 1, number)
    assert hi is not None
    up = i + 1 < len(line) and line[i + 1][1] > hi[1]  # the route walks up the street from hi
    return (hi[1], -1, number) if up else (hi[1], 1, -number)


def route(points: Sequence[Point]) -> list[int]:
    """The indices of ``points`` (latitude, longitude) in the order to walk them.

    A greedy nearest-neighbour chain, then tightened (see ``_tighten``). From each stop the
    chain goes to the nearest stop not yet visited (ties to the earlier one in a serpentine
    sweep), starting at the sweep's first stop. On streets that means door to door along one
    side, because the next house is nearer than the one across the road — where a serpentine
    sweep alone zig-zags between every street in its band — and it comes within about a
    quarter of the shortest route on scattered points; tightening takes that to about a fifth.

    Bounded, because a list can hold tens of thousands of doors: the nearest neighbours of
    every stop come from one k-d tree query (O(n log n)); only at a dead end, when all of them
    are visited, is a tree of the stops left asked for up to 256 more (rebuilt each time half
    the stops are gone: O(n log n) in all); and if even those are visited the chain goes on
    at the first unvisited stop of the sweep (a pointer that only moves forward). So every
    step costs a few bounded lookups: 50,000 stops take about a second.
    """
    m = len(points)
    if m <= 1:
        return list(range(m))
    import numpy as np  # here, not at import time: only a route needs the k-d tree
    from scipy.spatial import cKDTree

    degrees = np.asarray(points, dtype=float)
    per_lon = math.cos(math.radians(float(degrees[:, 0].mean()))) * 111_320.0
    xy = np.column_stack((degrees[:, 1] * per_lon, degrees[:, 0] * 110_574.0))  # metres, flat
    sweep = _sweep(xy)
    rank = np.empty(m, dtype=np.int64)
    rank[sweep] = np.arange(m)
    width = min(NEIGHBOURS + 1, m)
    distances, neighbours = cKDTree(xy).query(xy, k=width)
    # flat lists, not a list per stop: fewer live containers for the garbage collector to walk
    near, far, ranks = neighbours.ravel().tolist(), distances.ravel().tolist(), rank.tolist()
    sweep_order = sweep.tolist()
    seen = [False] * m
    left: list[int] = []  # the stops in ``tree_left`` (those unvisited when it was built)
    tree_left: Any = None
    pointer = 0
    current = sweep_order[0]
    seen[current] = True
    chain = [current]
    for walked in range(1, m):
        found = _nearest(near, far, current * width, width, seen, ranks)
        if found < 0:
            if tree_left is None or 2 * (m - walked) <= len(left):
                left = [i for i in range(m) if not seen[i]]
                tree_left = cKDTree(xy[left])
            for k in DEAD_END_SEARCH:
                k = min(k, len(left))
                d, j = tree_left.query(xy[current], k=k)
                hits = [left[n] for n in np.atleast_1d(j).tolist()]
                found = _nearest(hits, np.atleast_1d(d).tolist(), 0, k, seen, ranks)
                if found >= 0 or k == len(left):
                    break
        if found < 0:  # everything near is walked: go on where the sweep left off
            while seen[sweep_order[pointer]]:
                pointer += 1
            found = sweep_order[pointer]
        current = found
        seen[current] = True
        chain.append(current)
    return _tighten(chain, xy, neighbours, distances)


def _tighten(chain: list[int], xy: Any, neighbours: Any, distances: Any) -> list[int]:
    """The chain with stragglers moved in: a greedy chain leaves a stop behind now and then
    and comes back for it later with a long walk; each pass moves every stop whose detour
    costs more than slotting it in beside one of its nearest neighbours, biggest saving
    first (an "Or-opt" move). The costs are worked out for all stops at once (numpy), and a
    pass applies only the moves that touch no stop moved in it, so a pass is O(n log n) (the
    sort by saving) and at most TIGHTEN_PASSES run; on scattered points they shorten the walk
    by about 6%, and on a ragged grid they take out most of the long jumps."""
    import numpy as np

    m = len(chain)
    end = m  # one more node, before the first stop and after the last: edges to it cost 0
    xs, ys = np.append(xy[:, 0], 0.0), np.append(xy[:, 1], 0.0)
    nxt, prv = np.full(m + 1, end), np.full(m + 1, end)
    order = np.asarray(chain)
    nxt[order[:-1]], prv[order[1:]] = order[1:], order[:-1]
    nxt[end], prv[end] = order[0], order[-1]
    stops = np.arange(m)

    def length(a: Any, b: Any) -> Any:
        d = np.hypot(xs[a] - xs[b], ys[a] - ys[b])
        d[(a == end) | (b == end)] = 0.0
        return d

    for _ in range(TIGHTEN_PASSES):
        before, after = prv[:m], nxt[:m]
        out, into = length(stops, after), length(before, stops)
        detour = into + out - length(before, after)  # what taking each stop out saves
        out_of, into_of = np.append(out, 0.0), np.append(into, 0.0)  # by stop, and for ``end``
        best = np.full(m, np.inf)
        put_a, put_b = np.full(m, end), np.full(m, end)
        for k in range(1, neighbours.shape[1]):
            j, dj = neighbours[:, k], distances[:, k]
            nj, pj = nxt[j], prv[j]
            slots = (
                (dj + length(stops, nj) - out_of[j], nj, j, nj),  # after j
                (length(pj, stops) + dj - into_of[j], pj, pj, j),  # before j
            )
            for cost, other, a, b in slots:
                cost[(other == stops) | (j == stops)] = np.inf
                better = cost < best
                best[better], put_a[better], put_b[better] = cost[better], a[better], b[better]
        saving = detour - best
        movers = np.nonzero(saving > 1e-6)[0]
        movers = movers[np.argsort(-saving[movers], kind="stable")]
        nx, pv = nxt.tolist(), prv.tolist()
        touched = [False] * (m + 1)
        moved = 0
        for i, a, b in zip(
            movers.tolist(), put_a[movers].tolist(), put_b[movers].tolist(), strict=True
        ):
            p, n = pv[i], nx[i]
            if touched[i] or touched[p] or touched[n] or touched[a] or touched[b]:
                continue  # its neighbourhood changed in this pass: the next pass sees it anew
            nx[p], pv[n] = n, p
            nx[a], pv[b], pv[i], nx[i] = i, i, a, b
            touched[i] = touched[p] = touched[n] = touched[a] = touched[b] = True
            touched[end] = False
            moved += 1
        nxt, prv = np.array(nx), np.array(pv)
        if not moved:
            break
    walk, nx = [], nxt.tolist()
    stop = nx[end]
    while stop != end:
        walk.append(stop)
        stop = nx[stop]
    return walk


def _nearest(
    stops: list[int],
    distances: list[float],
    start: int,
    count: int,
    seen: list[bool],
    rank: list[int],
) -> int:
    """The first unvisited of ``stops[start:start + count]`` (sorted by distance), ties to the
    lower sweep rank; -1 when all are visited."""
    best, best_distance = -1, 0.0
    for at in range(start, start + count):
        stop = stops[at]
        if seen[stop]:
            continue
        if best < 0:
            best, best_distance = stop, distances[at]
        elif distances[at] > best_distance:
            break
        elif rank[stop] < rank[best]:
            best = stop
    return best


def _sweep(xy: Any) -> Any:
    """Indices in a serpentine sweep: bands of SWEEP_BAND_M south to north, west to east in
    one band and east to west in the next (the start of the route, the tie-break, and where a
    chain goes on when everything near it is walked)."""
    import numpy as np

    band = np.floor((xy[:, 1] - xy[:, 1].min()) / SWEEP_BAND_M)
    way = np.where(band % 2 == 0, 1.0, -1.0)
    return np.lexsort((way * xy[:, 1], way * xy[:, 0], band))  # stable: ties by index
