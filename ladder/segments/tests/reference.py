"""A plain-Python reference evaluator of the filter language, for the property test.

It is written from the specification in `ladder.segments.filters` (its docstring) alone, without
looking at the compiler, so that the two are independent implementations of one contract: the
property test runs both over generated data and trees and demands the same members.

`Snapshot.load()` reads every table the language can look at with plain queries into memory;
`evaluate()` walks the definition over it one person at a time. Nothing here is fast and nothing
needs to be: datasets in the tests have a few dozen people.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings

from ladder.activity.models import Activity, PersonStats
from ladder.ladders.models import Rung, RungPlacement
from ladder.ladders.scoring import raw_bound
from ladder.people.models import (
    Address,
    EmailAddress,
    Membership,
    Person,
    Phone,
    Relationship,
    Suppression,
    Tagging,
)
from ladder.people.normalize import address_hash
from ladder.segments.models import ListMember, Segment

TEXT_FIELDS = (
    "first_name",
    "middle_name",
    "last_name",
    "source",
    "languages",
    "employer",
    "occupation",
)
DATE_FIELDS = ("birthdate", "created_at")
ADDRESS_FIELDS = (
    "region",
    "locality",
    "county",
    "country",
    "congressional_district",
    "state_upper_district",
    "state_lower_district",
    "precinct",
)
STAT_NUMBERS = (
    "given_total",
    "given_365d",
    "given_largest",
    "gifts_count",
    "touches_30d",
    "touches_90d",
    "actions_total",
    "events_attended",
    "shifts_done",
    "calls_made",
    "doors_knocked",
    "recruits",
    "engagement_score",
)
STAT_TIMES = (
    "last_open_at",
    "last_click_at",
    "last_action_at",
    "last_contact_at",
    "last_gift_at",
    "first_activity_at",
)
EARTH_KM = 6371.0088
HASH_MOD = 2**32


# Does a person with no birthdate match ``birthdate not_within_days N``? The spec says "earlier,
# or never" for the rollup times and nothing for person dates; the compiler says no (only an
# earlier date matches), and this follows it.
BLANK_IS_NOT_WITHIN = False


def sample_hash(person_id: int, seed: int) -> int:
    return (person_id * 2654435761 + seed * 40503) % HASH_MOD


@dataclass
class Snapshot:
    """Everything the language reads, keyed by person id."""

    people: dict[int, dict[str, Any]] = field(default_factory=dict)
    tags: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    groups: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    knowers: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))  # who knows them
    addresses: dict[int, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    emails: dict[int, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    phones: dict[int, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    suppressions: set[tuple[str, str]] = field(default_factory=set)
    activities: dict[int, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    stats: dict[int, dict[str, Any]] = field(default_factory=dict)
    # (person, ladder) -> rung id; rung id -> (ladder id, position)
    placements: dict[tuple[int, int], int] = field(default_factory=dict)
    rungs: dict[int, tuple[int, int]] = field(default_factory=dict)
    segments: dict[int, Any] = field(default_factory=dict)
    lists: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))

    @classmethod
    def load(cls) -> Snapshot:
        snap = cls()
        for row in Person.objects.values(
            "id",
            *TEXT_FIELDS,
            *DATE_FIELDS,
            "custom_fields",
            "point_person_id",
            "merged_into_id",
            "user_id",
        ):
            snap.people[row["id"]] = row
        for person_id, tag_id in Tagging.objects.values_list("person_id", "tag_id"):
            snap.tags[person_id].add(tag_id)
        for person_id, group_id in Membership.objects.values_list("person_id", "group_id"):
            snap.groups[person_id].add(group_id)
        for person_id, knower_id in Relationship.objects.values_list("person_id", "knower_id"):
            snap.knowers[person_id].add(knower_id)
        for row in Address.objects.values():
            snap.addresses[row["person_id"]].append(dict(row))
        for row in EmailAddress.objects.values():
            snap.emails[row["person_id"]].append(dict(row))
        for row in Phone.objects.values():
            snap.phones[row["person_id"]].append(dict(row))
        snap.suppressions = set(Suppression.objects.values_list("channel", "address_hash"))
        for row in Activity.objects.values(
            "person_id", "type", "occurred_at", "object_type", "object_id", "amount", "result"
        ):
            snap.activities[row["person_id"]].append(dict(row))
        for row in PersonStats.objects.values():
            snap.stats[row["person_id"]] = dict(row)
        for rung_id, ladder_id, position in Rung.objects.values_list("id", "ladder_id", "position"):
            snap.rungs[rung_id] = (ladder_id, position)
        for person_id, ladder_id, rung_id in RungPlacement.objects.values_list(
            "person_id", "ladder_id", "rung_id"
        ):
            snap.placements[(person_id, ladder_id)] = rung_id
        snap.segments = dict(Segment.objects.values_list("id", "definition"))
        for list_id, person_id in ListMember.objects.values_list("static_list_id", "person_id"):
            snap.lists[list_id].add(person_id)
        return snap


# ---------------------------------------------------------------------------------------------
# Small helpers


def _local_tz() -> dt.tzinfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(_local_tz()).date()


def _iso_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _fold(value: Any) -> str:
    return str(value).lower()


def _number(value: Any) -> Decimal:
    # Through str() so that 0.1 means 0.1 and not its binary neighbour.
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _compare(op: str, left: Any, right: Any) -> bool:
    match op:
        case "eq":
            return bool(left == right)
        case "gt":
            return bool(left > right)
        case "gte":
            return bool(left >= right)
        case "lt":
            return bool(left < right)
        case "lte":
            return bool(left <= right)
    raise ValueError(f"unknown comparison {op!r}")


def _is_json_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


# ---------------------------------------------------------------------------------------------
# Evaluation


class _Evaluator:
    def __init__(self, data: Snapshot, now: dt.datetime, depth: int = 0) -> None:
        self.data = data
        self.now = now
        self.depth = depth
        # Merged-away people never match, not even under "not".
        self.universe = {pid for pid, p in data.people.items() if p["merged_into_id"] is None}

    def where(self, test: Callable[[int], bool]) -> set[int]:
        return {pid for pid in self.universe if test(pid)}

    def condition(self, c: dict[str, Any]) -> set[int]:
        kind = c["kind"]
        handler = getattr(self, f"kind_{kind}", None)
        if handler is None:
            raise ValueError(f"unknown kind {kind!r}")
        return handler(c) & self.universe

    # Logic -----------------------------------------------------------------------------------

    def kind_all(self, c: dict[str, Any]) -> set[int]:
        result = set(self.universe)
        for sub in c["of"]:
            result &= self.condition(sub)
        return result

    def kind_any(self, c: dict[str, Any]) -> set[int]:
        result: set[int] = set()
        for sub in c["of"]:
            result |= self.condition(sub)
        return result

    def kind_not(self, c: dict[str, Any]) -> set[int]:
        return self.universe - self.condition(c["of"])

    # Person ----------------------------------------------------------------------------------

    def kind_field(self, c: dict[str, Any]) -> set[int]:
        name, op, value = c["field"], c["op"], c.get("value")
        if name in TEXT_FIELDS:
            return self.where(lambda pid: _text_op(op, self.data.people[pid][name], value))
        if name in DATE_FIELDS:
            return self.where(lambda pid: self._date_op(op, self.data.people[pid][name], value))
        raise ValueError(f"unknown field {name!r}")

    def _date_op(self, op: str, stored: dt.date | dt.datetime | None, value: Any) -> bool:
        if op == "blank":
            return stored is None
        if op == "present":
            return stored is not None
        if op == "not_within_days":
            # The spec says "earlier, or never" for rollup times but is silent here; see
            # BLANK_IS_NOT_WITHIN.
            if stored is None:
                return BLANK_IS_NOT_WITHIN
            return not self._date_op("within_days", stored, value)
        if stored is None:
            return False
        if isinstance(stored, dt.datetime):
            if op in ("before", "after"):
                # "That day" is a calendar day where the organization is.
                day = _local_date(stored)
                return day < _iso_date(value) if op == "before" else day >= _iso_date(value)
            if op == "within_days":
                return stored >= self.now - dt.timedelta(days=int(value))
        else:
            if op == "before":
                return stored < _iso_date(value)
            if op == "after":
                return stored >= _iso_date(value)
            if op == "within_days":
                return stored >= _local_date(self.now) - dt.timedelta(days=int(value))
        raise ValueError(f"unknown date op {op!r}")

    def kind_custom(self, c: dict[str, Any]) -> set[int]:
        key, op, value = c["key"], c["op"], c.get("value")

        def test(pid: int) -> bool:
            fields = self.data.people[pid]["custom_fields"] or {}
            missing = key not in fields or fields[key] is None
            stored = None if missing else fields[key]
            blank = missing or stored == ""
            match op:
                case "blank":
                    return blank
                case "present":
                    return not blank
                case "ne":
                    # Holds for people who have no value too.
                    return missing or _fold(_json_text(stored)) != _fold(value)
            if missing:
                return False
            match op:
                case "eq":
                    return _fold(_json_text(stored)) == _fold(value)
                case "in":
                    return _fold(_json_text(stored)) in {_fold(v) for v in value or []}
                case "contains":
                    return _fold(value) in _fold(_json_text(stored))
                case "gt" | "gte" | "lt" | "lte":
                    if not _is_json_number(stored):
                        return False
                    return _compare(op, _number(stored), _number(value))
            raise ValueError(f"unknown custom op {op!r}")

        return self.where(test)

    def kind_tags(self, c: dict[str, Any]) -> set[int]:
        return self._membership(self.data.tags, c["match"], c["tags"])

    def kind_groups(self, c: dict[str, Any]) -> set[int]:
        return self._membership(self.data.groups, c["match"], c["groups"])

    def _membership(self, held: dict[int, set[int]], match: str, wanted: list[int]) -> set[int]:
        want = set(wanted)

        def test(pid: int) -> bool:
            mine = held.get(pid, set())
            if match == "any":
                return bool(mine & want)
            if match == "all":
                return want <= mine
            if match == "none":
                return not (mine & want)
            raise ValueError(f"unknown match {match!r}")

        return self.where(test)

    def kind_point_person(self, c: dict[str, Any]) -> set[int]:
        users = set(c["users"])
        if not users:
            return self.where(lambda pid: self.data.people[pid]["point_person_id"] is None)
        return self.where(lambda pid: self.data.people[pid]["point_person_id"] in users)

    def kind_known_by(self, c: dict[str, Any]) -> set[int]:
        # Someone with a login knows them; with groups, someone who is a member of one of them.
        groups = set(c["groups"])

        def counts(knower: int) -> bool:
            if self.data.people[knower]["user_id"] is None:
                return False
            return not groups or bool(self.data.groups.get(knower, set()) & groups)

        return self.where(lambda pid: any(counts(k) for k in self.data.knowers.get(pid, ())))

    # Geography -------------------------------------------------------------------------------

    def _active_addresses(self, pid: int) -> Iterable[dict[str, Any]]:
        return (a for a in self.data.addresses.get(pid, []) if a["status"] == "active")

    def kind_postal_code(self, c: dict[str, Any]) -> set[int]:
        codes = set(c.get("codes") or [])
        prefixes = list(c.get("prefixes") or [])

        def matches(postal: str) -> bool:
            # A code is the whole postal code, or its first part before a ZIP+4 "-".
            if any(postal == code or postal.startswith(f"{code}-") for code in codes):
                return True
            return any(postal.startswith(p) for p in prefixes)

        return self.where(
            lambda pid: any(matches(a["postal_code"]) for a in self._active_addresses(pid))
        )

    def kind_address(self, c: dict[str, Any]) -> set[int]:
        name = c["field"]
        if name not in ADDRESS_FIELDS:
            raise ValueError(f"unknown address field {name!r}")
        wanted = {str(v).strip().lower() for v in c["values"]}
        return self.where(
            lambda pid: any(
                str(a[name]).strip().lower() in wanted for a in self._active_addresses(pid)
            )
        )

    def kind_near(self, c: dict[str, Any]) -> set[int]:
        lat0, lon0, km = float(c["lat"]), float(c["lon"]), float(c["km"])
        limit = (km / EARTH_KM) ** 2
        scale = math.cos(math.radians(lat0))

        def close(a: dict[str, Any]) -> bool:
            if a["latitude"] is None or a["longitude"] is None:
                return False
            x = math.radians(a["longitude"] - lon0) * scale
            y = math.radians(a["latitude"] - lat0)
            return x * x + y * y <= limit

        return self.where(lambda pid: any(close(a) for a in self._active_addresses(pid)))

    # Reachability ----------------------------------------------------------------------------

    def _suppressed(self, channel: str, point: str) -> bool:
        return (channel, address_hash(channel, point)) in self.data.suppressions

    def kind_reachable(self, c: dict[str, Any]) -> set[int]:
        channel = c["channel"]
        if channel == "email":
            return self.where(
                lambda pid: any(
                    e["status"] == "active"
                    and e["subscription"] == "subscribed"
                    and not self._suppressed("email", e["address"])
                    for e in self.data.emails.get(pid, [])
                )
            )
        if channel == "sms":
            return self.where(
                lambda pid: any(
                    p["status"] == "active"
                    and p["kind"] == "mobile"
                    and p["sms_subscription"] == "subscribed"
                    and not self._suppressed("sms", p["number"])
                    for p in self.data.phones.get(pid, [])
                )
            )
        if channel == "phone":
            return self.where(
                lambda pid: any(
                    p["status"] == "active"
                    and not p["do_not_call"]
                    and not self._suppressed("phone", p["number"])
                    for p in self.data.phones.get(pid, [])
                )
            )
        raise ValueError(f"unknown channel {channel!r}")

    def kind_unsubscribed(self, c: dict[str, Any]) -> set[int]:
        channel = c["channel"]
        if channel == "email":
            return self.where(
                lambda pid: any(
                    e["subscription"] == "unsubscribed" for e in self.data.emails.get(pid, [])
                )
            )
        if channel == "sms":
            return self.where(
                lambda pid: any(
                    p["sms_subscription"] == "unsubscribed" for p in self.data.phones.get(pid, [])
                )
            )
        raise ValueError(f"unknown channel {channel!r}")

    # Activity --------------------------------------------------------------------------------

    def kind_activity(self, c: dict[str, Any]) -> set[int]:
        types = set(c.get("types") or [])
        days = c.get("days")
        start = _iso_date(c["from"]) if c.get("from") else None
        end = _iso_date(c["to"]) if c.get("to") else None
        obj = c.get("object")
        results = set(c.get("results") or [])
        measure = c.get("measure", "count")
        op = c.get("op", "gte")
        value = c.get("value", 1)

        def counts(a: dict[str, Any]) -> bool:
            if types and a["type"] not in types:
                return False
            if days is not None and a["occurred_at"] < self.now - dt.timedelta(days=int(days)):
                return False
            day = _local_date(a["occurred_at"])
            if start is not None and day < start:
                return False
            if end is not None and day > end:
                return False
            if obj is not None and (
                a["object_type"] != obj["type"] or a["object_id"] != int(obj["id"])
            ):
                return False
            return not (results and a["result"] not in results)

        def test(pid: int) -> bool:
            chosen = [a for a in self.data.activities.get(pid, []) if counts(a)]
            amounts = [a["amount"] for a in chosen if a["amount"] is not None]
            if measure == "count":
                return _compare(op, Decimal(len(chosen)), _number(value))
            if measure == "sum":
                return _compare(op, sum(amounts, Decimal(0)), _number(value))
            if measure in ("min", "max"):
                if not amounts:
                    return False  # no value: never matches
                best = min(amounts) if measure == "min" else max(amounts)
                return _compare(op, best, _number(value))
            raise ValueError(f"unknown measure {measure!r}")

        return self.where(test)

    # Rollups and ladders ---------------------------------------------------------------------

    def kind_stat(self, c: dict[str, Any]) -> set[int]:
        name, op, value = c["field"], c["op"], c.get("value")
        stats = self.data.stats
        if name == "engagement_score":
            return self._engagement(op, value)
        if name in STAT_NUMBERS:
            return self.where(
                lambda pid: _compare(
                    op, _number(stats[pid][name]) if pid in stats else Decimal(0), _number(value)
                )
            )
        if name in STAT_TIMES:

            def moment(pid: int) -> dt.datetime | None:
                return stats[pid][name] if pid in stats else None

            if op == "never":
                return self.where(lambda pid: moment(pid) is None)
            since = self.now - dt.timedelta(days=int(value or 0))
            if op == "within_days":
                return self.where(lambda pid: (m := moment(pid)) is not None and m >= since)
            if op == "not_within_days":
                return self.where(lambda pid: (m := moment(pid)) is None or m < since)
            raise ValueError(f"unknown time op {op!r}")
        raise ValueError(f"unknown stat {name!r}")

    def _engagement(self, op: str, value: Any) -> set[int]:
        # The decayed score at now is raw × decay(now): compare raw with the bound scaled up.
        stats = self.data.stats

        def raw(pid: int) -> float:
            return float(stats[pid]["engagement_raw"] or 0) if pid in stats else 0.0

        if op == "eq":
            low, high = raw_bound(value - 0.5, self.now), raw_bound(value + 0.5, self.now)
            return self.where(lambda pid: low <= raw(pid) < high)
        bound = raw_bound(value, self.now)
        return self.where(lambda pid: _compare(op, raw(pid), bound))

    def kind_rung(self, c: dict[str, Any]) -> set[int]:
        ladder_id = int(c["ladder"])
        placements = self.data.placements

        def rung_of(pid: int) -> int | None:
            return placements.get((pid, ladder_id))

        if "rungs" in c and c["rungs"] is not None:
            wanted = set(c["rungs"])
            return self.where(lambda pid: rung_of(pid) in wanted)
        floor = self.data.rungs[int(c["at_least"])][1]
        return self.where(
            lambda pid: (r := rung_of(pid)) is not None and self.data.rungs[r][1] >= floor
        )

    # Other universes -------------------------------------------------------------------------

    def kind_segment(self, c: dict[str, Any]) -> set[int]:
        if self.depth > 20:
            raise RecursionError("segment references nest too deep (a cycle?)")
        definition = self.data.segments[int(c["id"])]
        return evaluate(definition, self.data, self.now, _depth=self.depth + 1)

    def kind_list(self, c: dict[str, Any]) -> set[int]:
        return set(self.data.lists.get(int(c["id"]), set()))

    def kind_sample(self, c: dict[str, Any]) -> set[int]:
        threshold = math.floor(c["percent"] * 2**32 / 100)
        seed = int(c["seed"])
        return self.where(lambda pid: sample_hash(pid, seed) < threshold)


def _json_text(value: Any) -> str:
    """A custom value as text, the way it reads in JSON (true/false, numbers as written)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _text_op(op: str, stored: str | None, value: Any) -> bool:
    text = (stored or "").lower()
    match op:
        case "blank":
            return text == ""
        case "present":
            return text != ""
        case "eq":
            return text == _fold(value)
        case "ne":
            return text != _fold(value)
        case "in":
            return text in {_fold(v) for v in value}
        case "contains":
            return _fold(value) in text
        case "starts_with":
            return text.startswith(_fold(value))
    raise ValueError(f"unknown text op {op!r}")


def evaluate(
    definition: dict[str, Any], data: Snapshot, now: dt.datetime, _depth: int = 0
) -> set[int]:
    """The ids of the people ``definition`` selects, as the specification says."""
    if definition.get("version", 1) != 1:
        raise ValueError(f"unknown version {definition.get('version')!r}")
    evaluator = _Evaluator(data, now, _depth)
    members = evaluator.condition(definition["match"])
    sample = definition.get("sample")
    if sample:
        seed = int(sample.get("seed", 0))
        ordered = sorted(members, key=lambda pid: (sample_hash(pid, seed), pid))
        members = set(ordered[: int(sample["size"])])
    return members


def sample_order(ids: Iterable[int], seed: int) -> list[int]:
    """The order the top-level sample keeps people in: smallest hash first, ties by id."""
    return sorted(ids, key=lambda pid: (sample_hash(pid, seed), pid))


__all__ = ["Snapshot", "evaluate", "sample_hash", "sample_order"]
