"""Social engagement from outside sources joins the person who made it: by a handle they are
known by, or by their email (after which the handle is known too); rows nobody is known by
wait until the handle is linked; bad rows are reported by row and column and lose nothing;
a merge and its undo carry the rows; and only staff reach any of it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ladder.activity.catalogue import ActivityType
from ladder.activity.models import Activity
from ladder.activity.services import contact_log
from ladder.api.tests.testing import ApiClient
from ladder.identity.merging import merge_undo, person_merge
from ladder.identity.models import SocialEngagement
from ladder.identity.social import handle_normalised, social_handle_link, social_rows_add
from ladder.people.models import ExternalId
from ladder.people.services import external_id_add, person_create
from ladder.web.tests.conftest import logged_in

pytestmark = pytest.mark.django_db
KNOCKED = timezone.now().replace(microsecond=0) - dt.timedelta(days=5)


def _row(**values: str) -> dict[str, str]:
    return {"platform": "bluesky", "action": "shared", "occurred_at": KNOCKED.isoformat(),
            **values}  # fmt: skip


def test_the_share_three_days_after_the_door_knock_is_the_same_person(staff_user):
    maria = person_create(actor=None, first_name="Maria", last_name="Garcia",
                          email="maria.garcia@example.org")  # fmt: skip
    contact_log(actor=staff_user, person=maria, kind=ActivityType.DOOR_KNOCK, result="talked",
                occurred_at=KNOCKED)  # fmt: skip
    shared = (KNOCKED + dt.timedelta(days=3)).isoformat()
    api = ApiClient(staff_user)
    first = api.post("social_engagements", {"engagements": [
        _row(handle="@Maria_G", email="Maria.Garcia@example.org", occurred_at=shared,
             text="Schools need this!", id="post-1-share-7"),
    ]})  # fmt: skip
    assert first.status_code == 201, first.content
    assert first.json() == {"added": 1, "repeated": 0, "matched": 1, "waiting": 0, "errors": []}
    # The handle is known now: the next row needs no email.
    second = api.post("social_engagements", {"engagements": [
        _row(handle="https://bsky.example/profile/maria_g", action="replied",
             occurred_at=shared, text="See you Saturday"),
    ]})  # fmt: skip
    assert second.json()["matched"] == 1
    timeline = list(Activity.objects.filter(person=maria).order_by("occurred_at", "pk")
                    .values_list("type", "occurred_at"))  # fmt: skip
    assert [t for t, _ in timeline] == [ActivityType.DOOR_KNOCK, ActivityType.SOCIAL_ENGAGEMENT,
                                        ActivityType.SOCIAL_ENGAGEMENT]  # fmt: skip
    assert timeline[1][1] - timeline[0][1] == dt.timedelta(days=3)
    assert ExternalId.objects.get(system="social:bluesky", value="maria_g").person == maria
    profile = logged_in(staff_user).get(f"/people/{maria.pk}/").content.decode()
    assert "Schools need this!" in profile and "maria_g" in profile
    # The same rows again add nothing.
    again = api.post("social_engagements", {"engagements": [
        _row(handle="@maria_g", email="maria.garcia@example.org", occurred_at=shared,
             text="Schools need this!", id="post-1-share-7"),
    ]})  # fmt: skip
    assert again.json()["repeated"] == 1 and again.json()["added"] == 0
    assert Activity.objects.filter(person=maria, type=ActivityType.SOCIAL_ENGAGEMENT).count() == 2


def test_rows_nobody_is_known_by_wait_until_the_handle_is_linked(staff_user):
    result = social_rows_add(
        [(2, _row(handle="quietfan", text="love this")), (3, _row(handle="QuietFan"))],
        source="test",
    )
    assert (result.added, result.matched, result.waiting) == (2, 0, 2)
    page = logged_in(staff_user).get("/duplicates/social/").content.decode()
    assert "@quietfan" in page and "2 waiting" in page
    ana = person_create(actor=None, first_name="Ana", last_name="Ruiz", email="ana@example.org")
    client = logged_in(staff_user)
    link = {"platform": "bluesky", "handle": "quietfan"}
    nobody = client.post("/duplicates/social/link/", {**link, "person": "no@one.org"})
    assert nobody.status_code == 400 and "No one has that id or email" in nobody.content.decode()
    assert not SocialEngagement.objects.filter(person__isnull=False).exists()
    linked = client.post("/duplicates/social/link/", {**link, "person": "ana@example.org"})
    assert linked.status_code == 302
    assert SocialEngagement.objects.filter(person=ana).count() == 2
    assert Activity.objects.filter(person=ana, type=ActivityType.SOCIAL_ENGAGEMENT).count() == 2
    # Someone else cannot be known by the same handle.
    ben = person_create(actor=None, first_name="Ben", last_name="Ruiz", email="ben@example.org")
    with pytest.raises(Exception, match="already belongs"):
        social_handle_link(actor=staff_user, person=ben, platform="bluesky", handle="@quietfan")


def test_a_bad_file_is_answered_by_row_and_column_and_the_good_rows_are_kept(staff_user, tmp_path):
    person_create(actor=None, first_name="Lee", last_name="Park", email="lee@example.org")
    csv = (
        "Network,Username,Email,Action,Message,Date\n"
        "instagram,leepark,lee@example.org,commented,Great rally,2026-11-20T18:00:00Z\n"
        "instagram,,,liked,,2026-11-20\n"
        "instagram,some one,,liked,,yesterday\n"
        "instagram,fan2,,,hi,2026-11-21\n"
    )
    path = tmp_path / "export.csv"
    path.write_text(csv)
    client = logged_in(staff_user)
    with path.open("rb") as upload:
        page = client.post("/duplicates/social/upload/", {"file": upload})
    text = page.content.decode()
    assert page.status_code == 200
    assert "Added 1 rows: 1 matched" in text
    problems = [("3", "handle"), ("4", "handle"), ("4", "occurred_at"), ("5", "action")]
    for row, column in problems:
        assert f"<td>{row}</td><td><code>{column}</code></td>" in text, (row, column)
    assert SocialEngagement.objects.count() == 1
    headless = tmp_path / "headless.csv"
    headless.write_text("who,what\nx,y\n")
    with headless.open("rb") as upload:
        refused = client.post("/duplicates/social/upload/", {"file": upload})
    assert refused.status_code == 400
    assert "<td>1</td><td><code>action</code></td><td>No action column" in refused.content.decode()
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"platform,handle\n\xff\xfe")
    with binary.open("rb") as upload:
        assert (
            "Not UTF-8 text"
            in client.post("/duplicates/social/upload/", {"file": upload}).content.decode()
        )


def test_the_api_refuses_bad_rows_and_non_staff_tokens(staff_user, leader_a):
    api = ApiClient(staff_user)
    bad = api.post("social_engagements", {"engagements": [{"platform": "", "handle": "a b"}]})
    assert bad.status_code == 400
    body = bad.json()
    assert body["error"].startswith("engagements[0].platform")
    assert {e["column"] for e in body["errors"]} >= {"platform", "handle", "action", "occurred_at"}
    mixed = api.post("social_engagements", {"engagements": [
        _row(handle="ok_one"), _row(handle="bad\x00"),
    ]})  # fmt: skip
    assert mixed.status_code == 201 and mixed.json()["added"] == 1
    assert mixed.json()["errors"] == [
        {"row": 1, "column": "handle", "message": "contains a NUL character"}
    ]
    assert api.post("social_engagements", {"engagements": []}).status_code in (400, 422)
    leader = ApiClient(leader_a).post("social_engagements", {"engagements": [_row(handle="x")]})
    assert leader.status_code == 403 and "staff token" in leader.json()["error"]
    assert SocialEngagement.objects.count() == 1


def test_only_staff_see_or_change_social_engagement(leader_a):
    client = logged_in(leader_a)
    assert client.get("/duplicates/social/").status_code == 403
    assert client.post("/duplicates/social/link/", {"platform": "x", "handle": "y",
                                                    "person": "1"}).status_code == 403  # fmt: skip
    assert client.post("/duplicates/social/upload/").status_code == 403


def test_an_unmerge_takes_back_what_arrived_through_the_merged_records_handle(staff_user):
    keep = person_create(actor=None, first_name="Sam", last_name="Okafor", email="sam@ex.org")
    fold = person_create(actor=None, first_name="Samuel", last_name="Okafor", email="so@ex.net")
    external_id_add(actor=None, person=fold, system="social:instagram", value="samokafor")
    before = social_rows_add([(2, _row(platform="instagram", handle="samokafor", id="a"))],
                             source="test")  # fmt: skip
    assert before.matched == 1
    merge = person_merge(actor=staff_user, survivor=keep, merged=fold)
    after = social_rows_add([(2, _row(platform="instagram", handle="samokafor", id="b")),
                             (3, _row(platform="instagram", email="so@ex.net", id="c"))],
                            source="test")  # fmt: skip
    assert after.matched == 2
    assert SocialEngagement.objects.filter(person=keep).count() == 3
    merge_undo(actor=staff_user, merge=merge)
    assert SocialEngagement.objects.filter(person=fold).count() == 3
    assert not SocialEngagement.objects.filter(person=keep).exists()
    assert not Activity.objects.filter(person=keep, type=ActivityType.SOCIAL_ENGAGEMENT).exists()
    assert Activity.objects.filter(person=fold, type=ActivityType.SOCIAL_ENGAGEMENT).count() == 3


def test_handles_are_compared_in_one_form():
    assert handle_normalised("@Maria_G") == handle_normalised("https://x.example/Maria_G/")
    assert handle_normalised("www.instagram.example/maria_g") == "maria_g"
    with pytest.raises(ValueError):
        handle_normalised("two words")
