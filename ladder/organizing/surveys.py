"""Survey answers, wherever they are given — on a call, at a door, on a public form: each is
checked against its question, written as a ``survey_response`` activity, and applies what the
chosen answer sets on the person (a tag, a custom field), so segments can use it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from ladder.activity.catalogue import ActivityType
from ladder.activity.services import activity_record
from ladder.core.models import User
from ladder.organizing.models import Question, Survey
from ladder.people.models import Person
from ladder.people.services import custom_fields_set, tag_add

TEXT_ANSWER_MAX = 2000


def answer_clean(question: Question, raw: Any) -> Any:
    """The stored value of one answer, or ValidationError keyed by the question."""
    kind = question.kind
    if kind == Question.Kind.SINGLE:
        if raw not in question.choices:
            raise ValidationError({question.key: f"Choose one of {', '.join(question.choices)}."})
        return raw
    if kind == Question.Kind.MULTI:
        picked = [raw] if isinstance(raw, str) else list(raw or [])
        if not picked or any(p not in question.choices for p in picked):
            raise ValidationError({question.key: f"Choose from {', '.join(question.choices)}."})
        return picked
    if kind == Question.Kind.SCALE:
        try:
            number = int(raw)
        except (TypeError, ValueError):
            number = question.scale_min - 1
        if not question.scale_min <= number <= question.scale_max:
            raise ValidationError(
                {question.key: f"Give a number from {question.scale_min} to {question.scale_max}."}
            )
        return number
    text = str(raw or "").strip()
    if len(text) > TEXT_ANSWER_MAX:
        raise ValidationError({question.key: f"At most {TEXT_ANSWER_MAX} characters."})
    return text


def _effects(actor: User | None, person: Person, question: Question, value: Any) -> None:
    picked = value if isinstance(value, list) else [value]
    fields: dict[str, Any] = {}
    for choice in picked:
        effect = question.effects.get(str(choice)) or {}
        if effect.get("tag"):
            tag_add(actor=actor, person=person, name=effect["tag"])
        if effect.get("field"):
            key, field_value = effect["field"]
            fields[key] = field_value
    if fields:
        custom_fields_set(actor=actor, person=person, values=fields)


@transaction.atomic
def survey_answers_record(
    *,
    actor: User | None,
    person: Person,
    survey: Survey,
    questions: dict[str, Question],
    answers: dict[str, Any],
    when: dt.datetime,
    source: str,
    channel: str,
    key: str,
) -> None:
    """Write already-cleaned ``answers`` (question key → value). ``key`` makes each answer's
    idempotency key (``<key>:<question>``): the same answer given twice is written once (its
    effects — a tag, a field value — are the same the second time)."""
    for question_key, value in answers.items():
        question = questions[question_key]
        activity_record(
            person=person, type=ActivityType.SURVEY_RESPONSE, actor=actor, occurred_at=when,
            channel=channel, source=source, object_type="survey", object_id=survey.pk,
            payload={"survey": survey.name, "question": question_key, "prompt": question.prompt,
                     "answer": value},
            idempotency_key=f"{key}:{question_key}",
        )  # fmt: skip
        _effects(actor, person, question, value)


__all__ = ["TEXT_ANSWER_MAX", "answer_clean", "survey_answers_record"]
