"""The ladder screens and the profile's ladder panel: content, scoping, bad input."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ladder.activity.catalogue import ActivityType as T
from ladder.activity.rollups import rollups_update
from ladder.activity.services import activity_record
from ladder.core.models import Role
from ladder.core.testing import make_user
from ladder.ladders.models import Ladder, Rung, RungMove, RungPlacement
from ladder.ladders.placement import ladders_update
from ladder.ladders.selectors import ladder_report
from ladder.people.models import Address, Person

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)
LATER = NOW + dt.timedelta(minutes=1)


def settled() -> dt.datetime:
    """A moment by which every activity written so far has settled for the rollups (their
    settling window is measured from when rows are written, not from NOW)."""
    return timezone.now() + dt.timedelta(minutes=1)


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def fold() -> None:
    while rollups_update(now=settled()):
        pass
    while ladders_update(now=LATER):
        pass


@pytest.fixture
def ladder(db) -> Ladder:
    ladder = Ladder.objects.create(name="Volunteer", slug="volunteer")
    signup = {"kind": "activity", "types": [T.WEB_SIGNUP, T.PETITION_SIGNATURE]}
    Rung.objects.create(
        ladder=ladder, position=1, name="Signed up",
        criteria={"version": 1, "match": signup},
        next_steps=[
            {"text": "Invite them to an event in {city}", "channel": "events"},
            {"text": "Call to welcome them", "channel": "calls"},
        ],
    )  # fmt: skip
    Rung.objects.create(
        ladder=ladder, position=2, name="Attended",
        criteria={"version": 1, "match": {"kind": "stat", "field": "events_attended",
                                          "op": "gte", "value": 1}},
        responsibilities="Comes to events.",
    )  # fmt: skip
    return ladder


@pytest.fixture
def placed(ladder, person_in_a, person_in_b) -> dict[str, Person]:
    for p in (person_in_a, person_in_b):
        activity_record(person=p, type=T.WEB_SIGNUP, occurred_at=NOW - dt.timedelta(days=3))
    activity_record(person=person_in_b, type=T.ATTENDANCE, occurred_at=NOW - dt.timedelta(days=2))
    fold()
    return {"a": person_in_a, "b": person_in_b}


def counts(html: str) -> dict[str, int]:
    """Funnel rows: rung id -> people."""
    rows = re.findall(r'data-rung="(\d+)">.*?class="n rung-count">([\d,]+)<', html, re.S)
    return {rid: int(n.replace(",", "")) for rid, n in rows}


def test_staff_see_the_list_the_funnel_and_the_people(staff_user, ladder, placed):
    client = client_for(staff_user)
    page = client.get("/ladders/").content.decode()
    assert 'href="/ladders/"' in page  # the nav link
    assert "Volunteer" in page and '<span class="people-count">2</span>' in page
    detail = client.get(reverse("ladders:detail", args=[ladder.pk])).content.decode()
    bottom, top = ladder.rungs.order_by("position")
    assert counts(detail) == {str(bottom.pk): 1, str(top.pk): 1}
    assert "Comes to events." in detail and 'id="conversion"' in detail
    people = client.get(reverse("ladders:rung_people", args=[ladder.pk, top.pk])).content.decode()
    assert placed["b"].display_name in people and placed["a"].display_name not in people


def test_a_leader_sees_only_their_own_people(leader_a, ladder, placed):
    client = client_for(leader_a)
    page = client.get("/ladders/").content.decode()
    assert '<span class="people-count">1</span>' in page
    detail = client.get(reverse("ladders:detail", args=[ladder.pk])).content.decode()
    bottom, top = ladder.rungs.order_by("position")
    # Bert (group B) is on the top rung; leader A does not count him.
    assert counts(detail) == {str(bottom.pk): 1, str(top.pk): 0}
    people = client.get(reverse("ladders:rung_people", args=[ladder.pk, top.pk])).content.decode()
    assert placed["b"].display_name not in people and "Nobody you can see" in people


def test_a_leader_of_another_group_sees_nothing_of_ours(leader_b, ladder, person_in_a):
    activity_record(person=person_in_a, type=T.WEB_SIGNUP, occurred_at=NOW)
    fold()
    client = client_for(leader_b)
    assert '<span class="people-count">0</span>' in client.get("/ladders/").content.decode()
    bottom = ladder.rungs.get(position=1)
    people = client.get(reverse("ladders:rung_people", args=[ladder.pk, bottom.pk]))
    assert person_in_a.display_name not in people.content.decode()
    report = ladder_report(leader_b, ladder)
    assert report.total == 0


def test_volunteers_get_no_ladder_screens(ladder):
    client = client_for(make_user("vic", Role.VOLUNTEER))
    assert client.get("/ladders/").status_code == 403
    assert client.get(reverse("ladders:detail", args=[ladder.pk])).status_code == 403


def test_logged_out_people_are_sent_to_log_in(ladder):
    response = Client().get("/ladders/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_bad_input_gets_a_clear_answer(staff_user, ladder):
    client = client_for(staff_user)
    other = Ladder.objects.create(name="Donor", slug="donor")
    stranger = Rung.objects.create(ladder=other, position=1, name="Gift", criteria={})
    rung = ladder.rungs.get(position=1)
    assert client.get("/ladders/99999/").status_code == 404
    assert client.get(reverse("ladders:rung_people", args=[ladder.pk, 99999])).status_code == 404
    # A rung of another ladder under this ladder's address: not found either.
    url = reverse("ladders:rung_people", args=[ladder.pk, stranger.pk])
    assert client.get(url).status_code == 404
    bad = client.get(reverse("ladders:rung_people", args=[ladder.pk, rung.pk]) + "?after=x")
    assert bad.status_code == 400 and "not valid" in bad.content.decode()


def test_rung_people_pages_by_keyset(staff_user, ladder, two_groups, monkeypatch):
    from ladder.ladders import selectors
    from ladder.people.services import person_create

    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    people = [person_create(actor=None, first_name=f"P{i}") for i in range(5)]
    for p in people:
        activity_record(person=p, type=T.WEB_SIGNUP, occurred_at=NOW)
    fold()
    client = client_for(staff_user)
    url = reverse("ladders:rung_people", args=[ladder.pk, ladder.rungs.get(position=1).pk])
    seen: list[str] = []
    after = ""
    for _ in range(4):
        html = client.get(url + (f"?after={after}" if after else "")).content.decode()
        seen += re.findall(r">(P\d)</a>", html)
        found = re.search(r'\?after=(\d+)"', html)
        if not found:
            break
        after = found.group(1)
    assert seen == [f"P{i}" for i in range(5)]


def test_conversion_and_median_stay(staff_user, ladder, person_in_a):
    bottom, top = ladder.rungs.order_by("position")
    joined = NOW - dt.timedelta(days=12)
    moved = NOW - dt.timedelta(days=2)
    RungMove.objects.create(
        person=person_in_a, ladder=ladder, from_rung=None, to_rung=bottom, moved_at=joined
    )
    RungMove.objects.create(
        person=person_in_a, ladder=ladder, from_rung=bottom, to_rung=top, moved_at=moved
    )
    RungPlacement.objects.create(person=person_in_a, ladder=ladder, rung=top, since=moved)
    report = ladder_report(staff_user, ladder, now=NOW)
    low = report.rungs[0]
    assert low.median_days == 10.0 and low.stays == 1
    month = timezone.localtime(moved).date().replace(day=1)
    assert report.months[-1] == timezone.localtime(NOW).date().replace(day=1)
    rate = low.conversion[report.months.index(month)]
    assert rate == 100.0  # the one person on it that month moved up
    assert report.rungs[1].people == 1 and low.people == 0


def test_profile_shows_rung_score_explanation_and_next_step(staff_user, ladder, person_in_a):
    Address.objects.create(person=person_in_a, locality="Ames", region="IA", is_primary=True)
    activity_record(person=person_in_a, type=T.WEB_SIGNUP, occurred_at=NOW - dt.timedelta(days=3))
    activity_record(person=person_in_a, type=T.RSVP, occurred_at=NOW - dt.timedelta(days=3))
    fold()
    html = client_for(staff_user).get(reverse("web:profile", args=[person_in_a.pk])).content
    page = html.decode()
    panel = page[page.index('id="ladders"') :]
    panel = panel[: panel.index("</section>")]
    assert "Volunteer:" in panel and "Signed up" in panel and "since" in panel
    assert re.search(r'class="engagement-score">5<', panel)  # signup 2 + RSVP 3, 3 days old
    assert "5: 1 RSVP this quarter, 1 signup this quarter" in panel
    # An RSVP without attendance: events fit better than calls they never had.
    assert "Next step:</strong> Invite them to an event in Ames" in panel
    assert "lives in Ames" in panel


def test_profile_of_someone_on_no_ladder(staff_user, ladder, person_in_a):
    page = client_for(staff_user).get(reverse("web:profile", args=[person_in_a.pk]))
    assert "Not on any ladder yet." in page.content.decode()
    assert "0: no scored activity yet" in page.content.decode()


def test_a_move_reads_as_ladder_and_rungs_on_the_timeline(staff_user, ladder, person_in_a):
    activity_record(person=person_in_a, type=T.WEB_SIGNUP, occurred_at=NOW - dt.timedelta(days=3))
    fold()
    activity_record(person=person_in_a, type=T.ATTENDANCE, occurred_at=NOW - dt.timedelta(days=1))
    fold()
    page = client_for(staff_user).get(reverse("web:profile", args=[person_in_a.pk])).content
    timeline = page.decode().split('id="timeline-items"')[1]
    moves = timeline.split('data-type="level_change"')[1:]
    assert len(moves) == 2
    latest = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", moves[0].split("</li>")[0]))
    assert "Ladder: Volunteer" in latest
    assert "From: Signed up" in latest and "To: Attended" in latest and "Move: up" in latest
    assert "rung id" not in latest.lower() and "ladder id" not in latest.lower()
