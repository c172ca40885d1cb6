"""``/forms``, their submissions and ``/people/{id}/submissions``, against the real database:
shapes, paging, filters, submissions through the action writes, bad input and scoping."""

from __future__ import annotations

import json
import uuid

import pytest

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

pytestmark = pytest.mark.django_db


def _form(api: ApiClient, **body: object) -> dict:
    response = api.post("forms", {"title": "Volunteer signup", "origin_system": "X", **body})
    assert response.status_code == 201, response.content
    return response.json()


def test_create_get_put_form(admin_user):
    api = ApiClient(admin_user)
    body = _form(api, description="<p>Join <script>x()</script>us</p>")
    link = assert_resource(body, "forms")
    page = ActionPage.objects.get(pk=pk_of("form", body))
    assert page.kind == "form" and page.status == "published"
    assert "<script>" not in body["description"] and "Join" in body["description"]
    assert body["total_submissions"] == 0
    assert body["_links"]["osdi:submissions"]["href"] == f"{link}/submissions"
    changed = api.put(f"forms/{uuid_of(body)}", {"title": "Volunteer!", "status": "closed"})
    assert changed.status_code == 200
    assert changed.json()["title"] == "Volunteer!"
    page.refresh_from_db()
    assert (page.title, page.status) == ("Volunteer!", "closed")
    assert api.get(f"forms/{uuid_of(body)}").json()["title"] == "Volunteer!"
    assert api.put(f"forms/{uuid_of(body)}", {"title": ""}).status_code == 400


def test_bad_forms_are_400s(admin_user):
    api = ApiClient(admin_user)
    assert api.post("forms", {}).status_code == 400
    assert "status" in api.post("forms", {"title": "T", "status": 5}).json()["error"]
    assert api.post("forms", {"title": ["a list"]}).status_code == 400
    assert not ActionPage.objects.exists()


def test_list_pages_and_filters(admin_user):
    api = ApiClient(admin_user)
    for n in range(3):
        _form(api, title=f"Form {n}")
    make_page(admin_user, kind="petition")
    first = api.get("forms", per_page=2)
    assert first.json()["total_records"] == 3
    assert [f["title"] for f in embedded(first)] == ["Form 0", "Form 1"]
    assert [f["title"] for f in embedded(api.get(first.json()["_links"]["next"]["href"]))] == [
        "Form 2"
    ]
    assert embedded(api.get("forms", page=9)) == []
    assert [f["title"] for f in embedded(api.get("forms", filter="title ne 'form 1'"))] == [
        "Form 0",
        "Form 2",
    ]
    assert embedded(api.get("forms", filter="created_date gt '2999-01-01'")) == []
    assert api.get("forms", filter="created_date gt 'soon'").status_code == 400


def test_parsons_create_submission_body(admin_user, person_in_a):
    """Parsons' create_submission posts only ``_links.osdi:person`` with Action Network's
    host; the person is found by the id."""
    api = ApiClient(admin_user)
    form = _form(api)
    person_id = ids.encode("person", person_in_a.pk)
    path = f"forms/{uuid_of(form)}/submissions"
    raw = json.dumps(
        {
            "_links": {
                "osdi:person": {"href": f"https://actionnetwork.org/api/v2/people/{person_id}"}
            }
        }
    )
    response = api.client.post(
        f"/api/v2/{path}", raw, content_type="application/json",
        headers={"OSDI-API-Token": api.raw},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert assert_resource(body, "forms").startswith(
        f"{form['_links']['self']['href']}/submissions/"
    )
    assert body["_links"]["osdi:form"]["href"] == form["_links"]["self"]["href"]
    assert body["_links"]["osdi:person"]["href"].endswith(person_id)
    submission = Submission.objects.get(person=person_in_a)
    assert (
        Activity.objects.filter(
            person=person_in_a, type="form_submission", object_id=submission.page_id
        ).count()
        == 1
    )
    again = api.post(path, person_href(person_id))
    assert again.status_code == 200 and uuid_of(again.json()) == uuid_of(body)
    assert Submission.objects.count() == 1
    assert api.get(f"forms/{uuid_of(form)}").json()["total_submissions"] == 1
    assert [uuid_of(s) for s in embedded(api.get(path))] == [uuid_of(body)]
    assert api.get(f"{path}/{uuid_of(body)}").status_code == 200
    mine = embedded(api.get(f"people/{person_id}/submissions"))
    assert [uuid_of(s) for s in mine] == [uuid_of(body)]
    assert api.get(f"people/{person_id}/submissions/{uuid_of(body)}").status_code == 200
    # a signature is not a submission
    assert embedded(api.get(f"people/{person_id}/signatures")) == []


def test_inline_submission_with_custom_fields(admin_user):
    api = ApiClient(admin_user)
    form = _form(api)
    response = api.post(
        f"forms/{uuid_of(form)}/submissions",
        {"person": {"email_addresses": [{"address": "sol@example.org"}],
                    "custom_fields": {"skills": "driving"}}},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    submission = Submission.objects.get()
    assert submission.person.custom_fields["skills"] == "driving"


def test_submission_filters_and_wrong_ids(admin_user, person_in_a, person_in_b):
    api = ApiClient(admin_user)
    form = _form(api)
    path = f"forms/{uuid_of(form)}/submissions"
    for person in (person_in_a, person_in_b):
        assert api.post(path, person_href(ids.encode("person", person.pk))).status_code == 201
    assert len(embedded(api.get(path, filter="created_date gt '2000-01-01'"))) == 2
    assert embedded(api.get(path, filter="modified_date lt '2000-01-01'")) == []
    assert api.get(path, filter="given_name eq 'Alma'").status_code == 400
    assert api.get(f"{path}/{uuid.uuid4()}").status_code == 404
    signature_kind = ids.encode("signature", Submission.objects.earliest("pk").pk)
    assert api.get(f"{path}/{signature_kind}").status_code == 404
    assert api.post(f"forms/{uuid.uuid4()}/submissions", {}).status_code == 404


def test_leader_b_sees_nothing_of_group_a(leader_a, leader_b, two_groups, person_in_a):
    api_a, api_b = ApiClient(leader_a), ApiClient(leader_b)
    form_a = _form(api_a, title="A's form")
    assert ActionPage.objects.get().group == two_groups[0]
    person_a = ids.encode("person", person_in_a.pk)
    sub_a = api_a.post(f"forms/{uuid_of(form_a)}/submissions", person_href(person_a)).json()
    assert embedded(api_b.get("forms")) == []
    assert embedded(api_b.get("forms", filter="title eq 'A''s form'")) == []
    assert api_b.get(f"forms/{uuid_of(form_a)}").status_code == 404
    assert api_b.put(f"forms/{uuid_of(form_a)}", {"title": "x"}).status_code == 404
    assert api_b.get(f"forms/{uuid_of(form_a)}/submissions").status_code == 404
    assert api_b.get(f"forms/{uuid_of(form_a)}/submissions/{uuid_of(sub_a)}").status_code == 404
    assert api_b.get(f"people/{person_a}/submissions").status_code == 404
    assert api_b.get(f"people/{person_a}/submissions/{uuid_of(sub_a)}").status_code == 404
    form_b = _form(api_b, title="B's form")
    page_b = ActionPage.objects.get(pk=pk_of("form", form_b))
    taken = action_take(page=page_b, token="t-a", email="alma@example.org")
    path_b = f"forms/{uuid_of(form_b)}/submissions"
    assert embedded(api_b.get(path_b)) == [] and api_b.get(path_b).json()["total_records"] == 0
    assert api_b.get(f"{path_b}/{ids.encode('submission', taken.submission.pk)}").status_code == 404
    assert api_b.post(path_b, person_href(person_a)).status_code == 404
    assert [uuid_of(s) for s in embedded(api_a.get(f"people/{person_a}/submissions"))] == [
        uuid_of(sub_a)
    ]


def test_partner_tokens_are_refused(admin_user):
    page = make_page(admin_user, kind="form")
    partner = partner_client(admin_user)
    assert partner.get("forms").status_code == 403
    assert partner.get(f"forms/{ids.encode('form', page.pk)}").status_code == 403
    assert partner.post("forms", {"title": "x"}).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_parsons_forms_unchanged(live_server, monkeypatch, admin_user):
    an = parsons(live_server, monkeypatch, admin_user)
    # create_form sends its payload as query parameters, update_form form-encoded.
    made = an.create_form({"title": "My Free Form", "origin_system": "FreeForms.com"})
    form_id = an_id(made)
    assert made["title"] == "My Free Form"
    an.update_form(form_id, {"title": "My Better Form", "description": "Tell us"})
    assert an.get_form(form_id)["title"] == "My Better Form"
    assert [an_id(row) for row in an.get_forms()] == [form_id]
    person_id = an_id(an.upsert_person(email_address="fo@example.org", given_name="Fo"))
    submission = an.create_submission(form_id, person_id)
    assert an.create_submission(form_id, person_id)["identifiers"] == submission["identifiers"]
    assert an.get_form_submissions(form_id).num_rows == 1
    assert an.get_person_submissions(person_id).num_rows == 1
    assert an_id(an.get_form_submission(form_id, an_id(submission))) == an_id(submission)
    assert an_id(an.get_person_submission(person_id, an_id(submission))) == an_id(submission)
    assert Submission.objects.count() == 1
