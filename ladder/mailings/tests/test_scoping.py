"""Scoping of the mailing screens (DESIGN.md §4.1): a leader of group B sees nothing of group A's
mailings — not in the list, not as a report or an edit page (404), not in counts, not on a
profile — and never reaches group A's people through a preview or a live count. The outbox
holds everyone's mail: staff and admins only."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ladder.core.models import Role
from ladder.core.testing import make_user
from ladder.mailings.models import Delivery, Mailing
from ladder.mailings.selectors import deliveries_for_person, mailing_rows, mailings_visible
from ladder.mailings.services import mailing_create
from ladder.mailings.tests.testing import everyone_segment, sender, subscriber
from ladder.people.services import group_add_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(two_groups, leader_a, leader_b, staff_user) -> dict[str, Any]:
    group_a, group_b = two_groups
    alma = subscriber(1, first_name="Alma", group=group_a)
    bert = subscriber(2, first_name="Bert", group=group_b)
    both = subscriber(3, first_name="Cleo")
    group_add_person(actor=None, group=group_a, person=alma)
    group_add_person(actor=None, group=group_b, person=bert)
    for group in two_groups:
        group_add_person(actor=None, group=group, person=both)
    segment_a = everyone_segment(leader_a, group=group_a)
    segment_b = everyone_segment(leader_b, group=group_b)
    mailing_a = mailing_create(
        actor=leader_a, name="Des Moines news", subjects=["A news"], bodies=["Hello A"],
        senders=[sender()], include_segments=[segment_a], group=group_a,
    )  # fmt: skip
    mailing_b = mailing_create(
        actor=leader_b, name="Cedar Rapids news", subjects=["B news"], bodies=["Hello B"],
        senders=[sender()], include_segments=[segment_b], group=group_b,
    )  # fmt: skip
    for mailing in (mailing_a, mailing_b):
        Delivery.objects.create(
            mailing=mailing, person=both, email="p3@example.org", state=Delivery.State.SENT
        )
    return {
        "alma": alma, "bert": bert, "both": both, "segment_a": segment_a,
        "segment_b": segment_b, "a": mailing_a, "b": mailing_b,
    }  # fmt: skip


def test_leader_b_sees_no_mailing_of_group_a(client, world, leader_b):
    assert set(mailings_visible(leader_b)) == {world["b"]}
    assert [m.name for m in mailing_rows(leader_b)] == ["Cedar Rapids news"]
    client.force_login(leader_b)
    html = client.get(reverse("mailings:list")).content.decode()
    assert "Cedar Rapids news" in html and "Des Moines news" not in html
    a = world["a"].pk
    assert client.get(reverse("mailings:report", args=[a])).status_code == 404
    assert client.get(reverse("mailings:edit", args=[a])).status_code == 404
    assert client.post(reverse("mailings:status", args=[a, "cancel"])).status_code == 404
    world["a"].refresh_from_db()
    assert world["a"].status == Mailing.Status.DRAFT
    assert client.get(reverse("mailings:report", args=[world["b"].pk])).status_code == 200


def test_staff_see_every_mailing(world, staff_user):
    assert set(mailings_visible(staff_user)) == {world["a"], world["b"]}


def test_leader_b_cannot_target_group_a(client, world, leader_b):
    client.force_login(leader_b)
    html = client.get(reverse("mailings:new")).content.decode()
    assert f'name="include_segments" value="{world["segment_b"].pk}"' in html
    assert f'name="include_segments" value="{world["segment_a"].pk}"' not in html
    assert f'name="exclude_segments" value="{world["segment_a"].pk}"' not in html
    response = client.post(
        reverse("mailings:new"),
        {"name": "Sneaky", "topic": "news", "subject_1": "Hi", "body_1": "Hello",
         "include_segments": [world["segment_a"].pk], "test_share": "20", "metric": "clicks",
         "test_hours": "4", "confidence": "0.95", "action": "save"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Mailing.objects.filter(name="Sneaky").exists()


def test_live_count_counts_only_the_leaders_people(client, world, leader_a, leader_b, staff_user):
    url = reverse("mailings:compose_summary")
    post = {"name": "x", "topic": "news", "subject_1": "Hi", "body_1": "Hello",
            "test_share": "20", "metric": "clicks", "test_hours": "4",
            "confidence": "0.95"}  # fmt: skip
    client.force_login(leader_b)
    html = client.post(url, {**post, "include_segments": [world["segment_b"].pk]}).content.decode()
    assert 'data-count="2"' in html  # Bert and Cleo, not Alma
    html = client.post(url, {**post, "include_segments": [world["segment_a"].pk]}).content.decode()
    assert "Fix the audience fields" in html  # not a choice for leader B: no count leaks
    client.force_login(staff_user)
    staff_segment = everyone_segment(staff_user)
    html = client.post(url, {**post, "include_segments": [staff_segment.pk]}).content.decode()
    assert 'data-count="3"' in html


def test_preview_finds_only_visible_people(client, world, leader_b):
    client.force_login(leader_b)
    url = reverse("mailings:compose_preview")
    post = {"subject_1": "Hi", "body_1": "Hello {{ first_name | friend }}"}
    html = client.post(url, {**post, "preview_as": str(world["alma"].pk)}).content.decode()
    assert "Nobody you can see matches" in html and "Alma" not in html
    html = client.post(url, {**post, "preview_as": "Alma"}).content.decode()
    assert "Nobody you can see matches" in html and "Hello Alma" not in html
    html = client.post(url, {**post, "preview_as": str(world["bert"].pk)}).content.decode()
    assert "Hello Bert" in html
    html = client.post(url, {**post, "mailing": str(world["a"].pk)})
    assert html.status_code == 404


def test_profile_messages_card_shows_only_what_the_viewer_may_see(
    client, world, leader_b, staff_user
):
    cleo = world["both"]
    assert [d.mailing.name for d in deliveries_for_person(leader_b, cleo)] == ["Cedar Rapids news"]
    assert deliveries_for_person(leader_b, world["alma"]) == []
    client.force_login(leader_b)
    html = client.get(reverse("web:profile", args=[cleo.pk])).content.decode()
    card = html[html.index('id="messages"') :]
    assert "Cedar Rapids news" in card and "Des Moines news" not in card
    assert client.get(reverse("web:profile", args=[world["alma"].pk])).status_code == 404
    client.force_login(staff_user)
    html = client.get(reverse("web:profile", args=[cleo.pk])).content.decode()
    card = html[html.index('id="messages"') :]
    assert "Cedar Rapids news" in card and "Des Moines news" in card


def test_outbox_is_for_staff_only(client, leader_b, staff_user, admin_user):
    client.force_login(leader_b)
    assert client.get(reverse("mailings:outbox")).status_code == 403
    assert client.get(reverse("mailings:outbox_message", args=["1-000000"])).status_code == 403
    assert "Outbox" not in client.get(reverse("mailings:list")).content.decode()
    for user in (staff_user, admin_user):
        client.force_login(user)
        assert client.get(reverse("mailings:outbox")).status_code == 200


def test_volunteers_have_no_mailing_screens(client, db):
    volunteer = make_user("vic", Role.VOLUNTEER)
    client.force_login(volunteer)
    assert client.get(reverse("mailings:list")).status_code == 403
    assert client.get(reverse("mailings:new")).status_code == 403
    assert client.post(reverse("mailings:compose_summary"), {}).status_code == 403
    assert 'href="/mailings/"' not in client.get("/me/").content.decode()
    assert mailings_visible(volunteer).count() == 0


def test_anonymous_users_are_sent_to_log_in(client, db):
    response = client.get(reverse("mailings:list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
