"""``/lists`` (static lists, then saved segments), their items, and ``/queries``: shapes,
paging across the two sources, filters, scoping to the token's user and reach, and 404s."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from ladder.api import ids
from ladder.api.resources.lists import SEGMENT_ITEM
from ladder.api.tests.testing import ApiClient, embedded, uuid_of
from ladder.people.services import group_add_person, person_create
from ladder.segments.models import ListMember, Segment, StaticList
from ladder.segments.services import list_add, segment_create

pytestmark = pytest.mark.django_db

EVERYONE = {"version": 1, "match": {"kind": "all", "of": []}}


def _in_groups(*groups: Any) -> dict[str, Any]:
    return {
        "version": 1,
        "match": {"kind": "groups", "match": "any", "groups": [g.pk for g in groups]},
    }


def _is_error(response: Any, status: int) -> None:
    assert response.status_code == status, response.content
    assert isinstance(response.json().get("error"), str) and response.json()["error"]


@pytest.fixture
def data(staff_user, two_groups, person_in_a, person_in_b) -> dict[str, Any]:
    group_a, group_b = two_groups
    list_a = StaticList.objects.create(name="Canvass A", description="Doors", group=group_a)
    list_add(actor=staff_user, static_list=list_a, person_ids=[person_in_a.pk])
    # A list of group B that also holds someone of group A (a list outlives scope changes).
    list_b = StaticList.objects.create(
        name="Phone bank B", group=group_b, origin=StaticList.Origin.UPLOAD
    )
    list_add(actor=staff_user, static_list=list_b, person_ids=[person_in_a.pk, person_in_b.pk])
    seg_a = segment_create(
        actor=staff_user, name="Group A", definition=_in_groups(group_a), group=group_a
    )
    seg_b = segment_create(actor=staff_user, name="Everyone", definition=EVERYONE, group=group_b)
    return {"list_a": list_a, "list_b": list_b, "seg_a": seg_a, "seg_b": seg_b}


def _lid(row: StaticList | Segment) -> str:
    return ids.encode("list" if isinstance(row, StaticList) else "segment", row.pk)


def test_lists_are_static_lists_then_saved_segments(staff_user, data):
    response = ApiClient(staff_user).get("lists")
    assert response.status_code == 200, response.content
    body = response.json()
    assert list(body["_embedded"]) == ["osdi:lists"]
    assert body["total_records"] == 4 and body["total_pages"] == 1
    names = [item["name"] for item in embedded(response)]
    assert names == ["Canvass A", "Phone bank B", "Group A", "Everyone"]
    first, _, segment, _ = embedded(response)
    assert first["identifiers"] == [ids.identifier("list", data["list_a"].pk)]
    assert first["description"] == "Doors" and first["origin"] == "manual"
    assert first["_links"]["self"]["href"].endswith(f"/api/v2/lists/{_lid(data['list_a'])}")
    assert first["_links"]["osdi:items"]["href"].endswith(f"/lists/{_lid(data['list_a'])}/items")
    assert segment["identifiers"] == [ids.identifier("segment", data["seg_a"].pk)]
    assert segment["origin"] == "query"
    assert segment["_links"]["osdi:query"]["href"].endswith(f"/queries/{_lid(data['seg_a'])}")
    links = [link["href"] for link in body["_links"]["osdi:lists"]]
    assert links == [item["_links"]["self"]["href"] for item in embedded(response)]


def test_lists_page_across_both_sources_with_right_totals(staff_user, data):
    api = ApiClient(staff_user)
    pages = []
    for page in (1, 2, 3):
        response = api.get("lists", page=page, per_page=3)
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["total_records"] == 4 and body["total_pages"] == 2 and body["per_page"] == 3
        pages.append(([item["name"] for item in embedded(response)], body["_links"]))
    assert pages[0][0] == ["Canvass A", "Phone bank B", "Group A"]
    assert pages[1][0] == ["Everyone"]
    assert pages[2][0] == []
    assert "page=2" in pages[0][1]["next"]["href"]
    assert "next" not in pages[1][1] and "previous" in pages[1][1]
    # Following the next link reaches the same second page.
    followed = api.get(pages[0][1]["next"]["href"])
    assert [item["name"] for item in embedded(followed)] == ["Everyone"]


def test_lists_filter_by_name_and_dates(staff_user, data):
    api = ApiClient(staff_user)
    named = api.get("lists", filter="name eq 'everyone'")
    assert [item["name"] for item in embedded(named)] == ["Everyone"]
    assert named.json()["total_records"] == 1
    later = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    assert embedded(api.get("lists", filter=f"created_date gt '{later}'")) == []
    everything = api.get("lists", filter=f"modified_date lt '{later}'")
    assert len(embedded(everything)) == 4


@pytest.mark.parametrize(
    "text", ["created_date gt 'not a date'", "colour eq 'red'", "name eq", "name zz 'x'"]
)
def test_a_bad_filter_on_lists_and_queries_is_a_400(staff_user, data, text):
    api = ApiClient(staff_user)
    _is_error(api.get("lists", filter=text), 400)
    _is_error(api.get("queries", filter=text), 400)


def test_one_list_of_each_kind_and_404s(staff_user, data, person_in_a):
    api = ApiClient(staff_user)
    one = api.get(f"lists/{_lid(data['list_b'])}")
    assert one.status_code == 200
    assert one.json()["name"] == "Phone bank B" and one.json()["origin"] == "upload"
    segment = api.get(f"lists/{_lid(data['seg_b'])}")
    assert segment.status_code == 200 and segment.json()["name"] == "Everyone"
    _is_error(api.get(f"lists/{uuid.uuid4()}"), 404)
    _is_error(api.get("lists/not-an-id"), 404)
    _is_error(api.get(f"lists/{ids.encode('person', person_in_a.pk)}"), 404)
    _is_error(api.get(f"lists/{ids.encode('list', 999_999)}"), 404)
    archived = data["seg_a"]
    Segment.objects.filter(pk=archived.pk).update(is_archived=True)
    _is_error(api.get(f"lists/{_lid(archived)}"), 404)


def test_items_of_a_static_list(staff_user, data, person_in_a, person_in_b):
    api = ApiClient(staff_user)
    path = f"lists/{_lid(data['list_b'])}/items"
    response = api.get(path)
    assert response.status_code == 200, response.content
    assert list(response.json()["_embedded"]) == ["osdi:items"]
    items = embedded(response)
    members = ListMember.objects.filter(static_list=data["list_b"]).order_by("pk")
    assert [uuid_of(i) for i in items] == [ids.encode("item", m.pk) for m in members]
    first = items[0]
    assert first["item_type"] == "osdi:person"
    assert first["created_date"].endswith("Z") and first["modified_date"].endswith("Z")
    assert first["_links"]["osdi:list"]["href"].endswith(f"/lists/{_lid(data['list_b'])}")
    people = [i["_links"]["osdi:person"]["href"].rsplit("/", 1)[-1] for i in items]
    assert people == [ids.encode("person", person_in_a.pk), ids.encode("person", person_in_b.pk)]
    one = api.get(f"{path}/{uuid_of(first)}")
    assert one.status_code == 200 and one.json() == {
        **first, "_links": {**first["_links"], "curies": one.json()["_links"]["curies"]}
    }  # fmt: skip
    assert first["_links"]["self"]["href"].endswith(f"{path}/{uuid_of(first)}")
    # An item of another list, or a made-up one, is not found here.
    other = ListMember.objects.get(static_list=data["list_a"])
    _is_error(api.get(f"{path}/{ids.encode('item', other.pk)}"), 404)
    _is_error(api.get(f"{path}/{uuid.uuid4()}"), 404)


def test_items_of_a_saved_segment_are_the_people_it_matches_now(
    staff_user, data, person_in_a, person_in_b, two_groups
):
    api = ApiClient(staff_user)
    path = f"lists/{_lid(data['seg_a'])}/items"
    items = embedded(api.get(path))
    assert [i["_links"]["osdi:person"]["href"].rsplit("/", 1)[-1] for i in items] == [
        ids.encode("person", person_in_a.pk)
    ]
    assert uuid_of(items[0]) == ids.encode("item", SEGMENT_ITEM | person_in_a.pk)
    newcomer = person_create(actor=None, first_name="Nia", email="nia@example.org")
    group_add_person(actor=None, group=two_groups[0], person=newcomer)
    again = embedded(api.get(path, filter="created_date gt '2000-01-01'"))
    assert len(again) == 2
    one = api.get(f"{path}/{uuid_of(again[1])}")
    assert one.status_code == 200
    assert one.json()["_links"]["osdi:person"]["href"].endswith(ids.encode("person", newcomer.pk))
    # Someone the segment does not match, or a static list's item id, is not an item of it.
    _is_error(api.get(f"{path}/{ids.encode('item', SEGMENT_ITEM | person_in_b.pk)}"), 404)
    member = ListMember.objects.get(static_list=data["list_a"])
    _is_error(api.get(f"{path}/{ids.encode('item', member.pk)}"), 404)


def test_items_page_with_next_links(staff_user, two_groups):
    people = [
        person_create(actor=None, first_name=f"p{n}", email=f"p{n}@example.org") for n in range(5)
    ]
    big = StaticList.objects.create(name="Big")
    list_add(actor=staff_user, static_list=big, person_ids=[p.pk for p in people])
    api = ApiClient(staff_user)
    first = api.get(f"lists/{_lid(big)}/items", per_page=2)
    assert first.json()["total_records"] == 5 and first.json()["total_pages"] == 3
    seen = [uuid_of(i) for i in embedded(first)]
    link = first.json()["_links"].get("next")
    while link:
        page = api.get(link["href"])
        seen += [uuid_of(i) for i in embedded(page)]
        link = page.json()["_links"].get("next")
    assert len(seen) == len(set(seen)) == 5


def test_a_leader_sees_none_of_another_groups_lists_segments_or_items(
    leader_b, data, person_in_a, person_in_b
):
    api = ApiClient(leader_b)
    listed = api.get("lists")
    assert [item["name"] for item in embedded(listed)] == ["Phone bank B", "Everyone"]
    assert listed.json()["total_records"] == 2
    assert embedded(api.get("lists", filter="name eq 'Canvass A'")) == []
    for row in (data["list_a"], data["seg_a"]):
        _is_error(api.get(f"lists/{_lid(row)}"), 404)
        _is_error(api.get(f"lists/{_lid(row)}/items"), 404)
    member_a = ListMember.objects.get(static_list=data["list_a"])
    _is_error(api.get(f"lists/{_lid(data['list_a'])}/items/{ids.encode('item', member_a.pk)}"), 404)
    # Group B's list holds person A too: the leader sees only their own person on it.
    items = embedded(api.get(f"lists/{_lid(data['list_b'])}/items"))
    assert [i["_links"]["osdi:person"]["href"].rsplit("/", 1)[-1] for i in items] == [
        ids.encode("person", person_in_b.pk)
    ]
    hidden = ListMember.objects.get(static_list=data["list_b"], person=person_in_a)
    _is_error(api.get(f"lists/{_lid(data['list_b'])}/items/{ids.encode('item', hidden.pk)}"), 404)
    # The "everyone" segment of group B matches, for this leader, only their people.
    matched = embedded(api.get(f"lists/{_lid(data['seg_b'])}/items"))
    assert [i["_links"]["osdi:person"]["href"].rsplit("/", 1)[-1] for i in matched] == [
        ids.encode("person", person_in_b.pk)
    ]
    a_item = ids.encode("item", SEGMENT_ITEM | person_in_a.pk)
    _is_error(api.get(f"lists/{_lid(data['seg_b'])}/items/{a_item}"), 404)
    queries = api.get("queries")
    assert [q["name"] for q in embedded(queries)] == ["Everyone"]
    _is_error(api.get(f"queries/{_lid(data['seg_a'])}"), 404)


def test_queries_are_saved_segments_read_only(staff_user, data):
    api = ApiClient(staff_user)
    response = api.get("queries")
    assert response.status_code == 200
    assert list(response.json()["_embedded"]) == ["osdi:queries"]
    assert [q["name"] for q in embedded(response)] == ["Group A", "Everyone"]
    one = api.get(f"queries/{_lid(data['seg_b'])}").json()
    assert one["identifiers"] == [ids.identifier("segment", data["seg_b"].pk)]
    assert one["definition"]["match"] == {"kind": "all", "of": []}
    assert one["_links"]["osdi:list"]["href"].endswith(f"/lists/{_lid(data['seg_b'])}")
    assert [q["name"] for q in embedded(api.get("queries", filter="name eq 'group a'"))] == [
        "Group A"
    ]
    _is_error(api.get(f"queries/{_lid(data['list_a'])}"), 404)
    _is_error(api.get(f"queries/{uuid.uuid4()}"), 404)
    assert api.post("queries", {"name": "x"}).status_code == 405


def test_a_partner_token_reads_no_lists(admin_user, data, person_in_a):
    partner = ApiClient(
        admin_user, partner="Union", static_list=data["list_a"], fields=["given_name"]
    )
    for path in (
        "lists",
        f"lists/{_lid(data['list_a'])}",
        f"lists/{_lid(data['list_a'])}/items",
        "queries",
        f"queries/{_lid(data['seg_a'])}",
    ):
        _is_error(partner.get(path), 403)


def test_a_volunteer_sees_only_their_own_lists(db, data):
    from ladder.core.models import Role
    from ladder.core.testing import make_user

    volunteer = make_user("val", Role.VOLUNTEER)
    StaticList.objects.create(name="Mine", owner=volunteer)
    names = [item["name"] for item in embedded(ApiClient(volunteer).get("lists"))]
    assert names == ["Mine"]
