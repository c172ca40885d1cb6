"""``/events``, their attendances and ``/people/{id}/attendances``, against the real
database: shapes, paging, filters, writes through the event services, bad input and
scoping."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone
from requests.exceptions import HTTPError

from ladder.actions.models import ActionPage, Event, Rsvp
from ladder.actions.tests.testing import make_event, make_page
from ladder.activity.models import Activity
from ladder.api import ids
from ladder.api.tests.action_testing import (
    an_id,
    assert_resource,
    parsons,
    partner_client,
    person_href,
    pk_of,
)
from ladder.api.tests.testing import ApiClient, embedded, uuid_of
from ladder.core.models import Role
from ladder.core.testing import make_user
from ladder.people.models import Person

pytestmark = pytest.mark.django_db

LOCATION = {
    "venue": "White House",
    "address_lines": ["1600 Pennsylvania Ave"],
    "locality": "Washington",
    "region": "DC",
    "postal_code": "20009",
    "country": "US",
}


def _event(api: ApiClient, **body: object) -> dict:
    response = api.post(
        "events", {"title": "Town hall", "start_date": "2031-05-01 18:00:00", **body}
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_create_event_as_parsons_sends_it(admin_user):
    api = ApiClient(admin_user)
    body = _event(api, location=LOCATION, description="<p>Come <b>talk</b></p>")
    link = assert_resource(body, "events")
    page = ActionPage.objects.get(pk=pk_of("event", body))
    event = Event.objects.get(page=page)
    local = timezone.localtime(event.starts_at)
    assert (local.year, local.month, local.day, local.hour) == (2031, 5, 1, 18)
    assert event.ends_at - event.starts_at == dt.timedelta(hours=2)
    assert event.shifts.get().starts_at == event.starts_at
    assert page.status == "published" and body["status"] == "confirmed"
    assert body["title"] == "Town hall" and body["description"] == "<p>Come <b>talk</b></p>"
    assert body["location"] == LOCATION
    assert body["total_accepted"] == 0
    assert body["_links"]["osdi:attendances"]["href"] == f"{link}/attendances"
    assert body["browser_url"].endswith(f"/act/{page.slug}/")
    again = api.get(f"events/{uuid_of(body)}").json()
    assert again["start_date"] == body["start_date"] and again["location"] == LOCATION


def test_iso_dates_end_date_capacity_and_draft(admin_user):
    api = ApiClient(admin_user)
    body = _event(
        api, start_date="2031-06-01T17:00:00Z", end_date="2031-06-01T20:30:00Z",
        capacity=12, status="draft",
    )  # fmt: skip
    assert body["start_date"] == "2031-06-01T17:00:00Z"
    assert body["end_date"] == "2031-06-01T20:30:00Z"
    assert body["status"] == "tentative" and body["capacity"] == 12
    page = ActionPage.objects.get(pk=pk_of("event", body))
    assert page.status == "draft" and page.event.shifts.get().capacity == 12


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"title": "No time"}, "start_date: say when the event starts"),
        ({"title": "Bad", "start_date": "next tuesday"}, "start_date: “next tuesday” is not"),
        (
            {
                "title": "Back",
                "start_date": "2031-05-01 18:00:00",
                "end_date": "2031-05-01 17:00:00",
            },
            "end",
        ),
        ({"start_date": "2031-05-01 18:00:00"}, "title"),
        ({"title": "  ", "start_date": "2031-05-01 18:00:00"}, "title"),
        ({"title": "S", "start_date": "2031-05-01 18:00:00", "status": "maybe"}, "status"),
        ({"title": "C", "start_date": "2031-05-01 18:00:00", "capacity": 0}, "shift"),
    ],
)
def test_bad_events_are_400s(admin_user, body, says):
    response = ApiClient(admin_user).post("events", body)
    assert response.status_code == 400
    assert says in response.json()["error"]
    assert not ActionPage.objects.exists()


def test_put_moves_the_event_and_its_shift(admin_user):
    api = ApiClient(admin_user)
    body = _event(api, location=LOCATION)
    response = api.put(
        f"events/{uuid_of(body)}",
        {"title": "Town hall, moved", "start_date": "2031-05-02 18:00:00",
         "location": {"venue": "Library", "address_lines": ["1 Main St"]}, "capacity": 40},
    )  # fmt: skip
    assert response.status_code == 200, response.content
    moved = response.json()
    assert moved["title"] == "Town hall, moved"
    event = Event.objects.get(pk=ActionPage.objects.get().event.pk)
    assert timezone.localtime(event.starts_at).day == 2
    assert event.ends_at - event.starts_at == dt.timedelta(hours=2)
    shift = event.shifts.get()
    assert (shift.starts_at, shift.ends_at, shift.capacity) == (event.starts_at, event.ends_at, 40)
    assert moved["location"]["venue"] == "Library"
    assert moved["location"]["address_lines"] == ["1 Main St"]
    assert api.put(f"events/{uuid_of(body)}", {"end_date": "2020-01-01"}).status_code == 400
    closed = api.put(f"events/{uuid_of(body)}", {"status": "cancelled"}).json()
    assert closed["status"] == "cancelled" and ActionPage.objects.get().status == "closed"
    assert api.put(f"events/{uuid_of(body)}", {"status": "draft"}).status_code == 400


def test_list_pages_and_filters(admin_user):
    api = ApiClient(admin_user)
    for n in range(3):
        _event(api, title=f"Event {n}")
    first = api.get("events", per_page=2)
    assert first.status_code == 200
    assert first.json()["total_records"] == 3 and first.json()["total_pages"] == 2
    assert [e["title"] for e in embedded(first)] == ["Event 0", "Event 1"]
    second = api.get(first.json()["_links"]["next"]["href"])
    assert [e["title"] for e in embedded(second)] == ["Event 2"]
    assert embedded(api.get("events", page=3, per_page=2)) == []
    assert [e["title"] for e in embedded(api.get("events", filter="title eq 'event 1'"))] == [
        "Event 1"
    ]
    assert len(embedded(api.get("events", filter="created_date gt '2000-01-01'"))) == 3
    assert embedded(api.get("events", filter="modified_date gt '2999-01-01'")) == []
    bad = api.get("events", filter="colour eq 'red'")
    assert bad.status_code == 400 and "Cannot filter on" in bad.json()["error"]


def test_only_event_pages_are_events(admin_user):
    api = ApiClient(admin_user)
    petition = make_page(admin_user)
    assert embedded(api.get("events")) == []
    wrong_kind = api.get(f"events/{ids.encode('petition', petition.pk)}")
    assert wrong_kind.status_code == 404
    same_pk_as_event = api.get(f"events/{ids.encode('event', petition.pk)}")
    assert same_pk_as_event.status_code == 404
    assert api.get(f"events/{uuid.uuid4()}").status_code == 404
    assert api.get("events/not-an-id").json()["error"].startswith("Couldn't find event")


def test_record_attendance_by_link_is_an_rsvp_once(admin_user, person_in_a):
    api = ApiClient(admin_user)
    event = _event(api)
    person_id = ids.encode("person", person_in_a.pk)
    path = f"events/{uuid_of(event)}/attendances"
    first = api.post(path, person_href(person_id))
    assert first.status_code == 201, first.content
    body = first.json()
    link = assert_resource(body, "events")
    assert link.startswith(event["_links"]["self"]["href"] + "/attendances/")
    assert body["status"] == "accepted"
    assert body["_links"]["osdi:person"]["href"].endswith(f"/people/{person_id}")
    assert body["_links"]["osdi:event"]["href"] == event["_links"]["self"]["href"]
    rsvp = Rsvp.objects.get(person=person_in_a)
    assert rsvp.status == "confirmed" and ids.encode("attendance", rsvp.pk) == uuid_of(body)
    assert Activity.objects.filter(person=person_in_a, type="rsvp").count() == 1
    again = api.post(path, person_href(person_id))
    assert again.status_code == 200 and uuid_of(again.json()) == uuid_of(body)
    assert Rsvp.objects.count() == 1
    assert api.get(f"events/{uuid_of(event)}").json()["total_accepted"] == 1
    listed = embedded(api.get(path))
    assert [uuid_of(a) for a in listed] == [uuid_of(body)]
    one = api.get(f"{path}/{uuid_of(body)}")
    assert one.status_code == 200 and one.json() == {**body, "_links": one.json()["_links"]}
    mine = embedded(api.get(f"people/{person_id}/attendances"))
    assert [uuid_of(a) for a in mine] == [uuid_of(body)]
    assert api.get(f"people/{person_id}/attendances/{uuid_of(body)}").status_code == 200


def test_record_attendance_inline_and_attended(admin_user):
    api = ApiClient(admin_user)
    event = _event(api)
    path = f"events/{uuid_of(event)}/attendances"
    response = api.post(
        path,
        {"person": {"given_name": "Nia", "email_addresses": [{"address": "nia@example.org"}]},
         "status": "attended", "add_tags": ["volunteer"]},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "attended"
    person = Person.objects.get(emails__address="nia@example.org")
    rsvp = Rsvp.objects.get(person=person)
    assert rsvp.attended is True
    assert person.taggings.filter(tag__name="volunteer").exists()
    assert Activity.objects.filter(person=person, type="attendance").count() == 1


def test_bad_attendances_are_4xx(admin_user, person_in_a):
    api = ApiClient(admin_user)
    event = _event(api)
    path = f"events/{uuid_of(event)}/attendances"
    nobody = api.post(path, {})
    assert nobody.status_code == 400 and "whose record" in nobody.json()["error"]
    stranger = api.post(path, person_href(str(uuid.uuid4())))
    assert stranger.status_code == 404
    status = api.post(path, {**person_href(ids.encode("person", person_in_a.pk)), "status": "x"})
    assert status.status_code == 400
    no_contact = api.post(path, {"person": {"given_name": "Anon"}})
    assert no_contact.status_code == 400
    assert api.post(f"events/{uuid.uuid4()}/attendances", person_href("x")).status_code == 404
    assert api.get(f"{path}/{uuid.uuid4()}").status_code == 404
    assert not Rsvp.objects.exists()


def test_attendance_filters(admin_user, person_in_a, person_in_b):
    api = ApiClient(admin_user)
    event = _event(api)
    path = f"events/{uuid_of(event)}/attendances"
    for person in (person_in_a, person_in_b):
        api.post(path, person_href(ids.encode("person", person.pk)))
    assert len(embedded(api.get(path, filter="created_date gt '2000-01-01'"))) == 2
    assert embedded(api.get(path, filter="modified_date lt '2000-01-01'")) == []
    assert api.get(path, filter="title eq 'x'").status_code == 400


def test_leader_pages_get_their_group_and_leader_b_sees_nothing_of_a(
    leader_a, leader_b, two_groups, person_in_a, person_in_b
):
    api_a, api_b = ApiClient(leader_a), ApiClient(leader_b)
    event_a = _event(api_a, title="A's event")
    page_a = ActionPage.objects.get(pk=pk_of("event", event_a))
    assert page_a.group == two_groups[0]
    attendance_a = api_a.post(
        f"events/{uuid_of(event_a)}/attendances", person_href(ids.encode("person", person_in_a.pk))
    ).json()
    # leader_b: not in lists, filters, sub-collections; 404 for one.
    assert embedded(api_b.get("events")) == []
    assert embedded(api_b.get("events", filter="title eq 'A''s event'")) == []
    assert api_b.get(f"events/{uuid_of(event_a)}").status_code == 404
    assert api_b.put(f"events/{uuid_of(event_a)}", {"title": "Mine"}).status_code == 404
    assert api_b.get(f"events/{uuid_of(event_a)}/attendances").status_code == 404
    assert (
        api_b.get(f"events/{uuid_of(event_a)}/attendances/{uuid_of(attendance_a)}").status_code
        == 404
    )
    post = api_b.post(
        f"events/{uuid_of(event_a)}/attendances", person_href(ids.encode("person", person_in_b.pk))
    )
    assert post.status_code == 404
    person_a = ids.encode("person", person_in_a.pk)
    assert api_b.get(f"people/{person_a}/attendances").status_code == 404
    assert api_b.get(f"people/{person_a}/attendances/{uuid_of(attendance_a)}").status_code == 404
    # leader_b's own event: a person of group A cannot be RSVPed, and is not shown.
    event_b = _event(api_b, title="B's event")
    path_b = f"events/{uuid_of(event_b)}/attendances"
    assert api_b.post(path_b, person_href(person_a)).status_code == 404
    outsider = api_b.post(
        path_b, {"person": {"email_addresses": [{"address": "alma@example.org"}]}}
    )
    assert outsider.status_code == 403
    page_b = ActionPage.objects.get(pk=pk_of("event", event_b))
    from ladder.actions.events import rsvp_take

    rsvp_take(shift=page_b.event.shifts.get(), email="alma@example.org")  # A's person, publicly
    assert embedded(api_b.get(path_b)) == []
    assert api_b.get(path_b).json()["total_records"] == 0
    alma_rsvp = Rsvp.objects.get(shift__event__page=page_b, person=person_in_a)
    assert api_b.get(f"{path_b}/{ids.encode('attendance', alma_rsvp.pk)}").status_code == 404
    # and leader_a, who sees Alma, does not see B's event or its RSVPs.
    assert api_a.get(f"people/{person_a}/attendances").json()["total_records"] == 1
    # A new person signed up inline by leader_b joins B's group.
    created = api_b.post(
        path_b, {"person": {"email_addresses": [{"address": "new-b@example.org"}]}}
    )
    assert created.status_code == 201
    newcomer = Person.objects.get(emails__address="new-b@example.org")
    assert newcomer.home_group == two_groups[1]


def test_partner_tokens_and_volunteers_are_refused(admin_user):
    event = make_event(admin_user)
    partner = partner_client(admin_user)
    for path in ("events", f"events/{ids.encode('event', event.pk)}",
                 f"events/{ids.encode('event', event.pk)}/attendances"):  # fmt: skip
        response = partner.get(path)
        assert response.status_code == 403, path
    assert partner.post("events", {"title": "x", "start_date": "2031-01-01"}).status_code == 403


def test_events_made_on_ladder_show_too(admin_user):
    page = make_event(admin_user, address="300 Walnut St, Des Moines, IA 50309")
    body = ApiClient(admin_user).get(f"events/{ids.encode('event', page.pk)}").json()
    assert body["location"]["address_lines"] == ["300 Walnut St"]
    assert body["location"]["locality"] == "Des Moines"
    assert (body["location"]["region"], body["location"]["postal_code"]) == ("IA", "50309")


def test_volunteer_tokens_read_nothing_and_write_nothing(admin_user):
    make_event(admin_user)
    volunteer = ApiClient(make_user("vic", Role.VOLUNTEER))
    assert embedded(volunteer.get("events")) == []
    refused = volunteer.post("events", {"title": "x", "start_date": "2031-01-01"})
    assert refused.status_code == 403 and not ActionPage.objects.filter(title="x").exists()


@pytest.mark.django_db(transaction=True)
def test_parsons_events_unchanged(live_server, monkeypatch, admin_user):
    an = parsons(live_server, monkeypatch, admin_user)
    event = an.create_event(
        "Door knock", start_date=dt.datetime(2031, 3, 14, 10), location=LOCATION
    )
    event_id = event["event_id"]
    assert event["location"] == LOCATION
    # update_event sends its dict form-encoded under a JSON content type.
    an.update_event(event_id, {"title": "Door knock, Drake", "description": "Meet at 10"})
    again = an.get_event(event_id)
    assert (again["title"], again["description"]) == ("Door knock, Drake", "Meet at 10")
    assert [an_id(row) for row in an.get_events()] == [event_id]
    person = an.upsert_person(email_address="ro@example.org", given_name="Ro")
    # create_attendance sends its payload as query parameters, where _links cannot survive:
    # a clear 400, not a guess.
    with pytest.raises(HTTPError) as refused:
        an.create_attendance(event_id, person_href(an_id(person)))
    assert "Code: 400" in str(refused.value) and "JSON body" in str(refused.value)
    ApiClient(admin_user).post(f"events/{event_id}/attendances", person_href(an_id(person)))
    assert an.get_event_attendances(event_id).num_rows == 1
    assert an.get_person_attendances(an_id(person)).num_rows == 1
    attendance = an.get_event_attendances(event_id)[0]
    assert an.get_event_attendance(event_id, an_id(attendance))["status"] == "accepted"
