"""The HTTP contract API clients depend on, through Django's test client: identifiers, dates,
links, paging, filters, slashes without redirects, errors, the rate limit, sticky consent,
scoping and partner tokens."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ladder.api import ids
from ladder.api.models import ApiRead
from ladder.api.resources.people import SUB_COLLECTIONS
from ladder.api.tests.testing import ApiClient, embedded, uuid_of
from ladder.core.models import Role
from ladder.core.testing import make_user
from ladder.people.models import Channel, ConsentEvent, Person
from ladder.people.services import consent_record, person_create, tag_add
from ladder.segments.models import StaticList
from ladder.segments.services import list_add

pytestmark = pytest.mark.django_db

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
REDIRECTS = (301, 302, 303, 307, 308)


def _signup(api: ApiClient, email: str, **person: Any) -> Any:
    return api.post("people", {"person": {"email_addresses": [{"address": email}], **person}})


def _is_error(response: Any, status: int) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert isinstance(body.get("error"), str) and body["error"], body


def _people(count: int, prefix: str = "p") -> list[Person]:
    return [
        person_create(actor=None, first_name=f"{prefix}{n}", email=f"{prefix}{n}@example.org")
        for n in range(count)
    ]


# -- identifiers, dates, links ---------------------------------------------------------------


def test_identifiers_put_ours_first_and_keep_foreign_ones(admin_user):
    api = ApiClient(admin_user)
    response = _signup(api, "sal@example.org", identifiers=["salesforce:123"])
    assert response.status_code == 201, response.content
    body = response.json()
    first = body["identifiers"][0]
    assert first.startswith("action_network:")
    assert ids.decode("person", first.split(":", 1)[1]) is not None
    assert "salesforce:123" in body["identifiers"]
    again = api.get(f"people/{uuid_of(body)}").json()
    assert again["identifiers"][0] == first and "salesforce:123" in again["identifiers"]


def test_dates_are_iso_8601_and_links_absolute_without_trailing_slash(admin_user):
    api = ApiClient(admin_user)
    body = _signup(api, "iso@example.org").json()
    assert ISO.match(body["created_date"]) and ISO.match(body["modified_date"])
    dt.datetime.fromisoformat(body["created_date"].replace("Z", "+00:00"))
    self_href = body["_links"]["self"]["href"]
    assert self_href == f"http://testserver/api/v2/people/{uuid_of(body)}"
    for link in body["_links"].values():
        for item in link if isinstance(link, list) else [link]:
            if "templated" in item:
                continue
            assert item["href"].startswith("http://testserver/api/v2/")
            assert not item["href"].endswith("/")


# -- collections -----------------------------------------------------------------------------


def test_collections_page_at_most_25_with_totals_and_next(admin_user):
    _people(30)
    api = ApiClient(admin_user)
    first = api.get("people", per_page=100)
    assert first.status_code == 200
    body = first.json()
    assert body["per_page"] == 25 and body["page"] == 1
    assert body["total_records"] == 30 and body["total_pages"] == 2
    assert list(body["_embedded"]) == ["osdi:people"]
    assert len(embedded(first)) == 25
    assert all(ISO.match(p["created_date"]) for p in embedded(first))
    next_href = body["_links"]["next"]["href"]
    assert next_href.startswith("http://testserver/api/v2/people?")
    second = api.get(next_href)
    assert second.status_code == 200 and len(embedded(second)) == 5
    assert "next" not in second.json()["_links"]
    by_page = api.get("people", page=2)
    assert [uuid_of(p) for p in embedded(by_page)] == [uuid_of(p) for p in embedded(second)]
    seen = {uuid_of(p) for p in embedded(first) + embedded(second)}
    assert len(seen) == 30
    past = api.get("people", page=9)
    assert past.status_code == 200
    assert list(past.json()["_embedded"]) == ["osdi:people"] and embedded(past) == []


def test_every_top_level_collection_has_one_embedded_key(admin_user):
    from ladder.api.resources import COLLECTIONS

    api = ApiClient(admin_user)
    for plural in COLLECTIONS:
        response = api.get(plural)
        if plural == "metadata":
            assert response.status_code == 200, response.content
            continue
        assert response.status_code == 200, (plural, response.content)
        body = response.json()
        assert len(body["_embedded"]) == 1, plural
        assert body["per_page"] <= 25


def test_bad_paging_is_a_400(admin_user):
    api = ApiClient(admin_user)
    _is_error(api.get("people", page="zero"), 400)
    _is_error(api.get("people", per_page=0), 400)


# -- filters ---------------------------------------------------------------------------------


@pytest.fixture
def dated_people(db) -> dict[str, Person]:
    people = {
        "old": person_create(actor=None, first_name="Olga", last_name="Oakes",
                             email="olga@example.org", phone="515-555-0101"),
        "mid": person_create(actor=None, first_name="Mina", last_name="Moss",
                             email="mina@example.org", phone="515-555-0102"),
        "new": person_create(actor=None, first_name="Nell", last_name="Nash",
                             email="nell@example.org", phone="515-555-0103"),
    }  # fmt: skip
    for key, when in (("old", "2014-03-01"), ("mid", "2014-03-25"), ("new", "2015-06-01")):
        moment = timezone.make_aware(dt.datetime.fromisoformat(f"{when}T10:00:00"), dt.UTC)
        Person.objects.filter(pk=people[key].pk).update(created_at=moment, updated_at=moment)
    return people


def _names(response: Any) -> set[str]:
    assert response.status_code == 200, response.content
    return {p["given_name"] for p in embedded(response)}


@pytest.mark.parametrize("param", ["filter", "$filter"])
def test_filters_on_dates_with_each_operator(admin_user, dated_people, param):
    api = ApiClient(admin_user)

    def names(text: str) -> set[str]:
        return _names(api.get("people", **{param: text}))

    assert names("modified_date gt '2014-03-25'") == {"Mina", "Nell"}  # the day's midnight
    assert names("modified_date gt '2014-03-25 10:00:00'") == {"Nell"}
    assert names("modified_date gt '2014-03-25T10:00:00Z'") == {"Nell"}
    assert names("modified_date ge '2014-03-25T10:00:00Z'") == {"Mina", "Nell"}
    assert names("created_date lt '2014-03-25T10:00:00Z'") == {"Olga"}
    assert names("created_date le '2014-03-25T10:00:00Z'") == {"Olga", "Mina"}
    assert names("created_date eq '2014-03-25T10:00:00Z'") == {"Mina"}
    assert names("created_date ne '2014-03-25T10:00:00Z'") == {"Olga", "Nell"}
    assert names("created_date gt '2014-03-02' and created_date lt '2015-01-01'") == {"Mina"}
    assert names("created_date lt '2014-03-02' or created_date gt '2015-01-01'") == {"Olga", "Nell"}


def test_filters_on_email_phone_and_names(admin_user, dated_people):
    api = ApiClient(admin_user)
    assert _names(api.get("people", filter="email_address eq 'mina@example.org'")) == {"Mina"}
    assert _names(api.get("people", filter="email_address eq 'MINA@Example.org'")) == {"Mina"}
    assert _names(api.get("people", filter="phone_number eq '+15155550103'")) == {"Nell"}
    assert _names(api.get("people", filter="phone_number eq '515-555-0103'")) == {"Nell"}
    assert _names(api.get("people", filter="given_name eq 'olga'")) == {"Olga"}
    assert _names(api.get("people", filter="family_name ne 'Moss'")) == {"Olga", "Nell"}
    assert _names(
        api.get("people", filter="(given_name eq 'Olga' or given_name eq 'Nell') and "
                "email_address ne 'nell@example.org'")
    ) == {"Olga"}  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "nonsense eq 'x'",
        "modified_date gt 'yesterday'",
        "given_name is 'x'",
        "given_name eq",
        "(given_name eq 'x'",
        "given_name eq 'x' and",
        "'unterminated",
    ],
)
def test_a_bad_filter_is_a_400_saying_why(admin_user, text):
    _is_error(ApiClient(admin_user).get("people", filter=text), 400)


# -- paths: slashes, no redirect -------------------------------------------------------------


def test_routes_answer_with_and_without_a_trailing_slash_and_never_redirect(admin_user):
    api = ApiClient(admin_user)
    client, headers = Client(), {"OSDI-API-Token": api.raw}
    created = client.post(
        "/api/v2/people/", '{"person": {"email_addresses": [{"address": "sl@example.org"}]}}',
        content_type="application/json", headers=headers,
    )  # fmt: skip
    assert created.status_code == 201, created.content
    person_id = uuid_of(created.json())
    for path in ("/api/v2", "/api/v2/", "/api/v2/people", "/api/v2/people/",
                 f"/api/v2/people/{person_id}", f"/api/v2/people/{person_id}/",
                 f"/api/v2/people/{person_id}/taggings/", "/api/v2/tags/"):  # fmt: skip
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.status_code)
    again = client.post(
        "/api/v2/people", '{"person": {"email_addresses": [{"address": "sl@example.org"}]}}',
        content_type="application/json", headers=headers,
    )  # fmt: skip
    assert again.status_code == 200 and uuid_of(again.json()) == person_id
    for path in (f"/api/v2/people/{person_id}", f"/api/v2/people/{person_id}/"):
        put = client.put(path, '{"family_name": "Slash"}', content_type="application/json",
                         headers=headers)  # fmt: skip
        assert put.status_code not in REDIRECTS and put.status_code == 200, put.content
        assert put.json()["family_name"] == "Slash"
    tag = client.post("/api/v2/tags/", '{"name": "slashed"}', content_type="application/json",
                      headers=headers)  # fmt: skip
    assert tag.status_code == 200, tag.content


def test_a_person_link_is_matched_by_its_last_segment_whatever_the_host(admin_user):
    api = ApiClient(admin_user)
    person = _signup(api, "linked@example.org").json()
    tag = api.post("tags", {"name": "volunteer"}).json()
    href = f"https://actionnetwork.org/api/v2/people/{uuid_of(person)}"
    tagging = api.post(f"tags/{uuid_of(tag)}/taggings", {"_links": {"osdi:person": {"href": href}}})
    assert tagging.status_code == 200, tagging.content
    assert tagging.json()["_links"]["osdi:person"]["href"] == person["_links"]["self"]["href"]
    listed = api.get(f"people/{uuid_of(person)}/taggings")
    assert [uuid_of(t) for t in embedded(listed)] == [uuid_of(tagging.json())]
    _is_error(
        api.post(f"tags/{uuid_of(tag)}/taggings",
                 {"_links": {"osdi:person": {"href": "https://actionnetwork.org/api/v2/people/"
                                                     "not-an-id"}}}),
        404,
    )  # fmt: skip


def test_background_processing_is_accepted_and_returns_the_full_record(admin_user):
    api = ApiClient(admin_user)
    created = api.post(
        "people?background_processing=true",
        {"person": {"given_name": "Bea", "email_addresses": [{"address": "bg@example.org"}]}},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["given_name"] == "Bea"
    assert body["email_addresses"][0]["address"] == "bg@example.org"
    put = api.put(f"people/{uuid_of(body)}?background_processing=true", {"family_name": "Bg"})
    assert put.status_code == 200 and put.json()["family_name"] == "Bg"
    assert put.json()["identifiers"][0] == body["identifiers"][0]
    tag = api.post("tags", {"name": "bg"}).json()
    tagging = api.post(
        f"tags/{uuid_of(tag)}/taggings?background_processing=true",
        {"_links": {"osdi:person": {"href": body["_links"]["self"]["href"]}}},
    )
    assert tagging.status_code == 200 and tagging.json()["identifiers"]


# -- errors ----------------------------------------------------------------------------------


def test_errors_are_json_with_the_right_status(admin_user):
    api = ApiClient(admin_user)
    client = Client()
    bad_json = client.post("/api/v2/people", "{not json", content_type="application/json",
                           headers={"OSDI-API-Token": api.raw})  # fmt: skip
    _is_error(bad_json, 400)
    _is_error(api.post("people", {"person": {}}), 400)  # nothing to match on
    _is_error(api.post("people", {"person": {"email_addresses": [{"address": "nope"}]}}), 400)
    _is_error(api.post("people", {"person": "not an object"}), 400)
    _is_error(api.put(f"people/{ids.encode('person', 1)}", {"given_name": 7}), 400)
    _is_error(client.get("/api/v2/people", headers={"OSDI-API-Token": "ldr_wrong"}), 401)
    _is_error(client.get("/api/v2/people"), 401)
    _is_error(api.get(f"people/{ids.encode('person', 10**9)}"), 404)
    _is_error(api.get(f"people/{ids.encode('tag', 1)}"), 404)  # an id of another kind
    _is_error(api.get("people/not-a-uuid"), 404)
    _is_error(api.get(f"tags/{ids.encode('tag', 10**9)}"), 404)
    _is_error(api.put(f"people/{ids.encode('person', 10**9)}", {"given_name": "X"}), 404)
    _is_error(api.get("no_such_collection"), 404)  # JSON, not Django's HTML page
    _is_error(api.get(f"people/{ids.encode('person', 1)}/no_such_thing"), 404)
    not_allowed = api.delete(f"people/{ids.encode('person', 1)}")
    _is_error(not_allowed, 405)
    assert "PUT" in not_allowed["Allow"]


def test_a_revoked_token_is_a_401(admin_user):
    from ladder.api.tokens import token_revoke

    api = ApiClient(admin_user)
    assert api.get("people").status_code == 200
    token_revoke(actor=admin_user, token=api.token)
    _is_error(api.get("people"), 401)


def test_rate_limit_answers_429_with_retry_after(admin_user, monkeypatch):
    # Hold the clock 55 s into a minute, so the four requests count in one window.
    monkeypatch.setattr("ladder.api.ratelimit.clock", lambda: 1_800_000_055.0)
    api = ApiClient(admin_user, rate_per_minute=3)
    for _ in range(3):
        assert api.get("people").status_code == 200
    limited = api.get("people")
    _is_error(limited, 429)
    assert limited.headers["Retry-After"] == "5"  # the seconds left in the window
    other = ApiClient(admin_user)
    assert other.get("people").status_code == 200  # the limit is per token


# -- consent ---------------------------------------------------------------------------------


def test_an_upsert_never_resubscribes_an_opted_out_address(admin_user):
    person = person_create(actor=None, first_name="Una", email="una@example.org")
    consent_record(
        actor=None, person=person, channel=Channel.EMAIL, contact_point="una@example.org",
        status=ConsentEvent.Status.OPT_OUT, source="unsubscribe link", by_person=True,
    )  # fmt: skip
    api = ApiClient(admin_user)
    response = api.post(
        "people",
        {"person": {"given_name": "Una", "email_addresses": [
            {"address": "una@example.org", "status": "subscribed"}]}},
    )  # fmt: skip
    assert response.status_code == 200, response.content
    assert uuid_of(response.json()) == ids.encode("person", person.pk)
    (email,) = response.json()["email_addresses"]
    assert email["status"] == "unsubscribed"
    person.refresh_from_db()
    assert person.emails.get().subscription != "subscribed"
    put = api.put(
        f"people/{uuid_of(response.json())}",
        {"email_addresses": [{"address": "una@example.org", "status": "subscribed"}]},
    )
    assert put.json()["email_addresses"][0]["status"] == "unsubscribed"


# -- scoping ---------------------------------------------------------------------------------


def test_a_leader_never_reaches_a_person_of_another_group(admin_user, leader_b, person_in_a,
                                                          person_in_b):  # fmt: skip
    tag_add(actor=None, person=person_in_a, name="shared")
    tag_add(actor=None, person=person_in_b, name="shared")
    a_id = ids.encode("person", person_in_a.pk)
    b_id = ids.encode("person", person_in_b.pk)
    leader = ApiClient(leader_b)
    listed = leader.get("people")
    assert [uuid_of(p) for p in embedded(listed)] == [b_id]
    assert listed.json()["total_records"] == 1
    for text in ("email_address eq 'alma@example.org'", "given_name eq 'Alma'",
                 "family_name eq 'Avery' or given_name eq 'Bert'"):  # fmt: skip
        found = {uuid_of(p) for p in embedded(leader.get("people", filter=text))}
        assert a_id not in found, text
    _is_error(leader.get(f"people/{a_id}"), 404)
    _is_error(leader.put(f"people/{a_id}", {"given_name": "Hacked"}), 404)
    person_in_a.refresh_from_db()
    assert person_in_a.first_name == "Alma"
    for name in SUB_COLLECTIONS:
        _is_error(leader.get(f"people/{a_id}/{name}"), 404)
        mine = leader.get(f"people/{b_id}/{name}")
        assert mine.status_code == 200, (name, mine.content)
    tags = embedded(ApiClient(admin_user).get("tags"))
    shared = next(t for t in tags if t["name"] == "shared")
    taggings = embedded(leader.get(f"tags/{uuid_of(shared)}/taggings"))
    people = {t["_links"]["osdi:person"]["href"].rsplit("/", 1)[-1] for t in taggings}
    assert people == {b_id}
    a_tagging = person_in_a.taggings.get()
    _is_error(
        leader.get(f"tags/{uuid_of(shared)}/taggings/{ids.encode('tagging', a_tagging.pk)}"), 404
    )
    _is_error(
        leader.delete(f"tags/{uuid_of(shared)}/taggings/{ids.encode('tagging', a_tagging.pk)}"),
        404,
    )
    _is_error(
        leader.post(f"tags/{uuid_of(shared)}/taggings",
                    {"_links": {"osdi:person": {"href": f"http://x/api/v2/people/{a_id}"}}}),
        404,
    )  # fmt: skip
    # Signing up her address is refused rather than showing or merging her.
    _is_error(_signup(leader, "alma@example.org", given_name="Mallory"), 403)
    person_in_a.refresh_from_db()
    assert person_in_a.first_name == "Alma"


def test_someone_a_leader_creates_lands_in_their_group(leader_b, two_groups):
    leader = ApiClient(leader_b)
    created = _signup(leader, "newbie@example.org")
    assert created.status_code == 201, created.content
    assert leader.get(f"people/{uuid_of(created.json())}").status_code == 200
    pk = ids.decode("person", uuid_of(created.json()))
    assert pk is not None
    person = Person.objects.get(pk=pk)
    assert person.home_group_id == two_groups[1].pk


def test_a_volunteer_token_only_reads(db):
    volunteer = make_user("val", Role.VOLUNTEER)
    api = ApiClient(volunteer)
    assert api.get("people").status_code == 200
    _is_error(_signup(api, "v@example.org"), 403)
    _is_error(api.post("tags", {"name": "x"}), 403)


# -- partner tokens --------------------------------------------------------------------------


@pytest.fixture
def partner(admin_user, person_in_a, person_in_b) -> ApiClient:
    shared = StaticList.objects.create(name="Shared with the union", owner=admin_user)
    list_add(actor=admin_user, static_list=shared, person_ids=[person_in_a.pk])
    return ApiClient(
        admin_user, partner="Teachers Union", static_list=shared,
        fields=["given_name", "email_addresses"],
    )  # fmt: skip


def test_a_partner_token_reads_only_list_members_and_chosen_fields(partner, person_in_a,
                                                                  person_in_b):  # fmt: skip
    a_id = ids.encode("person", person_in_a.pk)
    listed = partner.get("people")
    assert listed.status_code == 200, listed.content
    (shown,) = embedded(listed)
    assert uuid_of(shown) == a_id
    assert set(shown) == {
        "identifiers", "created_date", "modified_date", "_links", "given_name", "email_addresses"
    }  # fmt: skip
    assert shown["given_name"] == "Alma"
    one = partner.get(f"people/{a_id}").json()
    assert "family_name" not in one and "phone_numbers" not in one
    _is_error(partner.get(f"people/{ids.encode('person', person_in_b.pk)}"), 404)
    none = partner.get("people", filter="email_address eq 'bert@example.org'")
    assert embedded(none) == []


def test_a_partner_token_cannot_write_or_read_other_collections(partner, person_in_a):
    a_id = ids.encode("person", person_in_a.pk)
    _is_error(_signup(partner, "new@example.org"), 403)
    _is_error(_signup(partner, "alma@example.org", given_name="Changed"), 403)
    _is_error(partner.put(f"people/{a_id}", {"given_name": "Changed"}), 403)
    _is_error(partner.post("tags", {"name": "x"}), 403)
    _is_error(partner.get("tags"), 403)
    person_in_a.refresh_from_db()
    assert person_in_a.first_name == "Alma"


def test_every_partner_read_is_logged_with_whom_it_showed(partner, person_in_a, person_in_b):
    a_id = ids.encode("person", person_in_a.pk)
    partner.get("people")
    partner.get(f"people/{a_id}")
    partner.get(f"people/{ids.encode('person', person_in_b.pk)}")
    reads = list(ApiRead.objects.filter(token=partner.token).order_by("id"))
    assert [(r.method, r.status) for r in reads] == [("GET", 200), ("GET", 200), ("GET", 404)]
    assert reads[0].path.startswith("/api/v2/people")
    assert reads[0].person_ids == [person_in_a.pk]
    assert reads[1].person_ids == [person_in_a.pk]
    assert reads[2].person_ids == []
