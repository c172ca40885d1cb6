"""``/fundraising_pages``, their donations, ``/donations`` and ``/people/{id}/donations``,
against the real database: shapes, paging, filters, gifts through `gift_record` (totals and
activities), idempotent posts with a foreign identifier, bad input and scoping."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from requests.exceptions import HTTPError

from ladder.actions.gifts import gift_record
from ladder.actions.models import ActionPage, Gift
from ladder.actions.tests.testing import make_campaign, make_page
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


def _page(api: ApiClient, **body: object) -> dict:
    response = api.post("fundraising_pages", {"title": "Power the canvass", **body})
    assert response.status_code == 201, response.content
    return response.json()


def _gift(person_uuid: str, amount: str = "3.00", **body: object) -> dict:
    return {
        "recipients": [{"display_name": "Campaign To Elect Tom", "amount": amount}],
        "created_date": "2030-01-01T00:00:00Z",
        **person_href(person_uuid),
        **body,
    }


def test_create_get_put_fundraising_page(admin_user):
    api = ApiClient(admin_user)
    body = _page(api, description="<p>Give</p>")
    link = assert_resource(body, "fundraising_pages")
    page = ActionPage.objects.get(pk=pk_of("fundraising_page", body))
    assert page.kind == "donation" and page.status == "published"
    assert (body["total_donations"], body["total_amount"], body["currency"]) == (0, "0.00", "USD")
    assert body["_links"]["osdi:donations"]["href"] == f"{link}/donations"
    changed = api.put(f"fundraising_pages/{uuid_of(body)}", {"title": "Fuel the canvass"})
    assert changed.status_code == 200 and changed.json()["title"] == "Fuel the canvass"
    assert api.get(f"fundraising_pages/{uuid_of(body)}").json()["title"] == "Fuel the canvass"
    assert api.post("fundraising_pages", {}).status_code == 400
    draft = _page(api, title="Later", status="draft")
    assert ActionPage.objects.get(pk=pk_of("fundraising_page", draft)).status == ("draft")


def test_list_pages_and_filters(admin_user):
    api = ApiClient(admin_user)
    for n in range(3):
        _page(api, title=f"Fund {n}")
    make_page(admin_user, kind="petition")
    first = api.get("fundraising_pages", per_page=2)
    assert first.json()["total_records"] == 3
    assert [p["title"] for p in embedded(first)] == ["Fund 0", "Fund 1"]
    following = api.get(first.json()["_links"]["next"]["href"])
    assert [p["title"] for p in embedded(following)] == ["Fund 2"]
    assert embedded(api.get("fundraising_pages", page=3, per_page=2)) == []
    assert [
        p["title"] for p in embedded(api.get("fundraising_pages", filter="title eq 'fund 0'"))
    ] == ["Fund 0"]
    assert embedded(api.get("fundraising_pages", filter="modified_date gt '2999-01-01'")) == []
    assert api.get("fundraising_pages", filter="total_amount gt 5").status_code == 400


def test_record_donation_as_parsons_sends_it(admin_user, person_in_a):
    api = ApiClient(admin_user)
    page_body = _page(api)
    person_id = ids.encode("person", person_in_a.pk)
    path = f"fundraising_pages/{uuid_of(page_body)}/donations"
    response = api.post(path, _gift(person_id))
    assert response.status_code == 201, response.content
    body = response.json()
    link = assert_resource(body, "fundraising_pages")
    assert link.startswith(f"{page_body['_links']['self']['href']}/donations/")
    assert (body["amount"], body["currency"]) == ("3.00", "USD")
    assert body["recipients"] == [{"display_name": "Power the canvass", "amount": "3.00"}]
    assert body["created_date"] == "2030-01-01T00:00:00Z"
    assert body["_links"]["osdi:person"]["href"].endswith(person_id)
    assert body["_links"]["osdi:fundraising_page"]["href"] == page_body["_links"]["self"]["href"]
    gift = Gift.objects.get(person=person_in_a)
    assert (gift.amount, gift.status, gift.processor) == (Decimal("3.00"), "paid", "api")
    activity = Activity.objects.get(person=person_in_a, type="donation")
    assert activity.amount == Decimal("3.00")
    page = api.get(f"fundraising_pages/{uuid_of(page_body)}").json()
    assert (page["total_donations"], page["total_amount"]) == (1, "3.00")
    assert [uuid_of(d) for d in embedded(api.get(path))] == [uuid_of(body)]
    assert api.get(f"{path}/{uuid_of(body)}").status_code == 200
    assert [uuid_of(d) for d in embedded(api.get("donations"))] == [uuid_of(body)]
    assert api.get(f"donations/{uuid_of(body)}").json()["amount"] == "3.00"
    mine = api.get(f"people/{person_id}/donations")
    assert [uuid_of(d) for d in embedded(mine)] == [uuid_of(body)]
    assert api.get(f"people/{person_id}/donations/{uuid_of(body)}").status_code == 200


def test_foreign_identifier_makes_it_idempotent_and_inline_person(admin_user):
    api = ApiClient(admin_user)
    page_body = _page(api)
    path = f"fundraising_pages/{uuid_of(page_body)}/donations"
    body = {
        "identifiers": ["actblue:AB123"],
        "amount": "25",
        "person": {"given_name": "Ida", "email_addresses": [{"address": "ida@example.org"}]},
        "action_network:recurrence": {"recurring": True, "period": "Monthly"},
    }
    first = api.post(path, body)
    assert first.status_code == 201, first.content
    assert "actblue:AB123" in first.json()["identifiers"]
    assert first.json()["action_network:recurrence"]["recurring"] is True
    again = api.post(path, body)
    assert again.status_code == 200 and uuid_of(again.json()) == uuid_of(first.json())
    assert Gift.objects.count() == 1
    person = Person.objects.get(emails__address="ida@example.org")
    assert Activity.objects.filter(person=person, type="donation").count() == 1
    assert ActionPage.objects.get().amount_raised == Decimal("25.00")
    several = api.post(
        path,
        {**person_href(ids.encode("person", person.pk)),
         "recipients": [{"amount": "2.50"}, {"amount": 4}]},
    )  # fmt: skip
    assert several.status_code == 201 and several.json()["amount"] == "6.50"


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ({"recipients": [], "amount": None}, "amount"),
        ({"amount": "lots"}, "amount"),
        ({"amount": "0.10"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": "99999999"}, "amount"),
        ({"currency": "EUR"}, "currency"),
        ({"created_date": "yesterday"}, "created_date"),
        ({"identifiers": ["no-colon"]}, "identifiers"),
    ],
)
def test_bad_donations_are_400s(admin_user, person_in_a, extra, says):
    api = ApiClient(admin_user)
    page_body = _page(api)
    response = api.post(
        f"fundraising_pages/{uuid_of(page_body)}/donations",
        {**_gift(ids.encode("person", person_in_a.pk)), **extra},
    )
    assert response.status_code == 400
    assert says in response.json()["error"]
    assert not Gift.objects.exists()


def test_wrong_ids_are_404s(admin_user, person_in_a):
    api = ApiClient(admin_user)
    page_body = _page(api)
    petition = make_page(admin_user)
    path = f"fundraising_pages/{uuid_of(page_body)}/donations"
    assert api.post(path, _gift(str(uuid.uuid4()))).status_code == 404
    assert api.post(f"fundraising_pages/{uuid.uuid4()}/donations", _gift("x")).status_code == 404
    assert (
        api.get(f"fundraising_pages/{ids.encode('fundraising_page', petition.pk)}").status_code
        == 404
    )
    assert api.get(f"donations/{uuid.uuid4()}").status_code == 404
    assert api.get(f"{path}/{uuid.uuid4()}").status_code == 404
    assert api.get(f"people/{uuid.uuid4()}/donations").status_code == 404
    assert not Gift.objects.exists()


def test_donation_filters(admin_user, person_in_a):
    api = ApiClient(admin_user)
    page_body = _page(api)
    person_id = ids.encode("person", person_in_a.pk)
    path = f"fundraising_pages/{uuid_of(page_body)}/donations"
    api.post(path, _gift(person_id, created_date="2020-03-01"))
    api.post(path, _gift(person_id, created_date="2024-03-01"))
    recent = embedded(api.get("donations", filter="created_date gt '2022-01-01'"))
    assert [d["created_date"][:4] for d in recent] == ["2024"]
    assert len(embedded(api.get(path, filter="modified_date gt '2000-01-01'"))) == 2
    assert (
        embedded(api.get(f"people/{person_id}/donations", filter="created_date lt '2019-01-01'"))
        == []
    )
    assert api.get("donations", filter="amount gt 1").status_code == 400
    paged = api.get("donations", per_page=1)
    assert paged.json()["total_pages"] == 2 and "next" in paged.json()["_links"]


def test_leader_b_sees_nothing_of_group_a(
    admin_user, leader_a, leader_b, two_groups, person_in_a, person_in_b
):
    api_a, api_b = ApiClient(leader_a), ApiClient(leader_b)
    page_a = _page(api_a, title="A's fund")
    assert ActionPage.objects.get().group == two_groups[0]
    person_a = ids.encode("person", person_in_a.pk)
    gift_a = api_a.post(f"fundraising_pages/{uuid_of(page_a)}/donations", _gift(person_a)).json()
    assert embedded(api_b.get("fundraising_pages")) == []
    assert embedded(api_b.get("fundraising_pages", filter="title eq 'A''s fund'")) == []
    assert api_b.get(f"fundraising_pages/{uuid_of(page_a)}").status_code == 404
    assert api_b.put(f"fundraising_pages/{uuid_of(page_a)}", {"title": "x"}).status_code == 404
    assert api_b.get(f"fundraising_pages/{uuid_of(page_a)}/donations").status_code == 404
    assert (
        api_b.get(f"fundraising_pages/{uuid_of(page_a)}/donations/{uuid_of(gift_a)}").status_code
        == 404
    )
    assert embedded(api_b.get("donations")) == []
    assert embedded(api_b.get("donations", filter="created_date gt '2000-01-01'")) == []
    assert api_b.get(f"donations/{uuid_of(gift_a)}").status_code == 404
    assert api_b.get(f"people/{person_a}/donations").status_code == 404
    assert api_b.get(f"people/{person_a}/donations/{uuid_of(gift_a)}").status_code == 404
    # B's own page, given to by A's person (and a gift of A's person on no page at all):
    page_b = _page(api_b, title="B's fund")
    row_b = ActionPage.objects.get(pk=pk_of("fundraising_page", page_b))
    alma_on_b = gift_record(person=person_in_a, amount=Decimal(9), processor="offline", page=row_b)
    gift_record(person=person_in_a, amount=Decimal(4), processor="actblue", order_number="Z1")
    path_b = f"fundraising_pages/{uuid_of(page_b)}/donations"
    assert embedded(api_b.get(path_b)) == [] and api_b.get(path_b).json()["total_records"] == 0
    assert api_b.get(f"{path_b}/{ids.encode('donation', alma_on_b.gift.pk)}").status_code == 404
    assert embedded(api_b.get("donations")) == []
    assert api_b.post(path_b, _gift(person_a)).status_code == 404
    bert = api_b.post(path_b, _gift(ids.encode("person", person_in_b.pk)))
    assert bert.status_code == 201
    assert [uuid_of(d) for d in embedded(api_b.get("donations"))] == [uuid_of(bert.json())]
    # leader_a sees Alma's gifts on A's page and on no page, not the one on B's page.
    alma = embedded(api_a.get(f"people/{person_a}/donations"))
    assert len(alma) == 2 and uuid_of(gift_a) in [uuid_of(d) for d in alma]
    unplaced = next(d for d in alma if uuid_of(d) != uuid_of(gift_a))
    assert "actblue:Z1" in unplaced["identifiers"]
    assert "osdi:fundraising_page" not in unplaced["_links"]
    assert unplaced["_links"]["self"]["href"].endswith(f"/donations/{uuid_of(unplaced)}")
    # staff see all four.
    assert ApiClient(admin_user).get("donations").json()["total_records"] == 4


def test_partner_tokens_are_refused(admin_user, person_in_a):
    campaign = make_campaign(admin_user)
    partner = partner_client(admin_user)
    person_a = ids.encode("person", person_in_a.pk)
    campaign_path = f"fundraising_pages/{ids.encode('fundraising_page', campaign.pk)}"
    for path in ("fundraising_pages", "donations", f"people/{person_a}/donations",
                 f"{campaign_path}/donations"):  # fmt: skip
        assert partner.get(path).status_code == 403, path
    refused = partner.post(
        f"fundraising_pages/{ids.encode('fundraising_page', campaign.pk)}/donations",
        _gift(person_a),
    )
    assert refused.status_code == 403 and not Gift.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_parsons_fundraising_unchanged(live_server, monkeypatch, admin_user):
    an = parsons(live_server, monkeypatch, admin_user)
    made = an.create_fundraising_page({"title": "My Free Fundraiser", "origin_system": "X"})
    page_id = an_id(made)
    assert made["total_amount"] == "0.00"
    an.update_fundraising_page(page_id, {"title": "My Fundraiser"})
    assert an.get_fundraising_page(page_id)["title"] == "My Fundraiser"
    assert [an_id(row) for row in an.get_fundraising_pages()] == [page_id]
    person_id = an_id(an.upsert_person(email_address="gi@example.org", given_name="Gi"))
    with pytest.raises(HTTPError) as refused:  # create_donation sends query parameters
        an.create_donation(page_id, _gift(person_id))
    assert "Code: 400" in str(refused.value)
    ApiClient(admin_user).post(f"fundraising_pages/{page_id}/donations", _gift(person_id))
    assert an.get_fundraising_page_donations(page_id).num_rows == 1
    assert an.get_person_donations(person_id).num_rows == 1
    donations = an.get_donations()
    assert donations.num_rows == 1
    assert an.get_donation(an_id(donations[0]))["amount"] == "3.00"
