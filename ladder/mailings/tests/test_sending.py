"""Targeting, launching and sending, for real: the ledger in the test database, messages handed
over SMTP to an in-process server and read back from disk."""

from __future__ import annotations

import asyncio
import datetime as dt
from email import message_from_bytes
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings
from django.utils import timezone

from ladder.core.mailsink import captured_messages
from ladder.mailings import audience, sending, stats
from ladder.mailings.message_ids import delivery_from_message_id
from ladder.mailings.models import Delivery, Mailing, MailPreference
from ladder.mailings.services import mailing_create, mailing_launch, mailing_schedule
from ladder.mailings.tests.testing import everyone_segment, sender, sink_at, smtp_to, subscriber
from ladder.people.models import Suppression
from ladder.people.normalize import address_hash
from ladder.people.services import consent_record, person_create

pytestmark = pytest.mark.django_db
State = Delivery.State


def _mailing(user: Any, segment: Any, **extra: Any) -> Mailing:
    fields: dict[str, Any] = {
        "subjects": ["Hi {{ first_name | friend }}"],
        "bodies": ["Hello {{ first_name | friend }}, [sign](/act/schools)."],
        "senders": [sender()],
        "include_segments": [segment],
    }
    fields.update(extra)
    return mailing_create(actor=user, name="Schools", **fields)


def _addresses(mailing: Mailing) -> set[str]:
    people: Any = audience.audience_for(mailing)  # annotated with mail_to
    return set(people.values_list("mail_to", flat=True))


def _launch(mailing: Mailing, user: Any) -> Mailing:
    mailing_schedule(actor=user, mailing=mailing, when=None)
    sending.mailings_tick()
    mailing.refresh_from_db()
    return mailing


def test_audience_leaves_out_everyone_who_said_stop(staff_user):
    people = [subscriber(i) for i in range(6)]
    person_create(actor=None, first_name="No", last_name="Email")
    consent_record(actor=None, person=people[0], channel="email", contact_point="p0@example.org",
                   status="opt_out", source="test")  # fmt: skip
    Suppression.objects.create(
        channel="email", address_hash=address_hash("email", "p1@example.org")
    )
    MailPreference.objects.create(
        address_hash=address_hash("email", "p2@example.org"), topics_off=",fundraising,"
    )
    segment = everyone_segment(staff_user)
    news = _mailing(staff_user, segment, topic="news")
    money = _mailing(staff_user, segment, topic="fundraising")
    assert audience.audience_count(news) == 4  # p2 still wants news
    assert audience.audience_count(money) == 3
    assert _addresses(money) == {
        "p3@example.org", "p4@example.org", "p5@example.org"
    }  # fmt: skip


def test_frequency_cap_counts_last_weeks_mail(staff_user):
    people = [subscriber(i) for i in range(3)]
    segment = everyone_segment(staff_user)
    earlier = _launch(_mailing(staff_user, segment), staff_user)
    earlier.deliveries.filter(person=people[0]).update(state=State.SENT, sent_at=timezone.now())
    capped = _mailing(staff_user, segment, frequency_cap=1)
    assert audience.audience_count(capped) == 2
    MailPreference.objects.create(
        address_hash=address_hash("email", "p1@example.org"), weekly_cap=1
    )
    earlier.deliveries.filter(person=people[1]).update(state=State.SENT, sent_at=timezone.now())
    assert _addresses(_mailing(staff_user, segment)) == {"p0@example.org", "p2@example.org"}


def test_a_leader_mails_only_their_own_people(leader_a, two_groups, staff_user):
    mine = subscriber(1, group=two_groups[0])
    subscriber(2, group=two_groups[1])
    segment = everyone_segment(leader_a, group=two_groups[0])
    mailing = _launch(_mailing(leader_a, segment), leader_a)
    assert list(mailing.deliveries.values_list("person_id", flat=True)) == [mine.pk]


def test_launch_splits_a_test_cohort_and_holds_the_rest(staff_user, tmp_path):
    for i in range(40):
        subscriber(i)
    mailing = _mailing(
        staff_user, everyone_segment(staff_user), test_share=50,
        subjects=["One {{ first_name }}", "Two {{ first_name }}"], bodies=["A", "B"],
    )  # fmt: skip
    mailing = _launch(mailing, staff_user)
    assert mailing.status == Mailing.Status.TESTING and mailing.audience_count == 40
    assert mailing.variants.count() == 4
    rows = mailing.deliveries
    assert rows.filter(in_test=True).count() == 20 and rows.filter(state=State.HELD).count() == 20
    for variant in mailing.variants.all():
        assert rows.filter(in_test=True, variant=variant).count() == 5
    # Launching again writes nothing new.
    assert mailing_launch(mailing) == 0 and rows.count() == 40

    with sink_at(tmp_path):
        tally = sending.send_available("test")
    assert tally.sent == 20 and rows.filter(state=State.SENT).count() == 20
    subjects = {m.subject for m in captured_messages(100, directory=tmp_path)}
    assert subjects <= {f"{w} P{i}" for w in ("One", "Two") for i in range(40)}

    # Clicks make variant C (Two × A) the winner once the test time is up.
    best = mailing.variants.get(label="C")
    rows.filter(variant=best, in_test=True).update(clicked_at=timezone.now(), clicks=1)
    report = {r.variant.label: r for r in stats.variant_report(mailing)}
    assert report["C"].rate == 1.0 and report["C"].p_best > 0.9
    assert report["A"].low < 0.01 and report["A"].high < 0.5
    later = timezone.now() + dt.timedelta(hours=5)
    sending.mailings_tick(now=later)
    mailing.refresh_from_db()
    assert mailing.winner == best and mailing.status == Mailing.Status.SENDING
    assert "up" in mailing.decision_note
    with sink_at(tmp_path):
        sending.send_available("test")
    sending.mailings_tick()
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.SENT
    assert rows.filter(in_test=False, variant=best, state=State.SENT).count() == 20
    recipients = [r for m in captured_messages(100, directory=tmp_path) for r in m.recipients]
    assert len(recipients) == len(set(recipients)) == 40


def test_every_message_carries_one_click_unsubscribe_and_a_deterministic_id(staff_user, tmp_path):
    for i in range(3):
        subscriber(i)
    mailing = _launch(_mailing(staff_user, everyone_segment(staff_user)), staff_user)
    with sink_at(tmp_path):
        sending.send_available("test")
    captured = captured_messages(10, directory=tmp_path)
    assert len(captured) == 3
    for item in captured:
        message = message_from_bytes(item.path.read_bytes(), policy=default_policy)
        assert message["List-Unsubscribe"].startswith("<http://127.0.0.1:8000/m/u/")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        delivery = Delivery.objects.get(pk=delivery_from_message_id(message["Message-ID"]) or 0)
        assert delivery.mailing == mailing and delivery.email == item.recipients[0]
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert f"Hello {delivery.person.first_name}" in text and "/m/u/" in text
        html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
        assert "/m/c/" in html and "/act/schools" not in html  # links are tracked


def test_unsubscribe_mid_send_stops_the_next_batch(staff_user, tmp_path):
    for i in range(4):
        subscriber(i)
    mailing = _launch(_mailing(staff_user, everyone_segment(staff_user)), staff_user)
    with override_settings(LADDER_MAIL_BATCH_SIZE=2), sink_at(tmp_path):
        assert sending.send_available("test", max_batches=1).sent == 2
        last = mailing.deliveries.order_by("-id")[0]
        consent_record(actor=None, person=last.person, channel="email", contact_point=last.email,
                       status="opt_out", source="one-click", by_person=True)  # fmt: skip
        tally = sending.send_available("test")
    assert tally.sent == 1 and tally.skipped == 1
    last.refresh_from_db()
    assert last.state == State.SKIPPED and "before hand-off" in last.error
    assert last.email not in {
        r for m in captured_messages(10, directory=tmp_path) for r in m.recipients
    }


def test_a_delivery_that_cannot_be_rendered_fails_alone(staff_user, tmp_path):
    for i in range(3):
        subscriber(i)
    mailing = _launch(_mailing(staff_user, everyone_segment(staff_user)), staff_user)
    broken = mailing.deliveries.order_by("id")[1]
    Delivery.objects.filter(pk=broken.pk).update(email="p1@example.org\r\nBcc: all@example.org")
    with sink_at(tmp_path):
        tally = sending.send_available("test")
    broken.refresh_from_db()
    assert tally.sent == 2 and broken.state == State.FAILED
    assert "line break" in broken.error
    assert len(captured_messages(10, directory=tmp_path)) == 2


class _Moody:
    """An SMTP server with moods per recipient: refuse for now, refuse for good, or hang up
    after taking the message (so the client never hears whether it was taken)."""

    def __init__(self) -> None:
        self.accepted: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]
        if address.startswith("p1@"):
            return "451 4.3.0 try again later"
        if address.startswith("p2@"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.accepted.extend(envelope.rcpt_tos)
        if envelope.rcpt_tos[0].startswith("p3@"):
            server.transport.close()
            await asyncio.sleep(0)
        return "250 accepted"


def test_refusals_and_a_dropped_connection(staff_user):
    for i in range(6):
        subscriber(i)
    mailing = _launch(_mailing(staff_user, everyone_segment(staff_user)), staff_user)
    handler = _Moody()
    controller = Controller(handler, hostname="127.0.0.1", port=8787)
    controller.start()
    try:
        with override_settings(MAILERS=smtp_to(8787)):
            tally = sending.send_available("test")
    finally:
        controller.stop()
    state = {d.email: d for d in mailing.deliveries.all()}
    assert state["p1@example.org"].state == State.QUEUED  # backed off, will retry
    assert (state["p1@example.org"].not_before or timezone.now()) > timezone.now()
    assert state["p2@example.org"].state == State.FAILED and "550" in state["p2@example.org"].error
    assert state["p3@example.org"].state == State.IN_DOUBT
    for n in (0, 4, 5):
        assert state[f"p{n}@example.org"].state == State.SENT
    assert sorted(handler.accepted) == [f"p{n}@example.org" for n in (0, 3, 4, 5)]
    assert tally.sent == 3 and tally.in_doubt == 1 and tally.failed == 1 and tally.retried == 1


def test_a_dead_workers_batch_is_settled_from_its_journal(staff_user):
    for i in range(5):
        subscriber(i)
    mailing = _launch(_mailing(staff_user, everyone_segment(staff_user)), staff_user)
    import socket

    batch = sending.claim(mailing, f"{socket.gethostname()}:999999999", 10, timezone.now())
    assert batch is not None
    ids = list(mailing.deliveries.order_by("id").values_list("id", flat=True))
    # The worker had handed off two and was writing the third when it died.
    batch.done_upto, batch.inflight_upto = ids[1], ids[2]
    batch.save()
    assert sending.recover_dead_batches() == 1
    states = dict(mailing.deliveries.values_list("id", "state"))
    assert [states[i] for i in ids] == [State.SENT, State.SENT, State.IN_DOUBT,
                                        State.QUEUED, State.QUEUED]  # fmt: skip
    assert sending.recover_dead_batches() == 0


def test_the_breaker_pauses_a_mailing_when_people_unsubscribe(staff_user):
    for i in range(10):
        subscriber(i)
    mailing = _launch(_mailing(staff_user, everyone_segment(staff_user), breaker_min_sent=5),
                      staff_user)  # fmt: skip
    mailing.deliveries.update(state=State.SENT, sent_at=timezone.now())
    mailing.deliveries.filter(pk__in=mailing.deliveries.values("pk")[:2]).update(
        unsubscribed_at=timezone.now()
    )
    sending.mailings_tick()
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.PAUSED and "2 of 10" in mailing.paused_reason


def test_a_one_click_post_from_a_captured_message_stops_the_next_batch(
    staff_user, tmp_path, client
):
    for i in range(3):
        subscriber(i)
    segment = everyone_segment(staff_user)
    first = _launch(_mailing(staff_user, segment), staff_user)
    second = _launch(_mailing(staff_user, segment, subjects=["Second"]), staff_user)
    with sink_at(tmp_path):
        sending.send_available("test", mailing_id=first.pk)
    captured = captured_messages(10, directory=tmp_path)
    assert len(captured) == 3
    for item in captured:  # every bulk message carries both headers
        headers = message_from_bytes(item.path.read_bytes(), policy=default_policy)
        assert headers["List-Unsubscribe"] and headers["List-Unsubscribe-Post"]
    rosa = next(m for m in captured if m.recipients == ["p0@example.org"])
    headers = message_from_bytes(rosa.path.read_bytes(), policy=default_policy)
    url = headers["List-Unsubscribe"].strip("<>")
    response = client.post(
        url.removeprefix("http://127.0.0.1:8000"),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert Suppression.objects.filter(address_hash=address_hash("email", "p0@example.org")).exists()
    with sink_at(tmp_path):
        tally = sending.send_available("test", mailing_id=second.pk)
    assert tally.sent == 2 and tally.skipped == 1
    got_second = [m.recipients[0] for m in captured_messages(10, directory=tmp_path)
                  if m.subject == "Second"]  # fmt: skip
    assert sorted(got_second) == ["p1@example.org", "p2@example.org"]
    assert second.deliveries.get(email="p0@example.org").state == State.SKIPPED
