"""The screens behind calls and doors: building a survey question by question, its results,
writing a script, and the contact policy — with bad input answered next to the field."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from ladder.activity.catalogue import ActivityType as T
from ladder.activity.services import activity_record
from ladder.organizing.models import ContactPolicy, Script, Survey
from ladder.organizing.selectors import policy
from ladder.organizing.tests.test_call_lists import caller
from ladder.people.models import CustomField
from ladder.web.tests.conftest import logged_in

pytestmark = pytest.mark.django_db


def questions(*rows: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {"q-TOTAL_FORMS": str(len(rows)), "q-INITIAL_FORMS": "0"}
    for n, row in enumerate(rows):
        base = {"prompt": "", "kind": "single", "choices": "", "scale_min": "1",
                "scale_max": "5", "effects": ""}  # fmt: skip
        data.update({f"q-{n}-{k}": v for k, v in {**base, **row}.items()})
    return data


def test_staff_build_a_survey_with_what_its_answers_set(staff_user):
    CustomField.objects.create(key="wants_to_volunteer", label="Wants to volunteer")
    client = logged_in(staff_user)
    assert client.get("/organize/surveys/new/").status_code == 200
    response = client.post("/organize/surveys/new/", {
        "name": "School funding",
        **questions(
            {"prompt": "What matters most?", "choices": "Education\nTransit\n",
             "effects": "Education: tag cares: education"},
            {"prompt": "Volunteer with us?", "choices": "Yes\nNo",
             "effects": "Yes: field wants_to_volunteer = yes"},
            {"prompt": "How likely to vote?", "kind": "scale", "scale_min": "1",
             "scale_max": "10"},
            {"prompt": ""},  # an empty row is skipped
        ),
    })  # fmt: skip
    survey = Survey.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/organize/surveys/{survey.pk}/"
    asked = list(survey.questions.values_list("prompt", "kind", "choices", "effects"))
    assert asked == [
        ("What matters most?", "single", ["Education", "Transit"],
         {"Education": {"tag": "cares: education"}}),
        ("Volunteer with us?", "single", ["Yes", "No"],
         {"Yes": {"field": ["wants_to_volunteer", "yes"]}}),
        ("How likely to vote?", "scale", [], {}),
    ]  # fmt: skip
    assert survey.questions.get(kind="scale").scale_max == 10


def test_a_bad_survey_says_which_question_and_keeps_nothing(staff_user):
    response = logged_in(staff_user).post("/organize/surveys/new/", {
        "name": "Broken",
        **questions(
            {"prompt": "Pick one", "choices": "Only one"},
            {"prompt": "Issue?", "choices": "A\nB", "effects": "C: tag nope\nA: field nokey = 1"},
        ),
    })  # fmt: skip
    assert response.status_code == 400
    html = response.content.decode()
    first, second = html.split('id="question-1"')[1].split('id="question-2"')
    assert "at least two choices" in first
    assert "“C” is not one of the choices" in second and "“nokey” is not a custom field" in second
    assert not Survey.objects.exists()


def test_results_count_the_people_each_user_may_see(
    staff_user, leader_a, leader_b, two_groups, person_in_b
):
    survey = Survey.objects.create(name="Issues", group=two_groups[0])
    survey.questions.create(key="issue", prompt="Issue?", kind="multi", choices=["A", "B"],
                            effects={"A": {"tag": "cares: a"}})  # fmt: skip
    ana = caller(1, group=two_groups[0])

    def answer(person, value) -> None:  # type: ignore[no-untyped-def]
        activity_record(
            person=person, type=T.SURVEY_RESPONSE, object_type="survey", object_id=survey.pk,
            occurred_at=timezone.now(), payload={"question": "issue", "answer": value},
        )  # fmt: skip

    answer(ana, ["A", "B"])
    answer(person_in_b, ["A"])
    page = logged_in(staff_user).get(f"/organize/surveys/{survey.pk}/").content.decode()
    assert "<span>A</span> <strong>2</strong>" in page and "tag: cares: a" in page
    mine = logged_in(leader_a).get(f"/organize/surveys/{survey.pk}/").content.decode()
    assert (
        "<span>A</span> <strong>1</strong>" in mine and "<span>B</span> <strong>1</strong>" in mine
    )
    assert logged_in(leader_b).get(f"/organize/surveys/{survey.pk}/").status_code == 404


def test_a_script_with_a_broken_merge_field_is_refused_next_to_the_text(leader_a, two_groups):
    client = logged_in(leader_a)
    bad = client.post("/organize/scripts/new/", {
        "name": "Intro", "body": "Hi {{ shoe_size }}", "group": two_groups[0].pk,
    })  # fmt: skip
    assert bad.status_code == 400 and not Script.objects.exists()
    body = bad.content.decode().split('for="id_body"')[1].split("</textarea>")[0]
    assert "there is no merge field “shoe_size”" in body
    other = client.post("/organize/scripts/new/", {
        "name": "Intro", "body": "Hi {{ first_name }}", "group": two_groups[1].pk,
    })  # fmt: skip
    assert other.status_code == 400 and "Select a valid choice" in other.content.decode()
    good = client.post("/organize/scripts/new/", {
        "name": "Intro", "body": "Hi {{ first_name }}", "group": two_groups[0].pk,
        "result_codes": ["talked", "not_home"],
    })  # fmt: skip
    assert good.status_code == 302
    script = Script.objects.get()
    assert script.group == two_groups[0] and script.results == ["talked", "not_home"]
    assert "Intro" in client.get("/organize/scripts/").content.decode()


def test_only_staff_set_the_contact_policy(staff_user, leader_a):
    assert logged_in(leader_a).post("/organize/policy/", {
        "same_channel_days": "1", "other_channel_days": "0"}).status_code == 403  # fmt: skip
    client = logged_in(staff_user)
    bad = client.post("/organize/policy/", {"same_channel_days": "-1", "other_channel_days": "x"})
    assert bad.status_code == 400
    assert bad.content.decode().count('class="errorlist"') >= 2
    assert not ContactPolicy.objects.exclude(same_channel_days=7).exists()
    assert client.post("/organize/policy/", {
        "same_channel_days": "14", "other_channel_days": "3"}).status_code == 302  # fmt: skip
    assert (policy().same_channel_days, policy().other_channel_days) == (14, 3)
