"""The deterministic demo generator: Prairie Forward, a state-level organization in Iowa.

`build_plan` draws the whole organization from one seeded `random.Random` (no global random
state): 5 chapters with a canvass team each, a leader and two volunteers with logins per
chapter, people with realistic names and contact points, recruiters and point persons, a year
of activities of every type in the catalogue, consent lines and planted duplicates.
`generate_demo` writes it to the database set-based and rebuilds the rollups.

The same seed and ``now`` give the same plan; the people and their emails depend on the seed
only (see `ladder.demo.identity`).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.utils import timezone

from ladder.activity.rollups import SETTLE, rollups_rebuild, rollups_update
from ladder.demo.actions import demo_actions
from ladder.demo.asks import demo_asks
from ladder.demo.data import CHAPTERS, DORMANT_CHAPTER, ORG_SLUG
from ladder.demo.duplicates import plant_duplicates
from ladder.demo.goals import demo_goals
from ladder.demo.help import demo_help
from ladder.demo.history.field import events_program, relational, schedule
from ladder.demo.history.mail import email_program
from ladder.demo.history.money import donations
from ladder.demo.history.touches import engagement, ensure_every_type, first_touches
from ladder.demo.ladders import seed_ladders
from ladder.demo.load import Loaded, Progress, load_activities, load_plan
from ladder.demo.mailings import demo_mailings
from ladder.demo.organizing import demo_organizing
from ladder.demo.people import build_groups, build_organizers, build_people, build_recruiters
from ladder.demo.plan import Plan, Story
from ladder.demo.segments import demo_segments
from ladder.demo.social import demo_social
from ladder.ladders.placement import ladders_recompute, ladders_update

# Months of history replayed through the worker's incremental path (see `_replay`).
REPLAY_MONTHS = 12


@dataclass
class DemoSummary:
    seed: int
    people: int  # distinct people
    records: int  # person rows, planted duplicates included
    duplicates: int
    activities: int
    consents: int
    per_chapter: dict[str, int]  # chapter slug -> people whose home group it is
    users: list[str]  # usernames of the chapter leaders and volunteers
    dormant_chapter: str
    ground_truth: Path | None = None
    seconds: dict[str, float] = field(default_factory=dict)  # plan, load, rollups, total

    @property
    def people_per_second(self) -> float:
        return self.records / max(self.seconds.get("total", 0.0), 1e-9)

    @property
    def activities_per_second(self) -> float:
        return self.activities / max(self.seconds.get("total", 0.0), 1e-9)


def build_plan(
    *, seed: int = 42, people: int = 5000, duplicates: float = 0.02, now: dt.datetime | None = None
) -> Plan:
    if people < 1:
        raise ValueError("people must be at least 1")
    if not 0 <= duplicates <= 1:
        raise ValueError("duplicates is a share between 0 and 1")
    now = now or timezone.now()
    plan = Plan(seed=seed, now=now.replace(second=0, microsecond=0))
    story = Story(plan, random.Random(f"ladder-demo-plan:{seed}"))
    build_groups(story)
    build_people(story, people)
    build_organizers(story)
    build_recruiters(story)
    plant_duplicates(story, duplicates)
    first_touches(story)
    events = schedule(story)
    events_program(story, events)
    relational(story)
    email_program(story, events)
    donations(story)
    engagement(story)
    ensure_every_type(story)
    # Insert in time order, so that ids follow the story; the sort is stable, so ties keep the
    # order the programs wrote them in and the plan stays deterministic.
    plan.activities.sort(key=lambda a: a.occurred_at)
    plan.consents.sort(key=lambda c: c.occurred_at)
    return plan


def demo_exists() -> bool:
    """Whether Prairie Forward has been loaded into this database already."""
    from ladder.people.models import Group

    return Group.objects.filter(slug=ORG_SLUG).exists()


def generate_demo(
    *,
    seed: int = 42,
    people: int = 5000,
    duplicates: float = 0.02,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
    password: str | None = None,
    ground_truth: str | Path | None = None,
) -> DemoSummary:
    """Load the demo organization into the database.

    ``people`` counts distinct people; planted duplicates come on top (``duplicates`` is their
    share). ``password`` is given to the chapter leaders' and volunteers' logins (unusable when
    None). ``ground_truth``, when given, receives the planted pairs as JSON::

        {"seed": 42, "people": 5000, "records": 5100, "share": 0.02,
         "pairs": [{"original": 17, "duplicate": 5012, "variant": "nickname"}, ...]}

    with database ids. ``progress(phase, done, total)`` is called as batches are written.
    """
    if demo_exists():
        raise ValueError("The demo organization is already loaded in this database.")
    started = time.perf_counter()
    plan = build_plan(seed=seed, people=people, duplicates=duplicates, now=now)
    planned = time.perf_counter()
    checkpoints = replay_checkpoints(plan.now)
    loaded = load_plan(plan, password=password, progress=progress, activities_before=checkpoints[0])
    seed_ladders()
    _replay(plan, loaded, checkpoints, progress)
    stored = time.perf_counter()
    _rebuild_rollups(progress)
    rolled = time.perf_counter()
    _place_everyone(progress, plan.now)
    demo_segments()  # saved segments, counted against the loaded people and rollups
    demo_asks(now=plan.now, seed=seed)  # asks need the ladders' placements
    demo_actions(now=plan.now, seed=seed)  # public pages, acted on through their services
    demo_mailings()  # the year's email as mailings with reports, and a draft to send
    demo_organizing()  # the issues survey, a script, and each chapter's call and walk lists
    demo_social(now=plan.now, seed=seed)  # a listening tool's export, matched by handle and email
    demo_goals(now=plan.now)  # the organization's and each chapter's goals for this month
    demo_help()  # the knowledge base's first articles, and a question waiting for staff
    finished = time.perf_counter()
    summary = DemoSummary(
        seed=seed,
        people=people,
        records=len(plan.people),
        duplicates=len(plan.duplicates),
        activities=loaded.activities,
        consents=loaded.consents,
        per_chapter=_per_chapter(plan),
        users=[u.username for u in plan.users],
        dormant_chapter=DORMANT_CHAPTER,
        seconds={
            "plan": planned - started,
            "load": stored - planned,  # with the replay of the year through the worker's path
            "rollups": rolled - stored,
            "ladders": finished - rolled,
            "total": finished - started,
        },
    )
    if ground_truth is not None:
        summary.ground_truth = write_ground_truth(plan, loaded, Path(ground_truth), duplicates)
    return summary


def _per_chapter(plan: Plan) -> dict[str, int]:
    counts = Counter(p.chapter for p in plan.people if p.chapter)
    return {slug: counts.get(slug, 0) for slug, _ in CHAPTERS}


def write_ground_truth(plan: Plan, loaded: Loaded, path: Path, share: float) -> Path:
    ids = loaded.person_ids
    data = {
        "seed": plan.seed,
        "people": len(plan.people) - len(plan.duplicates),
        "records": len(plan.people),
        "share": share,
        "pairs": [
            {"original": ids[a], "duplicate": ids[b], "variant": variant}
            for a, b, variant in plan.duplicates
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1))
    return path


def replay_checkpoints(now: dt.datetime) -> list[dt.datetime]:
    """The month ends the history is replayed at: REPLAY_MONTHS of them, the last a month ago."""
    return [now - dt.timedelta(days=30 * k) for k in range(REPLAY_MONTHS, 0, -1)]


def _replay(
    plan: Plan, loaded: Loaded, checkpoints: list[dt.datetime], progress: Progress | None
) -> None:
    """Write the last year's history a month at a time, and after each month do what the
    worker would have done by then: fold it into the rollups, the scores and the ladders. So
    people join the ladders and climb them over the year, each move dated when it happened,
    and the ladder screens have months of conversion and time on a rung to show."""
    report = progress or (lambda phase, done, total: None)
    for k, moment in enumerate(checkpoints):
        if k:
            load_activities(plan, loaded, start=checkpoints[k - 1], stop=moment)
        # Everything written so far has committed: let the rollups fold all of it.
        settled = timezone.now() + SETTLE
        while rollups_update(now=settled):
            pass
        while ladders_update(now=moment):
            pass
        report("ladders: replaying the year", k + 1, len(checkpoints))
    load_activities(plan, loaded, start=checkpoints[-1], stop=None)


def _rebuild_rollups(progress: Progress | None) -> None:
    # The rebuild skips activities written in the last few seconds, in case their transaction
    # is still open (SETTLE). Ours has committed, so let it count them: measure from a moment
    # just past the settling window.
    report = progress or (lambda phase, done, total: None)
    rollups_rebuild(
        lambda phase, done, total: report(f"rollups: {phase}", done, total),
        now=timezone.now() + SETTLE,
    )


def _place_everyone(progress: Progress | None, now: dt.datetime) -> None:
    """Every score from the log and every person placed as of the story's ``now`` (the
    replay placed people as of a month ago; this is the month since, and the catch-up)."""
    report = progress or (lambda phase, done, total: None)
    ladders_recompute(
        now=now,
        progress=lambda phase, done, total: report(f"ladders: {phase}", done, total),
    )
