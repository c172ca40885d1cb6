"""Reads for the ladder screens and the profile panel, scoped to the viewer.

Every count goes through `visible_people`: a leader sees the funnel of their own people only.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, QuerySet, Subquery, Window
from django.db.models.functions import Lag, TruncMonth
from django.http import Http404
from django.utils import timezone

from ladder.core.models import User
from ladder.ladders.models import Ladder, Rung, RungMove, RungPlacement
from ladder.ladders.next_step import NextStep, next_step_for
from ladder.ladders.scoring import decay_factor
from ladder.ladders.scoring.explain import ScoreExplanation, score_breakdown
from ladder.people.models import Person
from ladder.people.selectors import scope_filter, visible_people

CONVERSION_MONTHS = 6
STAY_WINDOW = dt.timedelta(days=365)
PAGE_SIZE = 50


def _scoped(rows: QuerySet, user: User, column: str = "person_id") -> QuerySet:
    """Rows whose person the user may see (staff: everyone not merged away)."""
    if scope_filter(user) is None:
        return rows.filter(**{f"{column.removesuffix('_id')}__merged_into__isnull": True})
    return rows.filter(**{f"{column}__in": visible_people(user).values("pk")})


@dataclass(frozen=True)
class LadderSummary:
    ladder: Ladder
    rungs: int
    people: int


def ladders_overview(user: User) -> list[LadderSummary]:
    ladders = list(Ladder.objects.annotate(n_rungs=Count("rungs")).order_by("position", "name"))
    placed = _scoped(RungPlacement.objects.all(), user).values("ladder_id").annotate(n=Count("id"))
    counts = {row["ladder_id"]: row["n"] for row in placed}
    return [LadderSummary(lad, lad.n_rungs, counts.get(lad.pk, 0)) for lad in ladders]  # type: ignore[attr-defined]


def ladder_get(ladder_id: int) -> Ladder:
    ladder = Ladder.objects.filter(pk=ladder_id).first()
    if ladder is None:
        raise Http404("No such ladder")
    return ladder


def rung_get(ladder: Ladder, rung_id: int) -> Rung:
    rung = Rung.objects.filter(pk=rung_id, ladder=ladder).first()
    if rung is None:
        raise Http404("No such rung on this ladder")
    return rung


@dataclass
class RungFigures:
    rung: Rung
    people: int = 0
    bar: int = 0  # width of the funnel bar, % of the biggest rung
    reached: int = 0  # people on this rung or higher
    step_share: int | None = None  # % of those who reached the rung below who reached this one
    median_days: float | None = None  # median completed stay, last 12 months
    stays: int = 0
    conversion: list[float | None] = field(default_factory=list)  # per month, moves up / on it


@dataclass
class LadderReport:
    ladder: Ladder
    rungs: list[RungFigures]  # bottom first
    months: list[dt.date]
    total: int


def ladder_report(user: User, ladder: Ladder, *, now: dt.datetime | None = None) -> LadderReport:
    now = now or timezone.now()
    rungs = list(ladder.rungs.order_by("position"))
    figures = {r.pk: RungFigures(r) for r in rungs}
    placements = _scoped(RungPlacement.objects.filter(ladder=ladder), user)
    for row in placements.values("rung_id").annotate(n=Count("id")):
        if row["rung_id"] in figures:
            figures[row["rung_id"]].people = row["n"]
    ordered = [figures[r.pk] for r in rungs]
    biggest = max((f.people for f in ordered), default=0)
    reached = 0
    for f in reversed(ordered):
        reached += f.people
        f.reached = reached
        f.bar = round(100 * f.people / biggest) if biggest else 0
    for below, f in itertools.pairwise(ordered):
        f.step_share = round(100 * f.reached / below.reached) if below.reached else None

    months = _months(now, CONVERSION_MONTHS)
    _conversion(user, ladder, rungs, figures, months, now)
    _stays(user, ladder, figures, now)
    return LadderReport(ladder, ordered, months, sum(f.people for f in ordered))


def _months(now: dt.datetime, n: int) -> list[dt.date]:
    local = timezone.localtime(now).date().replace(day=1)
    months = [local]
    for _ in range(n - 1):
        prev = months[-1] - dt.timedelta(days=1)
        months.append(prev.replace(day=1))
    return list(reversed(months))


def _conversion(
    user: User,
    ladder: Ladder,
    rungs: list[Rung],
    figures: dict[int, RungFigures],
    months: list[dt.date],
    now: dt.datetime,
) -> None:
    """Per rung and month: people who moved up from the rung / people who were on it during
    the month (on it when the month began, or arrived during it).

    Occupancy at the start of each month is walked back from today's count through the moves
    of each month (arrivals in, departures out), so it needs only grouped counts of moves.
    """
    position = {r.pk: r.position for r in rungs}
    start = timezone.make_aware(dt.datetime.combine(months[0], dt.time.min))
    moves = (
        _scoped(RungMove.objects.filter(ladder=ladder, moved_at__gte=start), user)
        .annotate(month=TruncMonth("moved_at"))
        .values("month", "from_rung_id", "to_rung_id")
        .annotate(n=Count("id"))
    )
    arrivals: dict[tuple[int, dt.date], int] = defaultdict(int)
    departures: dict[tuple[int, dt.date], int] = defaultdict(int)
    ups: dict[tuple[int, dt.date], int] = defaultdict(int)
    for row in moves:
        month = row["month"]
        month = month.date() if isinstance(month, dt.datetime) else month
        src, dst, n = row["from_rung_id"], row["to_rung_id"], row["n"]
        if dst is not None:
            arrivals[(dst, month)] += n
        if src is not None:
            departures[(src, month)] += n
            if dst is not None and position.get(dst, 0) > position.get(src, 0):
                ups[(src, month)] += n
    for rung in rungs:
        f = figures[rung.pk]
        on_it = f.people  # at the end of the latest month (now)
        rates: list[float | None] = []
        for month in reversed(months):
            at_start = on_it - arrivals[(rung.pk, month)] + departures[(rung.pk, month)]
            exposed = at_start + arrivals[(rung.pk, month)]
            rates.append(round(100 * ups[(rung.pk, month)] / exposed, 1) if exposed else None)
            on_it = at_start
        f.conversion = list(reversed(rates))


def _stays(user: User, ladder: Ladder, figures: dict[int, RungFigures], now: dt.datetime) -> None:
    """Median days on a rung, over stays that ended (a move off it) in the last 12 months:
    each move's time since the same person's previous move on this ladder."""
    window_start = now - STAY_WINDOW
    # Only people who left a rung in the window, but all of their moves: the lag must see the
    # move that brought them onto the rung, however long ago. (Filters other than on the
    # window function apply before it, so the time filter is applied in Python.)
    leavers = RungMove.objects.filter(
        ladder=ladder, from_rung__isnull=False, moved_at__gte=window_start
    ).values("person_id")
    moves = (
        _scoped(RungMove.objects.filter(ladder=ladder, person_id__in=leavers), user)
        .annotate(
            previous=Window(
                Lag("moved_at"), partition_by=[F("person_id")], order_by=[F("moved_at"), F("id")]
            )
        )
        .values_list("from_rung_id", "moved_at", "previous")
    )
    days: dict[int, list[float]] = defaultdict(list)
    for rung_id, moved_at, previous in moves:
        if rung_id is None or previous is None or moved_at < window_start:
            continue
        days[rung_id].append((moved_at - previous).total_seconds() / 86400)
    for rung_id, values in days.items():
        if rung_id in figures:
            figures[rung_id].median_days = round(statistics.median(values), 1)
            figures[rung_id].stays = len(values)


@dataclass(frozen=True)
class RungRow:
    person: Person
    since: dt.datetime
    score: int | None


@dataclass(frozen=True)
class RungPage:
    rows: list[RungRow]
    next_after: int | None


def rung_people(user: User, rung: Rung, *, after: int | None = None) -> RungPage:
    """A keyset page of the visible people on a rung, by person id, with their score now."""
    placed = RungPlacement.objects.filter(person_id=OuterRef("pk"), rung=rung)
    rows = (
        visible_people(user)
        .filter(Exists(placed))
        .annotate(rung_since=Subquery(placed.values("since")[:1]))
        .order_by("pk")
    )
    if after is not None:
        rows = rows.filter(pk__gt=after)
    people = list(rows.select_related("stats", "home_group")[: PAGE_SIZE + 1])
    more = len(people) > PAGE_SIZE
    people = people[:PAGE_SIZE]
    decay = decay_factor(timezone.now())
    out = []
    for p in people:
        stats = getattr(p, "stats", None)
        score = math.floor(stats.engagement_raw * decay + 0.5) if stats is not None else None
        out.append(RungRow(p, p.rung_since, score))  # type: ignore[attr-defined]
    return RungPage(out, people[-1].pk if more and people else None)


@dataclass(frozen=True)
class PlacementLine:
    ladder: Ladder
    rung: Rung
    since: dt.datetime
    top: int  # number of rungs on the ladder


@dataclass(frozen=True)
class ProfilePanel:
    placements: list[PlacementLine]
    score: ScoreExplanation
    explanation: str
    next_step: NextStep | None
    has_ladders: bool


def profile_panel(person: Person, *, now: dt.datetime | None = None) -> ProfilePanel:
    """What the profile shows about ladders: each rung and since when, the score explained,
    the next step. The caller has already checked that the viewer may see ``person``."""
    now = now or timezone.now()
    rows = list(
        RungPlacement.objects.filter(person_id=person.pk, ladder__is_active=True)
        .select_related("rung", "ladder")
        .annotate(top=Count("ladder__rungs"))
        .order_by("ladder__position", "ladder__name")
    )
    lines = [PlacementLine(p.ladder, p.rung, p.since, p.top) for p in rows]  # type: ignore[attr-defined]
    breakdown = score_breakdown(person, now)
    return ProfilePanel(
        placements=lines,
        score=breakdown,
        explanation=breakdown.text(now),
        next_step=next_step_for(person, now=now, placements=rows),
        has_ladders=Ladder.objects.filter(is_active=True).exists(),
    )


__all__ = [
    "LadderReport",
    "LadderSummary",
    "PlacementLine",
    "ProfilePanel",
    "RungFigures",
    "RungPage",
    "RungRow",
    "ladder_get",
    "ladder_report",
    "ladders_overview",
    "profile_panel",
    "rung_get",
    "rung_people",
]
