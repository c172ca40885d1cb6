"""The admin screens for ladders and the engagement score: criteria and weights are checked
where they are typed, nothing is saved on an error, and a change is recomputed by the worker."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

import pytest
from django.test import Client
from django.utils import timezone

from ladder.activity.catalogue import ActivityType as T
from ladder.activity.models import PersonStats
from ladder.activity.rollups import rollups_update
from ladder.activity.services import activity_record
from ladder.core.models import Role
from ladder.core.testing import make_user
from ladder.ladders.models import EngagementConfig, Ladder, RungPlacement
from ladder.ladders.scoring import engagement_config

pytestmark = pytest.mark.django_db

SIGNED = {"version": 1, "match": {"kind": "activity", "types": ["web_signup"]}}


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(make_user("root", Role.ADMIN))
    return client


def ladder_form(criteria: object, steps: Sequence[object] = ()) -> dict[str, str]:
    return {
        "name": "Volunteer", "slug": "volunteer", "description": "", "position": "0",
        "step_down_after_days": "", "is_active": "on",
        "rungs-TOTAL_FORMS": "1", "rungs-INITIAL_FORMS": "0",
        "rungs-MIN_NUM_FORMS": "0", "rungs-MAX_NUM_FORMS": "1000",
        "rungs-0-position": "1", "rungs-0-name": "Signed up", "rungs-0-responsibilities": "",
        "rungs-0-criteria": json.dumps(criteria), "rungs-0-next_steps": json.dumps(list(steps)),
    }  # fmt: skip


def test_bad_criteria_are_refused_next_to_the_field(admin_client):
    wrong = {"version": 1, "match": {"kind": "tags", "match": "any", "tags": []}}
    page = admin_client.post("/admin/ladders/ladder/add/", ladder_form(wrong))
    assert page.status_code == 200
    assert "Not a valid definition — match.tags: must not be empty" in page.content.decode()
    assert not Ladder.objects.exists()
    steps = [{"text": "Call them", "channel": "carrier pigeon"}]
    page = admin_client.post("/admin/ladders/ladder/add/", ladder_form(SIGNED, steps))
    assert "Step 1: the channel is one of events, calls" in page.content.decode()
    steps = [{"text": "Invite them", "public": "Come along", "url": "javascript:alert(1)"}]
    page = admin_client.post("/admin/ladders/ladder/add/", ladder_form(SIGNED, steps))
    assert "Step 1: the url is a path or an http(s) address." in page.content.decode()
    assert not Ladder.objects.exists()


def test_a_saved_ladder_is_placed_by_the_worker(
    admin_client, person_in_a, django_capture_on_commit_callbacks
):
    activity_record(person=person_in_a, type=T.WEB_SIGNUP, occurred_at=timezone.now())
    while rollups_update(now=timezone.now() + dt.timedelta(minutes=1)):
        pass
    with django_capture_on_commit_callbacks(execute=True):
        page = admin_client.post("/admin/ladders/ladder/add/", ladder_form(SIGNED), follow=True)
    assert "recomputing scores and placements" in page.content.decode()
    placed = RungPlacement.objects.get(person=person_in_a)
    assert placed.rung.name == "Signed up"


def test_engagement_weights_are_checked_then_recomputed(
    admin_client, person_in_a, django_capture_on_commit_callbacks
):
    activity_record(person=person_in_a, type=T.WEB_SIGNUP, occurred_at=timezone.now())
    while rollups_update(now=timezone.now() + dt.timedelta(minutes=1)):
        pass
    config = engagement_config()
    url = f"/admin/ladders/engagementconfig/{config.pk}/change/"
    bad = admin_client.post(url, {"half_life_days": "90", "weights": '{"wat": 1}'})
    assert "wat: no such activity type." in bad.content.decode()
    short = admin_client.post(url, {"half_life_days": "3", "weights": "{}"})
    assert "Between 14 and 3650 days." in short.content.decode()
    assert EngagementConfig.objects.get().half_life_days == 90
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, {"half_life_days": "30", "weights": '{"web_signup": 50}'})
    assert EngagementConfig.objects.get().half_life_days == 30
    stats = PersonStats.objects.get(person=person_in_a)
    assert stats.engagement_score == 50  # a signup just now, worth 50 under the new weights
