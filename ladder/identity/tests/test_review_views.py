"""The review screens over HTTP: staff only, bad decisions answered without a change, a pair
gone from the queue is a 404, and an undo from the merges list."""

from __future__ import annotations

import pytest
from django.utils import timezone

from ladder.identity.models import Candidate, Merge
from ladder.identity.tests.test_merging import pair  # noqa: F401  (a fixture)
from ladder.web.tests.conftest import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def candidate(pair):  # type: ignore[no-untyped-def]  # noqa: F811
    ana, dup, _ = pair
    low, high = sorted((ana, dup), key=lambda p: p.pk)
    return Candidate.objects.create(
        low=low, high=high, probability=0.9, weight=5.0, found_at=timezone.now(),
        evidence={"phone": ["a / b", 6.0]},
    )  # fmt: skip


def test_only_staff_review_duplicates(candidate, leader_a):
    assert logged_in(leader_a).get("/duplicates/").status_code == 403
    assert logged_in(leader_a).post(f"/duplicates/pairs/{candidate.pk}/decide/",
                                    {"decision": "merge"}).status_code == 403  # fmt: skip


def test_bad_decisions_change_nothing(candidate, staff_user):
    client = logged_in(staff_user)
    page = client.get("/duplicates/").content.decode()
    assert "1 pair waiting" in page and "Why they look alike" in page
    url = f"/duplicates/pairs/{candidate.pk}/decide/"
    assert client.post(url, {"decision": "maybe"}).status_code == 302
    assert client.post(url, {"decision": "merge", "survivor": "both"}).status_code == 302
    candidate.refresh_from_db()
    assert candidate.status == Candidate.Status.OPEN and not Merge.objects.exists()
    assert client.post("/duplicates/pairs/999999/decide/", {"decision": "skip"}).status_code == 404


def test_merge_from_the_queue_then_undo_from_the_list(candidate, staff_user):
    client = logged_in(staff_user)
    url = f"/duplicates/pairs/{candidate.pk}/decide/"
    assert client.post(url, {"decision": "merge", "survivor": "low"}).status_code == 302
    merge = Merge.objects.get()
    assert merge.survivor_id == candidate.low_id
    assert client.post(url, {"decision": "skip"}).status_code == 404  # decided: gone
    listing = client.get("/duplicates/merges/").content.decode()
    assert f'id="merge-{merge.pk}"' in listing
    assert client.post(f"/duplicates/merges/{merge.pk}/undo/").status_code == 302
    merge.refresh_from_db()
    assert merge.undone_at is not None
    assert client.post(f"/duplicates/merges/{merge.pk}/undo/").status_code == 404
