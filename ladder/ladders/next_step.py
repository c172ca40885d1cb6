"""The next step for a person: one explainable recommendation.

Candidates are the suggested next steps of the rungs the person stands on (``Rung.next_steps``,
``[{"text": ..., "channel": events|calls|email|social|giving|any}]``), or, when a rung has none,
"step up to" the rung above. Each candidate is scored by how well its channel fits the
person's habits over the last year, read from the activity log in one grouped query:

* calls  — share of our calls they answered (result "talked");
* email  — share of our emails they opened or clicked;
* events — events attended (and RSVPs kept);
* social — social engagement;
* giving — gifts;
* any    — a modest constant, so a channel-free step wins only when no habit is known.

How they answered before (their latest survey answers) counts too: someone whose latest
support score is 4 or 5 (leaning against) is not asked to give or host yet, and step texts may
name their top issue. Where they live (home group / city) fills ``{chapter}`` and ``{city}``
in step texts and is named in the "why". The winner is returned with the reasons that made it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from ladder.activity.catalogue import ActivityType as T
from ladder.activity.catalogue import ContactResult
from ladder.activity.models import Activity
from ladder.ladders.models import Rung, RungPlacement
from ladder.people.models import Address, Person

CHANNELS = ("events", "calls", "email", "social", "giving", "any")
HABIT_WINDOW = dt.timedelta(days=365)
ANY_CHANNEL = 0.3  # the fit of a step that needs no particular channel
UNKNOWN = 0.15  # the fit of a channel we know nothing about yet


@dataclass(frozen=True)
class NextStep:
    text: str
    channel: str
    why: str
    ladder: str
    rung: str
    fit: float = 0.0
    url: str = ""  # where the supporter takes the step (public steps only)


@dataclass
class Habits:
    """How a person responds on each channel: fit 0–1 and the words that say why."""

    fit: dict[str, float] = field(default_factory=dict)
    reason: dict[str, str] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)  # question -> latest answer
    place: str = ""  # "Des Moines (Des Moines chapter)"
    city: str = ""
    chapter: str = ""


def _ratio(part: int, whole: int) -> float:
    return min(1.0, part / whole) if whole else 0.0


def channel_habits(person: Person, *, now: dt.datetime | None = None) -> Habits:
    now = now or timezone.now()
    since = now - HABIT_WINDOW
    talked = ContactResult.TALKED
    counts: dict[str, Any] = Activity.objects.filter(
        person_id=person.pk, occurred_at__gte=since
    ).aggregate(
        calls=Count("id", filter=Q(type=T.CALL)),
        answered=Count("id", filter=Q(type=T.CALL, result=talked)),
        sent=Count("id", filter=Q(type=T.EMAIL_SENT)),
        opened=Count("id", filter=Q(type__in=[T.EMAIL_OPENED, T.EMAIL_CLICKED])),
        attended=Count("id", filter=Q(type=T.ATTENDANCE)),
        rsvps=Count("id", filter=Q(type=T.RSVP)),
        social=Count("id", filter=Q(type=T.SOCIAL_ENGAGEMENT)),
        gifts=Count("id", filter=Q(type=T.DONATION)),
    )
    h = Habits()

    def known(channel: str, fit: float, reason: str) -> None:
        h.fit[channel] = fit
        h.reason[channel] = reason

    if counts["calls"]:
        n, of = counts["answered"], counts["calls"]
        known("calls", _ratio(n, of), f"answered {n} of {of} calls this year")
    if counts["sent"] or counts["opened"]:
        # Opens are counted once per open, so cap the share at 1.
        n, of = counts["opened"], counts["sent"]
        fit = _ratio(n, of) if of else 1.0
        said = f"opened {n} of {of} emails" if of else f"opened {n} emails"
        known("email", fit, said + " this year")
    if counts["attended"]:
        n = counts["attended"]
        known("events", _ratio(n, 2), f"came to {n} event{'s' if n != 1 else ''} this year")
    elif counts["rsvps"]:
        # Said yes but has not come yet: interested in events, not proven.
        n = counts["rsvps"]
        known("events", 0.4, f"RSVPed to {n} event{'s' if n != 1 else ''} this year")
    if counts["social"]:
        n = counts["social"]
        known("social", _ratio(n, 3), f"engaged on social media {n} times this year")
    if counts["gifts"]:
        n = counts["gifts"]
        known("giving", _ratio(n, 2), f"gave {n} time{'s' if n != 1 else ''} this year")

    survey = (
        Activity.objects.filter(person_id=person.pk, type=T.SURVEY_RESPONSE)
        .order_by("-occurred_at", "-id")
        .values_list("payload", flat=True)[:10]
    )
    for payload in survey:
        if isinstance(payload, dict) and payload.get("question") and "answer" in payload:
            h.answers.setdefault(str(payload["question"]), str(payload["answer"]))

    address = (
        Address.objects.filter(person_id=person.pk)
        .exclude(locality="")
        .order_by("-is_primary", "id")
        .values_list("locality", flat=True)
        .first()
    )
    h.city = address or ""
    h.chapter = person.home_group.name if person.home_group_id and person.home_group else ""
    if h.city and h.chapter:
        h.place = f"{h.city} ({h.chapter})"
    else:
        h.place = h.city or h.chapter
    return h


def _support(answers: dict[str, str]) -> int | None:
    for question, answer in answers.items():
        if "support" in question.lower():
            try:
                return int(answer.strip())
            except ValueError:
                return None
    return None


def _issue(answers: dict[str, str]) -> str:
    for question, answer in answers.items():
        if "issue" in question.lower():
            return answer.strip()
    return ""


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(text: str, habits: Habits, issue: str) -> str:
    values = _Blank(
        city=habits.city or "their area",
        chapter=habits.chapter or "the local chapter",
        issue=issue or "the issues they care about",
    )
    try:
        return text.format_map(values)
    except (ValueError, IndexError):  # a stray brace in a step text: show it as written
        return text


def _candidates(rung: Rung, above: Rung | None, audience: str) -> list[dict[str, str]]:
    """The rung's steps for ``audience``: "staff" reads the organizer's wording (``text``),
    "supporter" the words addressed to the person (``public``, with its ``url``) and only the
    steps that have them."""
    key = "public" if audience == "supporter" else "text"
    steps = [
        {"text": str(s.get(key, "")).strip(), "channel": str(s.get("channel", "any")),
         "url": str(s.get("url", "")).strip() if audience == "supporter" else ""}
        for s in (rung.next_steps or [])
        if isinstance(s, dict) and str(s.get(key, "")).strip()
    ]  # fmt: skip
    if not steps and above is not None and audience == "staff":
        steps = [{"text": f"Invite them to step up to “{above.name}”", "channel": "any", "url": ""}]
    for s in steps:
        if s["channel"] not in CHANNELS:
            s["channel"] = "any"
    return steps


def _first_rung(person: Person) -> list[RungPlacement]:
    """Where someone who is on no ladder yet starts: the bottom rung of the first ladder (an
    unsaved placement; the worker places people a few seconds after they act)."""
    rung = (
        Rung.objects.filter(ladder__is_active=True)
        .select_related("ladder")
        .order_by("ladder__position", "ladder__name", "position")
        .first()
    )
    if rung is None:
        return []
    return [RungPlacement(person=person, ladder=rung.ladder, rung=rung)]


def next_step_for(
    person: Person,
    *,
    now: dt.datetime | None = None,
    placements: Sequence[RungPlacement] | None = None,
    audience: str = "staff",
) -> NextStep | None:
    """The best next step for ``person`` (None when they stand on no ladder with steps).

    ``placements`` may be passed by a caller that has them loaded (with rung and ladder).
    ``audience`` "supporter" gives the step in words addressed to the person (a thank-you
    page); someone on no ladder yet gets the first rung's steps."""
    now = now or timezone.now()
    if placements is None:
        placements = list(
            RungPlacement.objects.filter(person_id=person.pk, ladder__is_active=True)
            .select_related("rung", "ladder")
            .order_by("ladder__position", "ladder__name")
        )
    if not placements and audience == "supporter":
        placements = _first_rung(person)
    if not placements:
        return None
    above_by_rung = _rungs_above(placements)
    habits = channel_habits(person, now=now)
    support = _support(habits.answers)
    issue = _issue(habits.answers)
    hesitant = support is not None and support >= 4

    best: NextStep | None = None
    for order, placement in enumerate(placements):
        steps = _candidates(placement.rung, above_by_rung.get(placement.pk), audience)
        for index, step in enumerate(steps):
            channel = step["channel"]
            reasons: list[str] = []
            if channel == "any":
                fit = ANY_CHANNEL
            elif channel in habits.fit:
                fit = habits.fit[channel]
                reasons.append(habits.reason[channel])
            else:
                fit = UNKNOWN
            if hesitant and channel in ("giving", "events"):
                fit *= 0.1
                reasons.append(f"their latest support score is {support} (leaning against)")
            # Earlier ladders and earlier steps win ties: the order staff wrote them in.
            fit -= order * 0.001 + index * 0.0001
            if best is not None and fit <= best.fit:
                continue
            if not reasons:
                reasons.append("no strong channel habit yet" if channel != "any" else
                               "a step that suits any channel")  # fmt: skip
            if issue and "{issue}" in step["text"]:
                reasons.append(f"told us their top issue is {issue}")
            if habits.place:
                reasons.append(f"lives in {habits.place}")
            where = f"on “{placement.rung.name}” of the {placement.ladder.name} ladder"
            best = NextStep(
                text=_fill(step["text"], habits, issue),
                channel=channel,
                why="; ".join([where, *reasons]),
                ladder=placement.ladder.name,
                rung=placement.rung.name,
                fit=fit,
                url=step["url"],
            )
    return best


def _rungs_above(placements: Sequence[RungPlacement]) -> dict[int, Rung | None]:
    """For each placement, the rung just above it on its ladder (None at the top)."""
    ladder_ids = {p.ladder_id for p in placements}
    rungs: dict[int, list[Rung]] = {}
    for rung in Rung.objects.filter(ladder_id__in=ladder_ids).order_by("position"):
        rungs.setdefault(rung.ladder_id, []).append(rung)
    above: dict[int, Rung | None] = {}
    for p in placements:
        higher = [r for r in rungs.get(p.ladder_id, []) if r.position > p.rung.position]
        above[p.pk] = higher[0] if higher else None
    return above


__all__ = ["CHANNELS", "Habits", "NextStep", "channel_habits", "next_step_for"]
