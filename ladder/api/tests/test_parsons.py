"""The issue's Done-when: Parsons' ActionNetwork connector, unchanged, against a live Ladder
server (pytest-django's ``live_server``: a real threaded HTTP server on the test database).

Parsons builds every URL from its module-level ``API_URL``, so pointing that at the live server
before constructing the connector is the only thing changed — the same thing a Parsons user
pointing it at a self-hosted Action Network–compatible server would do."""

from __future__ import annotations

import inspect
import uuid
from typing import Any

import pytest
from parsons import Table
from parsons.action_network import action_network as action_network_module
from parsons.action_network.action_network import ActionNetwork
from requests.exceptions import HTTPError

from ladder.api import ids
from ladder.api.tests.testing import ApiClient, uuid_of
from ladder.api.tokens import token_create
from ladder.core.models import User
from ladder.people.services import group_add_person, person_create
from ladder.segments.models import StaticList
from ladder.segments.services import list_add

pytestmark = pytest.mark.django_db(transaction=True)

PAGING_ARGS = {"self", "limit", "per_page", "page", "filter", "unpack_statistics"}


@pytest.fixture
def connect(live_server, monkeypatch):
    """A Parsons ActionNetwork connector for a user's token, talking to the live server."""
    monkeypatch.setattr(action_network_module, "API_URL", live_server.url + "/api/v2")

    def make(user: User | None = None, *, raw: str | None = None) -> ActionNetwork:
        if raw is None:
            assert user is not None
            _, raw = token_create(
                actor=None, user=user, name=f"parsons {user.username}", rate_per_minute=100_000
            )
        return ActionNetwork(api_token=raw)

    return make


def _pk(kind: str, text: str) -> int:
    pk = ids.decode(kind, text)
    assert pk is not None, text
    return pk


def _an_id(record: dict[str, Any]) -> str:
    return next(
        i.split(":", 1)[1] for i in record["identifiers"] if i.startswith("action_network:")
    )


def test_upsert_person_twice_returns_the_same_person_with_merged_fields(connect, admin_user):
    an = connect(admin_user)
    first = an.upsert_person(
        email_address="maria@example.org", given_name="Maria", family_name="Lopez",
        postal_addresses=[{"postal_code": "50309", "locality": "Des Moines", "region": "IA"}],
        volunteer_interest="canvassing",
    )  # fmt: skip
    second = an.upsert_person(
        email_address="maria@example.org", family_name="López", languages_spoken=["es"],
        mobile_number="515-555-0142", tags=["member"], shift_preference="evenings",
    )  # fmt: skip
    assert _an_id(first) == _an_id(second)
    merged = an.get_person(_an_id(first))
    assert merged["given_name"] == "Maria"  # kept: not given the second time
    assert merged["family_name"] == "López"  # replaced
    assert merged["languages_spoken"] == ["es"]
    assert [e["address"] for e in merged["email_addresses"]] == ["maria@example.org"]
    assert [p["number"] for p in merged["phone_numbers"]] == ["15155550142"]
    assert merged["postal_addresses"][0]["postal_code"] == "50309"
    assert merged["custom_fields"] == {
        "volunteer_interest": "canvassing", "shift_preference": "evenings"
    }  # fmt: skip
    tagged = an.get_people(filter="email_address eq 'maria@example.org'")
    assert tagged.num_rows == 1


def test_get_people_reads_every_page_and_filters_by_email(connect, admin_user):
    for n in range(60):
        person_create(actor=None, first_name=f"Page{n}", email=f"page{n}@example.org")
    an = connect(admin_user)
    everyone = an.get_people()
    assert isinstance(everyone, Table)
    assert everyone.num_rows == 60
    assert sorted(everyone["given_name"]) == sorted(f"Page{n}" for n in range(60))
    assert len({_an_id(row) for row in everyone}) == 60
    assert an.get_people(limit=30).num_rows == 30
    one = an.get_people(filter="email_address eq 'page42@example.org'")
    assert one.num_rows == 1 and one[0]["given_name"] == "Page42"
    page = an.get_people(page=3)
    assert len(page["_embedded"]["osdi:people"]) == 10


def test_get_person_and_update_person(connect, admin_user):
    an = connect(admin_user)
    person_id = _an_id(an.upsert_person(email_address="ed@example.org", given_name="Ed"))
    assert an.get_person(person_id)["given_name"] == "Ed"
    updated = an.update_person(
        person_id, given_name="Edward", family_name="Ng",
        custom_fields={"team": "north"}, email_address="edward@example.org",
    )  # fmt: skip
    assert updated["given_name"] == "Edward" and updated["family_name"] == "Ng"
    fetched = an.get_person(person_id)
    assert fetched["family_name"] == "Ng"
    assert fetched["custom_fields"]["team"] == "north"
    assert {e["address"] for e in fetched["email_addresses"]} == {
        "ed@example.org", "edward@example.org"
    }  # fmt: skip
    again = an.update_person(person_id, background_processing=True, family_name="Ngo")
    assert again["family_name"] == "Ngo"


def test_tags_and_taggings(connect, admin_user):
    an = connect(admin_user)
    person_id = _an_id(an.upsert_person(email_address="tam@example.org"))
    tag = an.add_tag("volunteer")
    tag_id = _an_id(tag)
    assert "volunteer" in list(an.get_tags()["name"])
    assert an.get_tag(tag_id)["name"] == "volunteer"
    tagging = an.create_tagging(
        tag_id,
        {
            "_links": {
                "osdi:person": {"href": f"https://actionnetwork.org/api/v2/people/{person_id}"}
            }
        },
    )
    tagging_id = _an_id(tagging)
    taggings = an.get_taggings(tag_id)
    assert taggings.num_rows == 1
    assert taggings[0]["_links"]["osdi:person"]["href"].endswith(person_id)
    assert _an_id(an.get_tagging(tag_id, tagging_id)) == tagging_id
    an.delete_tagging(tag_id, tagging_id)
    assert an.get_taggings(tag_id).num_rows == 0


def test_events_and_their_attendances(connect, admin_user):
    an = connect(admin_user)
    event = an.create_event(
        "Door knock in Drake", start_date="2027-03-14 10:00:00",
        location={"venue": "Drake library", "address_lines": ["2507 University Ave"],
                  "locality": "Des Moines", "region": "IA", "postal_code": "50311"},
    )  # fmt: skip
    event_id = event["event_id"]
    assert ids.decode("event", event_id) is not None
    assert event["title"] == "Door knock in Drake"
    assert event_id in [_an_id(row) for row in an.get_events()]
    assert an.get_event(event_id)["title"] == "Door knock in Drake"
    # Parsons' create_attendance sends its payload as query parameters, not a body, so the
    # RSVP is made the way other clients make it.
    rsvp = ApiClient(admin_user).post(
        f"events/{event_id}/attendances",
        {"person": {"given_name": "Ro", "email_addresses": [{"address": "ro@example.org"}]}},
    )
    assert rsvp.status_code == 201, rsvp.content
    attendances = an.get_event_attendances(event_id)
    assert attendances.num_rows == 1
    person_href = attendances[0]["_links"]["osdi:person"]["href"]
    assert an.get_person(person_href.rsplit("/", 1)[-1])["given_name"] == "Ro"
    assert an.get_person_attendances(person_href.rsplit("/", 1)[-1]).num_rows == 1


def test_petitions(connect, admin_user):
    an = connect(admin_user)
    petition = an.create_petition(
        "Fund our schools", "Tell the legislature.", "Fully fund K-12 schools.",
        "Iowa legislature",
    )  # fmt: skip
    petition_id = _an_id(petition)
    assert petition["title"] == "Fund our schools"
    assert petition_id in [_an_id(row) for row in an.get_petitions()]
    assert an.get_petition(petition_id)["title"] == "Fund our schools"
    background = an.create_petition("Bus routes", "Keep them.", "Keep route 7.", "DART",
                                    background_processing=True)  # fmt: skip
    assert background["title"] == "Bus routes"


def test_create_submission_on_a_form(connect, admin_user):
    from ladder.actions.services import page_create, page_publish

    an = connect(admin_user)
    page = page_create(actor=admin_user, kind="form", title="Volunteer interest")
    page_publish(actor=admin_user, page=page)
    form_id = ids.encode("form", page.pk)
    assert form_id in [_an_id(row) for row in an.get_forms()]
    person_id = _an_id(an.upsert_person(email_address="sub@example.org", given_name="Sue"))
    submission = an.create_submission(form_id, person_id)
    assert submission["_links"]["osdi:person"]["href"].endswith(person_id)
    submissions = an.get_form_submissions(form_id)
    assert submissions.num_rows == 1
    assert an.get_person_submissions(person_id).num_rows == 1


def _paging_methods() -> list[str]:
    return sorted(
        name
        for name, method in inspect.getmembers(ActionNetwork, inspect.isfunction)
        if name.startswith("get_") and "_get_entry_list" in inspect.getsource(method)
    )


def test_every_parsons_list_method_returns_a_table(connect, admin_user):
    """Each ``get_*`` that pages, called with the ids it needs, reads to the end without
    raising: Parsons stops at the first empty page, so an empty collection must be a valid one."""
    seed = ApiClient(admin_user)
    person = seed.post("people", {"person": {"email_addresses": [{"address": "all@example.org"}]}})
    person_id = uuid_of(person.json())
    href = {"_links": {"osdi:person": {"href": f"http://x/api/v2/people/{person_id}"}}}
    tag_id = uuid_of(seed.post("tags", {"name": "everything"}).json())
    seed.post(f"tags/{tag_id}/taggings", href)
    made: dict[str, str] = {}
    for plural, body, records in (
        ("events", {"title": "All hands", "start_date": "2027-01-01 18:00:00"}, "attendances"),
        ("petitions", {"title": "All petition"}, "signatures"),
        ("forms", {"title": "All form"}, "submissions"),
        ("fundraising_pages", {"title": "All fund"}, "donations"),
    ):
        created = seed.post(plural, body)
        assert created.status_code in (200, 201), (plural, created.content)
        made[plural] = uuid_of(created.json())
        record = {**href, "amount": "5.00"} if records == "donations" else href
        answer = seed.post(f"{plural}/{made[plural]}/{records}", record)
        assert answer.status_code in (200, 201), (plural, answer.content)
    shared = StaticList.objects.create(name="Everyone", owner=admin_user)
    list_add(actor=admin_user, static_list=shared, person_ids=[_pk("person", person_id)])
    list_id = ids.encode("list", shared.pk)
    anything = str(uuid.uuid4())  # campaigns have no counterpart: any id answers empty
    needed = {
        "person_id": person_id,
        "tag_id": tag_id,
        "event_id": made["events"],
        "petition_id": made["petitions"],
        "form_id": made["forms"],
        "fundraising_page_id": made["fundraising_pages"],
        "list_id": list_id,
        "advocacy_campaign_id": anything,
        "event_campaign_id": anything,
    }
    an = connect(admin_user)
    methods = _paging_methods()
    assert len(methods) >= 25, methods
    rows: dict[str, int] = {}
    for name in methods:
        params = [p for p in inspect.signature(getattr(ActionNetwork, name)).parameters]
        args = {p: needed[p] for p in params if p not in PAGING_ARGS}
        table = getattr(an, name)(**args)
        assert isinstance(table, Table), name
        rows[name] = table.num_rows
    for name in ("get_people", "get_tags", "get_taggings", "get_events", "get_event_attendances",
                 "get_person_attendances", "get_petitions", "get_petition_signatures",
                 "get_person_signatures", "get_forms", "get_form_submissions",
                 "get_person_submissions", "get_fundraising_pages",
                 "get_fundraising_page_donations", "get_person_donations", "get_donations",
                 "get_lists", "get_items"):  # fmt: skip
        assert rows[name] >= 1, (name, rows)


def test_a_wrong_token_raises(connect, admin_user):
    an = connect(raw="ldr_not-a-token-at-all")
    with pytest.raises(HTTPError, match="401"):
        an.get_people()
    with pytest.raises(HTTPError):
        an.upsert_person(email_address="x@example.org")


def test_a_leaders_token_reads_only_their_groups_people(connect, leader_b, two_groups,
                                                        person_in_a, person_in_b):  # fmt: skip
    for n in range(30):
        p = person_create(actor=None, first_name=f"B{n}", email=f"b{n}@example.org")
        group_add_person(actor=None, group=two_groups[1], person=p)
    an = connect(leader_b)
    people = an.get_people()
    assert people.num_rows == 31
    assert "Alma" not in list(people["given_name"])
    assert an.get_people(filter="email_address eq 'alma@example.org'").num_rows == 0
    with pytest.raises(HTTPError, match="404"):
        an.get_person(ids.encode("person", person_in_a.pk))
