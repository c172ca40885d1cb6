"""A survey on a public form: the same questions callers ask, answered on a petition page —
each answer an activity that sets what the choice sets, once however often the form is sent,
and a bad answer is a message next to the question."""

from __future__ import annotations

import pytest
from django.test import Client

from ladder.actions.services import page_update
from ladder.actions.tests.testing import make_page, signature
from ladder.activity.catalogue import ActivityType as T
from ladder.activity.models import Activity
from ladder.organizing.tests.test_call_lists import survey  # noqa: F401  (a fixture)
from ladder.people.models import Person, Tag
from ladder.segments.selectors import segment_people

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(staff_user, survey):  # type: ignore[no-untyped-def]  # noqa: F811
    return make_page(staff_user, kind="form", survey=survey)


def test_answers_on_a_form_are_activities_with_their_effects_once(page):
    client = Client()
    html = client.get(f"/act/{page.slug}/").content.decode()
    assert "What matters most?" in html and 'name="sv_issue"' in html
    data = signature(page, sv_issue="Education", sv_vol="Yes", sv_likely="4")
    assert client.post(f"/act/{page.slug}/", data).status_code == 302
    assert (
        client.post(f"/act/{page.slug}/", signature(page, sv_issue="Education")).status_code == 302
    )
    person = Person.objects.get()
    answers = Activity.objects.filter(person=person, type=T.SURVEY_RESPONSE)
    assert sorted((a.payload["question"], a.payload["answer"]) for a in answers) == [
        ("issue", "Education"), ("likely", 4), ("vol", "Yes"),
    ]  # fmt: skip
    assert {a.channel for a in answers} == {"web"}
    assert person.custom_fields["wants_to_volunteer"] == "yes"
    tag = Tag.objects.get(name="cares: education")
    cares = {"version": 1, "match": {"kind": "tags", "match": "any", "tags": [tag.pk]}}
    assert list(segment_people(page.created_by, cares)) == [person]


def test_a_bad_answer_is_a_message_next_to_the_question_and_nothing_is_kept(page):
    response = Client().post(
        f"/act/{page.slug}/", signature(page, sv_issue="Potholes", sv_likely="9")
    )
    assert response.status_code == 200  # the form again, as for any field in error
    html = response.content.decode()
    assert html.count('class="field choices has-error"') == 2
    assert "Select a valid choice" in html
    assert not Person.objects.exists()
    assert not Activity.objects.filter(type=T.SURVEY_RESPONSE).exists()


def test_only_a_survey_the_author_may_use_goes_on_a_page(page, leader_a, survey):  # noqa: F811
    from ladder.actions.services import PageError

    theirs = make_page(leader_a, kind="form", group=leader_a.led_groups.first())
    with pytest.raises(PageError, match="Choose one of your surveys"):
        page_update(actor=leader_a, page=theirs, survey=survey)
