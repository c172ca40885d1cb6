"""``/petitions``, their signatures and ``/people/{id}/signatures``, against the real
database: shapes, paging, filters, signatures through the action writes (one per person),
bad input and scoping."""

from __future__ import annotations

import uuid

import pytest
from requests.exceptions import HTTPError

from ladder.actions.models import ActionPage, Submission
from ladder.actions.services import action_take
from ladder.actions.tests.testing import make_page
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
from ladder.people.models import Person

pytestmark = pytest.mark.django_db

PETITION = {
    "title": "Fund our buses",
    "description": "<p>Buses <em>now</em>.</p>",
    "petition_text": "We, the undersigned, ask for buses.",
    "target": [{"name": "Mayor Lee"}, {"name": "City Council"}],
}


def _petition(api: ApiClient, **body: object) -> dict:
    response = api.post("petitions", {**PETITION, **body})
    assert response.status_code == 201, response.content
    return response.json()


def test_create_petition_as_parsons_sends_it(admin_user):
    api = ApiClient(admin_user)
    body = _petition(api)
    link = assert_resource(body, "petitions")
    page = ActionPage.objects.get(pk=pk_of("petition", body))
    assert page.kind == "petition" and page.status == "published"
    assert page.target == "Mayor Lee; City Council"
    assert "We, the undersigned" in page.body and "Buses" in page.body
    assert body["title"] == "Fund our buses"
    assert body["description"] == "<p>Buses <em>now</em>.</p>"
    assert body["petition_text"] == "We, the undersigned, ask for buses."
    assert body["target"] == [{"name": "Mayor Lee"}, {"name": "City Council"}]
    assert body["total_signatures"] == 0
    assert body["_links"]["osdi:signatures"]["href"] == f"{link}/signatures"
    assert api.get(f"petitions/{uuid_of(body)}").json()["petition_text"] == body["petition_text"]


def test_target_as_text_draft_and_put(admin_user):
    api = ApiClient(admin_user)
    body = _petition(api, target="Governor Reynolds", status="draft")
    assert body["target"] == [{"name": "Governor Reynolds"}]
    assert ActionPage.objects.get().status == "draft"
    path = f"petitions/{uuid_of(body)}"
    changed = api.put(path, {"petition_text": "New words.", "status": "published"})
    assert changed.status_code == 200, changed.content
    assert changed.json()["petition_text"] == "New words."
    assert changed.json()["description"] == PETITION["description"]
    page = ActionPage.objects.get()
    assert page.status == "published" and page.published_at is not None
    renamed = api.put(path, {"title": "Buses for all", "target": {"name": "Mayor Lee"}}).json()
    assert renamed["title"] == "Buses for all" and renamed["target"] == [{"name": "Mayor Lee"}]
    assert renamed["petition_text"] == "New words."


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"description": "no title"}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "T", "status": "sometimes"}, "status"),
        ({"title": "T", "target": 12}, "target"),
        ({"title": "T", "target": [{"name": "x" * 200}, {"name": "y" * 200}]}, "target"),
        ({"title": "x" * 201}, "title"),
    ],
)
def test_bad_petitions_are_400s(admin_user, body, says):
    response = ApiClient(admin_user).post("petitions", body)
    assert response.status_code == 400
    assert says in response.json()["error"]
    assert not ActionPage.objects.exists()


def test_not_json_is_a_400(admin_user):
    api = ApiClient(admin_user)
    response = api.client.post(
        "/api/v2/petitions", "{not json", content_type="application/json",
        headers={"OSDI-API-Token": api.raw},
    )  # fmt: skip
    assert response.status_code == 400 and "error" in response.json()


def test_list_pages_and_filters(admin_user):
    api = ApiClient(admin_user)
    for n in range(3):
        _petition(api, title=f"Petition {n}")
    make_page(admin_user, kind="form", title="A form, not a petition")
    first = api.get("petitions", per_page=2)
    assert first.json()["total_records"] == 3
    assert [p["title"] for p in embedded(first)] == ["Petition 0", "Petition 1"]
    assert [p["title"] for p in embedded(api.get(first.json()["_links"]["next"]["href"]))] == [
        "Petition 2"
    ]
    assert embedded(api.get("petitions", page=5)) == []
    titled = embedded(api.get("petitions", filter="title eq 'PETITION 2'"))
    assert [p["title"] for p in titled] == ["Petition 2"]
    assert len(embedded(api.get("petitions", filter="modified_date gt '2000-01-01'"))) == 3
    assert embedded(api.get("petitions", filter="created_date lt '2000-01-01'")) == []
    assert api.get("petitions", filter="title eq").status_code == 400


def test_sign_by_link_once(admin_user, person_in_a):
    api = ApiClient(admin_user)
    petition = _petition(api)
    person_id = ids.encode("person", person_in_a.pk)
    path = f"petitions/{uuid_of(petition)}/signatures"
    first = api.post(path, {**person_href(person_id), "comments": "Stop doing the thing"})
    assert first.status_code == 201, first.content
    body = first.json()
    assert assert_resource(body, "petitions").startswith(
        petition["_links"]["self"]["href"] + "/signatures/"
    )
    assert body["comments"] == "Stop doing the thing"
    assert body["_links"]["osdi:person"]["href"].endswith(f"/people/{person_id}")
    assert body["_links"]["osdi:petition"]["href"] == petition["_links"]["self"]["href"]
    submission = Submission.objects.get(person=person_in_a)
    assert ids.encode("signature", submission.pk) == uuid_of(body)
    activity = Activity.objects.get(person=person_in_a, type="petition_signature")
    assert activity.object_id == submission.page_id
    again = api.post(path, person_href(person_id))
    assert again.status_code == 200 and uuid_of(again.json()) == uuid_of(body)
    assert Submission.objects.count() == 1
    assert Activity.objects.filter(type="petition_signature").count() == 1
    assert api.get(f"petitions/{uuid_of(petition)}").json()["total_signatures"] == 1
    assert [uuid_of(s) for s in embedded(api.get(path))] == [uuid_of(body)]
    assert api.get(f"{path}/{uuid_of(body)}").json()["comments"] == "Stop doing the thing"
    mine = api.get(f"people/{person_id}/signatures")
    assert [uuid_of(s) for s in embedded(mine)] == [uuid_of(body)]
    assert api.get(f"people/{person_id}/signatures/{uuid_of(body)}").status_code == 200


def test_sign_inline_matches_a_public_signer_and_is_idempotent(admin_user):
    api = ApiClient(admin_user)
    petition = _petition(api)
    page = ActionPage.objects.get()
    taken = action_take(page=page, token="t-1", email="rosa@example.org", first_name="Rosa")
    path = f"petitions/{uuid_of(petition)}/signatures"
    inline = {"person": {"email_addresses": [{"address": "ROSA@example.org"}]}}
    response = api.post(path, inline)
    assert response.status_code == 200  # she had signed on the public page
    assert uuid_of(response.json()) == ids.encode("signature", taken.submission.pk)
    fresh = api.post(path, {"person": {"email_addresses": [{"address": "kim@example.org"}]}})
    assert fresh.status_code == 201
    assert Person.objects.filter(emails__address="kim@example.org").count() == 1
    assert Submission.objects.filter(page=page).count() == 2
    page.refresh_from_db()
    assert page.actions_count == 2


def test_bad_signatures_and_wrong_ids(admin_user, person_in_a):
    api = ApiClient(admin_user)
    petition = _petition(api)
    form = make_page(admin_user, kind="form")
    path = f"petitions/{uuid_of(petition)}/signatures"
    assert api.post(path, {"comments": "who?"}).status_code == 400
    assert api.post(path, person_href(str(uuid.uuid4()))).status_code == 404
    assert api.post(path, {"person": {"given_name": "No contact"}}).status_code == 400
    bad_email = api.post(path, {"person": {"email_addresses": [{"address": "nope"}]}})
    assert bad_email.status_code == 400 and "email_addresses[0]" in bad_email.json()["error"]
    assert api.get(f"petitions/{ids.encode('form', form.pk)}").status_code == 404
    assert api.get(f"petitions/{ids.encode('petition', form.pk)}").status_code == 404
    assert api.get(f"petitions/{uuid.uuid4()}/signatures").status_code == 404
    assert api.get(f"{path}/{uuid.uuid4()}").status_code == 404
    assert api.get(f"people/{uuid.uuid4()}/signatures").status_code == 404
    assert not Submission.objects.exists()


def test_leader_b_sees_nothing_of_group_a(leader_a, leader_b, two_groups, person_in_a):
    api_a, api_b = ApiClient(leader_a), ApiClient(leader_b)
    petition_a = _petition(api_a, title="A's petition")
    page_a = ActionPage.objects.get(pk=pk_of("petition", petition_a))
    assert page_a.group == two_groups[0] and page_a.created_by == leader_a
    person_a = ids.encode("person", person_in_a.pk)
    signature_a = api_a.post(
        f"petitions/{uuid_of(petition_a)}/signatures", person_href(person_a)
    ).json()
    assert embedded(api_b.get("petitions")) == []
    assert embedded(api_b.get("petitions", filter="title eq 'A''s petition'")) == []
    assert api_b.get(f"petitions/{uuid_of(petition_a)}").status_code == 404
    assert api_b.put(f"petitions/{uuid_of(petition_a)}", {"title": "x"}).status_code == 404
    assert api_b.get(f"petitions/{uuid_of(petition_a)}/signatures").status_code == 404
    path_a = f"petitions/{uuid_of(petition_a)}/signatures/{uuid_of(signature_a)}"
    assert api_b.get(path_a).status_code == 404
    assert api_b.get(f"people/{person_a}/signatures").status_code == 404
    assert api_b.get(f"people/{person_a}/signatures/{uuid_of(signature_a)}").status_code == 404
    # B's own petition, signed publicly by A's person: B sees the petition, not her signature.
    petition_b = _petition(api_b, title="B's petition")
    page_b = ActionPage.objects.get(pk=pk_of("petition", petition_b))
    taken = action_take(page=page_b, token="t-a", email="alma@example.org")
    path_b = f"petitions/{uuid_of(petition_b)}/signatures"
    listed = api_b.get(path_b)
    assert embedded(listed) == [] and listed.json()["total_records"] == 0
    assert embedded(api_b.get(path_b, filter="created_date gt '2000-01-01'")) == []
    assert api_b.get(f"{path_b}/{ids.encode('signature', taken.submission.pk)}").status_code == 404
    assert api_b.post(path_b, person_href(person_a)).status_code == 404
    # leader_a sees Alma, but only her signature on pages leader_a can see.
    assert [uuid_of(s) for s in embedded(api_a.get(f"people/{person_a}/signatures"))] == [
        uuid_of(signature_a)
    ]


def test_partner_tokens_are_refused(admin_user, person_in_a):
    page = make_page(admin_user)
    partner = partner_client(admin_user)
    person_a = ids.encode("person", person_in_a.pk)
    for path in ("petitions", f"petitions/{ids.encode('petition', page.pk)}/signatures",
                 f"people/{person_a}/signatures"):  # fmt: skip
        assert partner.get(path).status_code == 403, path
    refused = partner.post(f"petitions/{ids.encode('petition', page.pk)}/signatures",
                           person_href(person_a))  # fmt: skip
    assert refused.status_code == 403 and not Submission.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_parsons_petitions_unchanged(live_server, monkeypatch, admin_user):
    an = parsons(live_server, monkeypatch, admin_user)
    made = an.create_petition("Fund our schools", "Tell them.", "Fully fund K-12.", "Iowa House")
    petition_id = an_id(made)
    assert made["target"] == [{"name": "Iowa House"}]
    an.update_petition(petition_id, "Fund all schools", "Tell them now.", "Fully fund K-12.",
                       [{"name": "Iowa House"}, {"name": "Iowa Senate"}])  # fmt: skip
    again = an.get_petition(petition_id)
    assert again["title"] == "Fund all schools" and len(again["target"]) == 2
    assert again["petition_text"] == "Fully fund K-12."
    assert [an_id(row) for row in an.get_petitions()] == [petition_id]
    person = an.upsert_person(email_address="pat@example.org", given_name="Pat")
    with pytest.raises(HTTPError) as refused:  # create_signature sends query parameters
        an.create_signature(petition_id, person_href(an_id(person)))
    assert "Code: 400" in str(refused.value) and "JSON body" in str(refused.value)
    ApiClient(admin_user).post(f"petitions/{petition_id}/signatures", person_href(an_id(person)))
    signatures = an.get_petition_signatures(petition_id)
    assert signatures.num_rows == 1
    assert an.get_person_signatures(an_id(person)).num_rows == 1
    signature_id = an_id(signatures[0])
    assert an_id(an.get_petition_signature(petition_id, signature_id)) == signature_id
    assert an_id(an.get_person_signature(an_id(person), signature_id)) == signature_id
