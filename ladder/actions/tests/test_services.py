"""Taking an action, through the service: who it matches, what it writes, what it refuses to
write twice, and how it credits a recruiter — on real SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from ladder.actions.models import ActionPage, Submission
from ladder.actions.services import action_take, referral_code_for
from ladder.actions.tests.testing import WORDING, make_page
from ladder.activity.catalogue import ActivityType as T
from ladder.activity.models import Activity, PersonStats
from ladder.activity.rollups import rollups_update
from ladder.ladders.models import Ladder, Rung, RungPlacement
from ladder.ladders.placement import ladders_update
from ladder.people.models import ConsentEvent, CustomField, EmailAddress, Person
from ladder.people.services import person_create

pytestmark = pytest.mark.django_db


def take(page: ActionPage, token: str = "t1", **fields):  # type: ignore[no-untyped-def]
    values: dict[str, Any] = {"email": "rosa@example.org", "first_name": "Rosa",
                              "last_name": "Martínez"}  # fmt: skip
    values.update(fields)
    return action_take(page=page, token=token, **values)


def test_a_signature_makes_the_person_the_activity_and_the_consent(staff_user):
    page = make_page(staff_user)
    taken = take(page, postal_code="50309", email_opt_in=True)
    assert taken.new_action
    person = taken.person
    assert (person.first_name, person.last_name) == ("Rosa", "Martínez")
    assert person.addresses.get().postal_code == "50309"
    activity = Activity.objects.get(person=person, type=T.PETITION_SIGNATURE)
    assert (activity.object_type, activity.object_id) == ("action_page", page.pk)
    assert activity.payload == {"petition": page.title}
    consent = ConsentEvent.objects.get(contact_point="rosa@example.org")
    assert consent.wording == WORDING and consent.by_person and consent.status == "opt_in"
    assert EmailAddress.objects.get(address="rosa@example.org").subscription == "subscribed"
    page.refresh_from_db()
    assert page.actions_count == 1


def test_no_opt_in_box_ticked_means_no_consent_line(staff_user):
    page = make_page(staff_user)
    take(page, email_opt_in=False)
    assert not ConsentEvent.objects.exists()


def test_an_existing_person_is_matched_and_only_gaps_are_filled(staff_user):
    known = person_create(actor=None, first_name="Rosa", last_name="", email="rosa@example.org")
    page = make_page(staff_user)
    taken = take(page, first_name="Rosie", last_name="Martínez", phone="+15155550134")
    assert taken.person.pk == known.pk and Person.objects.count() == 1
    known.refresh_from_db()
    assert (known.first_name, known.last_name) == ("Rosa", "Martínez")  # kept, filled
    assert known.phones.get().number == "+15155550134"


def test_a_double_submit_is_one_signature(staff_user):
    page = make_page(staff_user)
    first = take(page, token="same")
    again = take(page, token="same")
    assert first.new_action and not again.new_action
    assert again.submission.pk == first.submission.pk
    # The same person on a fresh form is still one signature.
    third = take(page, token="other")
    assert not third.new_action
    assert Submission.objects.count() == 1
    assert Activity.objects.filter(type=T.PETITION_SIGNATURE).count() == 1
    page.refresh_from_db()
    assert page.actions_count == 1


def test_answers_land_in_custom_fields_and_blanks_erase_nothing(staff_user):
    CustomField.objects.create(key="issue", label="Top issue", type="text")
    CustomField.objects.create(key="volunteer", label="Volunteer?", type="boolean")
    page = make_page(staff_user, kind="form", questions=["issue", "volunteer"])
    person = take(page, answers={"issue": "School funding", "volunteer": "yes"}).person
    assert person.custom_fields == {"issue": "School funding", "volunteer": True}
    other = make_page(staff_user, kind="form", title="Second form", questions=["issue"])
    take(other, token="t2", answers={"issue": ""})
    person.refresh_from_db()
    assert person.custom_fields["issue"] == "School funding"
    assert Activity.objects.get(person=person, object_id=page.pk).type == T.FORM_SUBMISSION


def test_a_referral_link_credits_the_recruiter(staff_user):
    page = make_page(staff_user)
    recruiter = person_create(actor=None, first_name="Ann", email="ann@example.org")
    code = referral_code_for(recruiter)
    assert referral_code_for(recruiter) == code and len(code) == 7
    new = take(page, referral_code=code.upper()).person
    new.refresh_from_db()
    assert new.recruited_by_id == recruiter.pk
    assert Submission.objects.get(person=new).referrer_id == recruiter.pk
    credit = Activity.objects.get(person=recruiter, type=T.RECRUITED)
    assert credit.payload["recruit_id"] == new.pk
    # Someone already known, through the same link: the action is credited, the person is not
    # re-assigned to a recruiter.
    known = person_create(actor=None, first_name="Kim", email="kim@example.org")
    take(page, token="t2", email="kim@example.org", first_name="Kim", referral_code=code)
    known.refresh_from_db()
    assert known.recruited_by_id is None
    assert Submission.objects.get(person=known).referrer_id == recruiter.pk
    assert Activity.objects.filter(type=T.RECRUITED).count() == 1
    # Your own link does not recruit you.
    take(make_page(staff_user, title="Another"), token="t3", email="ann@example.org",
         referral_code=code)  # fmt: skip
    assert Submission.objects.get(person=recruiter).referrer_id is None


def test_the_auto_response_goes_after_the_commit(staff_user, django_capture_on_commit_callbacks):
    page = make_page(staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        take(page)
    (message,) = mail.outbox
    assert message.to == ["rosa@example.org"] and message.subject == "Thanks, Rosa"
    assert "thank you for signing “Fully fund our schools”" in message.body
    # A repeat sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        take(page)
    assert len(mail.outbox) == 1


def test_a_signature_moves_rollups_and_can_promote_on_a_ladder(staff_user):
    ladder = Ladder.objects.create(name="Volunteer", slug="volunteer")
    Rung.objects.create(ladder=ladder, position=1, name="Signed", criteria={
        "version": 1, "match": {"kind": "activity", "types": [T.PETITION_SIGNATURE]}})  # fmt: skip
    person = take(make_page(staff_user)).person
    while rollups_update(now=timezone.now() + dt.timedelta(minutes=1)):
        pass
    while ladders_update():
        pass
    assert PersonStats.objects.get(person=person).actions_total == 1
    assert RungPlacement.objects.get(person=person).rung.name == "Signed"
