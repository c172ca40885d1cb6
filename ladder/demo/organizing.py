"""The demo's field program as records the organizing screens work with: the issues survey the
year's calls and knocks answered (so its results page counts them), a script that asks it, and
for each active chapter a call list and a walk list built through the services — each chapter's
leader builds their own, so the lists hold only their people and follow the contact policy."""

from __future__ import annotations

from django.db import transaction

from ladder.activity.catalogue import ActivityType
from ladder.activity.models import Activity
from ladder.core.models import Role, User
from ladder.demo.actions import _author
from ladder.demo.data import DORMANT_CHAPTER, TAGS_ISSUES
from ladder.demo.history.field import SURVEY, SURVEY_KEYS
from ladder.organizing.models import ContactList, Question, Survey
from ladder.organizing.services import (
    QuestionPlan,
    contact_list_create,
    script_create,
    survey_create,
)
from ladder.people.models import Group, Tag
from ladder.segments.models import Segment
from ladder.segments.services import segment_create

CODES = ["talked", "not_home", "left_message", "wrong_number", "refused", "moved", "deceased"]


def _survey(author: User) -> Survey:
    keys = SURVEY_KEYS
    survey = survey_create(
        actor=author, name=SURVEY,
        questions=[
            QuestionPlan("Support score", Question.Kind.SCALE, key=keys["Support score"],
                         scale=(1, 5)),
            QuestionPlan("Top issue", Question.Kind.SINGLE, list(TAGS_ISSUES),
                         effects={issue: {"tag": issue} for issue in TAGS_ISSUES},
                         key=keys["Top issue"]),
            QuestionPlan("What's on your mind?", Question.Kind.TEXT,
                         key=keys["What's on your mind?"]),
        ],
    )  # fmt: skip
    # The history was written before the survey existed, naming it by its place (1): point
    # those answers at the survey (the same id on a fresh database).
    Activity.objects.filter(
        type=ActivityType.SURVEY_RESPONSE, object_type="survey", object_id=1
    ).exclude(object_id=survey.pk).update(object_id=survey.pk)
    return survey


def _universe(leader: User, chapter: Group) -> Segment:
    """The chapter's people who care about school funding: Saturday's universe."""
    schools = Tag.objects.get_or_create(name=TAGS_ISSUES[0])[0]
    definition = {"version": 1, "match": {"kind": "all", "of": [
        {"kind": "groups", "match": "any", "groups": [chapter.pk]},
        {"kind": "tags", "match": "any", "tags": [schools.pk]},
    ]}}  # fmt: skip
    return segment_create(
        actor=leader, name=f"{chapter.name}: school funding", definition=definition, group=chapter
    )


@transaction.atomic
def demo_organizing() -> int:
    """Returns the number of lists built."""
    author, _ = _author()
    if author is None or Survey.objects.filter(name=SURVEY).exists():
        return 0
    survey = _survey(author)
    script = script_create(
        actor=author, name="Saturday canvass and phone bank",
        body=(
            "Hi {{ first_name }}, I'm a volunteer with Prairie Forward. We're talking with "
            "neighbours about school funding before the session starts. Do you have a minute?"
        ),
        survey=survey, result_codes=CODES,
    )  # fmt: skip
    built = 0
    leaders = User.objects.filter(role=Role.LEADER, led_groups__kind="chapter").distinct()
    for leader in leaders.exclude(led_groups__slug=DORMANT_CHAPTER).order_by("pk"):
        chapter = leader.led_groups.filter(kind="chapter").order_by("pk").first()
        if chapter is None:
            continue
        segment = Segment.objects.filter(group=chapter).order_by("pk").first() or _universe(
            leader, chapter
        )
        for kind, name in (
            (ContactList.Kind.CALL, "phone bank"),
            (ContactList.Kind.WALK, "canvass"),
        ):
            contact_list_create(
                actor=leader, name=f"{chapter.name}: Saturday {name}", kind=kind,
                segment=segment, script=script, group=chapter, open_to_group=True,
            )  # fmt: skip
            built += 1
    return built


__all__ = ["demo_organizing"]
