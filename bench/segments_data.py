"""Synthetic people and activity history for the segments benchmark, loaded fast.

Everything is generated column-wise with polars (no Python loop per row): a pseudo-random
number per row and purpose is a hash of the row id with a seed, so a table is a handful of
vectorised expressions. PostgreSQL loads it with ``COPY … FROM STDIN (FORMAT csv, FREEZE)`` into
tables truncated in the same transaction, with their secondary indexes and unique constraints
dropped first and rebuilt afterwards and foreign-key triggers off (the data is correct by
construction); SQLite, which has no COPY, gets one ``executemany`` transaction per table.

The shape, per person (rates are of all people):
- an email (85%; 70% of them subscribed), a phone (60%; most mobile), an address (92%) in one of
  nine Midwest states (Iowa 35%) with a postal code, county, district and coordinates;
- tags (education 15%, healthcare 12%, …), a chapter membership (60%) and some team ones;
- activities spread over the last two years, their ids rising with time as in a real log:
  mostly email (sent, opened, clicked), then calls, door knocks, petitions, donations
  (log-normal amounts, median about $35), RSVPs, attendance, shifts… Actions (giving, showing
  up) concentrate on an engaged minority, as they do in life; sends and contact attempts are
  spread over everyone.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import polars as pl

from ladder.activity.catalogue import CATALOGUE

# (region, share of people, zip-code prefixes (3 digits), centre latitude, longitude, cities)
IOWA = ["Des Moines", "Cedar Rapids", "Davenport", "Iowa City", "Ames", "Waterloo"]
REGIONS = [
    ("IA", 0.35, (500, 528), 41.9, -93.4, IOWA),
    ("NE", 0.10, (680, 693), 41.2, -98.0, ["Omaha", "Lincoln", "Kearney"]),
    ("MN", 0.10, (550, 567), 45.0, -93.9, ["Minneapolis", "Saint Paul", "Rochester", "Duluth"]),
    ("MO", 0.10, (630, 658), 38.5, -92.3, ["Kansas City", "Saint Louis", "Springfield"]),
    ("IL", 0.10, (600, 629), 40.0, -89.2, ["Chicago", "Peoria", "Springfield", "Rockford"]),
    ("WI", 0.08, (530, 549), 44.5, -89.8, ["Milwaukee", "Madison", "Green Bay"]),
    ("KS", 0.07, (660, 679), 38.5, -98.3, ["Wichita", "Topeka", "Lawrence"]),
    ("SD", 0.05, (570, 577), 44.4, -100.2, ["Sioux Falls", "Rapid City"]),
    ("ND", 0.05, (580, 588), 47.5, -100.5, ["Fargo", "Bismarck"]),
]  # fmt: skip

TAGS = [
    ("education", 0.15), ("healthcare", 0.12), ("climate", 0.10), ("housing", 0.08),
    ("labor", 0.06), ("voting-rights", 0.05), ("spanish-speaker", 0.05), ("student", 0.04),
    ("volunteer-prospect", 0.04), ("donor-prospect", 0.03),
]  # fmt: skip
TEAMS = [("Phone bank team", 0.05), ("Canvass team", 0.05), ("Data team", 0.01)]

FIRST = ["Ana", "Ben", "Carmen", "Dev", "Elena", "Farid", "Grace", "Hector", "Iris", "Jamal",
         "Kim", "Luis", "Maya", "Nate", "Olga", "Priya", "Quinn", "Rosa", "Sam", "Tariq",
         "Uma", "Victor", "Wen", "Xavier", "Yara", "Zoe"]  # fmt: skip
LAST = ["Anderson", "Brown", "Chen", "Diaz", "Erickson", "Fischer", "Garcia", "Hansen", "Ito",
        "Johnson", "Kowalski", "Larsen", "Miller", "Nguyen", "Olson", "Patel", "Quist",
        "Rodriguez", "Schmidt", "Thompson", "Umar", "Vang", "Williams", "Xu", "Young",
        "Zimmerman"]  # fmt: skip
STREETS = ["Main St", "Oak Ave", "Maple St", "Grand Ave", "University Ave", "Park Rd",
           "Elm St", "Cedar St", "Washington Ave", "Lincoln Way"]  # fmt: skip

# Activity types: (type, share of all activities, skew). Skew 1 spreads a type evenly over
# everyone; higher concentrates it on the most engaged people (see `_people`).
ACTIVITY_MIX = [
    ("email_sent", 0.50, 1.0), ("email_opened", 0.17, 1.25), ("email_clicked", 0.035, 1.4),
    ("email_unsubscribed", 0.002, 1.0), ("email_bounced", 0.003, 1.0),
    ("call", 0.05, 1.0), ("door_knock", 0.05, 1.0), ("text", 0.03, 1.0),
    ("survey_response", 0.01, 1.25), ("note", 0.005, 1.0),
    ("donation", 0.04, 1.6), ("donation_refund", 0.0008, 1.6),
    ("petition_signature", 0.04, 1.4), ("form_submission", 0.01, 1.4),
    ("rsvp", 0.02, 1.6), ("attendance", 0.015, 1.6), ("no_show", 0.005, 1.6),
    ("shift_completed", 0.008, 1.8), ("meeting", 0.003, 1.8),
    ("social_engagement", 0.01, 1.4), ("web_signup", 0.005, 1.2),
    ("relational_touch", 0.005, 1.6),
]  # fmt: skip
CONTACT_RESULTS = ["talked", "not_home", "not_home", "left_message", "refused", "wrong_number"]
HISTORY = dt.timedelta(days=730)
# Knuth's multiplicative hash constant (a prime): a bijection on 0..N-1 when N is not a
# multiple of it, so "rank by engagement" maps onto person ids in no particular order.
SPREAD = 2654435761


@dataclass(frozen=True)
class Scale:
    people: int
    activities: int

    @property
    def key(self) -> str:
        return f"{self.people}_{self.activities}"


# ---------------------------------------------------------------------------- randomness


def uniform(seed: int, column: str = "id") -> pl.Expr:
    """A pseudo-random number in [0, 1) per row, fixed by the row's ``column`` and ``seed``."""
    return (pl.col(column).hash(seed) // 2048).cast(pl.Float64) / float(2**53)


def pick(values: list[Any], u: pl.Expr) -> pl.Expr:
    """One of ``values``, evenly, chosen by the uniform ``u``."""
    index = (u * len(values)).cast(pl.Int64).clip(0, len(values) - 1)
    return index.replace_strict(dict(enumerate(values)))


def weighted(weights: list[float], u: pl.Expr) -> pl.Expr:
    """The index of a bucket with the given shares (which need not sum to exactly 1)."""
    total = sum(weights)
    edges, running = [], 0.0
    for w in weights[:-1]:
        running += w / total
        edges.append(running)
    expr: pl.Expr = pl.lit(len(weights) - 1, dtype=pl.Int64)
    for i in reversed(range(len(edges))):
        expr = pl.when(u < edges[i]).then(pl.lit(i, dtype=pl.Int64)).otherwise(expr)
    return expr


def normal(seed: int) -> pl.Expr:
    """A standard normal per row (Box–Muller)."""
    u1 = (uniform(seed) * (1 - 1e-12)) + 1e-12
    return (-2 * u1.log()).sqrt() * (2 * math.pi * uniform(seed + 1)).cos()


def whole(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.Int64)


def _ids(low: int, high: int) -> pl.DataFrame:
    return pl.select(pl.int_range(low, high, dtype=pl.Int64).alias("id"))


# ---------------------------------------------------------------------------- tables


def groups_frame() -> pl.DataFrame:
    """Chapters (one per state, ids 1..9) then teams."""
    names = [f"{r[0]} chapter" for r in REGIONS] + [t[0] for t in TEAMS]
    kinds = ["chapter"] * len(REGIONS) + ["team"] * len(TEAMS)
    slugs = [n.lower().replace(" ", "-") for n in names]
    return pl.DataFrame(
        {"id": range(1, len(names) + 1), "name": names, "slug": slugs, "kind": kinds}
    )


def tags_frame() -> pl.DataFrame:
    return pl.DataFrame({"id": range(1, len(TAGS) + 1), "name": [t[0] for t in TAGS]})


def _region_index() -> pl.Expr:
    return weighted([r[1] for r in REGIONS], uniform(11))


def people_frame(low: int, high: int, now: dt.datetime) -> pl.DataFrame:
    first = pick(FIRST, uniform(1))
    last = pick(LAST, uniform(2))
    region = _region_index()
    chapter = region + 1
    created = pl.lit(now) - pl.duration(seconds=(uniform(3) * 5 * 365 * 86400).cast(pl.Int64))
    return _ids(low, high).with_columns(
        first_name=first,
        last_name=last,
        sort_name=(last + " " + first).str.to_lowercase(),
        source=pl.lit("bench"),
        home_group_id=pl.when(uniform(12) < 0.6).then(chapter).otherwise(None),
        created_at=created,
        updated_at=created,
    )


def emails_frame(low: int, high: int) -> pl.DataFrame:
    status = weighted([0.95, 0.03, 0.02], uniform(22))
    subscription = weighted([0.70, 0.08, 0.22], uniform(23))
    return (
        _ids(low, high)
        .filter(uniform(21) < 0.85)
        .with_columns(
            person_id=pl.col("id"),
            address=pl.format("p{}@bench.example.org", pl.col("id")),
            is_primary=pl.lit(True),
            status=status.replace_strict({0: "active", 1: "bouncing", 2: "invalid"}),
            subscription=subscription.replace_strict(
                {0: "subscribed", 1: "unsubscribed", 2: "unknown"}
            ),
        )
    )


def phones_frame(low: int, high: int) -> pl.DataFrame:
    mobile = uniform(32) < 0.65
    return (
        _ids(low, high)
        .filter(uniform(31) < 0.60)
        .with_columns(
            person_id=pl.col("id"),
            number=pl.format("+1{}", pl.col("id") + 5_000_000_000),
            kind=pl.when(mobile).then(pl.lit("mobile")).otherwise(pl.lit("home")),
            do_not_call=uniform(33) < 0.03,
            is_primary=pl.lit(True),
            sms_subscription=pl.when(mobile & (uniform(34) < 0.4))
            .then(pl.lit("subscribed"))
            .otherwise(pl.lit("unknown")),
        )
    )


def addresses_frame(low: int, high: int) -> pl.DataFrame:
    region = _region_index()
    regions = {i: r[0] for i, r in enumerate(REGIONS)}
    zip_low = {i: r[2][0] for i, r in enumerate(REGIONS)}
    zip_span = {i: r[2][1] - r[2][0] + 1 for i, r in enumerate(REGIONS)}
    lat = {i: r[3] for i, r in enumerate(REGIONS)}
    lon = {i: r[4] for i, r in enumerate(REGIONS)}
    cities = {i: r[5] for i, r in enumerate(REGIONS)}
    frame = _ids(low, high).filter(uniform(41) < 0.92).with_columns(region_i=region)
    prefix = pl.col("region_i").replace_strict(zip_low) + (
        uniform(42) * pl.col("region_i").replace_strict(zip_span)
    ).cast(pl.Int64)
    city_i = (uniform(43) * 6).cast(pl.Int64)
    locality = pl.concat_str(
        pl.col("region_i").cast(pl.String), pl.lit(":"), city_i.cast(pl.String)
    )
    city_names = {
        f"{i}:{k}": names[k % len(names)] for i, names in cities.items() for k in range(6)
    }
    number = whole(uniform(44) * 9000 + 100)
    postal = prefix * 100 + whole(uniform(46) * 100)
    return frame.with_columns(
        person_id=pl.col("id"),
        line1=pl.format("{} ", number) + pick(STREETS, uniform(45)),
        locality=locality.replace_strict(city_names),
        region=pl.col("region_i").replace_strict(regions),
        postal_code=postal.cast(pl.String).str.zfill(5),
        county=pl.format("County {}", (uniform(47) * 20).cast(pl.Int64) + 1),
        congressional_district=pl.format(
            "{}-{}", pl.col("region_i").replace_strict(regions), whole(uniform(48) * 4) + 1
        ),
        latitude=(pl.col("region_i").replace_strict(lat) + (uniform(49) - 0.5) * 3).round(5),
        longitude=(pl.col("region_i").replace_strict(lon) + (uniform(50) - 0.5) * 5).round(5),
        is_primary=pl.lit(True),
        status=pl.when(uniform(51) < 0.97).then(pl.lit("active")).otherwise(pl.lit("inactive")),
    ).drop("region_i")  # fmt: skip


def taggings_frame(low: int, high: int) -> pl.DataFrame:
    parts = []
    for tag_id, (_, share) in enumerate(TAGS, start=1):
        parts.append(
            _ids(low, high)
            .filter(uniform(100 + tag_id) < share)
            .select(person_id=pl.col("id"), tag_id=pl.lit(tag_id, dtype=pl.Int64))
        )
    return pl.concat(parts)


def memberships_frame(low: int, high: int) -> pl.DataFrame:
    people = people_frame(low, high, dt.datetime.now(dt.UTC)).filter(
        pl.col("home_group_id").is_not_null()
    )
    parts = [people.select(person_id=pl.col("id"), group_id=pl.col("home_group_id"))]
    for k, (_, share) in enumerate(TEAMS):
        group_id = len(REGIONS) + 1 + k
        parts.append(
            _ids(low, high)
            .filter(uniform(200 + k) < share)
            .select(person_id=pl.col("id"), group_id=pl.lit(group_id, dtype=pl.Int64))
        )
    return pl.concat(parts)


def _people(skew: pl.Expr, people: int) -> pl.Expr:
    """A person id per activity. ``rank = floor(N * u ** skew)`` makes low ranks (the engaged)
    more likely as skew grows; multiplying by a large prime modulo N scatters ranks over ids."""
    rank = (people * uniform(301) ** skew).cast(pl.Int64).clip(0, people - 1)
    return (rank * SPREAD) % people + 1


def activities_frame(
    low: int, high: int, *, people: int, total: int, start: dt.datetime, span: dt.timedelta,
    first_id: int = 1,
) -> pl.DataFrame:  # fmt: skip
    """Activities with ids in [low, high); ids rise with time over [start, start + span)."""
    kinds = [m[0] for m in ACTIVITY_MIX]
    kind = weighted([m[1] for m in ACTIVITY_MIX], uniform(300))
    skew = kind.replace_strict({i: m[2] for i, m in enumerate(ACTIVITY_MIX)})
    type_ = kind.replace_strict(dict(enumerate(kinds)))
    position = (pl.col("id") - first_id).cast(pl.Float64) / max(total, 1)
    seconds = span.total_seconds()
    jitter = (uniform(302) - 0.5) * 3600 * 6
    offset = (position * seconds + jitter).clip(0, seconds - 1).cast(pl.Int64)
    occurred = pl.lit(start) + pl.duration(seconds=offset)
    lognormal = (math.log(35) + 1.1 * normal(303)).exp().round(2).clip(1, 250_000)
    frame = _ids(low, high).with_columns(type=type_, skew=skew)
    is_gift = pl.col("type").is_in(["donation", "donation_refund"])
    is_contact = pl.col("type").is_in(["call", "door_knock", "text"])
    is_email = pl.col("type").str.starts_with("email_")
    is_event = pl.col("type").is_in(["rsvp", "attendance", "no_show", "shift_completed"])
    return frame.with_columns(
        person_id=_people(pl.col("skew"), people),
        occurred_at=occurred,
        channel=pl.col("type").replace_strict({k: str(CATALOGUE[k].channel) for k in kinds}),
        direction=pl.col("type").replace_strict({k: str(CATALOGUE[k].direction) for k in kinds}),
        source=pl.lit("bench"),
        object_type=pl.when(is_email).then(pl.lit("mailing"))
        .when(is_event).then(pl.lit("event")).otherwise(pl.lit("")),
        object_id=pl.when(is_email).then(position.mul(104).cast(pl.Int64) + 1)
        .when(is_event).then(whole(position * 400) + whole(uniform(304) * 3) + 1)
        .otherwise(None),
        amount=pl.when(is_gift).then(lognormal).otherwise(None),
        result=pl.when(is_contact).then(pick(CONTACT_RESULTS, uniform(305))).otherwise(pl.lit("")),
        idempotency_key=pl.format("bench:{}", pl.col("id")),
        created_at=occurred,
    ).drop("skew")  # fmt: skip


# ---------------------------------------------------------------------------- loading


def _constants(model: Any, given: list[str], now: dt.datetime) -> dict[str, Any]:
    """Values for the columns a frame leaves out: each field's default, "now" for auto_now
    fields — so a field added to a model later (with a default) does not break the bench."""
    from django.db import models

    out: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        if field.attname in given or (field.primary_key and field.attname not in given):
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value: Any = now
        else:
            value = field.get_default()
        if isinstance(field, models.JSONField) and value is not None:
            value = json.dumps(value)
        out[field.column] = value
    return out


def _complete(model: Any, frame: pl.DataFrame, now: dt.datetime) -> pl.DataFrame:
    """``frame`` with every concrete column of ``model``, named by column, in model order."""
    by_attname = {f.attname: f.column for f in model._meta.concrete_fields}
    frame = frame.rename({a: c for a, c in by_attname.items() if a in frame.columns and a != c})
    extra = _constants(model, list(frame.columns), now)
    utc = pl.Datetime("us", "UTC")
    frame = frame.with_columns(
        pl.lit(v, dtype=utc if isinstance(v, dt.datetime) else None).alias(k)
        for k, v in extra.items()
    )
    columns = [f.column for f in model._meta.concrete_fields if f.column in frame.columns]
    return frame.select(columns)


class Loader:
    """Writes frames into model tables on the current Django connection."""

    def __init__(self, now: dt.datetime) -> None:
        from django.db import connection

        self.connection = connection
        self.vendor = connection.vendor
        self.now = now

    @staticmethod
    def _csv(frame: pl.DataFrame) -> tuple[list[str], bytes]:
        buffer = io.BytesIO()
        frame.write_csv(
            buffer,
            include_header=False,
            null_value="\\N",
            datetime_format="%Y-%m-%d %H:%M:%S%.f+00",
            float_precision=None,
        )
        return list(frame.columns), buffer.getvalue()

    def _pg_copy(
        self, cursor: Any, table: str, columns: list[str], data: bytes, freeze: bool
    ) -> None:
        quote = self.connection.ops.quote_name
        names = ", ".join(quote(c) for c in columns)
        options = "FORMAT csv, NULL '\\N'" + (", FREEZE" if freeze else "")
        with cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN ({options})") as copy:
            view = memoryview(data)
            step = 1 << 20
            for offset in range(0, len(view), step):
                copy.write(view[offset : offset + step])

    def _sqlite_insert(self, cursor: Any, table: str, frame: pl.DataFrame) -> None:
        quote = self.connection.ops.quote_name
        # Django's SQLite backend stores datetimes as naive UTC text.
        frame = frame.with_columns(
            pl.col(c).dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%d %H:%M:%S")
            for c, t in frame.schema.items()
            if isinstance(t, pl.Datetime)
        )
        names = ", ".join(quote(c) for c in frame.columns)
        marks = ", ".join(["%s"] * len(frame.columns))
        cursor.executemany(
            f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})", frame.iter_rows()
        )

    def load(
        self,
        model: Any,
        chunks: Iterator[pl.DataFrame],
        report: Callable[[int], None] | None = None,
    ) -> int:
        """Truncate ``model``'s table and fill it from ``chunks``, in one transaction."""
        from django.db import transaction

        table = model._meta.db_table
        rows = 0
        with transaction.atomic(), self.connection.cursor() as cursor:
            if self.vendor == "postgresql":
                cursor.execute("SET LOCAL session_replication_role = replica")
                cursor.execute(f"TRUNCATE {self.connection.ops.quote_name(table)} CASCADE")
            else:
                cursor.execute(f"DELETE FROM {self.connection.ops.quote_name(table)}")
            if self.vendor == "postgresql":
                # Generate and serialise the next chunk in a thread (polars releases the GIL)
                # while PostgreSQL parses this one: the two take about as long each.
                # The one worker thread takes chunks from the generator (where polars does the
                # work), so generation, not just serialisation, overlaps the COPY.
                def make() -> tuple[int, list[str], bytes] | None:
                    chunk = next(chunks, None)
                    if chunk is None:
                        return None
                    frame = _complete(model, chunk, self.now)
                    return (frame.height, *self._csv(frame))

                with ThreadPoolExecutor(max_workers=1) as pool:
                    pending = pool.submit(make)
                    while (ready := pending.result()) is not None:
                        pending = pool.submit(make)
                        height, columns, data = ready
                        self._pg_copy(cursor, table, columns, data, freeze=True)
                        rows += height
                        if report:
                            report(rows)
            else:
                for chunk in chunks:
                    frame = _complete(model, chunk, self.now)
                    self._sqlite_insert(cursor, table, frame)
                    rows += frame.height
                    if report:
                        report(rows)
        return rows

    def append(self, model: Any, frame: pl.DataFrame) -> int:
        """Add rows to a table that keeps its indexes (the incremental case)."""
        from django.db import transaction

        frame = _complete(model, frame, self.now)
        with transaction.atomic(), self.connection.cursor() as cursor:
            if self.vendor == "postgresql":
                columns, data = self._csv(frame)
                self._pg_copy(cursor, model._meta.db_table, columns, data, freeze=False)
            else:
                self._sqlite_insert(cursor, model._meta.db_table, frame)
        return frame.height


# ------------------------------------------------------------------ secondary indexes (PG)


def drop_secondary_indexes(tables: list[str]) -> list[str]:
    """Drop every index and unique constraint but the primary key on ``tables``; return the
    statements that recreate them (building an index once beats maintaining it per row)."""
    from django.db import connection

    recreate: list[str] = []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
            FROM pg_constraint c WHERE c.contype = 'u' AND c.conrelid = ANY(%s::regclass[])
            """,
            [tables],
        )
        constraints = cursor.fetchall()
        for table, name, definition in constraints:
            recreate.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            """,
            [tables],
        )
        for name, definition in cursor.fetchall():
            recreate.append(definition)
            cursor.execute(f"DROP INDEX {name}")
    return recreate


def chunked(
    make: Callable[[int, int], pl.DataFrame], total: int, size: int
) -> Iterator[pl.DataFrame]:
    """Frames for ids 1..total, ``size`` ids at a time."""
    for low in range(1, total + 1, size):
        yield make(low, min(low + size, total + 1))


def load_all(scale: Scale, now: dt.datetime, log: Callable[[str], None]) -> dict[str, float]:
    """Generate and load every table; return seconds per phase."""
    from django.db import connection

    from ladder.activity.models import Activity
    from ladder.people.models import (
        Address,
        EmailAddress,
        Group,
        Membership,
        Person,
        Phone,
        Tag,
        Tagging,
    )  # fmt: skip

    loader = Loader(now)
    pg = connection.vendor == "postgresql"
    models_ = [Group, Tag, Person, EmailAddress, Phone, Address, Tagging, Membership, Activity]
    tables = [m._meta.db_table for m in models_]
    timings: dict[str, float] = {}
    recreate: list[str] = []
    if pg:
        started = time.perf_counter()
        recreate = drop_secondary_indexes(tables)
        timings["drop_indexes"] = time.perf_counter() - started

    n = scale.people
    step = 250_000
    plan: list[tuple[Any, Iterator[pl.DataFrame]]] = [
        (Group, iter([groups_frame()])),
        (Tag, iter([tags_frame()])),
        (Person, chunked(lambda a, b: people_frame(a, b, now), n, step)),
        (EmailAddress, chunked(emails_frame, n, step)),
        (Phone, chunked(phones_frame, n, step)),
        (Address, chunked(addresses_frame, n, step)),
        (Tagging, chunked(taggings_frame, n, step)),
        (Membership, chunked(memberships_frame, n, step)),
    ]
    for model, chunks in plan:
        started = time.perf_counter()
        rows = loader.load(model, chunks)
        timings[f"load_{model._meta.model_name}"] = time.perf_counter() - started
        log(f"  {model.__name__}: {rows:,} rows in {time.perf_counter() - started:.1f} s")

    start = now - HISTORY
    total = scale.activities

    def activity_chunk(low: int, high: int) -> pl.DataFrame:
        return activities_frame(
            low, high, people=n, total=total, start=start, span=HISTORY - dt.timedelta(hours=1)
        )

    started = time.perf_counter()
    last_report = [started]

    def report(rows: int) -> None:
        if time.perf_counter() - last_report[0] > 15:
            last_report[0] = time.perf_counter()
            rate = rows / (last_report[0] - started)
            log(f"  Activity: {rows:,} rows ({rate:,.0f}/s)")

    rows = loader.load(Activity, chunked(activity_chunk, total, 500_000), report)
    timings["load_activity"] = time.perf_counter() - started
    log(f"  Activity: {rows:,} rows in {timings['load_activity']:.1f} s")

    with connection.cursor() as cursor:
        if pg:
            for model in models_:
                table = connection.ops.quote_name(model._meta.db_table)
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))",
                    [model._meta.db_table],
                )
            started = time.perf_counter()
            for statement in recreate:
                cursor.execute(statement)
            timings["build_indexes"] = time.perf_counter() - started
            log(f"  {len(recreate)} indexes rebuilt in {timings['build_indexes']:.1f} s")
        started = time.perf_counter()
        cursor.execute("ANALYZE")
        timings["analyze"] = time.perf_counter() - started
    return timings
