"""Why a person has the score they have: the score's biggest parts, in words ("72: 3 events
this quarter, 2 calls answered this quarter, last donation 40 days ago")."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone

from ladder.activity.catalogue import CATALOGUE, ActivityType, ContactResult
from ladder.activity.models import PersonStats
from ladder.ladders.scoring import (
    ACT,
    QUARTER,
    Scoring,
    _growth,
    _literal,
    _number,
    _weight_case,
    current_scoring,
    decay_factor,
    score_now,
)
from ladder.people.models import Person

T = ActivityType

# (singular, plural) of what an activity is called in a sentence.
NOUNS: dict[str, tuple[str, str]] = {
    T.ATTENDANCE: ("event", "events"),
    T.SHIFT_COMPLETED: ("volunteer shift", "volunteer shifts"),
    T.MEETING: ("one-on-one", "one-on-ones"),
    T.RECRUITED: ("recruit", "recruits"),
    T.DONATION: ("donation", "donations"),
    T.ASK_ACCEPTED: ("ask accepted", "asks accepted"),
    T.RSVP: ("RSVP", "RSVPs"),
    T.PETITION_SIGNATURE: ("petition signed", "petitions signed"),
    T.FORM_SUBMISSION: ("form filled in", "forms filled in"),
    T.WEB_SIGNUP: ("signup", "signups"),
    T.SOCIAL_ENGAGEMENT: ("social share", "social shares"),
    T.SURVEY_RESPONSE: ("survey answer", "survey answers"),
    T.RELATIONAL_TOUCH: ("relational conversation", "relational conversations"),
    T.EMAIL_CLICKED: ("email click", "email clicks"),
    T.EMAIL_OPENED: ("email opened", "emails opened"),
    f"{T.CALL}:{ContactResult.TALKED}": ("call answered", "calls answered"),
    f"{T.DOOR_KNOCK}:{ContactResult.TALKED}": ("door conversation", "door conversations"),
    f"{T.TEXT}:{ContactResult.TALKED}": ("text conversation", "text conversations"),
    f"volunteer:{T.CALL}": ("call made", "calls made"),
    f"volunteer:{T.DOOR_KNOCK}": ("door knocked", "doors knocked"),
}


def _noun(key: str) -> tuple[str, str]:
    if key in NOUNS:
        return NOUNS[key]
    kind = key.partition(":")[0]
    label = str(ActivityType(kind).label).lower() if kind in CATALOGUE else key
    return label, label


@dataclass(frozen=True)
class ScorePart:
    key: str  # weight key: type, type:result or volunteer:type
    points: float  # what this kind of activity contributes to the score now
    recent: int  # how many in the last quarter
    total: int
    last_at: dt.datetime | None

    def phrase(self, now: dt.datetime) -> str:
        one, many = _noun(self.key)
        days = (now - self.last_at).days if self.last_at else None
        ago = "" if days is None else ("today" if days <= 0 else _days(days) + " ago")
        if self.key == T.DONATION and self.last_at is not None:
            lead = f"{self.recent} {many} this quarter, " if self.recent > 1 else ""
            return f"{lead}last {one} {ago}"
        if self.recent:
            return f"{self.recent} {one if self.recent == 1 else many} this quarter"
        if self.last_at is not None:
            return f"last {one} {ago}"
        return f"{self.total} {one if self.total == 1 else many}"


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


@dataclass(frozen=True)
class ScoreExplanation:
    score: int
    parts: list[ScorePart]

    def text(self, now: dt.datetime, top: int = 3) -> str:
        if not self.parts:
            return f"{self.score}: no scored activity yet"
        return f"{self.score}: " + ", ".join(p.phrase(now) for p in self.parts[:top])


def _key_case(scoring: Scoring) -> str:
    """SQL giving each subject row its weight key (type:result when that key is weighted)."""
    keyed = sorted(k for k in scoring.subject_weights() if ":" in k)
    whens = " ".join(
        f"WHEN a.type = {_literal(k.partition(':')[0])} AND a.result = "
        f"{_literal(k.partition(':')[2])} THEN {_literal(k)}"
        for k in keyed
    )
    return f"CASE {whens} ELSE a.type END" if whens else "a.type"


def score_breakdown(person: Person, now: dt.datetime | None = None) -> ScoreExplanation:
    """The person's score at ``now`` and what makes it up, biggest contribution first."""
    now = now or timezone.now()
    s = current_scoring()
    decay = decay_factor(now, s)
    stats = PersonStats.objects.filter(person_id=person.pk).values_list("engagement_raw", flat=True)
    raw = stats.first() or 0.0
    case, types = _weight_case(s.subject_weights())
    adapt = connection.ops.adapt_datetimefield_value
    params: dict[str, Any] = {"pid": person.pk, "since": adapt(now - QUARTER)}
    selects = []
    if types:
        selects.append(
            f"SELECT {_key_case(s)} AS k, {case} * {_growth('a.occurred_at', s)} AS pts, "
            f"a.occurred_at AS at FROM {ACT} a WHERE a.person_id = %(pid)s "
            f"AND a.type IN ({', '.join(map(_literal, types))})"
        )
    volunteer = s.volunteer_weights()
    if volunteer and person.user_id is not None:
        vcase = " ".join(f"WHEN {_literal(k)} THEN {_number(w)}" for k, w in volunteer.items())
        selects.append(
            f"SELECT 'volunteer:' || a.type AS k, CASE a.type {vcase} ELSE 0 END * "
            f"{_growth('a.occurred_at', s)} AS pts, a.occurred_at AS at FROM {ACT} a "
            f"WHERE a.actor_id = %(uid)s AND a.type IN "
            f"({', '.join(map(_literal, sorted(volunteer)))})"
        )
        params["uid"] = person.user_id
    parts: list[ScorePart] = []
    if selects:
        sql = f"""
SELECT t.k, SUM(t.pts), SUM(CASE WHEN t.at >= %(since)s THEN 1 ELSE 0 END), COUNT(*), MAX(t.at)
FROM ({" UNION ALL ".join(selects)}) t GROUP BY t.k"""
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        for key, pts, recent, total, last in rows:
            if isinstance(last, str):  # SQLite: MAX over a derived table gives the stored text
                last = dt.datetime.fromisoformat(last).replace(tzinfo=dt.UTC)
            if not pts:
                continue
            parts.append(ScorePart(key, float(pts) * decay, int(recent), int(total), last))
    parts.sort(key=lambda p: -p.points)
    return ScoreExplanation(score=score_now(raw, now, s), parts=parts)


def score_explain(person: Person, now: dt.datetime | None = None) -> str:
    """ "72: 3 events this quarter, 2 calls answered this quarter, last donation 40 days ago"."""
    now = now or timezone.now()
    return score_breakdown(person, now).text(now)


__all__ = ["ScoreExplanation", "ScorePart", "score_breakdown", "score_explain"]
