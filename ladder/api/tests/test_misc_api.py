"""``/metadata`` and its custom fields, the collections Ladder has no counterpart for (valid and
empty, one record 404), and — through Parsons' connector against a live server — every
method of this area: lists, items, queries, messages with send and schedule, wrappers,
metadata and the empty collections."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.urls import reverse
from parsons import Table
from parsons.action_network import action_network as action_network_module
from parsons.action_network.action_network import ActionNetwork

from ladder.actions.models import ActionPage
from ladder.api import ids
from ladder.api.resources.misc import EMBED_KEYS
from ladder.api.tests.testing import ApiClient, embedded
from ladder.api.tokens import token_create
from ladder.core.models import User
from ladder.mailings.models import Mailing, MailTemplate
from ladder.people.models import CustomField
from ladder.segments.models import StaticList
from ladder.segments.services import list_add, segment_create

EMPTY = [
    ("campaigns", "osdi:campaigns"),
    ("event_campaigns", "osdi:event_campaigns"),
    ("advocacy_campaigns", "osdi:advocacy_campaigns"),
    ("surveys", "osdi:surveys"),
    ("unique_id_lists", "action_network:unique_id_lists"),
    # Fixed ids: parametrized names must be the same in every xdist worker.
    ("event_campaigns/5a569315-7263-42a1-88df-c69fbf77e61b/events", "osdi:events"),
    ("advocacy_campaigns/69657cf5-df80-4f30-a477-f38d2e31de1f/outreaches", "osdi:outreaches"),
]
ONE_MISSING = [
    "campaigns/{}",
    "event_campaigns/{}",
    "advocacy_campaigns/{}",
    "advocacy_campaigns/{}/outreaches/{}",
    "surveys/{}",
    "unique_id_lists/{}",
]


def _is_error(response: Any, status: int, words: str = "") -> None:
    assert response.status_code == status, response.content
    message = response.json().get("error")
    assert isinstance(message, str) and message and words in message, message


@pytest.mark.django_db
def test_metadata_links_its_custom_fields(staff_user):
    response = ApiClient(staff_user).get("metadata")
    assert response.status_code == 200, response.content
    links = response.json()["_links"]
    assert links["self"]["href"] == "http://testserver/api/v2/metadata"
    assert links["osdi:custom_fields"]["href"] == "http://testserver/api/v2/metadata/custom_fields"
    assert links["action_network:custom_fields"] == links["osdi:custom_fields"]


@pytest.mark.django_db
def test_custom_fields_in_action_networks_shape(staff_user):
    CustomField.objects.create(key="volunteer_interest", label="Volunteer interest")
    CustomField.objects.create(
        key="shirt", label="Shirt size", type="choice", choices=["S", "M", "L"]
    )
    response = ApiClient(staff_user).get("metadata/custom_fields/")
    assert response.status_code == 200, response.content
    body = response.json()
    fields = body["action_network:custom_fields"]
    assert [f["name"] for f in fields] == ["shirt", "volunteer_interest"]
    assert fields[0]["notes"] == "Shirt size (Choice)" and fields[0]["choices"] == ["S", "M", "L"]
    assert fields[1]["created_date"].endswith("Z") and fields[1]["modified_date"].endswith("Z")
    assert "choices" not in fields[1]
    assert body["_links"]["self"]["href"].endswith("/api/v2/metadata/custom_fields")


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "key"), EMPTY)
def test_collections_ladder_does_not_have_are_valid_and_empty(staff_user, path, key):
    api = ApiClient(staff_user)
    response = api.get(path)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["_embedded"] == {key: []}
    assert body["total_records"] == 0 and body["total_pages"] == 1 and body["page"] == 1
    assert body["per_page"] == 25 and "next" not in body["_links"]
    assert body["_links"]["self"]["href"].startswith(f"http://testserver/api/v2/{path}?")
    later = api.get(path, page=3, per_page=5, filter="modified_date gt '2014-03-25'")
    assert later.status_code == 200 and later.json()["page"] == 3
    assert later.json()["per_page"] == 5 and "previous" in later.json()["_links"]
    _is_error(api.get(path, filter="modified_date gt 'someday'"), 400, "not a date")
    _is_error(api.get(path, filter="colour eq 'red'"), 400, "Cannot filter")
    _is_error(api.get(path, page="x"), 400, "page")


@pytest.mark.django_db
@pytest.mark.parametrize("template", ONE_MISSING)
def test_one_record_of_those_is_a_404(staff_user, template):
    path = template.format(uuid.uuid4(), uuid.uuid4())
    _is_error(ApiClient(staff_user).get(path), 404, "Couldn't find")


@pytest.mark.django_db
def test_a_persons_outreaches_are_empty_or_404_outside_reach(leader_b, person_in_a, person_in_b):
    api = ApiClient(leader_b)
    b_id, a_id = ids.encode("person", person_in_b.pk), ids.encode("person", person_in_a.pk)
    response = api.get(f"people/{b_id}/outreaches")
    assert response.status_code == 200, response.content
    assert response.json()["_embedded"] == {"osdi:outreaches": []}
    assert response.json()["_links"]["self"]["href"].startswith(
        f"http://testserver/api/v2/people/{b_id}/outreaches?"
    )
    _is_error(api.get(f"people/{a_id}/outreaches"), 404)
    _is_error(api.get(f"people/{uuid.uuid4()}/outreaches"), 404)
    _is_error(api.get(f"people/{b_id}/outreaches/{uuid.uuid4()}"), 404, "outreach")
    _is_error(api.get(f"people/{a_id}/outreaches/{uuid.uuid4()}"), 404, "person")


@pytest.mark.django_db
def test_a_partner_token_reads_none_of_these(admin_user, person_in_a):
    shared = StaticList.objects.create(name="Shared", owner=admin_user)
    list_add(actor=admin_user, static_list=shared, person_ids=[person_in_a.pk])
    partner = ApiClient(admin_user, partner="Union", static_list=shared)
    a_id = ids.encode("person", person_in_a.pk)
    paths = ["metadata", "metadata/custom_fields", f"people/{a_id}/outreaches"]
    for path in paths + [path for path, _ in EMPTY]:
        _is_error(partner.get(path), 403)


@pytest.mark.django_db
def test_embed_codes_of_a_page_the_token_sees(staff_user, leader_a, leader_b):
    made = ApiClient(leader_a).post("petitions", {"title": "Fund <our> schools"})
    assert made.status_code == 201, made.content
    petition_id = made.json()["identifiers"][0].split(":", 1)[1]
    ActionPage.objects.filter(pk=ids.decode("petition", petition_id) or 0).update(
        allowed_origins="https://friends.example"
    )
    response = ApiClient(staff_user).get(f"petitions/{petition_id}/embed")
    assert response.status_code == 200, response.content
    body = response.json()
    page = ActionPage.objects.get(pk=ids.decode("petition", petition_id) or 0)
    frame = body["embed_standard_default_styles"]
    public = reverse("actions:page", args=[page.slug])
    assert frame.startswith(f'<iframe src="http://testserver{public}"')
    assert 'title="Fund &lt;our&gt; schools"' in frame
    assert all(body[key] == frame for key in EMBED_KEYS)
    assert body["ladder:allowed_origins"] == ["https://friends.example"]
    assert body["_links"]["osdi:petition"]["href"].endswith(f"/petitions/{petition_id}")
    # Another group's leader, a form's path, or a made-up id: not found.
    _is_error(ApiClient(leader_b).get(f"petitions/{petition_id}/embed"), 404)
    _is_error(ApiClient(staff_user).get(f"forms/{petition_id}/embed"), 404)
    _is_error(ApiClient(staff_user).get(f"events/{uuid.uuid4()}/embed"), 404)
    _is_error(ApiClient(staff_user).get(f"event_campaigns/{uuid.uuid4()}/embed"), 404)
    _is_error(ApiClient(staff_user).get(f"advocacy_campaigns/{uuid.uuid4()}/embed"), 404)


# -- through Parsons -------------------------------------------------------------------------


@pytest.fixture
def connect(live_server, monkeypatch):
    """Parsons' connector, unchanged, for a user's token against the live server."""
    monkeypatch.setattr(action_network_module, "API_URL", live_server.url + "/api/v2")

    def make(user: User) -> ActionNetwork:
        _, raw = token_create(
            actor=None, user=user, name=f"parsons {user.username}", rate_per_minute=100_000
        )
        return ActionNetwork(api_token=raw)

    return make


def _an_id(record: dict[str, Any]) -> str:
    return record["identifiers"][0].split(":", 1)[1]  # type: ignore[no-any-return]


@pytest.mark.django_db(transaction=True)
def test_parsons_reads_and_writes_this_area(connect, staff_user, two_groups, person_in_a):
    group_a = two_groups[0]
    static = StaticList.objects.create(name="Canvass A", group=group_a)
    list_add(actor=staff_user, static_list=static, person_ids=[person_in_a.pk])
    everyone = {"version": 1, "match": {"kind": "all", "of": []}}
    segment = segment_create(actor=staff_user, name="Everyone", definition=everyone)
    template = MailTemplate.objects.create(name="Monthly", subject="News", body="Hello")
    CustomField.objects.create(key="shirt", label="Shirt size")
    an = connect(staff_user)

    lists = an.get_lists()
    assert isinstance(lists, Table) and [r["name"] for r in lists] == ["Canvass A", "Everyone"]
    list_id = ids.encode("list", static.pk)
    assert an.get_list(list_id)["name"] == "Canvass A"
    items = an.get_items(list_id)
    assert items.num_rows == 1
    item = an.get_item(list_id, _an_id(items[0]))
    assert item["_links"]["osdi:person"]["href"].endswith(ids.encode("person", person_in_a.pk))
    assert an.get_items(ids.encode("segment", segment.pk)).num_rows == 1
    queries = an.get_queries()
    assert [r["name"] for r in queries] == ["Everyone"]
    assert an.get_query(ids.encode("segment", segment.pk))["name"] == "Everyone"

    made = an.create_message(
        {
            "subject": "Stop doing the bad thing",
            "body": "<p>The mayor should stop doing the bad thing.</p>",
            "targets": [{"href": f"{action_network_module.API_URL}/lists/{list_id}"}],
        }
    )
    message_id = _an_id(made)
    updated = an.update_message(message_id, {"name": "Send 1", "subject": "Please stop"})
    assert updated["name"] == "Send 1" and updated["subject"] == "Please stop"
    scheduled = an.schedule_message(message_id, "2031-03-14T12:00:00Z")
    assert scheduled["status"] == "scheduled"
    assert scheduled["scheduled_start_date"] == "2031-03-14T12:00:00Z"
    mailing = Mailing.objects.get(pk=ids.decode("message", message_id) or 0)
    assert mailing.status == "scheduled" and mailing.scheduled_at is not None
    assert mailing.scheduled_at.year == 2031
    Mailing.objects.filter(pk=mailing.pk).update(status="draft")
    sent = an.send_message(message_id)
    assert sent["status"] == "scheduled"
    mailing.refresh_from_db()
    assert mailing.scheduled_at is not None and mailing.scheduled_at.year < 2031
    assert an.get_message(message_id)["subject"] == "Please stop"
    messages = an.get_messages(unpack_statistics=True)
    assert messages.num_rows == 1 and messages[0]["sent"] == 0 and "statistics" in messages.columns

    wrappers = an.get_wrappers()
    assert [r["name"] for r in wrappers] == ["Monthly"]
    assert an.get_wrapper(ids.encode("wrapper", template.pk))["name"] == "Monthly"
    assert "self" in an.get_metadata()["_links"]
    assert [f["name"] for f in an.get_custom_fields()["action_network:custom_fields"]] == ["shirt"]
    petition = ApiClient(staff_user).post("petitions", {"title": "Fund schools"}).json()
    embeds = an.get_embeds("petitions", _an_id(petition))
    assert embeds["embed_full_default_styles"].startswith("<iframe src=")
    person_id = ids.encode("person", person_in_a.pk)
    some_id = str(uuid.uuid4())
    for table in (
        an.get_campaigns(),
        an.get_event_campaigns(),
        an.get_event_campaign_events(some_id),
        an.get_advocacy_campaigns(),
        an.get_advocacy_campaign_outreaches(some_id),
        an.get_person_outreaches(person_id),
        an.get_surveys(),
        an.get_unique_id_lists(),
    ):
        assert isinstance(table, Table) and table.num_rows == 0
    assert embedded(ApiClient(staff_user).get("surveys")) == []
