"""API tokens: made once and stored hashed, used in the OSDI-API-Token header, listed and revoked
on the API page, made with `ladder token create USERNAME`, limited per minute; and a partner
share made on the page reads only its list's people and fields, with each read logged."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from ladder.api import ids
from ladder.api.models import ApiRead, ApiToken
from ladder.api.tests.testing import ApiClient, embedded
from ladder.api.tokens import digest, token_create, token_revoke
from ladder.core.models import Role
from ladder.core.testing import make_user
from ladder.people.services import person_create
from ladder.segments.models import ListMember, StaticList

pytestmark = pytest.mark.django_db


def test_a_token_is_stored_only_as_its_digest(staff_user):
    token, raw = token_create(actor=None, user=staff_user, name="sync")
    stored = ApiToken.objects.get(pk=token.pk)
    assert raw.startswith("ldr_") and len(raw) > 40
    assert stored.digest == digest(raw) and raw not in (stored.digest, stored.prefix)
    assert raw.startswith(stored.prefix) and len(stored.prefix) == 10


def test_the_command_prints_a_working_token_once(staff_user):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "token", "create", staff_user.username, "--name", "parsons", stdout=out, stderr=err
    )
    raw = out.getvalue().strip()
    assert "shown only this once" in err.getvalue()
    api = ApiClient(staff_user, raw=raw)
    assert api.get("people").status_code == 200
    assert ApiToken.objects.get(digest=digest(raw)).name == "parsons"


def test_the_command_refuses_an_unknown_user(db):
    with pytest.raises(Exception, match="No user called 'ghost'"):
        call_command("token", "create", "ghost", stdout=io.StringIO())


def test_a_revoked_or_unknown_token_gets_401(staff_user):
    api = ApiClient(staff_user)
    assert api.get("people").status_code == 200
    token_revoke(actor=staff_user, token=api.token)
    response = api.get("people")
    assert response.status_code == 401 and "OSDI-API-Token" in response.json()["error"]
    assert ApiClient(staff_user, raw="ldr_not-a-token").get("people").status_code == 401


def test_over_the_rate_limit_answers_429_with_retry_after(staff_user, monkeypatch):
    # The window is the clock's minute: hold the clock 20 s into one, so all four count in it.
    monkeypatch.setattr("ladder.api.ratelimit.clock", lambda: 1_800_000_020.0)
    api = ApiClient(staff_user, rate_per_minute=3)
    assert [api.get("tags").status_code for _ in range(3)] == [200, 200, 200]
    refused = api.get("tags")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "40"
    assert "try again" in refused.json()["error"]


def test_the_api_page_makes_a_token_shows_it_once_and_revokes_it(client, leader_a):
    client.force_login(leader_a)
    page = client.post(reverse("apitokens:new"), {"name": "Chapter sheet"})
    html = page.content.decode()
    token = ApiToken.objects.get(user=leader_a)
    raw = html.split('id="new-token">', 1)[1].split("<", 1)[0]
    assert digest(raw) == token.digest
    again = client.get(reverse("apitokens:list")).content.decode()
    assert "Chapter sheet" in again and raw not in again
    client.post(reverse("apitokens:revoke", args=[token.pk]))
    assert ApiClient(leader_a, raw=raw).get("people").status_code == 401


def test_a_nameless_token_is_refused_next_to_the_field(client, leader_a):
    client.force_login(leader_a)
    page = client.post(reverse("apitokens:new"), {"name": "  "})
    assert page.status_code == 400 and "This field is required" in page.content.decode()
    assert not ApiToken.objects.exists()


def test_a_leader_sees_and_revokes_only_their_own_tokens(client, leader_a, leader_b):
    theirs, _ = token_create(actor=None, user=leader_b, name="Bo's sync")
    client.force_login(leader_a)
    assert "Bo's sync" not in client.get(reverse("apitokens:list")).content.decode()
    assert client.post(reverse("apitokens:revoke", args=[theirs.pk])).status_code == 404
    assert ApiToken.objects.get(pk=theirs.pk).revoked_at is None


@pytest.fixture
def shared(staff_user) -> dict[str, Any]:
    inside = person_create(actor=None, first_name="Ines", last_name="Ide", email="ines@example.org")
    outside = person_create(
        actor=None, first_name="Otto", last_name="Out", email="otto@example.org"
    )
    coalition = StaticList.objects.create(name="Coalition", owner=staff_user)
    ListMember.objects.create(static_list=coalition, person=inside)
    return {"inside": inside, "outside": outside, "list": coalition}


def test_a_partner_share_made_on_the_page_reads_only_its_list_and_fields(
    client, staff_user, shared
):
    client.force_login(staff_user)
    page = client.post(
        reverse("apitokens:partner"),
        {"partner": "Iowa Renters", "name": "Coalition share", "static_list": shared["list"].pk,
         "shared_fields": ["given_name", "email_addresses"]},
    )  # fmt: skip
    raw = page.content.decode().split('id="new-token">', 1)[1].split("<", 1)[0]
    partner = ApiClient(staff_user, raw=raw)
    people = embedded(partner.get("people"))
    assert [p["given_name"] for p in people] == ["Ines"]
    assert set(people[0]) == {
        "identifiers", "created_date", "modified_date", "_links", "given_name", "email_addresses"
    }  # fmt: skip
    outsider = f"people/{ids.encode('person', shared['outside'].pk)}"
    assert partner.get(outsider).status_code == 404
    assert partner.get("tags").status_code == 403
    signup = {"person": {"email_addresses": [{"address": "new@example.org"}]}}
    assert partner.post("people", signup).status_code == 403
    reads = list(ApiRead.objects.order_by("id"))
    assert [r.status for r in reads] == [200, 404, 403, 403]
    assert reads[0].person_ids == [shared["inside"].pk]
    log = client.get(reverse("apitokens:reads", args=[reads[0].token_id])).content.decode()
    assert "GET /api/v2/people" in log and "Iowa Renters" in log


def test_a_partner_share_needs_a_list_or_a_segment(client, staff_user, shared):
    client.force_login(staff_user)
    page = client.post(reverse("apitokens:partner"), {"partner": "X", "name": "share"})
    assert page.status_code == 400
    assert "Choose the list or segment" in page.content.decode()
    assert not ApiToken.objects.exists()


def test_only_staff_make_partner_shares(client, leader_a, shared):
    client.force_login(leader_a)
    page = client.post(
        reverse("apitokens:partner"),
        {"partner": "X", "name": "s", "static_list": shared["list"].pk, "shared_fields": []},
    )
    assert page.status_code == 403 and not ApiToken.objects.exists()


def test_a_volunteer_token_reads_but_never_writes(db):
    volunteer = make_user("val", Role.VOLUNTEER)
    api = ApiClient(volunteer)
    assert api.get("people").status_code == 200
    signup = {"person": {"email_addresses": [{"address": "v@example.org"}]}}
    assert api.post("people", signup).status_code == 403


def test_the_demo_prints_a_fresh_admin_token_and_revokes_the_last(db):
    from ladder.core.management.commands.demo import ADMIN, Command

    admin = make_user(ADMIN, Role.ADMIN)
    first = Command()._api_token()
    second = Command()._api_token()
    assert ApiClient(admin, raw=second).get("people").status_code == 200
    assert ApiClient(admin, raw=first).get("people").status_code == 401
