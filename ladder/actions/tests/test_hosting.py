"""Volunteer-hosted events — proposed by a supporter, approved by staff or published at once by
a trusted host, run from the host's own page — and the reminder and follow-up emails."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from ladder.actions.events import check_in, events_sweep, rsvp_take
from ladder.actions.models import ActionPage, Event
from ladder.actions.safety import form_token
from ladder.actions.tests.testing import make_event
from ladder.actions.views.public import PROPOSE_PAGE
from ladder.people.services import person_create, tag_add

pytestmark = pytest.mark.django_db


def proposal(**fields: str) -> dict[str, str]:
    start = timezone.localtime() + dt.timedelta(days=10)
    data = {
        "first_name": "Hana", "last_name": "Ito", "email": "hana@example.org", "phone": "",
        "title": "House party for school funding",
        "description": "Snacks <script>alert(1)</script> and a short talk.",
        "starts_at": start.strftime("%Y-%m-%dT18:00"), "ends_at": start.strftime("%Y-%m-%dT20:00"),
        "venue": "Hana's house", "address": "12 Elm St", "capacity": "15",
        "token": form_token(PROPOSE_PAGE, now=timezone.now() - dt.timedelta(seconds=20)),
    }  # fmt: skip
    data.update(fields)
    return data


def test_a_proposal_waits_for_staff_then_is_published(staff_user):
    response = Client().post("/host-an-event/", proposal())
    html = response.content.decode()
    assert "We'll take a look" in html and "Your host page" in html
    page = ActionPage.objects.get()
    event = page.event
    assert page.status == "draft" and event.approval == Event.Approval.PENDING
    host = event.proposed_by
    assert host is not None and host.first_name == "Hana"
    assert list(event.hosts.all()) == [host]
    assert "&lt;script&gt;" in page.body and "<script>" not in page.body
    assert event.shifts.get().capacity == 15
    assert Client().get(f"/act/{page.slug}/").status_code == 404  # not public yet
    staff = Client()
    staff.force_login(staff_user)
    assert "to review" in staff.get("/actions/").content.decode()
    staff.post(f"/actions/{page.pk}/review/", {"decision": "approve"})
    page.refresh_from_db()
    assert page.status == "published"
    assert Client().get(f"/act/{page.slug}/").status_code == 200


def test_a_trusted_host_publishes_at_once():
    host = person_create(actor=None, first_name="Hana", email="hana@example.org")
    tag_add(actor=None, person=host, name="Trusted host")
    html = Client().post("/host-an-event/", proposal()).content.decode()
    assert "Your event is live!" in html
    assert ActionPage.objects.get().status == "published"


def test_bad_proposals_are_answered_next_to_the_field():
    past = proposal(starts_at="2020-01-01T10:00", ends_at="2020-01-01T09:00")
    html = Client().post("/host-an-event/", past).content.decode()
    assert "Choose a time in the future." in html
    assert "Please check this address" in Client().post(
        "/host-an-event/", proposal(email="nope")).content.decode()  # fmt: skip
    assert not ActionPage.objects.exists()


def test_reminders_the_day_before_and_follow_ups_after(
    staff_user, django_capture_on_commit_callbacks
):
    page = make_event(staff_user, capacity=5)
    shift = page.event.shifts.get()
    came = rsvp_take(shift=shift, email="came@example.org", first_name="Came").rsvp
    rsvp_take(shift=shift, email="missed@example.org", first_name="Missed")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert events_sweep(now=shift.starts_at - dt.timedelta(hours=30))["reminders"] == 0
        assert events_sweep(now=shift.starts_at - dt.timedelta(hours=20))["reminders"] == 2
        assert events_sweep(now=shift.starts_at - dt.timedelta(hours=19))["reminders"] == 0
    assert sorted(m.subject for m in mail.outbox) == ["Tomorrow: Saturday canvass"] * 2
    check_in(rsvp=came)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert events_sweep(now=shift.ends_at + dt.timedelta(hours=3))["followups"] == 2
        assert events_sweep(now=shift.ends_at + dt.timedelta(hours=4))["followups"] == 0
    by_person = {m.to[0]: m.subject for m in mail.outbox}
    assert by_person == {"came@example.org": "Thank you for coming to Saturday canvass",
                         "missed@example.org": "We missed you at Saturday canvass"}  # fmt: skip
