"""The organizing screens through the test client: a volunteer works a call list one person
at a time and the organizer's progress counts it; bad answers are refused next to the field
and lose nothing; a volunteer never reaches a person outside their list."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ladder.activity.catalogue import ActivityType
from ladder.activity.models import Activity
from ladder.core.models import Role
from ladder.core.testing import make_user
from ladder.organizing.models import ContactList, ListEntry, Question
from ladder.organizing.services import (
    QuestionPlan,
    contact_list_create,
    script_create,
    survey_create,
)
from ladder.organizing.tests.test_call_lists import caller, universe

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(staff_user):
    volunteer = make_user("vera", Role.VOLUNTEER)
    survey = survey_create(
        actor=staff_user, name="Schools",
        questions=[QuestionPlan("What matters most?", Question.Kind.SINGLE,
                                ["Education", "Transit"], key="issue")],
    )  # fmt: skip
    script = script_create(actor=staff_user, name="Intro", survey=survey,
                           body="Hi {{ first_name | there }}, it's about the schools.")  # fmt: skip
    people = [caller(n) for n in range(1, 4)]
    contact_list = contact_list_create(
        actor=staff_user, name="School calls", kind=ContactList.Kind.CALL,
        static_list=universe(staff_user, people), script=script, volunteers=[volunteer],
    )  # fmt: skip
    return {"volunteer": volunteer, "list": contact_list, "people": people}


def test_a_volunteer_works_the_list_and_the_progress_counts_it(client, staff_user, setup):
    contact_list, volunteer = setup["list"], setup["volunteer"]
    client.force_login(volunteer)
    work = reverse("organizing:work", args=[contact_list.pk])
    page = client.get(work).content.decode()
    assert "Hi P1, it&#x27;s about the schools." in page and 'href="tel:+15155550001"' in page
    entry = ListEntry.objects.get(contact_list=contact_list, served_to=volunteer)
    prefix = f"e{entry.pk}"
    answer = {"entry": entry.pk, f"{prefix}-result": "talked", f"{prefix}-q_issue": "Education"}
    assert client.post(work, answer).status_code == 302
    assert "P2 Caller" in client.get(work).content.decode()  # the next person
    client.force_login(staff_user)
    progress = client.get(
        reverse("organizing:list", args=[contact_list.pk]), HTTP_HX_REQUEST="true"
    )
    html = progress.content.decode()
    assert '<span id="done-count">1</span> of 3 done' in html and "Talked" in html
    assert Activity.objects.filter(type=ActivityType.SURVEY_RESPONSE).count() == 1


def test_a_bad_answer_is_refused_next_to_the_field_and_keeps_the_person(client, setup):
    contact_list, volunteer = setup["list"], setup["volunteer"]
    client.force_login(volunteer)
    work = reverse("organizing:work", args=[contact_list.pk])
    client.get(work)
    entry = ListEntry.objects.get(contact_list=contact_list, served_to=volunteer)
    refused = client.post(work, {"entry": entry.pk, f"e{entry.pk}-q_issue": "Education"})
    assert refused.status_code == 400
    assert "This field is required" in refused.content.decode()
    assert ListEntry.objects.get(pk=entry.pk).state == ListEntry.State.SERVED
    assert not Activity.objects.filter(type=ActivityType.CALL).exists()


def test_a_volunteer_posting_for_someone_not_served_to_them_gets_404(client, setup):
    contact_list, volunteer = setup["list"], setup["volunteer"]
    client.force_login(volunteer)
    work = reverse("organizing:work", args=[contact_list.pk])
    client.get(work)
    other = ListEntry.objects.filter(contact_list=contact_list, served_to=None).first()
    assert other is not None
    posted = client.post(work, {"entry": other.pk, f"e{other.pk}-result": "talked"})
    assert posted.status_code == 404
    stranger = make_user("stan", Role.VOLUNTEER)
    client.force_login(stranger)
    assert client.get(work).status_code == 404


def test_only_builders_see_the_new_list_form(client, setup):
    client.force_login(setup["volunteer"])
    assert client.get(reverse("organizing:new")).status_code == 403


def test_a_volunteer_uploads_contacts_and_sees_who_they_know(client, db):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from ladder.people.services import person_create

    person_create(actor=None, first_name="Ana", last_name="Alvarez", email="ana@example.org")
    volunteer = make_user("vera", Role.VOLUNTEER)
    client.force_login(volunteer)
    url = reverse("organizing:contacts")
    csv = b"Name,Email\nAna Alvarez,ana@example.org\nNew Person,new@example.org\n"
    page = client.post(url, {"file": SimpleUploadedFile("contacts.csv", csv)})
    html = page.content.decode()
    assert page.status_code == 200
    assert '<strong id="matched-count">1</strong> already with us' in html
    assert "Ana Alvarez" in html and "New Person" in html
    bad = client.post(url, {"file": SimpleUploadedFile("c.csv", b"Nickname\nAce\n")})
    assert bad.status_code == 400 and "No column to match on" in bad.content.decode()


def test_the_queue_endpoint_records_once_refuses_by_field_and_hides_others(client, setup):
    contact_list, volunteer = setup["list"], setup["volunteer"]
    client.force_login(volunteer)
    client.get(reverse("organizing:work", args=[contact_list.pk]))
    entry = ListEntry.objects.get(contact_list=contact_list, served_to=volunteer)
    url = reverse("organizing:record", args=[contact_list.pk])
    prefix = f"e{entry.pk}"
    refused = client.post(url, {"entry": entry.pk, f"{prefix}-q_issue": "Housing"})
    assert refused.status_code == 400
    assert set(refused.json()["fields"]) == {"q_issue", "result"}
    answer = {"entry": entry.pk, f"{prefix}-result": "talked"}
    assert client.post(url, answer).json() == {"recorded": entry.pk}
    assert client.post(url, answer).status_code == 200  # a resend after a lost reply
    assert Activity.objects.filter(type=ActivityType.CALL).count() == 1
    other = ListEntry.objects.filter(contact_list=contact_list, served_to=None).first()
    assert other is not None
    assert client.post(url, {"entry": other.pk, f"e{other.pk}-result": "talked"}).status_code == 404
