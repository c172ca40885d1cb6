"""``/messages`` (mailings) with send and schedule, and ``/wrappers`` (mail templates):
shapes, statistics from the send ledger, writes through the mailings services, scoping to
leaders' groups, and bad input answered with a 400 that says what was wrong."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.utils import timezone

from ladder.api import ids
from ladder.api.tests.testing import ApiClient, embedded, uuid_of
from ladder.core.models import Role
from ladder.core.testing import make_user
from ladder.mailings.models import Delivery, Mailing, MailTemplate, SenderIdentity
from ladder.mailings.sending import mailings_tick
from ladder.mailings.services import mailing_create
from ladder.people.services import consent_record
from ladder.segments.models import StaticList
from ladder.segments.services import list_add, segment_create

pytestmark = pytest.mark.django_db

EVERYONE = {"version": 1, "match": {"kind": "all", "of": []}}


def _is_error(response: Any, status: int, words: str = "") -> str:
    assert response.status_code == status, response.content
    message = response.json().get("error")
    assert isinstance(message, str) and message
    assert words in message, message
    return message


@pytest.fixture
def world(staff_user, leader_a, two_groups, person_in_a, person_in_b) -> dict[str, Any]:
    group_a, group_b = two_groups
    list_a = StaticList.objects.create(name="Canvass A", group=group_a)
    list_add(actor=staff_user, static_list=list_a, person_ids=[person_in_a.pk])
    list_b = StaticList.objects.create(name="Callers B", group=group_b)
    list_add(actor=staff_user, static_list=list_b, person_ids=[person_in_b.pk])
    seg_a = segment_create(actor=staff_user, name="All A", definition=EVERYONE, group=group_a)
    seg_b = segment_create(actor=staff_user, name="All B", definition=EVERYONE, group=group_b)
    sender = SenderIdentity.objects.create(
        from_name="Prairie Forward",
        from_email="news@prairie.example",
        reply_to="hi@prairie.example",
    )
    sender_b = SenderIdentity.objects.create(
        from_name="Cedar Rapids team", from_email="cr@prairie.example", group=group_b
    )
    mailing_a = mailing_create(
        actor=leader_a, name="A's appeal", subjects=["Come to the meeting"], bodies=["Hi!"],
        include_lists=[list_a], group=group_a,
    )  # fmt: skip
    return {
        "list_a": list_a, "list_b": list_b, "seg_a": seg_a, "seg_b": seg_b,
        "sender": sender, "sender_b": sender_b, "mailing_a": mailing_a,
    }  # fmt: skip


def _href(kind: str, pk: int) -> dict[str, str]:
    where = {"list": "lists", "segment": "queries"}[kind]
    return {"href": f"https://actionnetwork.org/api/v2/{where}/{ids.encode(kind, pk)}"}


def _mid(mailing: Mailing) -> str:
    return ids.encode("message", mailing.pk)


def test_a_message_shows_its_mailing_in_action_networks_words(staff_user, world):
    mailing = world["mailing_a"]
    mailing.senders.set([world["sender"]])
    response = ApiClient(staff_user).get(f"messages/{_mid(mailing)}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["identifiers"] == [ids.identifier("message", mailing.pk)]
    assert body["subject"] == "Come to the meeting" and body["body"] == "Hi!"
    assert body["name"] == "A's appeal" and body["type"] == "email"
    assert body["from"] == "Prairie Forward" and body["reply_to"] == "hi@prairie.example"
    assert body["status"] == "draft"
    assert [t["href"] for t in body["targets"]] == [
        f"http://testserver/api/v2/lists/{ids.encode('list', world['list_a'].pk)}"
    ]
    assert body["statistics"] == {
        "sent": 0, "opened": 0, "clicked": 0, "actions": 0, "unsubscribed": 0, "bounced": 0,
        "spam_reports": 0,
    }  # fmt: skip
    assert body["_links"]["self"]["href"].endswith(f"/api/v2/messages/{_mid(mailing)}")


def test_statistics_come_from_the_send_ledger(staff_user, world, person_in_a, person_in_b):
    mailing = world["mailing_a"]
    now = timezone.now()
    Mailing.objects.filter(pk=mailing.pk).update(
        status=Mailing.Status.SENT, audience_count=2, started_at=now
    )
    Delivery.objects.create(
        mailing=mailing, person=person_in_a, email="alma@example.org", state="sent",
        sent_at=now, opened_at=now, clicked_at=now, acted_at=now, unsubscribed_at=now,
    )  # fmt: skip
    Delivery.objects.create(
        mailing=mailing, person=person_in_b, email="bert@example.org", state="sent",
        sent_at=now, bounced_at=now, complained_at=now,
    )  # fmt: skip
    body = ApiClient(staff_user).get(f"messages/{_mid(mailing)}").json()
    assert body["status"] == "sent" and body["total_targeted"] == 2
    assert body["statistics"] == {
        "sent": 2, "opened": 1, "clicked": 1, "actions": 1, "unsubscribed": 1, "bounced": 1,
        "spam_reports": 1,
    }  # fmt: skip
    assert body["sent_start_date"] == now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(
    ("status", "shown"),
    [("testing", "sending"), ("sending", "sending"), ("paused", "paused"),
     ("cancelled", "cancelled"), ("scheduled", "scheduled")],
)  # fmt: skip
def test_statuses_in_action_networks_words(staff_user, world, status, shown):
    Mailing.objects.filter(pk=world["mailing_a"].pk).update(status=status)
    body = ApiClient(staff_user).get(f"messages/{_mid(world['mailing_a'])}").json()
    assert body["status"] == shown


def test_messages_collection_pages_and_filters(staff_user, world):
    for n in range(3):
        mailing_create(actor=staff_user, name=f"m{n}", subjects=[f"Subject {n}"], bodies=["b"])
    api = ApiClient(staff_user)
    response = api.get("messages", per_page=3)
    assert response.status_code == 200, response.content
    body = response.json()
    assert list(body["_embedded"]) == ["osdi:messages"]
    assert body["total_records"] == 4 and body["total_pages"] == 2
    assert [m["name"] for m in embedded(response)] == ["A's appeal", "m0", "m1"]
    rest = api.get(body["_links"]["next"]["href"])
    assert [m["name"] for m in embedded(rest)] == ["m2"]
    assert embedded(api.get("messages", page=3, per_page=3)) == []
    by_subject = api.get("messages", filter="subject eq 'subject 1'")
    assert [m["name"] for m in embedded(by_subject)] == ["m1"]
    assert [m["name"] for m in embedded(api.get("messages", filter="name eq 'M2'"))] == ["m2"]
    tomorrow = (timezone.now() + dt.timedelta(days=1)).date().isoformat()
    assert embedded(api.get("messages", filter=f"created_date gt '{tomorrow}'")) == []
    assert len(embedded(api.get("messages", filter=f"modified_date lt '{tomorrow}'"))) == 4
    _is_error(api.get("messages", filter="created_date gt 'soon'"), 400, "not a date")
    _is_error(api.get("messages", filter="status eq 'sent'"), 400, "Cannot filter")
    _is_error(api.get("messages", filter="subject gt 'x'"), 400, "subject takes eq, ne")
    others = api.get("messages", filter="subject ne 'subject 1'")
    assert [m["name"] for m in embedded(others)] == ["A's appeal", "m0", "m2"]


def test_create_a_message_with_targets_sender_and_wrapper(staff_user, world):
    template = MailTemplate.objects.create(name="Monthly", subject="News", body="# This month")
    api = ApiClient(staff_user)
    response = api.post(
        "messages",
        {
            "subject": "Stop doing the bad thing",
            "body": "<p>The mayor should stop doing the bad thing.</p>",
            "from": "prairie forward",
            "reply_to": "hi@prairie.example",
            "targets": [_href("segment", world["seg_b"].pk), _href("list", world["list_a"].pk)],
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    mailing = Mailing.objects.get(pk=ids.decode("message", uuid_of(body)) or 0)
    assert mailing.subjects == ["Stop doing the bad thing"]
    assert mailing.bodies == ["<p>The mayor should stop doing the bad thing.</p>"]
    assert mailing.name == "Stop doing the bad thing" and mailing.created_by == staff_user
    assert list(mailing.senders.all()) == [world["sender"]]
    assert list(mailing.include_lists.all()) == [world["list_a"]]
    assert list(mailing.include_segments.all()) == [world["seg_b"]]
    assert mailing.status == Mailing.Status.DRAFT
    assert body["status"] == "draft" and body["from"] == "Prairie Forward"
    assert len(body["targets"]) == 2
    # A wrapper (template) fills in what the message leaves out.
    wrapper = {"href": f"https://x.example/api/v2/wrappers/{ids.encode('wrapper', template.pk)}"}
    made = api.post("messages", {"name": "Monthly news", "_links": {"osdi:wrapper": wrapper}})
    assert made.status_code == 200, made.content
    assert made.json()["subject"] == "News" and made.json()["body"] == "# This month"
    assert made.json()["name"] == "Monthly news"


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ({"body": "b"}, "subject"),
        ({"subject": "   ", "body": "b"}, "subject"),
        ({"subject": "s"}, "body"),
        ({"subject": "s", "body": "  "}, "body"),
        ({"subject": "s", "body": "Hi {{ shoe_size }}"}, "body:"),
        ({"subject": "s", "body": "b", "from": "Nobody Known"}, "from:"),
        ({"subject": "s", "body": "b", "from": "Prairie Forward", "reply_to": "x@y.z"}, "reply_to"),
        ({"subject": "s", "body": "b", "targets": [{"href": f"lists/{uuid.uuid4()}"}]},
         "targets[0]"),
        ({"subject": "s", "body": "b", "targets": [{"href": "queries/nonsense"}]}, "targets[0]"),
        ({"subject": "s", "body": "b", "targets": [{"nohref": 1}]}, "targets"),
        ({"subject": "s", "body": "b", "_links": {"osdi:wrapper": {"href": "wrappers/1"}}},
         "wrapper"),
        ({"subject": ["not", "text"], "body": "b"}, "subject"),
    ],
)  # fmt: skip
def test_bad_messages_are_a_400_saying_what(staff_user, world, payload, words):
    before = Mailing.objects.count()
    _is_error(ApiClient(staff_user).post("messages", payload), 400, words)
    assert Mailing.objects.count() == before


def test_a_target_of_a_person_id_is_unknown(staff_user, world, person_in_a):
    href = {"href": f"lists/{ids.encode('person', person_in_a.pk)}"}
    payload = {"subject": "s", "body": "b", "targets": [href]}
    _is_error(ApiClient(staff_user).post("messages", payload), 400, "targets[0]")


def test_update_replaces_the_first_subject_and_keeps_the_test_variants(staff_user, world):
    mailing = mailing_create(
        actor=staff_user, name="Test", subjects=["One", "Two"], bodies=["Body"],
        include_lists=[world["list_a"]],
    )  # fmt: skip
    api = ApiClient(staff_user)
    response = api.put(
        f"messages/{_mid(mailing)}",
        {"name": "Renamed", "subject": "Uno", "targets": [_href("segment", world["seg_a"].pk)]},
    )
    assert response.status_code == 200, response.content
    mailing.refresh_from_db()
    assert mailing.name == "Renamed" and mailing.subjects == ["Uno", "Two"]
    assert mailing.bodies == ["Body"]
    assert list(mailing.include_lists.all()) == []
    assert list(mailing.include_segments.all()) == [world["seg_a"]]
    assert response.json()["subject"] == "Uno"
    _is_error(api.put(f"messages/{_mid(mailing)}", {"subject": ""}), 400, "subject")
    _is_error(api.put(f"messages/{_mid(mailing)}", {"from": "Nobody"}), 400, "from")
    Mailing.objects.filter(pk=mailing.pk).update(status=Mailing.Status.SENT)
    _is_error(api.put(f"messages/{_mid(mailing)}", {"subject": "Late"}), 400, "started")
    mailing.refresh_from_db()
    assert mailing.subjects == ["Uno", "Two"]
    _is_error(api.put(f"messages/{uuid.uuid4()}", {"subject": "x"}), 404)


def test_send_schedules_it_now_and_the_worker_launches_it(staff_user, world, person_in_a):
    consent_record(
        actor=None, person=person_in_a, channel="email", contact_point="alma@example.org",
        status="opt_in", source="test",
    )  # fmt: skip
    mailing = world["mailing_a"]
    api = ApiClient(staff_user)
    before = timezone.now()
    response = api.post(f"messages/{_mid(mailing)}/send/", {})
    assert response.status_code == 200, response.content
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.SCHEDULED
    assert mailing.scheduled_at is not None and mailing.scheduled_at >= before
    assert response.json()["status"] == "scheduled"
    # The worker's own pass takes it from here: the ledger is written for the list's people.
    mailings_tick()
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.SENDING
    assert list(mailing.deliveries.values_list("person_id", flat=True)) == [person_in_a.pk]
    assert api.get(f"messages/{_mid(mailing)}").json()["status"] == "sending"
    _is_error(api.post(f"messages/{_mid(mailing)}/send", {}), 400, "already started")


def test_send_with_an_empty_body_as_parsons_does(staff_user, world):
    api = ApiClient(staff_user)
    response = api.client.post(
        f"/api/v2/messages/{_mid(world['mailing_a'])}/send/", headers=api._headers()
    )
    assert response.status_code == 200, response.content
    assert Mailing.objects.get(pk=world["mailing_a"].pk).status == Mailing.Status.SCHEDULED


def test_sending_a_message_without_targets_is_a_400(staff_user, world):
    mailing = mailing_create(actor=staff_user, name="No one", subjects=["s"], bodies=["b"])
    _is_error(ApiClient(staff_user).post(f"messages/{_mid(mailing)}/send", {}), 400, "targets")
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.DRAFT


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2031-03-14T12:00:00Z", dt.datetime(2031, 3, 14, 12, tzinfo=dt.UTC)),
        ("2031-03-14 12:00:00+00:00", dt.datetime(2031, 3, 14, 12, tzinfo=dt.UTC)),
        ("2031-03-14T07:30:00-05:00", dt.datetime(2031, 3, 14, 12, 30, tzinfo=dt.UTC)),
    ],
)
def test_schedule_from_the_body(staff_user, world, text, expected):
    mailing = world["mailing_a"]
    response = ApiClient(staff_user).post(
        f"messages/{_mid(mailing)}/schedule", {"scheduled_start_date": text}
    )
    assert response.status_code == 200, response.content
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.SCHEDULED and mailing.scheduled_at == expected
    assert response.json()["scheduled_start_date"] == expected.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert response.json()["status"] == "scheduled"


def test_schedule_from_the_query_as_parsons_sends_it(staff_user, world):
    api = ApiClient(staff_user)
    mailing = world["mailing_a"]
    response = api.client.post(
        f"/api/v2/messages/{_mid(mailing)}/schedule/?scheduled_start_date=2031-01-02T03:04:05Z",
        headers=api._headers(),
    )
    assert response.status_code == 200, response.content
    mailing.refresh_from_db()
    assert mailing.scheduled_at == dt.datetime(2031, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({}, "say when"),
        ({"scheduled_start_date": ""}, "say when"),
        ({"scheduled_start_date": "next tuesday"}, "not a date"),
        ({"scheduled_start_date": "2031-02-30T10:00:00Z"}, "not a date"),
        ({"scheduled_start_date": "2001-01-01T00:00:00Z"}, "past"),
        ({"scheduled_start_date": 20310101}, "scheduled_start_date"),
        (["2031-01-01"], "JSON object"),
    ],
)
def test_bad_schedules_are_a_400(staff_user, world, body, words):
    mailing = world["mailing_a"]
    _is_error(ApiClient(staff_user).post(f"messages/{_mid(mailing)}/schedule", body), 400, words)
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.DRAFT and mailing.scheduled_at is None


def test_a_leader_sees_and_writes_only_their_groups_messages(leader_b, world):
    api = ApiClient(leader_b)
    assert embedded(api.get("messages")) == []
    assert embedded(api.get("messages", filter="name eq 'A''s appeal'")) == []
    mid = _mid(world["mailing_a"])
    _is_error(api.get(f"messages/{mid}"), 404)
    _is_error(api.put(f"messages/{mid}", {"subject": "Mine now"}), 404)
    _is_error(api.post(f"messages/{mid}/send", {}), 404)
    _is_error(
        api.post(f"messages/{mid}/schedule", {"scheduled_start_date": "2031-01-01T00:00:00Z"}), 404
    )
    world["mailing_a"].refresh_from_db()
    assert world["mailing_a"].status == "draft"
    assert world["mailing_a"].subjects == ["Come to the meeting"]
    # Group A's lists, segments and org-wide-only senders are not theirs to use.
    for target in (_href("list", world["list_a"].pk), _href("segment", world["seg_a"].pk)):
        payload = {"subject": "s", "body": "b", "targets": [target]}
        _is_error(api.post("messages", payload), 400, "targets[0]")
    made = api.post(
        "messages",
        {"subject": "Phone bank", "body": "Call!", "from": "cr@prairie.example",
         "targets": [_href("list", world["list_b"].pk), _href("segment", world["seg_b"].pk)]},
    )  # fmt: skip
    assert made.status_code == 200, made.content
    assert made.json()["from"] == "Cedar Rapids team"
    assert [m["subject"] for m in embedded(api.get("messages"))] == ["Phone bank"]
    sent = api.post(f"messages/{uuid_of(made.json())}/send", {})
    assert sent.status_code == 200 and sent.json()["status"] == "scheduled"


def test_another_groups_sender_is_unknown_to_a_leader(leader_a, world):
    payload = {"subject": "s", "body": "b", "from": "Cedar Rapids team"}
    _is_error(ApiClient(leader_a).post("messages", payload), 400, "from:")


def test_volunteer_and_partner_tokens_cannot_write_messages(admin_user, world):
    volunteer = ApiClient(make_user("val", Role.VOLUNTEER))
    assert embedded(volunteer.get("messages")) == []
    _is_error(volunteer.post("messages", {"subject": "s", "body": "b"}), 403)
    _is_error(volunteer.post(f"messages/{_mid(world['mailing_a'])}/send", {}), 403)
    partner = ApiClient(admin_user, partner="Union", static_list=world["list_a"])
    for path in ("messages", f"messages/{_mid(world['mailing_a'])}", "wrappers"):
        _is_error(partner.get(path), 403)
    _is_error(partner.post("messages", {"subject": "s", "body": "b"}), 403)
    _is_error(partner.post(f"messages/{_mid(world['mailing_a'])}/send", {}), 403)
    assert Mailing.objects.get(pk=world["mailing_a"].pk).status == "draft"


def test_wrapper_ids_and_message_ids_do_not_mix(staff_user, world):
    api = ApiClient(staff_user)
    _is_error(api.get(f"messages/{ids.encode('wrapper', world['mailing_a'].pk)}"), 404)
    _is_error(api.get("messages/not-a-uuid"), 404)


def test_wrappers_are_mail_templates_scoped_to_groups(staff_user, leader_b, two_groups):
    org = MailTemplate.objects.create(name="Org news", subject="News", body="Hello")
    MailTemplate.objects.create(name="A only", body="x", group=two_groups[0])
    MailTemplate.objects.create(name="B only", body="y", group=two_groups[1])
    staff = ApiClient(staff_user)
    response = staff.get("wrappers")
    assert response.status_code == 200
    assert list(response.json()["_embedded"]) == ["osdi:wrappers"]
    assert [w["name"] for w in embedded(response)] == ["Org news", "A only", "B only"]
    one = staff.get(f"wrappers/{ids.encode('wrapper', org.pk)}").json()
    assert one["identifiers"] == [ids.identifier("wrapper", org.pk)]
    assert one["header"] == "" and one["footer"] == "" and one["wrapper_type"] == "email"
    assert one["subject"] == "News" and one["body"] == "Hello"
    assert [w["name"] for w in embedded(staff.get("wrappers", filter="name eq 'b only'"))] == [
        "B only"
    ]
    _is_error(staff.get("wrappers", filter="colour eq 'red'"), 400)
    leader = ApiClient(leader_b)
    assert [w["name"] for w in embedded(leader.get("wrappers"))] == ["Org news", "B only"]
    a_only = MailTemplate.objects.get(name="A only")
    _is_error(leader.get(f"wrappers/{ids.encode('wrapper', a_only.pk)}"), 404)
    _is_error(staff.get(f"wrappers/{uuid.uuid4()}"), 404)
