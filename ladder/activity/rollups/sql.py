"""The SQL behind the rollups, portable between SQLite (≥ 3.35) and PostgreSQL.

Each statement is one set-based ``INSERT … SELECT … ON CONFLICT`` (DESIGN.md §4.5): the database
does the grouping, Python never loops over activities or people. Statements take named
parameters (``%(name)s``), which Django's SQLite and PostgreSQL cursors both accept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection
from django.utils import timezone

from ladder.activity.catalogue import ACTION_TYPES, CONTACT_TYPES, ActivityType
from ladder.activity.models import Activity, DailyMetric, PersonStats
from ladder.people.models import Person

_q = connection.ops.quote_name
ACT = _q(Activity._meta.db_table)
PER = _q(Person._meta.db_table)
STATS = _q(PersonStats._meta.db_table)
DAILY = _q(DailyMetric._meta.db_table)

# A predicate on a person-id column, e.g. ``"p.id >= %(plo)s AND p.id < %(phi)s"``.
PersonPredicate = Callable[[str], str]


def _literals(values: Iterable[str]) -> str:
    """Catalogue type names inlined as SQL literals: they are our own identifiers, never input."""
    names = sorted(values)
    assert all(name.replace("_", "").isalnum() for name in names), names
    return ", ".join(f"'{name}'" for name in names)


T = ActivityType
ACTIONS = _literals(ACTION_TYPES)
CONTACTS = _literals(CONTACT_TYPES)
VOLUNTEER_CONTACTS = _literals([T.CALL, T.DOOR_KNOCK])


def person_range(column: str) -> str:
    """People with ids in [plo, phi): the unit of a rebuild."""
    return f"{column} >= %(plo)s AND {column} < %(phi)s"


def touched_people(column: str) -> str:
    """The people an incremental batch of activities (ids in (lo, hi]) can change: the subjects
    of the activities, the volunteers (by their login) who made calls and door knocks, and the
    recruiters of the subjects (so a new recruit's first activity refreshes the recruit count)."""
    batch = f"SELECT b.person_id FROM {ACT} b WHERE b.id > %(lo)s AND b.id <= %(hi)s"
    return f"""{column} IN (
        {batch}
        UNION
        SELECT v.id FROM {PER} v WHERE v.user_id IN (
            SELECT b.actor_id FROM {ACT} b WHERE b.id > %(lo)s AND b.id <= %(hi)s
            AND b.actor_id IS NOT NULL AND b.type IN ({VOLUNTEER_CONTACTS}))
        UNION
        SELECT r.recruited_by_id FROM {PER} r
        WHERE r.recruited_by_id IS NOT NULL AND r.id IN ({batch})
    )"""


# The engagement score is not a rollup: `ladder.ladders.scoring` owns PersonStats.engagement_raw
# and engagement_score (a decayed sum that new activities add to). New rows start at 0 and the
# upsert below never overwrites them; a rebuild deletes and re-inserts rows, so `ladder rollups
# rebuild` recomputes the scores afterwards.
SCORE_COLUMNS = ["engagement_score", "engagement_raw"]

STATS_COLUMNS = [
    "first_activity_at", "last_open_at", "last_click_at", "last_action_at", "last_contact_at",
    "touches_30d", "touches_90d", "actions_total", "given_total", "given_365d", "given_largest",
    "gifts_count", "last_gift_at", "events_attended", "shifts_done", "calls_made",
    "doors_knocked", "recruits", "computed_at",
]  # fmt: skip

_NULLABLE = {"first_activity_at", "last_open_at", "last_click_at", "last_action_at",
             "last_contact_at", "last_gift_at"}  # fmt: skip


def stats_upsert(people: PersonPredicate) -> str:
    """Recompute whole PersonStats rows, from the log, for every person matching ``people``.

    Parameters: now, d30, d90, d365 (window starts) and those of the predicate.
    """
    gift = f"a.type = '{T.DONATION}'"
    refund = f"a.type = '{T.DONATION_REFUND}'"
    net = f"CASE WHEN {gift} THEN a.amount WHEN {refund} THEN -a.amount ELSE 0 END"
    outer = [
        f"agg.{c}" if c in _NULLABLE else f"COALESCE(agg.{c}, 0) AS {c}" for c in STATS_COLUMNS[:15]
    ]
    inserted = ", ".join(f"s.{c}" for c in STATS_COLUMNS[:18])
    updates = ", ".join(f"{c} = excluded.{c}" for c in STATS_COLUMNS)
    return f"""
INSERT INTO {STATS} (person_id, {", ".join(STATS_COLUMNS + SCORE_COLUMNS)})
SELECT s.person_id, {inserted}, %(now)s, 0, 0.0
FROM (
    SELECT p.id AS person_id, {", ".join(outer)},
        COALESCE(vol.calls_made, 0) AS calls_made,
        COALESCE(vol.doors_knocked, 0) AS doors_knocked,
        COALESCE(rec.recruits, 0) AS recruits
    FROM {PER} p
    LEFT JOIN (
        SELECT a.person_id,
            MIN(a.occurred_at) AS first_activity_at,
            MAX(CASE WHEN a.type = '{T.EMAIL_OPENED}' THEN a.occurred_at END) AS last_open_at,
            MAX(CASE WHEN a.type = '{T.EMAIL_CLICKED}' THEN a.occurred_at END) AS last_click_at,
            MAX(CASE WHEN a.type IN ({ACTIONS}) THEN a.occurred_at END) AS last_action_at,
            MAX(CASE WHEN a.type IN ({CONTACTS}) THEN a.occurred_at END) AS last_contact_at,
            SUM(CASE WHEN a.type IN ({CONTACTS}) AND a.occurred_at >= %(d30)s
                THEN 1 ELSE 0 END) AS touches_30d,
            SUM(CASE WHEN a.type IN ({CONTACTS}) AND a.occurred_at >= %(d90)s
                THEN 1 ELSE 0 END) AS touches_90d,
            SUM(CASE WHEN a.type IN ({ACTIONS}) THEN 1 ELSE 0 END) AS actions_total,
            SUM({net}) AS given_total,
            SUM(CASE WHEN a.occurred_at >= %(d365)s THEN {net} ELSE 0 END) AS given_365d,
            MAX(CASE WHEN {gift} THEN a.amount END) AS given_largest,
            SUM(CASE WHEN {gift} THEN 1 ELSE 0 END) AS gifts_count,
            MAX(CASE WHEN {gift} THEN a.occurred_at END) AS last_gift_at,
            SUM(CASE WHEN a.type = '{T.ATTENDANCE}' THEN 1 ELSE 0 END) AS events_attended,
            SUM(CASE WHEN a.type = '{T.SHIFT_COMPLETED}' THEN 1 ELSE 0 END) AS shifts_done
        FROM {ACT} a
        WHERE {people("a.person_id")}
        GROUP BY a.person_id
    ) agg ON agg.person_id = p.id
    LEFT JOIN (
        SELECT v.id AS person_id,
            SUM(CASE WHEN a.type = '{T.CALL}' THEN 1 ELSE 0 END) AS calls_made,
            SUM(CASE WHEN a.type = '{T.DOOR_KNOCK}' THEN 1 ELSE 0 END) AS doors_knocked
        FROM {PER} v JOIN {ACT} a ON a.actor_id = v.user_id
        WHERE {people("v.id")} AND a.type IN ({VOLUNTEER_CONTACTS})
        GROUP BY v.id
    ) vol ON vol.person_id = p.id
    LEFT JOIN (
        SELECT r.recruited_by_id AS person_id, COUNT(*) AS recruits
        FROM {PER} r
        WHERE {people("r.recruited_by_id")} AND r.merged_into_id IS NULL
        GROUP BY r.recruited_by_id
    ) rec ON rec.person_id = p.id
    WHERE {people("p.id")}
) s
WHERE true
ON CONFLICT (person_id) DO UPDATE SET {updates}
"""


def stats_delete(people: PersonPredicate) -> str:
    return f"DELETE FROM {STATS} WHERE {people('person_id')}"


def _day_of(column: str) -> tuple[str, dict[str, Any]]:
    """The calendar day of a timestamp in the organization's time zone (settings.TIME_ZONE),
    so that a Tuesday-evening canvass in Iowa counts on Tuesday, not on Wednesday in UTC."""
    sql, params = connection.ops.datetime_cast_date_sql(
        column, (), timezone.get_default_timezone_name()
    )
    named: dict[str, Any] = {}
    for i, value in enumerate(params):
        sql = sql.replace("%s", f"%(tz{i})s", 1)
        named[f"tz{i}"] = value
    return sql, named


def daily_add() -> tuple[str, dict[str, Any]]:
    """Add the activities with ids in (lo, hi] to DailyMetric, attributed to each person's
    home group as it is now (0 when none). Returns the SQL and its fixed parameters."""
    day, params = _day_of("a.occurred_at")
    count, amount = _q("count"), _q("amount")
    sql = f"""
INSERT INTO {DAILY} ({_q("day")}, {_q("type")}, group_id, {count}, {amount})
SELECT x.day, x.type, x.group_id, COUNT(*), COALESCE(SUM(x.amount), 0)
FROM (
    SELECT {day} AS day, a.type AS type, COALESCE(p.home_group_id, 0) AS group_id,
        a.amount AS amount
    FROM {ACT} a JOIN {PER} p ON p.id = a.person_id
    WHERE a.id > %(lo)s AND a.id <= %(hi)s
) x
WHERE true
GROUP BY x.day, x.type, x.group_id
ON CONFLICT ({_q("day")}, {_q("type")}, group_id) DO UPDATE SET
    {count} = {DAILY}.{count} + excluded.{count},
    {amount} = {DAILY}.{amount} + excluded.{amount}
"""
    return sql, params


BATCH_END = f"""
SELECT COUNT(*), MAX(t.id) FROM (
    SELECT a.id FROM {ACT} a WHERE a.id > %(lo)s AND a.id < %(stop)s ORDER BY a.id LIMIT %(n)s
) t
"""


def time_params(now: dt.datetime) -> dict[str, Any]:
    """``now`` and the window starts, adapted for the backend (SQLite compares text)."""
    adapt = connection.ops.adapt_datetimefield_value
    return {
        "now": adapt(now),
        "d30": adapt(now - dt.timedelta(days=30)),
        "d90": adapt(now - dt.timedelta(days=90)),
        "d365": adapt(now - dt.timedelta(days=365)),
    }
