"""Listening: everything people say to the organization in their own words, grouped into themes.

The texts are the free words in the activity log: canvass, call and meeting notes, staff notes,
free-text survey answers, form comments, and imported social posts. They are grouped with
scikit-learn, offline: TF-IDF over words and word pairs (English stop words and words in
almost every text left out), then non-negative matrix factorisation into ``k`` themes, each
text going to the theme it weighs most in. A theme's top words are its strongest terms; its
examples are the texts that weigh most in it; its trend is texts per week. The grouping runs in
the worker (`listening_run_start`) and is kept, so the page reads rows.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from ladder.activity.catalogue import ActivityType as T
from ladder.activity.models import Activity
from ladder.core.models import User
from ladder.insights.models import ListeningRun, Theme, ThemeText

# Activity types and the payload keys that hold someone's own words.
SOURCES: dict[str, tuple[str, ...]] = {
    T.NOTE: ("text",),
    T.CALL: ("notes",),
    T.DOOR_KNOCK: ("notes",),
    T.MEETING: ("notes",),
    T.TEXT: ("notes", "text"),
    T.RELATIONAL_TOUCH: ("notes",),
    T.SURVEY_RESPONSE: ("answer",),
    T.FORM_SUBMISSION: ("comment",),
    T.PETITION_SIGNATURE: ("comment",),
    T.SOCIAL_ENGAGEMENT: ("text",),
}
# Words of an organizer's shorthand that say nothing about what the person cares about.
NOTE_WORDS = frozenset({"asked", "wants", "want", "talked", "says", "said", "told", "will",
                        "would", "can't", "won't", "don't", "didn't", "really", "just", "like",
                        "yes", "thanks", "thank", "neighbor"})  # fmt: skip
MIN_WORDS = 3  # a survey answer of "4" or "water quality" is a choice, not words
EXAMPLES = 3
MAX_TEXTS = 200_000
WINDOW_DAYS = 365


@dataclass(frozen=True)
class Said:
    activity_id: int
    person_id: int
    at: dt.datetime
    text: str


def texts_since(since: dt.date) -> list[Said]:
    start = timezone.make_aware(dt.datetime.combine(since, dt.time.min))
    rows = (
        Activity.objects.filter(type__in=list(SOURCES), occurred_at__gte=start)
        .order_by("-occurred_at")
        .values_list("pk", "person_id", "type", "occurred_at", "payload")[:MAX_TEXTS]
    )
    out = []
    for pk, person, kind, at, payload in rows:
        if not isinstance(payload, dict):
            continue
        for key in SOURCES[kind]:
            value = payload.get(key)
            if isinstance(value, str) and len(value.split()) >= MIN_WORDS:
                out.append(Said(pk, person, at, value.strip()[:2000]))
                break
    return out


def themes_of(texts: list[str], k: int, seed: int = 7) -> tuple[list[list[str]], list[int],
                                                               list[float]]:  # fmt: skip
    """(top words per theme, each text's theme, each text's weight in it)."""
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

    vectorizer = TfidfVectorizer(
        stop_words=sorted(ENGLISH_STOP_WORDS | NOTE_WORDS), ngram_range=(1, 2), min_df=2,
        max_df=0.4, sublinear_tf=True, max_features=20_000,
        token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z'-]+\b",
    )  # fmt: skip
    matrix = vectorizer.fit_transform(texts)
    k = max(1, min(k, matrix.shape[1], len(texts)))
    model = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=400)
    weights = model.fit_transform(matrix)
    terms = vectorizer.get_feature_names_out()
    words = []
    for component in model.components_:
        top: list[str] = []
        for index in component.argsort()[::-1]:
            term = str(terms[index])
            # A pair adds nothing when both its words are already there.
            if " " in term and all(part in top for part in term.split()):
                continue
            top.append(term)
            if len(top) == 8:
                break
        words.append(top)
    assigned = weights.argmax(axis=1)
    return words, [int(a) for a in assigned], [float(weights[i, a]) for i, a in
                                               enumerate(assigned)]  # fmt: skip


def listening_run_start(*, actor: User | None, now: dt.datetime | None = None) -> ListeningRun:
    """Ask the worker to group the last year's texts, unless a grouping is waiting already."""
    from ladder.insights.tasks import listening_task

    when = now or timezone.now()
    with transaction.atomic():
        waiting = (
            ListeningRun.objects.select_for_update()
            .filter(status__in=(ListeningRun.Status.QUEUED, ListeningRun.Status.RUNNING))
            .first()
        )
        if waiting is not None:
            return waiting
        run = ListeningRun.objects.create(
            requested_by=actor, requested_at=when,
            since=timezone.localdate(when) - dt.timedelta(days=WINDOW_DAYS),
        )  # fmt: skip
        transaction.on_commit(lambda: listening_task.enqueue(run.pk))
    return run


def _k_for(count: int) -> int:
    """A handful of themes a person can take in: more texts, a few more themes."""
    return max(3, min(10, round(count**0.5 / 6)))


def listening_perform(run_id: int, *, k: int | None = None) -> ListeningRun:
    run = ListeningRun.objects.get(pk=run_id)
    if not run.running:
        return run
    ListeningRun.objects.filter(pk=run.pk).update(status=ListeningRun.Status.RUNNING)
    started = time.perf_counter()
    try:
        said = texts_since(run.since)
        if len(said) >= 4:
            words, assigned, weights = themes_of([s.text for s in said], k or _k_for(len(said)))
            _save(run, said, words, assigned, weights)
    except Exception as error:
        ListeningRun.objects.filter(pk=run.pk).update(
            status=ListeningRun.Status.FAILED, error=str(error)[:2000], finished_at=timezone.now()
        )
        raise
    ListeningRun.objects.filter(pk=run.pk).update(
        status=ListeningRun.Status.DONE, texts=len(said), finished_at=timezone.now(),
        seconds=round(time.perf_counter() - started, 2),
    )  # fmt: skip
    run.refresh_from_db()
    return run


@transaction.atomic
def _save(run: ListeningRun, said: list[Said], words: list[list[str]], assigned: list[int],
          weights: list[float]) -> None:  # fmt: skip
    members: dict[int, list[tuple[Said, float]]] = {}
    for s, position, weight in zip(said, assigned, weights, strict=True):
        members.setdefault(position, []).append((s, weight))
    for position, top in enumerate(words):
        mine = sorted(members.get(position, []), key=lambda m: -m[1])
        if not mine:
            continue
        weeks = Counter(_week(s.at) for s, _ in mine)
        theme = Theme.objects.create(
            run=run, position=position, words=top, size=len(mine),
            people=len({s.person_id for s, _ in mine}),
            examples=_examples(mine),
            weekly=dict(sorted(weeks.items())),
        )  # fmt: skip
        ThemeText.objects.bulk_create(
            (ThemeText(theme=theme, person_id=s.person_id, activity_id=s.activity_id,
                       said_at=s.at, text=s.text, score=w) for s, w in mine),
            batch_size=2000,
        )  # fmt: skip


def _examples(mine: list[tuple[Said, float]]) -> list[dict[str, object]]:
    """The most typical texts, each said differently (notes are often written alike)."""
    out: list[dict[str, object]] = []
    seen: set[str] = set()
    for said, _ in mine:
        key = said.text.lower()
        if key not in seen:
            seen.add(key)
            out.append({"text": said.text, "person": said.person_id})
            if len(out) == EXAMPLES:
                break
    return out


def _week(moment: dt.datetime) -> str:
    """The Monday of the moment's week, in the organization's time zone."""
    day = timezone.localtime(moment).date()
    return (day - dt.timedelta(days=day.weekday())).isoformat()


def listening_latest() -> ListeningRun | None:
    return ListeningRun.objects.first()


__all__ = [
    "SOURCES",
    "listening_latest",
    "listening_perform",
    "listening_run_start",
    "texts_since",
    "themes_of",
]
