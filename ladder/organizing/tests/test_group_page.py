"""The group page its leaders run, handing part of it to a team, the suggestions a rung makes —
and a sub-team leader who sees only the sub-team everywhere: the group page, the people list,
its count, search, the CSV export, segment counts and the API."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.utils import timezone

from ladder.actions.models import PersonalGoal
from ladder.api.tokens import token_create
from ladder.core.models import Role
from ladder.core.testing import make_user
from ladder.ladders.models import Ask, Responsibility, ResponsibilityKind
from ladder.organizing.models import ContactList
from ladder.organizing.teams import team_create
from ladder.organizing.tests.test_call_lists import caller, universe
from ladder.people.models import Group
from ladder.segments.selectors import segment_count
from ladder.web.tests.conftest import logged_in
from ladder.web.tests.test_people import names

pytestmark = pytest.mark.django_db


@pytest.fixture
def chapter(two_groups, leader_a):  # type: ignore[no-untyped-def]
    """Group A with three people, one recruited by another, a list, an ask and a goal."""
    group_a = two_groups[0]
    ana, ben, cy = (caller(n, group=group_a) for n in (1, 2, 3))
    cy.recruited_by = ana
    cy.save(update_fields=["recruited_by"])
    ContactList.objects.create(name="Tuesday calls", kind=ContactList.Kind.CALL, group=group_a)
    Ask.objects.create(title="Ten phone captains", needed=10, status="open", group=group_a)
    now = timezone.now()
    PersonalGoal.objects.create(
        person=ana, metric="doors", target=50, starts_at=now - dt.timedelta(days=1),
        ends_at=now + dt.timedelta(days=6),
    )  # fmt: skip
    return group_a, (ana, ben, cy)


def test_a_leader_runs_their_group_from_its_page(chapter, leader_a, leader_b):
    group_a, (_ana, _ben, _cy) = chapter
    page = logged_in(leader_a).get(f"/organize/groups/{group_a.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="people-count">3<' in html
    for shown in ("Tuesday calls", "Ten phone captains", "0 of 50 doors knocked", "P1 Caller"):
        assert shown in html
    recruits = html.split('id="group-recruits"')[1].split("</section>")[0]
    assert "P3 Caller" in recruits and "P2 Caller" not in recruits
    # A leader of another group, and a volunteer, get nothing of it.
    assert logged_in(leader_b).get(f"/organize/groups/{group_a.pk}/").status_code == 404
    volunteer = make_user("vic", Role.VOLUNTEER)
    assert logged_in(volunteer).get(f"/organize/groups/{group_a.pk}/").status_code == 404
    # One group: the index goes straight to it.
    index = logged_in(leader_a).get("/organize/groups/")
    assert index.status_code == 302 and index["Location"] == f"/organize/groups/{group_a.pk}/"


def test_a_leader_hands_part_of_the_group_to_a_new_team(chapter, leader_a):
    group_a, (ana, ben, _cy) = chapter
    tess = make_user("tess", Role.VOLUNTEER)
    ben.user = tess
    ben.save(update_fields=["user"])
    picked = universe(leader_a, [ana, ben], group=group_a)
    client = logged_in(leader_a)
    # Bad input: no name, and a login that is not one of the group's people.
    outsider = make_user("olga", Role.VOLUNTEER)
    bad = client.post(f"/organize/groups/{group_a.pk}/teams/",
                      {"name": "", "leader": outsider.pk, "static_list": picked.pk})  # fmt: skip
    assert bad.status_code == 400
    form = bad.content.decode().split('id="team-form"')[1]
    assert "This field is required" in form and "Select a valid choice" in form
    assert not Group.objects.filter(kind=Group.Kind.TEAM).exists()
    good = {"name": "East side", "leader": tess.pk, "static_list": picked.pk}
    made = client.post(f"/organize/groups/{group_a.pk}/teams/", good)
    team = Group.objects.get(kind=Group.Kind.TEAM)
    assert made.status_code == 302 and made["Location"] == f"/organize/groups/{team.pk}/"
    assert set(team.people.all()) == {ana, ben}
    tess.refresh_from_db()
    assert tess.role == Role.LEADER
    theirs = logged_in(tess)
    assert theirs.get(f"/organize/groups/{team.pk}/").status_code == 200
    assert theirs.get(f"/organize/groups/{group_a.pk}/").status_code == 404
    parent_page = client.get(f"/organize/groups/{group_a.pk}/").content.decode()
    assert "East side" in parent_page.split('id="group-teams"')[1]


def test_a_leader_grants_what_a_rung_suggested_from_the_group_page(chapter, leader_a, leader_b):
    group_a, (ana, _ben, _cy) = chapter
    suggestion = Responsibility.objects.create(
        person=ana, kind=ResponsibilityKind.HOST, suggested_at=timezone.now()
    )
    url = f"/organize/groups/{group_a.pk}/responsibilities/{suggestion.pk}/"
    assert (
        "Ready for more"
        in logged_in(leader_a).get(f"/organize/groups/{group_a.pk}/").content.decode()
    )
    assert logged_in(leader_b).post(url, {"decision": "grant"}).status_code == 404
    client = logged_in(leader_a)
    client.post(url, {"decision": "maybe"})  # not a decision: nothing changes
    suggestion.refresh_from_db()
    assert suggestion.status == Responsibility.Status.SUGGESTED
    assert client.post(url, {"decision": "grant"}).status_code == 302
    suggestion.refresh_from_db()
    assert suggestion.status == Responsibility.Status.GRANTED
    assert ana.taggings.filter(tag__name="trusted host").exists()
    # Decided: it no longer waits, and a second post finds nothing.
    assert client.post(url, {"decision": "decline"}).status_code == 404


def _export_names(client: Client) -> set[str]:
    body = b"".join(client.get("/export/people.csv", {"columns": "first_name"}).streaming_content)  # type: ignore[attr-defined]
    return {row["first_name"] for row in csv.DictReader(io.StringIO(body.decode("utf-8-sig")))}


def test_a_sub_team_leader_sees_only_the_sub_team_everywhere(chapter, leader_a, person_in_b):
    group_a, (ana, ben, _cy) = chapter
    tess = make_user("tess", Role.VOLUNTEER)
    team = team_create(actor=leader_a, parent=group_a, name="East", leader=tess, members=[ana])
    uma = make_user("uma", Role.VOLUNTEER)
    sub = team_create(actor=tess, parent=team, name="East, north", leader=uma, members=[ana])
    everyone = {"version": 1, "match": {"kind": "all", "of": []}}
    expected = {"uma": {"P1 Caller", "uma"}, "tess": {"P1 Caller", "tess", "uma"}}
    for user in (uma, tess):
        user.refresh_from_db()
        client = logged_in(user)
        seen = set(names(client.get("/people/")))
        assert seen == expected[user.username], user.username
        assert names(client.get("/people/", {"q": "P2"})) == []  # search
        assert names(client.get("/people/", {"q": "bert@example.org"})) == []
        assert f">{len(seen)} people" in client.get("/people/").content.decode().replace(
            "\n", ""
        ).replace("  ", "")
        assert _export_names(client) == {n.split(" ")[0] for n in seen}
        assert segment_count(user, everyone) == len(seen)
        assert client.get(f"/people/{ben.pk}/").status_code == 404
        assert client.get(f"/organize/groups/{group_a.pk}/").status_code == 404
    assert logged_in(uma).get(f"/organize/groups/{team.pk}/").status_code == 404
    assert logged_in(uma).get(f"/organize/groups/{sub.pk}/").status_code == 200
    # The API, with the sub-team leader's own token.
    _, raw = token_create(actor=None, user=uma, name="uma's sync")
    api = Client().get("/api/v2/people", headers={"OSDI-API-Token": raw})
    assert api.status_code == 200
    people = api.json()["_embedded"]["osdi:people"]
    assert {p["given_name"] for p in people} == {"P1", "uma"}
    assert api.json()["total_records"] == 2
