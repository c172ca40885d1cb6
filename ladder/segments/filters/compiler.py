"""Compile a parsed definition to one Django ``Q`` over `Person`.

Everything a condition needs beyond the person row is an ``EXISTS`` (or, for aggregate
thresholds, an ``IN``/``NOT IN`` over a grouped subquery), so the whole universe is one SQL
statement that both SQLite and PostgreSQL plan well, and negation never trips over joins.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    Func,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Concat, Trim, Upper
from django.db.models.lookups import Exact, LessThan
from django.utils import timezone

from ladder.activity.models import Activity, PersonStats
from ladder.people.models import (
    Address,
    ContactStatus,
    EmailAddress,
    Membership,
    Person,
    Phone,
    Relationship,
    Subscription,
    Suppression,
    Tagging,
)
from ladder.segments.filters.schema import FilterError, parse

EARTH_RADIUS_KM = 6371.0088
SAMPLE_MULTIPLIER = 2654435761
SAMPLE_SEED_MULTIPLIER = 40503
SAMPLE_MODULUS = 2**32
MAX_SEGMENT_NESTING = 5

_COMPARE = {"gte": "gte", "gt": "gt", "lte": "lte", "lt": "lt", "eq": "exact"}
NOBODY = Q(pk__in=[])
INTEGER_STATS = frozenset(
    ("gifts_count", "touches_30d", "touches_90d", "actions_total", "events_attended",
     "shifts_done", "calls_made", "doors_knocked", "recruits")
)  # fmt: skip


def compare(left: float | Decimal, op: str, right: float | Decimal) -> bool:
    """The comparison ops of the language, in Python (for the "value of nothing" cases)."""
    if op == "gte":
        return left >= right
    if op == "gt":
        return left > right
    if op == "lte":
        return left <= right
    if op == "lt":
        return left < right
    return left == right


def whole_comparison(op: str, value: float) -> tuple[str, int] | None:
    """The same comparison against whole numbers only, or None when no whole number passes.

    Integer lookups in Django truncate a fractional value (``gt -0.5`` would become ``gt 0``
    and ``eq 1.5`` would become ``eq 1``), so counts are compared with whole bounds instead."""
    if value == int(value):
        return op, int(value)
    if op == "eq":
        return None
    if op in ("gt", "gte"):
        return "gte", math.ceil(value)
    return "lte", math.floor(value)


class Sha256Hex(Func):
    """`ladder.people.normalize.address_hash` in SQL: hex SHA-256 of the text."""

    function = "SHA256"  # Django registers SHA256 on SQLite connections
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra):  # type: ignore[no-untyped-def]
        return self.as_sql(
            compiler,
            connection,
            template="encode(sha256(convert_to(%(expressions)s, 'UTF8')), 'hex')",
            **extra,
        )


def sample_hash(column: str = "pk", seed: int = 0) -> Any:
    """(id * 2654435761 + seed * 40503) % 2**32, as an expression (see the spec)."""
    return (F(column) * Value(SAMPLE_MULTIPLIER) + Value(seed * SAMPLE_SEED_MULTIPLIER)) % Value(
        SAMPLE_MODULUS
    )


class Compiler:
    def __init__(
        self, now: dt.datetime, segments_seen: tuple[int, ...] = (), within: Any = None
    ) -> None:
        self.now = now
        self.segments_seen = segments_seen
        # Person ids the result will only be asked about (a subquery), or None for everyone.
        # Every per-person subquery is narrowed to them, so a definition evaluated for a few
        # people (the worker re-placing those who just acted) reads their rows only, instead
        # of hashing a whole year of attendance. The answer for each of them is unchanged.
        self.within = within
        self._suppressions: dict[str, bool] = {}

    def _mine(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        return rows if self.within is None else rows.filter(person_id__in=self.within)

    # -- entry points -------------------------------------------------------------------------

    def definition(self, definition: dict[str, Any]) -> Q:
        match = self.condition(definition["match"])
        sample = definition.get("sample")
        if not sample:
            return match
        if self.within is not None:
            # A sample is drawn from all the matches, not from the people asked about.
            everyone = Compiler(self.now, self.segments_seen)
            everyone._suppressions = self._suppressions
            return everyone.definition(definition)
        chosen = (
            Person.objects.filter(merged_into__isnull=True)
            .filter(match)
            .annotate(_h=sample_hash(seed=sample["seed"]))
            .order_by("_h", "pk")
            .values("pk")[: sample["size"]]
        )
        return Q(pk__in=Subquery(chosen))

    def condition(self, node: dict[str, Any]) -> Q:
        method = getattr(self, f"_{node['kind']}")
        result: Q = method(node)
        return result

    # -- logic --------------------------------------------------------------------------------

    def _all(self, node: dict[str, Any]) -> Q:
        q = Q()
        for child in node["of"]:
            q &= self.condition(child)
        return q

    def _any(self, node: dict[str, Any]) -> Q:
        if not node["of"]:
            return NOBODY
        children = [self.condition(child) for child in node["of"]]
        # An empty Q is "everyone", but Django drops it from `|` (X | Q() is X), so say it here.
        if any(not child for child in children):
            return Q()
        q = children[0]
        for child in children[1:]:
            q |= child
        return q

    def _not(self, node: dict[str, Any]) -> Q:
        inner = self.condition(node["of"])
        if not inner:  # not(everyone) is no one
            return NOBODY
        return ~inner

    # -- the person row -----------------------------------------------------------------------

    def _days_ago(self, days: int) -> dt.datetime:
        return self.now - dt.timedelta(days=days)

    def _field(self, node: dict[str, Any]) -> Q:
        field, op = node["field"], node["op"]
        value: Any = node.get("value")
        if op == "blank":
            return (
                Q(**{f"{field}__isnull": True}) | Q(**{field: ""})
                if field
                not in (
                    "birthdate",
                    "created_at",
                )
                else Q(**{f"{field}__isnull": True})
            )
        if op == "present":
            return ~self._field({**node, "op": "blank"})
        if field in ("birthdate", "created_at"):
            return self._date_field(field, op, value)
        lookups = {"eq": "iexact", "ne": "iexact", "contains": "icontains",
                   "starts_with": "istartswith"}  # fmt: skip
        if op == "in":
            q = NOBODY
            for item in value:
                q |= Q(**{f"{field}__iexact": item})
            return q
        q = Q(**{f"{field}__{lookups[op]}": value})
        return ~q if op == "ne" else q

    def _date_field(self, field: str, op: str, value: Any) -> Q:
        if field == "created_at":
            if op in ("before", "after"):
                start = _local_midnight(dt.date.fromisoformat(value))
                return Q(created_at__lt=start) if op == "before" else Q(created_at__gte=start)
            since = self._days_ago(value)
            return Q(created_at__gte=since) if op == "within_days" else Q(created_at__lt=since)
        # birthdate is a calendar date.
        if op in ("before", "after"):
            day = dt.date.fromisoformat(value)
            return Q(birthdate__lt=day) if op == "before" else Q(birthdate__gte=day)
        since_day = timezone.localtime(self._days_ago(value)).date()
        if op == "within_days":
            return Q(birthdate__gte=since_day)
        return Q(birthdate__lt=since_day)

    def _custom(self, node: dict[str, Any]) -> Q:
        key, op = node["key"], node["op"]
        value: Any = node.get("value")
        path = f"custom_fields__{key}"
        text = _json_is(key, "string")
        blank = ~Q(custom_fields__has_key=key) | _json_is(key, "null") | (text & Q(**{path: ""}))
        if op == "blank":
            return blank
        if op == "present":
            return ~blank
        if op in ("eq", "ne"):
            if isinstance(value, str):
                q = text & Q(**{f"{path}__iexact": value})
            elif isinstance(value, bool):
                q = _json_is(key, "boolean") & Q(**{path: value})
            else:
                q = _json_is(key, "number") & Q(**{path: value})
            return ~q if op == "ne" else q
        if op == "in":
            q = NOBODY
            for item in value:
                q |= Q(**{f"{path}__iexact": item})
            return text & q
        if op == "contains":
            return text & Q(**{f"{path}__icontains": value})
        # Numbers compare only with values stored as JSON numbers, never with text.
        return _json_is(key, "number") & Q(**{f"{path}__{_COMPARE[op]}": value})

    def _tags(self, node: dict[str, Any]) -> Q:
        return self._membership(Tagging, "tag_id", node["match"], node["tags"])

    def _groups(self, node: dict[str, Any]) -> Q:
        return self._membership(Membership, "group_id", node["match"], node["groups"])

    def _membership(self, model: Any, column: str, match: str, ids: list[int]) -> Q:
        def exists(values: list[int]) -> Exists:
            rows = model.objects.filter(person_id=OuterRef("pk"), **{f"{column}__in": values})
            return Exists(self._mine(rows))

        if match == "any":
            return Q(exists(ids))
        if match == "none":
            return ~Q(exists(ids))
        q = Q()
        for one in ids:
            q &= Q(exists([one]))
        return q

    def _point_person(self, node: dict[str, Any]) -> Q:
        if not node["users"]:
            return Q(point_person__isnull=True)
        return Q(point_person_id__in=node["users"])

    # -- geography ----------------------------------------------------------------------------

    def _known_by(self, node: dict[str, Any]) -> Q:
        knowers = Relationship.objects.filter(person_id=OuterRef("pk"), knower__user__isnull=False)
        if node["groups"]:
            knowers = knowers.filter(knower__memberships__group_id__in=node["groups"])
        return Q(Exists(knowers))

    def _addresses(self) -> QuerySet[Address]:
        rows = Address.objects.filter(person_id=OuterRef("pk"), status=ContactStatus.ACTIVE)
        return self._mine(rows)

    def _postal_code(self, node: dict[str, Any]) -> Q:
        q = NOBODY
        codes = node["codes"]
        if codes:
            q |= Q(postal_code__in=codes)
            for code in codes:
                q |= _prefix("postal_code", f"{code}-")
        for prefix in node["prefixes"]:
            q |= _prefix("postal_code", prefix)
        return Q(Exists(self._addresses().filter(q)))

    def _address(self, node: dict[str, Any]) -> Q:
        wanted = sorted({v.strip().upper() for v in node["values"]})
        rows = self._addresses().annotate(_v=Upper(Trim(node["field"]))).filter(_v__in=wanted)
        return Q(Exists(rows))

    def _near(self, node: dict[str, Any]) -> Q:
        lat0, lon0, km = node["lat"], node["lon"], node["km"]
        per_degree = math.pi / 180
        x = (F("longitude") - Value(float(lon0))) * Value(per_degree * math.cos(math.radians(lat0)))
        y = (F("latitude") - Value(float(lat0))) * Value(per_degree)
        reach = (km / EARTH_RADIUS_KM) ** 2
        # A latitude band first: cheap, and lets the database skip most rows.
        band = km / EARTH_RADIUS_KM / per_degree * 1.0001
        rows = (
            self._addresses()
            .filter(latitude__gte=lat0 - band, latitude__lte=lat0 + band, longitude__isnull=False)
            .annotate(_d=x * x + y * y)
            .filter(_d__lte=reach)
        )
        return Q(Exists(rows))

    # -- reachability and consent -------------------------------------------------------------

    def _has_suppressions(self, channel: str) -> bool:
        if channel not in self._suppressions:
            self._suppressions[channel] = Suppression.objects.filter(channel=channel).exists()
        return self._suppressions[channel]

    def _not_suppressed(self, channel: str, column: str) -> Q:
        if not self._has_suppressions(channel):
            return Q()
        key = Sha256Hex(Concat(Value(f"{channel}:"), OuterRef(column), output_field=CharField()))
        return ~Q(Exists(Suppression.objects.filter(channel=channel, address_hash=key)))

    def _reachable(self, node: dict[str, Any]) -> Q:
        channel = node["channel"]
        if channel == "email":
            rows: QuerySet[Any] = EmailAddress.objects.filter(
                person_id=OuterRef("pk"),
                status=ContactStatus.ACTIVE,
                subscription=Subscription.SUBSCRIBED,
            ).filter(self._not_suppressed("email", "address"))
            return Q(Exists(self._mine(rows)))
        phones = self._mine(
            Phone.objects.filter(person_id=OuterRef("pk"), status=ContactStatus.ACTIVE)
        )
        if channel == "sms":
            rows = phones.filter(kind=Phone.Kind.MOBILE, sms_subscription=Subscription.SUBSCRIBED)
        else:
            rows = phones.filter(do_not_call=False)
        return Q(Exists(rows.filter(self._not_suppressed(channel, "number"))))

    def _unsubscribed(self, node: dict[str, Any]) -> Q:
        if node["channel"] == "email":
            rows: QuerySet[Any] = EmailAddress.objects.filter(
                person_id=OuterRef("pk"), subscription=Subscription.UNSUBSCRIBED
            )
        else:
            rows = Phone.objects.filter(
                person_id=OuterRef("pk"), sms_subscription=Subscription.UNSUBSCRIBED
            )
        return Q(Exists(self._mine(rows)))

    # -- activity -----------------------------------------------------------------------------

    def _activity(self, node: dict[str, Any]) -> Q:
        rows = self._mine(Activity.objects.all())
        if node["types"]:
            rows = rows.filter(type__in=node["types"])
        if "days" in node:
            rows = rows.filter(occurred_at__gte=self._days_ago(node["days"]))
        if "from" in node:
            start = dt.date.fromisoformat(node["from"])
            rows = rows.filter(occurred_at__gte=_local_midnight(start))
        if "to" in node:
            end = dt.date.fromisoformat(node["to"]) + dt.timedelta(days=1)
            rows = rows.filter(occurred_at__lt=_local_midnight(end))
        if "object" in node:
            rows = rows.filter(object_type=node["object"]["type"], object_id=node["object"]["id"])
        if "results" in node:
            rows = rows.filter(result__in=node["results"])
        measure, op, value = node["measure"], node["op"], node["value"]

        if measure == "count":
            whole = whole_comparison(op, value)
            if whole is None:
                return NOBODY
            op, value = whole
            if not compare(0, op, value) and compare(1, op, value) and op in ("gte", "gt"):
                return Q(Exists(rows.filter(person_id=OuterRef("pk"))))  # "at least one"
            if compare(0, op, value) and not compare(1, op, value) and op in ("eq", "lt", "lte"):
                return ~Q(Exists(rows.filter(person_id=OuterRef("pk"))))  # "none"
            aggregate: Any = Count("id")
        elif measure == "sum":
            rows = rows.filter(amount__isnull=False)
            aggregate = Coalesce(Sum("amount"), Value(Decimal(0)))
        else:
            rows = rows.filter(amount__isnull=False)
            aggregate = Min("amount") if measure == "min" else Max("amount")
        number = Decimal(str(value)) if measure != "count" else value
        passing = Q(**{f"_m__{_COMPARE[op]}": number})
        grouped = rows.values("person_id").annotate(_m=aggregate)
        if measure in ("count", "sum") and compare(0, op, number):
            # People with none of these activities match too: exclude only those who fail.
            failing = grouped.filter(~passing).values("person_id")
            return ~Q(pk__in=Subquery(failing))
        return Q(pk__in=Subquery(grouped.filter(passing).values("person_id")))

    # -- rollups and ladders ------------------------------------------------------------------

    def _stat(self, node: dict[str, Any]) -> Q:
        field, op = node["field"], node["op"]
        stats = self._mine(PersonStats.objects.filter(person_id=OuterRef("pk")))
        if op == "never":
            return ~Q(Exists(stats.filter(**{f"{field}__isnull": False})))
        if op in ("within_days", "not_within_days"):
            recent = Q(Exists(stats.filter(**{f"{field}__gte": self._days_ago(node["value"])})))
            return recent if op == "within_days" else ~recent
        if field == "engagement_score":
            return self._score(stats, op, node["value"])
        value = node["value"]
        if field in INTEGER_STATS:
            whole = whole_comparison(op, value)
            if whole is None:
                return NOBODY
            op, value = whole
        passing = Q(**{f"{field}__{_COMPARE[op]}": value})
        if compare(0, op, value):  # no stats row counts as 0
            return ~Q(Exists(stats.filter(~passing)))
        return Q(Exists(stats.filter(passing)))

    def _score(self, stats: QuerySet[PersonStats], op: str, value: float) -> Q:
        from ladder.ladders.scoring import raw_bound

        if op == "eq":
            low, high = raw_bound(value - 0.5, self.now), raw_bound(value + 0.5, self.now)
            passing = Q(engagement_raw__gte=low, engagement_raw__lt=high)
            zero = low <= 0.0 < high
        else:
            bound = raw_bound(value, self.now)
            passing = Q(**{f"engagement_raw__{_COMPARE[op]}": bound})
            zero = compare(0.0, op, bound)
        if zero:
            return ~Q(Exists(stats.filter(~passing)))
        return Q(Exists(stats.filter(passing)))

    def _rung(self, node: dict[str, Any]) -> Q:
        placement = apps.get_model("ladders", "RungPlacement")
        rung_model = apps.get_model("ladders", "Rung")
        rows = self._mine(
            placement.objects.filter(person_id=OuterRef("pk"), ladder_id=node["ladder"])
        )
        if "at_least" in node:
            floor = rung_model.objects.filter(pk=node["at_least"], ladder_id=node["ladder"]).first()
            if floor is None:
                raise FilterError("rung.at_least", "no such rung on this ladder")
            rows = rows.filter(rung__position__gte=floor.position)
        else:
            rows = rows.filter(rung_id__in=node["rungs"])
        return Q(Exists(rows))

    # -- other universes ----------------------------------------------------------------------

    def _segment(self, node: dict[str, Any]) -> Q:
        segment_model = apps.get_model("segments", "Segment")
        segment_id = node["id"]
        if segment_id in self.segments_seen:
            raise FilterError("segment", f"segment {segment_id} includes itself")
        if len(self.segments_seen) >= MAX_SEGMENT_NESTING:
            raise FilterError("segment", "segments nest too deeply")
        row = segment_model.objects.filter(pk=segment_id).values_list("definition", flat=True)
        stored = row.first()
        if stored is None:
            raise FilterError("segment", f"no segment {segment_id}")
        inner = Compiler(self.now, (*self.segments_seen, segment_id), self.within)
        inner._suppressions = self._suppressions
        return inner.definition(parse(stored))

    def _list(self, node: dict[str, Any]) -> Q:
        member = apps.get_model("segments", "ListMember")
        list_model = apps.get_model("segments", "StaticList")
        if not list_model.objects.filter(pk=node["id"]).exists():
            raise FilterError("list", f"no list {node['id']}")
        rows = self._mine(
            member.objects.filter(person_id=OuterRef("pk"), static_list_id=node["id"])
        )
        return Q(Exists(rows))

    def _sample(self, node: dict[str, Any]) -> Q:
        threshold = math.floor(node["percent"] * SAMPLE_MODULUS / 100)
        return Q(LessThan(sample_hash(seed=node["seed"]), Value(threshold)))


def _prefix(field: str, prefix: str) -> Q:
    # A range rather than LIKE, so that a plain b-tree index serves it on both databases.
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + "\uffff"})


class JsonType(Func):
    """The JSON type of ``custom_fields[key]``: "string", "number", … or "missing" — never
    NULL, so that negating a condition built on it stays two-valued.
    ``key`` is validated by the schema (letters, digits, - and _), so it is safe to inline."""

    output_field = CharField()

    def __init__(self, key: str) -> None:
        assert key.replace("_", "").replace("-", "").isalnum(), key
        self.key = key
        super().__init__(F("custom_fields"))

    def as_sqlite(self, compiler, connection, **extra):  # type: ignore[no-untyped-def]
        # SQLite says integer/real/text/true/false/null; fold them into PostgreSQL's names.
        template = (
            f"(CASE json_type(%(expressions)s, '$.\"{self.key}\"') "
            "WHEN 'integer' THEN 'number' WHEN 'real' THEN 'number' WHEN 'text' THEN 'string' "
            "WHEN 'true' THEN 'boolean' WHEN 'false' THEN 'boolean' "
            "WHEN 'null' THEN 'null' ELSE 'missing' END)"
        )
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler, connection, **extra):  # type: ignore[no-untyped-def]
        template = f"COALESCE(jsonb_typeof((%(expressions)s) -> '{self.key}'), 'missing')"
        return self.as_sql(compiler, connection, template=template, **extra)


def _json_is(key: str, kind: str) -> Q:
    return Q(Exact(JsonType(key), Value(kind)))


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def compile_definition(
    definition: dict[str, Any], *, now: dt.datetime | None = None, within: Any = None
) -> Q:
    """The people a definition matches, as a ``Q`` over `Person` (merged-away people never
    match). ``definition`` may be raw JSON: it is validated first (FilterError).

    ``within`` (a subquery of person ids) promises that the Q will only be applied to those
    people: the subqueries then read their rows only. For anyone outside it the answer is
    meaningless, so use it only together with a filter to the same people."""
    parsed = parse(definition)
    compiler = Compiler(now or timezone.now(), within=within)
    return Q(merged_into__isnull=True) & compiler.definition(parsed)
