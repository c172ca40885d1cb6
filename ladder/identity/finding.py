"""Running the batch matcher over everyone and keeping its pairs as candidates for review.

A pair someone has decided (merged, not a duplicate) is never proposed again; an open pair
found again is refreshed. Each candidate gets its stakes — how much getting it right matters
(actions and money on both records, and consent: an unsubscribe on either side) — so the queue
can put the pairs that matter first among those equally sure. With
``LADDER_IDENTITY_AUTO_MERGE_ABOVE`` set, pairs at or above that match probability are merged
at once (the record with more history survives); otherwise nothing merges without a person.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from ladder.activity.models import PersonStats
from ladder.core.models import User
from ladder.identity.candidates import Pair, Progress, find_pairs, people_frame
from ladder.identity.merging import person_merge
from ladder.identity.models import Candidate, FindRun, NotDuplicate
from ladder.people.models import EmailAddress, Person, Subscription


@dataclass(frozen=True)
class Found:
    people: int
    pairs: int
    new: int
    merged: int


def _stakes(ids: set[int]) -> dict[int, float]:
    stakes = {
        pid: float(actions) + float(given or 0) / 25
        for pid, actions, given in PersonStats.objects.filter(person_id__in=ids).values_list(
            "person_id", "actions_total", "given_total"
        )
    }
    unsubscribed = EmailAddress.objects.filter(
        person_id__in=ids, subscription=Subscription.UNSUBSCRIBED
    ).values_list("person_id", flat=True)
    for pid in unsubscribed:
        stakes[pid] = stakes.get(pid, 0.0) + 10
    return stakes


def candidates_find(
    *, threshold: float = 0.5, progress: Progress | None = None, now: dt.datetime | None = None
) -> Found:
    when = now or timezone.now()
    report = progress or (lambda phase, done, total: None)
    report("reading people", 0, 1)
    frame = people_frame()
    report("reading people", 1, 1)
    pairs = find_pairs(frame, threshold=threshold, progress=report)
    decided = set(
        Candidate.objects.exclude(status=Candidate.Status.OPEN).values_list("low_id", "high_id")
    ) | set(NotDuplicate.objects.values_list("low_id", "high_id"))
    fresh = [p for p in pairs if (p.low, p.high) not in decided]
    stakes = _stakes({pid for p in fresh for pid in (p.low, p.high)})
    new = merged = 0
    report("saving", 0, len(fresh))
    with transaction.atomic():
        existing = {
            (c.low_id, c.high_id): c for c in Candidate.objects.filter(status=Candidate.Status.OPEN)
        }
        for n, pair in enumerate(fresh, start=1):
            row = existing.get((pair.low, pair.high))
            values = {
                "probability": pair.probability, "weight": pair.weight,
                "evidence": {k: list(v) for k, v in pair.evidence.items()},
                "stakes": stakes.get(pair.low, 0.0) + stakes.get(pair.high, 0.0),
            }  # fmt: skip
            if row is None:
                row = Candidate.objects.create(low_id=pair.low, high_id=pair.high, found_at=when,
                                               **values)  # fmt: skip
                new += 1
            else:
                Candidate.objects.filter(pk=row.pk).update(**values)
            if n % 500 == 0:
                report("saving", n, len(fresh))
    report("saving", len(fresh), len(fresh))
    auto = getattr(settings, "LADDER_IDENTITY_AUTO_MERGE_ABOVE", None)
    if auto is not None:
        for pair in fresh:
            if pair.probability >= auto:
                merged += _auto_merge(pair, stakes, when)
    return Found(people=frame.height, pairs=len(pairs), new=new, merged=merged)


# The phases in the order they run, so a progress bar can move through all of them.
PHASES = ("reading people", "training", "scoring", "saving")


def find_run_start(*, actor: User | None, now: dt.datetime | None = None) -> FindRun:
    """Ask the worker to look for duplicates, unless a search is already waiting or running."""
    from ladder.identity.tasks import candidates_find_task

    with transaction.atomic():
        running = FindRun.objects.select_for_update().filter(
            status__in=(FindRun.Status.QUEUED, FindRun.Status.RUNNING)
        )
        existing = running.first()
        if existing is not None:
            return existing
        run = FindRun.objects.create(requested_by=actor, requested_at=now or timezone.now())
        transaction.on_commit(lambda: candidates_find_task.enqueue(run.pk))
    return run


def find_run_perform(run_id: int) -> FindRun:
    """Run a queued search, writing its phase and progress to the run as it goes."""
    run = FindRun.objects.get(pk=run_id)
    if not run.running:
        return run
    FindRun.objects.filter(pk=run.pk).update(status=FindRun.Status.RUNNING)

    def progress(phase: str, done: int, total: int) -> None:
        FindRun.objects.filter(pk=run.pk).update(phase=phase, done=done, total=total)

    try:
        found = candidates_find(progress=progress)
    except Exception as error:
        FindRun.objects.filter(pk=run.pk).update(
            status=FindRun.Status.FAILED, error=str(error)[:2000], finished_at=timezone.now()
        )
        raise
    FindRun.objects.filter(pk=run.pk).update(
        status=FindRun.Status.DONE, people=found.people, pairs=found.pairs, new=found.new,
        merged=found.merged, finished_at=timezone.now(),
    )  # fmt: skip
    run.refresh_from_db()
    return run


def find_run_progress(run: FindRun) -> dict[str, object]:
    """Phase, its label and an overall percentage (each phase an equal share of the bar)."""
    if run.status == FindRun.Status.DONE:
        return {"label": "Done", "percent": 100}
    if run.status != FindRun.Status.RUNNING or run.phase not in PHASES:
        return {"label": run.get_status_display(), "percent": 0}
    k = PHASES.index(run.phase)
    within = run.done / run.total if run.total else 0.0
    return {"label": run.phase.capitalize(), "percent": round(100 * (k + within) / len(PHASES))}


def _auto_merge(pair: Pair, stakes: dict[int, float], when: dt.datetime) -> int:
    live = Person.objects.filter(pk__in=[pair.low, pair.high], merged_into__isnull=True)
    if live.count() != 2:
        return 0
    keep, fold = sorted((pair.low, pair.high), key=lambda pk: (-stakes.get(pk, 0.0), pk))
    with transaction.atomic():
        survivor, merged = Person.objects.get(pk=keep), Person.objects.get(pk=fold)
        person_merge(actor=None, survivor=survivor, merged=merged, score=pair.probability, now=when)
        Candidate.objects.filter(low_id=pair.low, high_id=pair.high).update(
            status=Candidate.Status.MERGED, decided_at=when
        )
    return 1


def candidates_open() -> QuerySet[Candidate]:
    """The review queue: open pairs of live people, surest first, then what matters most."""
    return (
        Candidate.objects.filter(status=Candidate.Status.OPEN)
        .filter(Q(low__merged_into__isnull=True) & Q(high__merged_into__isnull=True))
        .order_by("-probability", "-stakes", "pk")
    )


__all__ = [
    "Found",
    "candidates_find",
    "candidates_open",
    "find_run_perform",
    "find_run_progress",
    "find_run_start",
]
