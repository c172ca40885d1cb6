"""The staff side of action pages: writing, publishing and closing a page, its results and
export — scoped: a leader sees their group's pages and people only."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from ladder.actions.models import ActionPage
from ladder.actions.services import action_take
from ladder.actions.tests.testing import make_page
from ladder.core.models import Role
from ladder.core.testing import make_user

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def form(**fields: str) -> dict[str, str]:
    data = {"kind": "petition", "title": "Save the Des Moines bus routes", "target": "DART board",
            "body": "<p>Buses <strong>matter</strong>.</p><script>alert(1)</script>",
            "goal": "500", "ask_postal_code": "on", "consent_wording": "Email me updates.",
            "thanks_text": "", "autoresponse_subject": "", "autoresponse_body": "",
            "allowed_origins": "", "group": ""}  # fmt: skip
    data.update(fields)
    return data


def test_staff_write_publish_and_close_a_page(staff_user):
    client = client_for(staff_user)
    assert "New page" in client.get("/actions/").content.decode()
    response = client.post("/actions/new/", form())
    page = ActionPage.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/actions/{page.pk}/"
    assert page.status == "draft" and page.slug == "save-the-des-moines-bus-routes"
    assert page.body == "<p>Buses <strong>matter</strong>.</p>"  # the script is gone
    assert Client().get(f"/act/{page.slug}/").status_code == 404  # a draft is not public
    client.post(f"/actions/{page.pk}/publish/")
    assert Client().get(f"/act/{page.slug}/").status_code == 200
    client.post(f"/actions/{page.pk}/close/")
    page.refresh_from_db()
    assert page.status == "closed" and page.closed_at is not None


def test_bad_input_is_shown_next_to_the_field(staff_user):
    client = client_for(staff_user)
    response = client.post("/actions/new/", form(title=" ", allowed_origins="not a site"))
    html = response.content.decode()
    assert response.status_code == 200 and "This field is required." in html
    response = client.post("/actions/new/", form(allowed_origins="javascript:alert(1)"))
    assert "Not an origin: javascript:alert(1)" in response.content.decode()
    assert not ActionPage.objects.exists()


def test_results_and_export_are_scoped_to_the_leaders_people(
    staff_user, leader_a, leader_b, two_groups, person_in_a, person_in_b
):
    page = make_page(staff_user, group=two_groups[0])
    for n, person in enumerate((person_in_a, person_in_b)):
        action_take(page=page, token=f"t{n}", email=person.emails.get().address,
                    first_name=person.first_name)  # fmt: skip
    # The leader of group A sees the page and, of the two signers, only their own.
    lena = client_for(leader_a)
    detail = lena.get(f"/actions/{page.pk}/").content.decode()
    assert "Alma Avery" in detail and "Bert Bishop" not in detail
    assert "1 of them are people you can see" in detail
    rows = list(csv.DictReader(io.StringIO(lena.get(f"/actions/{page.pk}/export.csv")
                                           .getvalue().decode("utf-8-sig"))))  # fmt: skip
    assert [r["first_name"] for r in rows] == ["Alma"]
    # Staff see both; the leader of group B does not see the page at all.
    rows = list(csv.DictReader(io.StringIO(client_for(staff_user).get(
        f"/actions/{page.pk}/export.csv").getvalue().decode("utf-8-sig"))))  # fmt: skip
    assert sorted(r["first_name"] for r in rows) == ["Alma", "Bert"]
    bo = client_for(leader_b)
    assert bo.get(f"/actions/{page.pk}/").status_code == 404
    assert bo.get(f"/actions/{page.pk}/export.csv").status_code == 404
    assert page.title not in bo.get("/actions/").content.decode()


def test_leaders_write_pages_for_their_own_groups_only(leader_a, two_groups):
    client = client_for(leader_a)
    mine = client.post("/actions/new/", form(group=str(two_groups[0].pk)))
    assert mine.status_code == 302
    theirs = client.post("/actions/new/", form(title="Other", group=str(two_groups[1].pk)))
    assert "Select a valid choice" in theirs.content.decode()
    nobody = client.post("/actions/new/", form(title="Org-wide"))
    assert "Choose which of your groups" in nobody.content.decode()
    assert ActionPage.objects.count() == 1


def test_volunteers_get_no_staff_screens(db):
    client = client_for(make_user("vic", Role.VOLUNTEER))
    assert client.get("/actions/").status_code == 403


def test_the_recent_panel_refreshes_itself(staff_user, person_in_a):
    page = make_page(staff_user)
    client = client_for(staff_user)
    first = client.get(f"/actions/{page.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert first.startswith('<div id="recent"') and "Nobody yet" in first
    action_take(page=page, token="t", email="alma@example.org", first_name="Alma")
    again = client.get(f"/actions/{page.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert "Alma Avery" in again
