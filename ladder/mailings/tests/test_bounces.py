"""Bounces and complaints: Postmark's tracking webhook through django-anymail (real JSON
shapes from Postmark's documentation), and bounce messages (RFC 3464 DSNs, RFC 5965 abuse
reports) read from bytes and from files by `ladder bounces`."""

from __future__ import annotations

import base64
import datetime as dt
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from ladder.activity.catalogue import ActivityType
from ladder.activity.models import Activity
from ladder.mailings import dsn, message_ids, tokens
from ladder.mailings.bounces import bounce_record
from ladder.mailings.models import Bounce, Delivery
from ladder.mailings.tests.intake_fixtures import sent_delivery
from ladder.people.models import ConsentEvent, ContactStatus, EmailAddress, Suppression
from ladder.people.normalize import address_hash

SECRET = "postmark:s3cret-webhook-password"
HOOK = "/m/anymail/postmark/tracking/"


@pytest.fixture
def delivery(person_in_a, staff_user, settings) -> Delivery:
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    return sent_delivery(person_in_a, staff_user)


def auth(secret: str = SECRET) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(secret.encode()).decode()}


def post(client: Client, payload: object, secret: str = SECRET, raw: bytes | None = None):
    body = raw if raw is not None else json.dumps(payload).encode()
    return client.post(HOOK, body, content_type="application/json", headers=auth(secret))


def suppressed(address: str = "alma@example.org") -> bool:
    return Suppression.objects.filter(address_hash=address_hash("email", address)).exists()


def hard_bounce(**changes: object) -> dict[str, object]:
    """Postmark's bounce webhook, as its documentation shows it."""
    event: dict[str, object] = {
        "RecordType": "Bounce",
        "MessageStream": "outbound",
        "ID": 4323372036854775807,
        "Type": "HardBounce",
        "TypeCode": 1,
        "Name": "Hard bounce",
        "Tag": "mailing",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Metadata": {},
        "ServerID": 23,
        "Description": "The server was unable to deliver your message (ex: unknown user, "
        "mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": "alma@example.org",
        "From": "organizers@prairie.example",
        "BouncedAt": "2026-11-05T16:33:54.9070259Z",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": True,
        "Subject": "The vote is Tuesday",
        "Content": "",
    }
    event.update(changes)
    return event


def test_the_webhook_refuses_bad_or_missing_credentials(client, delivery):
    assert post(client, hard_bounce(), secret="postmark:wrong").status_code == 401
    no_auth = client.post(HOOK, json.dumps(hard_bounce()), content_type="application/json")
    assert no_auth.status_code == 401 and "Basic" in no_auth["WWW-Authenticate"]
    assert not Bounce.objects.exists() and not suppressed()


def test_the_webhook_is_off_without_a_secret(client, delivery, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": ""}
    response = post(client, hard_bounce(), secret="anything:at-all")
    assert response.status_code == 503
    assert not Bounce.objects.exists()


@pytest.mark.parametrize("raw", [b"{not json", b"[]", b'{"RecordType": "Bounce"}', b"\xff\xfe"])
def test_an_unreadable_post_is_a_400_not_a_500(client, delivery, raw):
    response = post(client, None, raw=raw)
    assert response.status_code in (200, 400)  # a bounce naming nobody is accepted, and ignored
    assert not Bounce.objects.exists()


def test_a_hard_bounce_suppresses_marks_the_address_and_the_delivery(client, delivery):
    assert post(client, hard_bounce()).status_code == 200
    bounce = Bounce.objects.get()
    assert (bounce.kind, bounce.source, bounce.delivery_id) == (
        "hard",
        "anymail:postmark",
        delivery.pk,
    )
    assert suppressed()
    assert EmailAddress.objects.get(address="alma@example.org").status == ContactStatus.INVALID
    delivery.refresh_from_db()
    assert delivery.bounce_kind == "hard" and delivery.bounced_at is not None
    activity = Activity.objects.get(type=ActivityType.EMAIL_BOUNCED)
    assert activity.payload["status"] == "5.1.1"
    # Postmark retries a webhook it thinks failed: the same event is one bounce.
    assert post(client, hard_bounce()).status_code == 200
    assert Bounce.objects.count() == 1
    assert Activity.objects.filter(type=ActivityType.EMAIL_BOUNCED).count() == 1


def test_the_delivery_is_found_from_the_metadata_we_sent_with(client, delivery, staff_user):
    other = sent_delivery(
        delivery.person,
        staff_user,
        mailing=type(delivery.mailing).objects.create(name="Later", created_by=staff_user),
        sent_ago=dt.timedelta(minutes=5),
    )
    metadata = message_ids.esp_metadata(delivery.pk)
    post(client, hard_bounce(Metadata=metadata, Details="smtp;552 5.2.2 mailbox full"))
    bounce = Bounce.objects.get()
    assert bounce.delivery_id == delivery.pk  # not the latest mail to the address
    assert EmailAddress.objects.get(address="alma@example.org").status == ContactStatus.BOUNCING
    other.refresh_from_db()
    assert other.bounced_at is None


def test_a_spam_complaint_opts_out(client, delivery):
    complaint = hard_bounce(
        RecordType="SpamComplaint",
        Type="SpamComplaint",
        TypeCode=512,
        ID=42,
        Name="Spam complaint",
        Details="Test spam complaint details",
    )
    assert post(client, complaint).status_code == 200
    assert Bounce.objects.get().kind == "complaint"
    latest = ConsentEvent.objects.order_by("-id").first()
    assert latest is not None and latest.status == "opt_out"
    assert suppressed()
    delivery.refresh_from_db()
    assert delivery.complained_at is not None and delivery.bounced_at is None


def test_an_unsubscribe_reported_by_the_service_is_an_unsubscribe(client, delivery):
    change = {
        "RecordType": "SubscriptionChange",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "ServerID": 23,
        "MessageStream": "outbound",
        "ChangedAt": "2026-11-05T16:40:00Z",
        "Recipient": "alma@example.org",
        "Origin": "Recipient",
        "SuppressSending": True,
        "SuppressionReason": "ManualSuppression",
        "Tag": "mailing",
        "Metadata": message_ids.esp_metadata(delivery.pk),
    }
    assert post(client, change).status_code == 200
    delivery.refresh_from_db()
    assert delivery.unsubscribed_at is not None
    assert suppressed()
    assert Activity.objects.filter(type=ActivityType.EMAIL_UNSUBSCRIBED).count() == 1


def test_soft_bounces_suppress_only_at_the_third_within_thirty_days(client, delivery):
    for n in range(2):
        soft = hard_bounce(
            ID=100 + n,
            Type="SoftBounce",
            TypeCode=4096,
            Name="Soft bounce",
            Details="smtp;452 4.2.2 mailbox over quota",
        )
        post(client, soft)
    assert Bounce.objects.filter(kind="soft").count() == 2
    assert not suppressed()
    assert EmailAddress.objects.get(address="alma@example.org").status == ContactStatus.ACTIVE
    post(client, hard_bounce(ID=102, Type="SoftBounce", Details="smtp;452 4.2.2 over quota"))
    assert suppressed()
    assert EmailAddress.objects.get(address="alma@example.org").status == ContactStatus.BOUNCING
    delivery.refresh_from_db()
    assert delivery.bounce_kind == "soft"


def test_soft_bounces_a_month_apart_do_not_add_up(delivery):
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for n, days in enumerate((0, 31, 62)):
        bounce_record(
            address="alma@example.org",
            kind="soft",
            source="dsn",
            event_id=f"s{n}",
            detail="4.2.2 full",
            occurred_at=start + dt.timedelta(days=days),
        )
    assert not suppressed()


# ---------------------------------------------------------------------------------------------
# Bounce messages.


def dsn_message(
    delivery: Delivery,
    *,
    status: str = "5.1.1",
    to: str = "organizers@prairie.example",
    headers_only: bool = False,
    report_id: str = "<20261105163354.B1@mx.example.net>",
) -> bytes:
    """A delivery status notification as Postfix writes them."""
    original_id = message_ids.message_id_for(delivery.mailing_id, delivery.pk, "prairie.example")
    action = "failed"
    diagnostic = (
        "smtp; 550 5.1.1 <alma@example.org>: Recipient address rejected: User unknown"
        if status.startswith("5")
        else "smtp; 452 4.2.2 <alma@example.org>: Mailbox full"
    )
    original = (
        f"From: Prairie Forward <organizers@prairie.example>\r\n"
        f"To: Alma Avery <alma@example.org>\r\n"
        f"Subject: The vote is Tuesday\r\n"
        f"Message-ID: {original_id}\r\n"
        f"Date: Thu, 05 Nov 2026 16:33:50 +0000\r\n"
    )
    returned = (
        "Content-Type: text/rfc822-headers\r\n\r\n" + original
        if headers_only
        else "Content-Type: message/rfc822\r\n\r\n" + original + "\r\nCome on Tuesday.\r\n"
    )
    return (
        "Return-Path: <>\r\n"
        "From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"To: {to}\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        f"Message-ID: {report_id}\r\n"
        "Content-Type: multipart/report; report-type=delivery-status;\r\n"
        '\tboundary="B1.1730824434/mx.example.net"\r\n'
        "\r\n"
        "This is a MIME-encapsulated message.\r\n"
        "\r\n"
        "--B1.1730824434/mx.example.net\r\n"
        "Content-Description: Notification\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "\r\n"
        "I'm sorry to have to inform you that your message could not\r\n"
        "be delivered to one or more recipients.\r\n"
        "\r\n"
        "--B1.1730824434/mx.example.net\r\n"
        "Content-Description: Delivery report\r\n"
        "Content-Type: message/delivery-status\r\n"
        "\r\n"
        "Reporting-MTA: dns; mx.example.net\r\n"
        "X-Postfix-Queue-ID: B1\r\n"
        "Arrival-Date: Thu,  5 Nov 2026 16:33:51 +0000 (UTC)\r\n"
        "\r\n"
        "Final-Recipient: rfc822; alma@example.org\r\n"
        "Original-Recipient: rfc822;alma@example.org\r\n"
        f"Action: {action}\r\n"
        f"Status: {status}\r\n"
        "Remote-MTA: dns; mail.example.org\r\n"
        f"Diagnostic-Code: {diagnostic}\r\n"
        "\r\n"
        "--B1.1730824434/mx.example.net\r\n"
        "Content-Description: Undelivered Message\r\n"
        f"{returned}"
        "\r\n"
        "--B1.1730824434/mx.example.net--\r\n"
    ).encode()


def test_a_dsn_is_read_into_recipient_action_status_and_original_message_id(delivery):
    data = dsn_message(delivery)
    (found,) = dsn.parse(data)
    assert found.recipient == "alma@example.org"
    assert (found.action, found.status) == ("failed", "5.1.1")
    assert message_ids.delivery_from_message_id(found.message_id) == delivery.pk
    assert "User unknown" in found.diagnostic

    done = dsn.ingest(data)
    assert len(done.bounces) == 1 and done.bounces[0].delivery_id == delivery.pk
    assert suppressed()
    assert EmailAddress.objects.get(address="alma@example.org").status == ContactStatus.INVALID
    assert dsn.ingest(data).replays == 1
    assert Bounce.objects.count() == 1


def test_a_dsn_quoting_only_headers_and_sent_to_the_verp_address(delivery, staff_user):
    verp = f"bounce+{tokens.make('bounce', delivery.pk)}@bounces.prairie.example"
    data = dsn_message(delivery, to=verp, headers_only=True, report_id="<r2@mx.example.net>")
    report = dsn.read_report(data)
    assert report.delivery_id == delivery.pk
    assert message_ids.delivery_from_message_id(report.recipients[0].message_id) == delivery.pk


def test_a_soft_dsn_counts_without_suppressing(delivery):
    dsn.ingest(dsn_message(delivery, status="4.2.2", report_id="<s1@mx>"))
    assert Bounce.objects.get().kind == "soft"
    assert not suppressed()


def test_an_abuse_report_is_a_complaint(delivery):
    original_id = message_ids.message_id_for(delivery.mailing_id, delivery.pk, "prairie.example")
    arf = (
        "From: feedback@isp.example\r\nTo: abuse@prairie.example\r\nMessage-ID: <arf1@isp>\r\n"
        "Subject: FW: The vote is Tuesday\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=feedback-report; boundary="ARF"\r\n\r\n'
        "--ARF\r\nContent-Type: text/plain\r\n\r\nThis is an email abuse report.\r\n"
        "--ARF\r\nContent-Type: message/feedback-report\r\n\r\n"
        "Feedback-Type: abuse\r\nUser-Agent: SomeGenerator/1.0\r\nVersion: 1\r\n"
        "Original-Rcpt-To: <alma@example.org>\r\n\r\n"
        "--ARF\r\nContent-Type: message/rfc822\r\n\r\n"
        f"From: organizers@prairie.example\r\nTo: alma@example.org\r\nMessage-ID: {original_id}"
        "\r\nSubject: The vote is Tuesday\r\n\r\nCome.\r\n--ARF--\r\n"
    ).encode()
    (found,) = dsn.parse(arf)
    assert (found.recipient, found.action) == ("alma@example.org", "complained")
    dsn.ingest(arf)
    delivery.refresh_from_db()
    assert delivery.complained_at is not None
    assert suppressed()


def test_something_that_is_not_a_report_is_refused(delivery):
    with pytest.raises(dsn.NotAReport):
        dsn.parse(b"From: a@b.example\r\nSubject: hi\r\n\r\nhello\r\n")


def test_the_bounces_command_reads_files_and_folders_once(delivery, tmp_path: Path):
    (tmp_path / "one.eml").write_bytes(dsn_message(delivery))
    (tmp_path / "two.eml").write_bytes(dsn_message(delivery, status="4.2.2", report_id="<s9@mx>"))
    (tmp_path / "junk.eml").write_bytes(b"Subject: hello\r\n\r\nnot a bounce\r\n")
    out = StringIO()
    call_command("bounces", str(tmp_path), stdout=out, stderr=StringIO())
    assert "3 messages: 2 new bounces, 0 already recorded, 1 not bounce messages." in out.getvalue()
    out = StringIO()
    call_command("bounces", str(tmp_path / "one.eml"), stdout=out)
    assert "0 new bounces, 1 already recorded" in out.getvalue()
    assert Bounce.objects.count() == 2


def test_message_ids_name_their_delivery_and_cannot_be_made_up():
    value = message_ids.message_id_for(12, 345, "prairie.example")
    assert value.startswith("<m12.d345.") and value.endswith("@prairie.example>")
    assert message_ids.delivery_from_message_id(value) == 345
    assert message_ids.delivery_from_message_id(value.replace("d345", "d346")) is None
    assert message_ids.delivery_from_message_id("<CAF=abc@mail.gmail.com>") is None
    assert message_ids.delivery_from_message_id(None) is None
    assert message_ids.delivery_from_metadata(message_ids.esp_metadata(345)) == 345
    assert message_ids.delivery_from_metadata({"ladder_delivery": "forged.token"}) is None
