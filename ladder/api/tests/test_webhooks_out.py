"""Outbound webhooks end to end: events caused through the real services, fanned out of the
activity log and the people table, and posted over real HTTP to a receiver on loopback, which
checks every signature. Each subscribed event arrives exactly once, unsubscribed types never; a
500 is retried after the back-off with the same idempotency key, and both tries are logged."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from ladder.actions.gifts import gift_record
from ladder.actions.services import action_take
from ladder.actions.tests.testing import make_page
from ladder.activity.models import Activity
from ladder.api import ids
from ladder.api.models import (
    WebhookAttempt,
    WebhookCursor,
    WebhookDelivery,
    WebhookSubscription,
)
from ladder.api.webhooks import delivery as wh_delivery
from ladder.api.webhooks import fanout, services, signing
from ladder.mailings.preferences import unsubscribe
from ladder.mailings.tests.intake_fixtures import sent_delivery
from ladder.people.models import Person
from ladder.people.services import person_create, person_update

pytestmark = pytest.mark.django_db


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    posts: list[Received] = field(default_factory=list)
    # Status codes to answer, in order; 200 once they run out.
    answers: list[int] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            box.posts.append(Received(self.path, dict(self.headers.items()), body))
            code = box.answers.pop(0) if box.answers else 200
            self.send_response(code)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if code < 300 else b"try later")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    box.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield box
    finally:
        server.shutdown()
        server.server_close()


def later(seconds: float = 10) -> dt.datetime:
    """A moment after everything so far has settled (fan-out lags the log a few seconds)."""
    return timezone.now() + dt.timedelta(seconds=seconds)


def run(now: dt.datetime | None = None) -> None:
    """Fan-out and delivery until nothing is due at ``now``."""
    now = now or later()
    fanout.webhooks_fanout(now=now)
    while wh_delivery.deliver_due(now=now):
        pass


def signed(post: Received, secret: str) -> bool:
    return signing.verify(
        secret, post.headers["X-Ladder-Timestamp"], post.body, post.headers["X-Ladder-Signature"]
    )


def sign(page: Any, email: str = "rosa@example.org") -> Any:
    # The token is the nonce of the form shown (as the public view passes it); 64 characters at
    # most, which PostgreSQL enforces and SQLite does not.
    return action_take(page=page, token=f"shown-{page.pk}-{email}", email=email, first_name="Rosa",
                       last_name="Martínez", postal_code="50309")  # fmt: skip


SUBSCRIBED = ["signature", "donation", "unsubscribe", "person_created", "person_updated"]


def test_each_subscribed_event_arrives_once_signed_and_no_other(receiver, staff_user, person_in_a):
    sub = services.subscription_create(
        actor=staff_user, name="CRM sync", url=f"{receiver.url}/hook", event_types=SUBSCRIBED
    )
    # Another subscription, off: nothing goes to it.
    services.subscription_create(actor=staff_user, name="Off", url=f"{receiver.url}/off",
                                 event_types=["submission", "signature"], active=False)  # fmt: skip

    petition = make_page(staff_user, title="Fund the library")
    taken = sign(petition)
    form = make_page(staff_user, kind="form", title="Volunteer sign-up")
    sign(form, email="sid@example.org")  # a submission: not subscribed
    gift = gift_record(person=person_in_a, amount=Decimal("25.00"), processor="offline").gift
    unsubscribe(sent_delivery(person_in_a, staff_user), source="test unsubscribe page")
    newcomer = person_create(
        actor=None, first_name="Nia", last_name="Nash", email="nia@example.org"
    )
    run()
    person_update(actor=None, person=newcomer, first_name="Niamh")
    run()
    run()  # a second run changes nothing

    posts = [p for p in receiver.posts]
    assert posts and all(p.path == "/hook" for p in posts)
    assert all(signed(p, sub.secret) for p in posts)
    keys = [p.headers["Idempotency-Key"] for p in posts]
    assert len(keys) == len(set(keys)), "an event was delivered twice"
    events = {p.headers["X-Ladder-Event"] for p in posts}
    assert events == set(SUBSCRIBED)
    for p in posts:
        [item] = p.json
        assert item["event"] == p.headers["X-Ladder-Event"]
        assert item["idempotency_key"] == p.headers["Idempotency-Key"]
        assert p.headers["Content-Type"] == "application/json"
        assert p.headers["X-Ladder-Delivery"].isdigit()

    def one(event: str, **where: Any) -> dict[str, Any]:
        found = [p.json[0] for p in posts if p.headers["X-Ladder-Event"] == event]
        for name, value in where.items():
            found = [f for f in found if f.get(name) == value]
        assert len(found) == 1, (event, found)
        return found[0]

    signature = one("signature")["osdi:signature"]
    assert signature["identifiers"][0] == ids.identifier("signature", taken.submission.pk)
    assert signature["person"]["email_addresses"][0]["address"] == "rosa@example.org"
    assert signature["_links"]["osdi:petition"]["href"].endswith(
        ids.encode("petition", petition.pk)
    )
    assert signature["_links"]["osdi:person"]["href"].startswith("http://")

    donation = one("donation")["osdi:donation"]
    assert donation["amount"] == "25.00"
    assert donation["identifiers"][0] == ids.identifier("donation", gift.pk)
    assert donation["person"]["given_name"] == "Alma"

    unsub = one("unsubscribe")["ladder:unsubscribe"]
    assert unsub["email_address"] == "alma@example.org"

    created = [
        p.json[0]["osdi:person"] for p in posts if p.headers["X-Ladder-Event"] == "person_created"
    ]
    assert {c["email_addresses"][0]["address"] for c in created} == {
        "rosa@example.org", "sid@example.org", "nia@example.org",
    }  # fmt: skip
    updated = one("person_updated")["osdi:person"]
    assert updated["given_name"] == "Niamh"
    assert updated["identifiers"][0] == ids.identifier("person", newcomer.pk)

    # The log agrees: every delivery delivered, one try each.
    assert not WebhookDelivery.objects.exclude(status="delivered").exists()
    assert WebhookAttempt.objects.count() == len(posts)


def test_a_500_is_retried_after_the_back_off_with_the_same_key(receiver, staff_user, client):
    sub = services.subscription_create(
        actor=staff_user, name="Flaky", url=f"{receiver.url}/flaky", event_types=["signature"]
    )
    receiver.answers = [500]
    sign(make_page(staff_user))
    t0 = later()
    run(t0)
    assert len(receiver.posts) == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.next_attempt_at == t0 + dt.timedelta(seconds=30)

    run(t0 + dt.timedelta(seconds=20))  # not due yet
    assert len(receiver.posts) == 1
    run(t0 + dt.timedelta(seconds=31))
    assert len(receiver.posts) == 2
    first, second = receiver.posts
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert first.body == second.body
    assert signed(first, sub.secret) and signed(second, sub.secret)
    assert (
        int(second.headers["X-Ladder-Timestamp"]) - int(first.headers["X-Ladder-Timestamp"]) == 31
    )
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)
    assert list(delivery.tries.order_by("at").values_list("status_code", flat=True)) == [500, 200]

    # The delivery log shows both tries.
    client.force_login(staff_user)
    page = client.get(f"/api/webhooks/deliveries/{delivery.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert text.count('class="try"') == 2 and "500" in text and "200" in text


def test_back_off_grows_and_then_gives_up(receiver, staff_user):
    services.subscription_create(actor=staff_user, name="Down", url=f"{receiver.url}/down",
                                 event_types=["signature"])  # fmt: skip
    receiver.answers = [503] * 20
    sign(make_page(staff_user))
    now = later()
    fanout.webhooks_fanout(now=now)
    waits = []
    for _ in range(wh_delivery.MAX_ATTEMPTS):
        assert wh_delivery.deliver_due(now=now) == 1
        delivery = WebhookDelivery.objects.get()
        if delivery.status == "failed":
            break
        waits.append(delivery.next_attempt_at - now)
        now = delivery.next_attempt_at
    assert waits == list(wh_delivery.BACKOFF)
    assert delivery.status == "failed" and delivery.attempts == wh_delivery.MAX_ATTEMPTS
    assert wh_delivery.deliver_due(now=now + dt.timedelta(days=30)) == 0

    # Replay: pending again, due now, same key; the receiver is back up.
    receiver.answers = []
    services.delivery_replay(actor=staff_user, delivery=delivery, now=now)
    assert wh_delivery.deliver_due(now=now) == 1
    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    assert len({p.headers["Idempotency-Key"] for p in receiver.posts}) == 1
    assert WebhookAttempt.objects.filter(delivery=delivery).count() == wh_delivery.MAX_ATTEMPTS + 1


def test_a_refused_connection_is_a_logged_try_not_a_crash(staff_user):
    # A port nothing listens on: bind one, note it, close it.
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    services.subscription_create(actor=staff_user, name="Gone", url=f"http://127.0.0.1:{port}/",
                                 event_types=["signature"])  # fmt: skip
    sign(make_page(staff_user))
    run()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.last_status_code is None and delivery.last_error
    assert delivery.tries.get().error


def test_two_workers_never_claim_the_same_delivery(receiver, staff_user):
    services.subscription_create(actor=staff_user, name="CRM", url=f"{receiver.url}/",
                                 event_types=["person_created"])  # fmt: skip
    for n in range(5):
        person_create(actor=None, first_name=f"P{n}", email=f"p{n}@example.org")
    now = later()
    fanout.webhooks_fanout(now=now)
    first = wh_delivery.claim(now=now, limit=3)
    second = wh_delivery.claim(now=now, limit=10)
    assert len(first) == 3 and len(second) == 2
    assert not {d.pk for d in first} & {d.pk for d in second}
    assert wh_delivery.claim(now=now) == []
    # A worker that died mid-post: its rows come back when the lease runs out.
    assert len(wh_delivery.claim(now=now + wh_delivery.lease() + dt.timedelta(seconds=1))) == 5


def test_unsettled_activities_wait_and_gaps_never_stall(staff_user):
    sub = services.subscription_create(actor=staff_user, name="CRM", url="http://127.0.0.1:9/",
                                       event_types=["signature"])  # fmt: skip
    page = make_page(staff_user)
    sign(page, "a@example.org")
    # Just written: not settled yet, so not read (a lower id may still be committing).
    fanout.activities_fanout(now=timezone.now())
    assert not WebhookDelivery.objects.exists()
    fanout.activities_fanout(now=later())
    assert WebhookDelivery.objects.count() == 1
    # A gap far larger than a window (PostgreSQL sequences never give ids back).
    cursor = WebhookCursor.objects.get(name="activities")
    Activity.objects.filter(pk__gt=cursor.last_id).delete()
    last = Activity.objects.order_by("-pk").first()
    sign(page, "b@example.org")
    newest = Activity.objects.order_by("-pk").first()
    assert newest is not None
    Activity.objects.filter(pk=newest.pk).update(id=(last.pk if last else 0) + 3 * fanout.ID_WINDOW)
    fanout.activities_fanout(now=later())
    assert WebhookDelivery.objects.filter(subscription=sub).count() == 2


def test_nothing_is_kept_while_nobody_listens(staff_user):
    sign(make_page(staff_user))
    person_create(actor=None, first_name="Early", email="early@example.org")
    fanout.webhooks_fanout(now=later())
    services.subscription_create(actor=staff_user, name="Late", url="http://127.0.0.1:9/",
                                 event_types=["signature", "person_created"])  # fmt: skip
    fanout.webhooks_fanout(now=later(20))
    assert not WebhookDelivery.objects.exists()


def test_the_command_sends_until_nothing_is_due(receiver, staff_user):
    services.subscription_create(actor=staff_user, name="CRM", url=f"{receiver.url}/",
                                 event_types=["signature", "person_created"])  # fmt: skip
    sign(make_page(staff_user))
    # As if a minute had passed: the rows have settled.
    minute_ago = timezone.now() - dt.timedelta(minutes=1)
    WebhookSubscription.objects.update(created_at=minute_ago - dt.timedelta(seconds=1))
    Activity.objects.update(created_at=minute_ago)
    Person.objects.update(created_at=minute_ago, updated_at=minute_ago)
    out = StringIO()
    call_command("webhooks", "send", stdout=out)
    assert {p.headers["X-Ladder-Event"] for p in receiver.posts} == {"signature", "person_created"}
    assert "delivered 2" in out.getvalue()
    call_command("webhooks", "send", "--once", stdout=out)
    assert len(receiver.posts) == 2


def test_subscriptions_are_checked(staff_user, leader_a):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(ValidationError) as problem:
        services.subscription_create(actor=staff_user, name="", url="ftp://x", event_types=["nope"])
    assert set(problem.value.message_dict) == {"name", "url", "event_types"}
    with pytest.raises(PermissionDenied):
        services.subscription_create(actor=leader_a, name="Mine", url="http://127.0.0.1:9/",
                                     event_types=["signature"])  # fmt: skip
    sub = services.subscription_create(
        actor=staff_user,
        name="CRM",
        url="https://crm.example/",
        event_types=["donation", "signature", "donation"],
    )
    assert sub.event_types == ["signature", "donation"] and len(sub.secret) == 64
    old = sub.secret
    services.subscription_update(actor=staff_user, subscription=sub, name="CRM 2",
                                 url="https://crm.example/in", event_types=["unsubscribe"],
                                 active=False, new_secret=True)  # fmt: skip
    sub.refresh_from_db()
    assert (sub.name, sub.event_types, sub.active) == ("CRM 2", ["unsubscribe"], False)
    assert sub.secret != old


def test_the_client_can_use_it_as_action_network_sends_it(receiver, staff_user):
    """The body is a JSON array with one object keyed by the OSDI type (Action Network's
    webhook shape)."""
    services.subscription_create(actor=staff_user, name="AN", url=f"{receiver.url}/",
                                 event_types=["signature"])  # fmt: skip
    sign(make_page(staff_user))
    run()
    [post] = receiver.posts
    body = post.json
    assert isinstance(body, list) and len(body) == 1
    assert set(body[0]) == {"osdi:signature", "idempotency_key", "event"}


def test_an_event_carries_the_record_the_api_serves_at_its_self_link(receiver, staff_user):
    from ladder.api.tests.testing import ApiClient

    api = ApiClient(staff_user)
    services.subscription_create(
        actor=staff_user, name="RSVPs", url=f"{receiver.url}/hook",
        event_types=["attendance", "signature"],
    )  # fmt: skip
    start = (timezone.now() + dt.timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S")
    event = api.post("events", {"title": "Door-knock Saturday", "start_date": start}).json()
    rsvp = {"person": {"given_name": "Ruth", "email_addresses": [{"address": "ruth@example.org"}]}}
    assert api.post(event["_links"]["osdi:attendances"]["href"], rsvp).status_code in (200, 201)
    petition = api.post("petitions", {"title": "Fix the bus", "target": "Council"}).json()
    assert api.post(petition["_links"]["osdi:signatures"]["href"], rsvp).status_code in (200, 201)
    run()
    for post in receiver.posts:
        [item] = post.json
        (record,) = (v for k, v in item.items() if k.startswith("osdi:"))
        served = api.get(record["_links"]["self"]["href"])
        assert served.status_code == 200, record["_links"]["self"]
        assert served.json()["identifiers"] == record["identifiers"]

        def path(links: dict[str, Any]) -> str:
            return links["osdi:person"]["href"].split("/api/v2/", 1)[1]

        assert path(served.json()["_links"]) == path(record["_links"])
    assert {p.headers["X-Ladder-Event"] for p in receiver.posts} == {"attendance", "signature"}
