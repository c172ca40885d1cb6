"""Events through the services and the public pages: RSVPs fill a shift's places exactly, the
waitlist is served in order when a place frees up, and the host checks people in, adds
walk-ins and marks no-shows — each an activity on the person's timeline."""

from __future__ import annotations

import pytest
from django.core import mail, signing
from django.test import Client

from ladder.actions.events import (
    check_in,
    no_shows_mark,
    rsvp_cancel,
    rsvp_take,
    shift_capacity_set,
    waitlist_position,
    walk_in,
)
from ladder.actions.mail import RSVP_SALT
from ladder.actions.models import Rsvp, Shift
from ladder.actions.tests.testing import aged_token, make_event
from ladder.actions.views.host import host_path
from ladder.activity.catalogue import ActivityType as T
from ladder.activity.models import Activity
from ladder.people.services import person_create

pytestmark = pytest.mark.django_db
S = Rsvp.Status


def rsvp(shift: Shift, n: int):  # type: ignore[no-untyped-def]
    return rsvp_take(shift=shift, email=f"p{n}@example.org", first_name=f"P{n}").rsvp


def test_places_fill_exactly_and_the_waitlist_is_served_in_order(staff_user):
    shift = make_event(staff_user, capacity=2).event.shifts.get()
    first, second, third, fourth = (rsvp(shift, n) for n in range(4))
    statuses = [r.status for r in (first, second, third, fourth)]
    assert statuses == [S.CONFIRMED, S.CONFIRMED, S.WAITLISTED, S.WAITLISTED]
    assert (waitlist_position(third), waitlist_position(fourth)) == (1, 2)
    shift.refresh_from_db()
    assert (shift.confirmed_count, shift.waitlist_count, shift.places_left) == (2, 2, 0)
    # Answering again changes nothing.
    assert rsvp(shift, 0).pk == first.pk and Rsvp.objects.count() == 4
    # A place frees up: the first in the queue gets it, the second moves up.
    promoted = rsvp_cancel(rsvp=second)
    assert promoted is not None and promoted.pk == third.pk
    third.refresh_from_db()
    fourth.refresh_from_db()
    assert third.status == S.CONFIRMED and waitlist_position(fourth) == 1
    shift.refresh_from_db()
    assert (shift.confirmed_count, shift.waitlist_count) == (2, 1)
    # Someone on the waitlist who cancels frees nothing.
    assert rsvp_cancel(rsvp=fourth) is None
    # A bigger room: the new places go to the waitlist at once (nobody is waiting now).
    shift_capacity_set(actor=staff_user, shift=shift, capacity=3)
    assert rsvp(shift, 9).status == S.CONFIRMED


def test_rsvps_are_activities_and_emails_say_where_you_stand(
    staff_user, django_capture_on_commit_callbacks
):
    shift = make_event(staff_user, capacity=1).event.shifts.get()
    with django_capture_on_commit_callbacks(execute=True):
        going = rsvp(shift, 0)
        waiting = rsvp(shift, 1)
    assert Activity.objects.filter(type=T.RSVP).count() == 2
    payload = Activity.objects.get(person=waiting.person, type=T.RSVP).payload
    assert payload["status"] == "waitlisted" and payload["event"] == "Saturday canvass"
    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == ["You're going to Saturday canvass",
                        "You're on the waitlist for Saturday canvass"]  # fmt: skip
    assert "number 1 on the waitlist" in mail.outbox[1].body or "number 1" in mail.outbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        rsvp_cancel(rsvp=going)
    assert mail.outbox[-1].subject == "A place opened up: you're going to Saturday canvass"
    assert mail.outbox[-1].to == ["p1@example.org"]


def test_the_host_checks_in_adds_walk_ins_and_marks_no_shows(staff_user):
    shift = make_event(staff_user, capacity=3).event.shifts.get()
    came, missed = rsvp(shift, 0), rsvp(shift, 1)
    check_in(rsvp=came)
    check_in(rsvp=came)  # twice is once
    walker = walk_in(shift=shift, first_name="Walt", email="walt@example.org")
    assert walker.walk_in and walker.attended and walker.status == S.CONFIRMED
    assert no_shows_mark(event=shift.event) == 1
    missed.refresh_from_db()
    assert missed.attended is False
    kinds = sorted(Activity.objects.filter(object_type="event").values_list("type", flat=True))
    assert kinds == sorted([T.RSVP, T.RSVP, T.ATTENDANCE, T.SHIFT_COMPLETED, T.ATTENDANCE,
                            T.SHIFT_COMPLETED, T.NO_SHOW])  # fmt: skip


def test_the_public_page_takes_rsvps_and_says_when_you_are_waitlisted(staff_user):
    page = make_event(staff_user, capacity=1)
    shift = page.event.shifts.get()
    client = Client()
    form = client.get(f"/act/{page.slug}/").content.decode()
    assert "Saturday canvass" in form and "Prairie Forward office" in form and "1 left" in form

    def post(email: str):  # type: ignore[no-untyped-def]
        data = {"first_name": "Rosa", "email": email, "shift": shift.pk,
                "token": aged_token(page), "postal_code": ""}  # fmt: skip
        return client.post(f"/act/{page.slug}/", data, follow=True)

    going = post("rosa@example.org").content.decode()
    assert "You're going, Rosa!" in going
    assert "full: join the waitlist" in client.get(f"/act/{page.slug}/").content.decode()
    waiting = post("june@example.org").content.decode()
    assert "you're on the waitlist: number 1" in waiting
    # The first cancels from her own RSVP page: the second is promoted.
    first = Rsvp.objects.get(person__emails__address="rosa@example.org")
    token = signing.dumps(first.pk, salt=RSVP_SALT)
    client.post(f"/act/{page.slug}/rsvp/{token}/", {"answer": "cancel"})
    assert Rsvp.objects.get(person__emails__address="june@example.org").status == S.CONFIRMED
    assert Client().get(f"/act/{page.slug}/rsvp/forged/").status_code == 404


def test_the_host_view_works_from_the_host_link_only(staff_user):
    host = person_create(actor=None, first_name="Hana", email="hana@example.org")
    page = make_event(staff_user, capacity=5, hosts=[host])
    shift = page.event.shifts.get()
    coming = rsvp(shift, 0)
    path = host_path(page.event, host)
    client = Client()
    view = client.get(path).content.decode()
    assert "P0" in view and "Check in" in view
    client.post(path, {"action": "check_in", "rsvp": coming.pk})
    coming.refresh_from_db()
    assert coming.attended is True
    bad = client.post(path, {"action": "walk_in", "shift": shift.pk, "first_name": "",
                             "email": "nope@"})  # fmt: skip
    assert bad.status_code == 200 and "Please check this address" in bad.content.decode()
    # Not a host any more: the link stops working.
    page.event.hosts.clear()
    assert client.get(path).status_code == 404
    assert client.get(f"/act/{page.slug}/host/forged/").status_code == 404


def test_staff_create_an_event_with_shifts_and_hosts(staff_user):
    client = Client()
    client.force_login(staff_user)
    data = {
        "title": "Phone bank for transit", "body": "", "starts_at": "2030-05-04T18:00",
        "ends_at": "2030-05-04T21:00", "venue": "Union hall", "address": "", "online_url": "",
        "host_emails": "hana@example.org\n", "consent_wording": "Email me.", "group": "",
        "shift-TOTAL_FORMS": "3", "shift-INITIAL_FORMS": "0", "shift-MIN_NUM_FORMS": "0",
        "shift-MAX_NUM_FORMS": "20",
        "shift-0-name": "Early", "shift-0-starts_at": "2030-05-04T18:00",
        "shift-0-ends_at": "2030-05-04T19:30", "shift-0-capacity": "8",
        "shift-1-name": "Late", "shift-1-starts_at": "2030-05-04T19:30",
        "shift-1-ends_at": "2030-05-04T21:00", "shift-1-capacity": "",
    }  # fmt: skip
    response = client.post("/actions/new-event/", data)
    assert response.status_code == 302
    from ladder.actions.models import ActionPage

    page = ActionPage.objects.get(kind="event")
    shifts = list(page.event.shifts.values_list("name", "capacity"))
    assert shifts == [("Early", 8), ("Late", None)]
    assert [h.emails.get().address for h in page.event.hosts.all()] == ["hana@example.org"]
    detail = client.get(f"/actions/{page.pk}/").content.decode()
    assert "check-in page" in detail and "Early" in detail
    # An end before the start is answered next to the field.
    data["ends_at"] = "2030-05-04T17:00"
    again = client.post("/actions/new-event/", data).content.decode()
    assert "The event must end after it starts." in again
    assert ActionPage.objects.filter(kind="event").count() == 1
