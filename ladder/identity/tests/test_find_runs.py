"""Looking for duplicates from the review screen: the search runs in the worker, its progress
is polled, a second request while one waits joins it, and only staff may start one."""

from __future__ import annotations

import pytest
from django.utils import timezone

from ladder.identity.finding import find_run_progress, find_run_start
from ladder.identity.models import Candidate, FindRun
from ladder.people.services import person_create
from ladder.web.tests.conftest import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def twins(db):  # type: ignore[no-untyped-def]
    for n in range(30):
        person_create(actor=None, first_name=f"Filler{n}", last_name=f"Person{n % 7}",
                      email=f"filler{n}@ex.org", phone=f"319-555-{n:04d}")  # fmt: skip
    a = person_create(actor=None, first_name="Okonkwo", last_name="Adeyemi",
                      email="oadeyemi@ex.org", phone="515-555-0101")  # fmt: skip
    b = person_create(actor=None, first_name="Okonkwo", last_name="Adeyemi",
                      email="okonkwo.a@ex.net", phone="(515) 555-0101")  # fmt: skip
    return a, b


def test_a_search_started_from_the_screen_runs_and_reports(
    twins, staff_user, django_capture_on_commit_callbacks
):
    client = logged_in(staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/duplicates/find/").status_code == 302
    run = FindRun.objects.get()
    assert run.status == FindRun.Status.DONE and run.requested_by == staff_user
    assert run.people == 32 and run.new >= 1
    low, high = sorted(p.pk for p in twins)
    assert Candidate.objects.filter(low_id=low, high_id=high).exists()
    page = client.get("/duplicates/").content.decode()
    assert "Last search" in page and "32 people" in page and "1 pair waiting" in page
    fragment = client.get(f"/duplicates/find/{run.pk}/", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and fragment["HX-Refresh"] == "true"


def test_a_waiting_search_is_joined_not_repeated_and_shows_its_progress(staff_user):
    first = find_run_start(actor=staff_user)  # no commit in this test: it stays queued
    assert find_run_start(actor=staff_user).pk == first.pk
    assert FindRun.objects.count() == 1
    client = logged_in(staff_user)
    page = client.get("/duplicates/").content.decode()
    assert "Waiting for the worker" in page and 'hx-trigger="every 1s"' in page
    FindRun.objects.filter(pk=first.pk).update(
        status=FindRun.Status.RUNNING, phase="scoring", done=0, total=1
    )
    first.refresh_from_db()
    assert find_run_progress(first) == {"label": "Scoring", "percent": 50}
    fragment = client.get(f"/duplicates/find/{first.pk}/", headers={"HX-Request": "true"})
    assert "Scoring" in fragment.content.decode() and "HX-Refresh" not in fragment


def test_only_staff_start_or_watch_a_search(leader_a, staff_user):
    run = FindRun.objects.create(requested_by=staff_user, requested_at=timezone.now())
    assert logged_in(leader_a).post("/duplicates/find/").status_code == 403
    assert logged_in(leader_a).get(f"/duplicates/find/{run.pk}/").status_code == 403
    assert FindRun.objects.count() == 1
    assert logged_in(staff_user).get("/duplicates/find/999999/").status_code == 404
