"""The engagement score: a weighted, exponentially decaying sum of a person's activities.

Each activity is worth ``weight`` points on the day it happens, half that after one half-life,
a quarter after two, and so on. The score of a person at time ``now`` is

    score(now) = Σ weight(a) · 2^(−(now − t(a)) / h)

over their activities ``a`` (h = the half-life). Written relative to a fixed ``EPOCH``,

    score(now) = 2^(−(now − EPOCH) / h) · Σ weight(a) · 2^((t(a) − EPOCH) / h)
               = decay(now) · raw

so `PersonStats.engagement_raw` (the Σ, which does not depend on ``now``) is all we store:
a new activity *adds* its term to it (exactly, no recomputation of the rest), and the score
at any moment is one multiplication. Ordering people by raw is ordering them by score at any
moment. The filter language compares ``engagement_raw`` against `raw_bound` (the value scaled
up to ``now``), so an index on the raw column serves "score ≥ 40".

Overflow: the terms grow by 2× per half-life after EPOCH; a double holds 2^1023, so with the
smallest half-life we allow (`MIN_HALF_LIFE_DAYS` = 14) the sum is safe until ~2064, with the
default 90 days for ~250 years. Activities long before EPOCH underflow harmlessly towards 0.

Weights (`DEFAULT_WEIGHTS`; editable in `EngagementConfig`, row id 1) are keyed by:

* an activity type, e.g. ``"attendance": 10`` — every activity of that type;
* ``"<type>:<result>"``, e.g. ``"call:talked": 3`` — activities of that type with that result
  code; it overrides the plain type key for those rows (calls nobody answered count 0);
* ``"volunteer:<type>"`` for call and door_knock — credited to the *volunteer* who made the
  contact (the person whose login is the activity's actor), not to the person contacted.

``level_change`` and ``merge`` never count, whatever the configuration says: a ladder move is a
consequence of the score and must not feed back into it (placement writes level_change rows).

After changing the weights or the half-life, run `scores_recompute` (``ladder ladders
recompute``); `engagement_config_update` does it for you. `ladder.ladders.scoring.explain`
says in words what makes up a person's score.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from ladder.activity.catalogue import CATALOGUE, ActivityType, ContactResult
from ladder.activity.models import Activity, PersonStats, RollupWatermark
from ladder.core.models import User
from ladder.ladders.models import EngagementConfig
from ladder.people.models import Person

T = ActivityType

EPOCH = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
EPOCH_UNIX = EPOCH.timestamp()  # 1735689600.0
EPOCH_JULIAN = 2460676.5  # SQLite julianday('2025-01-01 00:00:00')
LN2 = math.log(2)
DEFAULT_HALF_LIFE_DAYS = 90
MIN_HALF_LIFE_DAYS = 14
MAX_HALF_LIFE_DAYS = 3650
# The window the explanation counts activities in ("3 events this quarter").
QUARTER = dt.timedelta(days=91)

# Points an activity is worth on the day it happens. Showing up in person and doing the work
# count most (that is what organizing is about), then giving, then light-touch online actions;
# opening an email is barely a signal. Outbound attempts count only when they reached someone.
DEFAULT_WEIGHTS: dict[str, float] = {
    T.SHIFT_COMPLETED: 12,
    T.ATTENDANCE: 10,
    T.MEETING: 10,
    T.RECRUITED: 10,
    T.DONATION: 8,
    T.ASK_ACCEPTED: 6,
    T.RSVP: 3,
    T.PETITION_SIGNATURE: 3,
    T.FORM_SUBMISSION: 3,
    T.WEB_SIGNUP: 2,
    T.SOCIAL_ENGAGEMENT: 2,
    T.SURVEY_RESPONSE: 2,
    T.RELATIONAL_TOUCH: 2,
    T.EMAIL_CLICKED: 1,
    T.EMAIL_OPENED: 0.5,
    f"{T.CALL}:{ContactResult.TALKED}": 3,
    f"{T.DOOR_KNOCK}:{ContactResult.TALKED}": 3,
    f"{T.TEXT}:{ContactResult.TALKED}": 2,
    f"volunteer:{T.CALL}": 1,
    f"volunteer:{T.DOOR_KNOCK}": 1,
}

# Never scored: they are consequences (ladder moves) or bookkeeping (merges), not engagement.
UNSCORED = frozenset({T.LEVEL_CHANGE, T.MERGE})
VOLUNTEER_TYPES = (T.CALL, T.DOOR_KNOCK)
WATERMARK = "ladders"  # RollupWatermark name of the score/placement fold
ROLLUPS_WATERMARK = "activity"  # ladder.activity.rollups.WATERMARK (never passed)

_q = connection.ops.quote_name
ACT = _q(Activity._meta.db_table)
PER = _q(Person._meta.db_table)
STATS = _q(PersonStats._meta.db_table)


# --- configuration -------------------------------------------------------------------------


class WeightsError(ValueError):
    pass


def weights_validate(data: object) -> dict[str, float]:
    """Check a weights mapping; return it with float values. Raises WeightsError."""
    if not isinstance(data, Mapping):
        raise WeightsError("Weights must be an object of activity type → points.")
    results = {c.value for c in ContactResult}
    clean: dict[str, float] = {}
    for key, value in data.items():
        if not isinstance(key, str):
            raise WeightsError(f"{key!r}: keys are activity types.")
        head, _, tail = key.partition(":")
        if head == "volunteer":
            if tail not in VOLUNTEER_TYPES:
                raise WeightsError(f"{key}: volunteer weights exist for call and door_knock only.")
        elif head not in CATALOGUE:
            raise WeightsError(f"{key}: no such activity type.")
        elif tail and tail not in results:
            raise WeightsError(f"{key}: {tail!r} is not a result code.")
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not math.isfinite(value):
            raise WeightsError(f"{key}: points must be a number.")
        if not -100 <= value <= 1000:
            raise WeightsError(f"{key}: points must be between -100 and 1000.")
        clean[key] = float(value)
    return clean


@dataclass(frozen=True)
class Scoring:
    """The configuration in force: weights and half-life, with the derived decay rates."""

    half_life_days: float
    weights: dict[str, float] = field(default_factory=dict)

    @property
    def per_second(self) -> float:
        return LN2 / (self.half_life_days * 86400.0)

    @property
    def per_day(self) -> float:
        return LN2 / self.half_life_days

    def subject_weights(self) -> dict[str, float]:
        """Non-zero weights credited to the activity's own person (type or type:result)."""
        return {
            k: w
            for k, w in self.weights.items()
            if w and not k.startswith("volunteer:") and k.partition(":")[0] not in UNSCORED
        }

    def volunteer_weights(self) -> dict[str, float]:
        return {
            k.partition(":")[2]: w
            for k, w in self.weights.items()
            if w and k.startswith("volunteer:")
        }

    def weight_of(self, type: str, result: str = "") -> float:
        if type in UNSCORED:
            return 0.0
        return self.weights.get(f"{type}:{result}", self.weights.get(type, 0.0))


def engagement_config() -> EngagementConfig:
    """The one configuration row, created with the defaults the first time."""
    config, _ = EngagementConfig.objects.get_or_create(
        pk=1,
        defaults={"half_life_days": DEFAULT_HALF_LIFE_DAYS, "weights": dict(DEFAULT_WEIGHTS)},
    )
    return config


def current_scoring() -> Scoring:
    config = engagement_config()
    try:
        weights = weights_validate(config.weights)
    except WeightsError:
        # A row edited by hand into nonsense must not stop the worker: fall back, loudly in
        # the admin (the service refuses to save it in the first place).
        weights = dict(DEFAULT_WEIGHTS)
    half_life = min(max(config.half_life_days or DEFAULT_HALF_LIFE_DAYS, MIN_HALF_LIFE_DAYS),
                    MAX_HALF_LIFE_DAYS)  # fmt: skip
    return Scoring(half_life_days=float(half_life), weights=weights)


def engagement_config_update(
    *,
    actor: User | None,
    half_life_days: int,
    weights: Mapping[str, Any],
    recompute: bool = True,
) -> EngagementConfig:
    """Change the score's configuration and recompute every score with it (``recompute``
    False: the caller has the worker do it, as the admin screen does)."""
    if not MIN_HALF_LIFE_DAYS <= half_life_days <= MAX_HALF_LIFE_DAYS:
        raise WeightsError(
            f"The half-life must be between {MIN_HALF_LIFE_DAYS} and {MAX_HALF_LIFE_DAYS} days."
        )
    clean = weights_validate(weights)
    with transaction.atomic():
        config = engagement_config()
        config.half_life_days = half_life_days
        config.weights = clean
        config.save()
        if recompute:
            scores_recompute()
    return config


# --- the arithmetic ------------------------------------------------------------------------


def decay_factor(now: dt.datetime, scoring: Scoring | None = None) -> float:
    """2^(−(now − EPOCH)/h): multiplies a raw value into the score at ``now``."""
    s = scoring or current_scoring()
    return math.exp(-s.per_second * (now - EPOCH).total_seconds())


def contribution(weight: float, occurred_at: dt.datetime, scoring: Scoring) -> float:
    """One activity's term in engagement_raw (Python twin of the SQL, for tests)."""
    return weight * math.exp(scoring.per_second * (occurred_at - EPOCH).total_seconds())


def raw_bound(value: float, now: dt.datetime) -> float:
    """The raw value that is worth ``value`` points at ``now``: ``score ≥ V`` is
    ``engagement_raw ≥ raw_bound(V, now)``. Used by the filter compiler."""
    return value / decay_factor(now)


def score_now(raw: float, now: dt.datetime, scoring: Scoring | None = None) -> int:
    """The score shown on screen: raw decayed to ``now``, rounded half up (as the filter's eq)."""
    return math.floor(raw * decay_factor(now, scoring) + 0.5)


# --- SQL -----------------------------------------------------------------------------------


def _literal(name: str) -> str:
    assert name.replace("_", "").replace(":", "").isalnum(), name
    return f"'{name}'"


def _number(value: float) -> str:
    return repr(float(value))


def _growth(column: str, scoring: Scoring) -> str:
    """SQL for 2^((column − EPOCH)/h) = exp(k·(t − EPOCH)) on this backend."""
    if connection.vendor == "postgresql":
        seconds = f"date_part('epoch', {column}) - {EPOCH_UNIX!r}"
        return f"EXP({_number(scoring.per_second)} * ({seconds}))"
    # SQLite keeps datetimes as UTC text, which julianday() reads (in days).
    return f"EXP({_number(scoring.per_day)} * (julianday({column}) - {EPOCH_JULIAN!r}))"


def _weight_case(weights: dict[str, float]) -> tuple[str, list[str]]:
    """CASE over a.type (and a.result) giving each row's weight; and the types that have one."""
    by_type: dict[str, dict[str, float]] = {}
    for key, w in weights.items():
        kind, _, result = key.partition(":")
        by_type.setdefault(kind, {})[result] = w
    whens = []
    for kind, per_result in sorted(by_type.items()):
        plain = per_result.pop("", 0.0)
        if per_result:
            inner = " ".join(
                f"WHEN {_literal(r)} THEN {_number(w)}" for r, w in sorted(per_result.items())
            )
            value = f"CASE a.result {inner} ELSE {_number(plain)} END"
        else:
            value = _number(plain)
        whens.append(f"WHEN {_literal(kind)} THEN {value}")
    if not whens:
        return "0", []
    return f"CASE a.type {' '.join(whens)} ELSE 0 END", sorted(by_type)


def contributions_sql(scoring: Scoring, where: str) -> str:
    """Rows (pid, pts) of every weighted activity matching ``where`` (a predicate on alias a):
    its own person's term, plus the volunteer's term for calls and door knocks they made."""
    case, types = _weight_case(scoring.subject_weights())
    parts = []
    if types:
        parts.append(
            f"SELECT a.person_id AS pid, {case} * {_growth('a.occurred_at', scoring)} AS pts "
            f"FROM {ACT} a WHERE a.type IN ({', '.join(map(_literal, types))}) AND {where}"
        )
    volunteer = scoring.volunteer_weights()
    if volunteer:
        vcase = " ".join(
            f"WHEN {_literal(k)} THEN {_number(w)}" for k, w in sorted(volunteer.items())
        )
        parts.append(
            f"SELECT v.id AS pid, CASE a.type {vcase} ELSE 0 END * "
            f"{_growth('a.occurred_at', scoring)} AS pts "
            f"FROM {ACT} a JOIN {PER} v ON v.user_id = a.actor_id "
            f"WHERE a.type IN ({', '.join(map(_literal, sorted(volunteer)))}) "
            f"AND a.actor_id IS NOT NULL AND {where}"
        )
    if not parts:
        return "SELECT NULL AS pid, 0.0 AS pts WHERE 1 = 0"
    return "\nUNION ALL\n".join(parts)


def _score_sql(raw: str) -> str:
    return f"CAST(FLOOR(({raw}) * %(decay)s + 0.5) AS INTEGER)"


FULL = "ladder_scores_full"  # temporary table of a full recompute, private to the connection
# Raw sums recomputed from the log differ from those built up by additions in the last bits;
# a row is rewritten only when its value really moved (or its rounded score did).
RAW_TOLERANCE = 1e-9


def _full_sums_sql(scoring: Scoring) -> str:
    """Every person's raw sum from the log, into a temporary table. A query that only reads
    (CREATE TABLE … AS) may run in parallel on PostgreSQL, unlike an UPDATE's own subquery."""
    rows = contributions_sql(scoring, "a.id <= %(hi)s")
    return (
        f"CREATE TEMPORARY TABLE {FULL} AS "
        f"SELECT t.pid, SUM(t.pts) AS raw FROM ({rows}) t GROUP BY t.pid"
    )


def _full_sql() -> str:
    return f"""
UPDATE {STATS} SET engagement_raw = x.raw, engagement_score = x.score
FROM (
    SELECT s.person_id AS pid, COALESCE(c.raw, 0.0) AS raw,
        {_score_sql("COALESCE(c.raw, 0.0)")} AS score
    FROM {STATS} s
    LEFT JOIN {FULL} c ON c.pid = s.person_id
) x
WHERE {STATS}.person_id = x.pid
  AND (ABS({STATS}.engagement_raw - x.raw) > {RAW_TOLERANCE!r} * ABS(x.raw)
       OR {STATS}.engagement_score <> x.score)
"""


def _add_sql(scoring: Scoring) -> str:
    rows = contributions_sql(scoring, "a.id > %(lo)s AND a.id <= %(hi)s")
    total = f"{STATS}.engagement_raw + d.raw"
    return f"""
UPDATE {STATS} SET engagement_raw = {total}, engagement_score = {_score_sql(total)}
FROM (SELECT t.pid, SUM(t.pts) AS raw FROM ({rows}) t GROUP BY t.pid) d
WHERE {STATS}.person_id = d.pid
"""


# Rows changed by one bulk statement past which PostgreSQL's statistics are refreshed at once:
# placement queries planned on stale estimates of a table just rewritten (e.g. all of
# PersonStats after a recompute) can pick per-row subplans and run for minutes, not seconds.
ANALYZE_AFTER = 10_000


def analyze_if_big(cursor: Any, table: str, changed: int) -> None:
    if connection.vendor == "postgresql" and changed >= ANALYZE_AFTER:
        cursor.execute(f"ANALYZE {table}")


def rollups_watermark() -> int:
    row = RollupWatermark.objects.filter(name=ROLLUPS_WATERMARK).first()
    return row.last_activity_id if row else 0


def lock_watermark(*, skip_locked: bool = False) -> RollupWatermark | None:
    """Lock the ladders watermark row for this transaction (scores and placements are folded
    under it, so an update and a recompute never interleave)."""
    RollupWatermark.objects.get_or_create(name=WATERMARK)
    rows = RollupWatermark.objects.select_for_update(skip_locked=skip_locked)
    return rows.filter(name=WATERMARK).first()


def scores_recompute(*, now: dt.datetime | None = None) -> int:
    """Recompute every person's engagement_raw (and engagement_score at ``now``) from the log,
    set-based (one aggregate, one UPDATE of the rows that changed), and move the ladders
    watermark to the rollups watermark.
    Returns the number of stats rows that changed.

    Only activities the rollups have folded count (ids ≤ the rollups watermark): every person
    with such an activity has a stats row, and the incremental path (`scores_add`) takes over
    from exactly there.
    """
    now = now or timezone.now()
    scoring = current_scoring()
    with transaction.atomic():
        mark = lock_watermark()
        assert mark is not None
        hi = rollups_watermark()
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # One big aggregate: let it hash in memory rather than spill.
                cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute(f"DROP TABLE IF EXISTS {FULL}")
            cursor.execute(_full_sums_sql(scoring), {"hi": hi})
            if connection.vendor == "postgresql":
                cursor.execute(f"ANALYZE {FULL}")
            cursor.execute(_full_sql(), {"decay": decay_factor(now, scoring)})
            changed = max(cursor.rowcount, 0)
            cursor.execute(f"DROP TABLE {FULL}")
            analyze_if_big(cursor, STATS, changed)
        mark.last_activity_id = hi
        mark.save(update_fields=["last_activity_id", "updated_at"])
    return changed


def scores_add(*, lo: int, hi: int, now: dt.datetime, scoring: Scoring | None = None) -> int:
    """Add the terms of activities with ids in (lo, hi] to engagement_raw (and refresh the
    score of the people they touch at ``now``). The caller holds the watermark lock and
    advances it; returns the number of stats rows updated."""
    s = scoring or current_scoring()
    with connection.cursor() as cursor:
        cursor.execute(_add_sql(s), {"lo": lo, "hi": hi, "decay": decay_factor(now, s)})
        return max(cursor.rowcount, 0)


__all__ = [
    "DEFAULT_WEIGHTS",
    "EPOCH",
    "MIN_HALF_LIFE_DAYS",
    "Scoring",
    "WeightsError",
    "contribution",
    "current_scoring",
    "decay_factor",
    "engagement_config",
    "engagement_config_update",
    "raw_bound",
    "score_now",
    "scores_add",
    "scores_recompute",
    "weights_validate",
]
