"""Opens and clicks through the real views, buffered, written in bulk, folded into deliveries
and the activity log; and actions and gifts attributed to the mailing clicked last."""

from __future__ import annotations

import datetime as dt
import threading
import time
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone

from ladder.activity.catalogue import ActivityType
from ladder.activity.models import Activity
from ladder.activity.services import activity_record
from ladder.mailings import fold, tokens, tracking
from ladder.mailings.models import Delivery, Mailing, TrackingHit
from ladder.mailings.tests.intake_fixtures import LINKS, manual_buffer, sent_delivery

pytestmark = pytest.mark.usefixtures("manual_buffer")
__all__ = ["manual_buffer"]

SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148"
)
GMAIL_PROXY = (
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"
)


@pytest.fixture
def delivery(person_in_a, staff_user) -> Delivery:
    return sent_delivery(person_in_a, staff_user)


def opened(client: Client, token: str, agent: str = SAFARI):
    return client.get(f"/m/o/{token}", HTTP_USER_AGENT=agent)


def folded() -> int:
    tracking.flush()
    return fold.tracking_fold()


def test_an_open_is_a_pixel_a_hit_and_after_the_fold_an_opened_delivery(client, delivery):
    response = opened(client, tokens.make("open", delivery.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/gif"
    assert response.content.startswith(b"GIF89a")
    assert "no-store" in response["Cache-Control"]
    assert tracking.BUFFER.pending() == 1
    assert tracking.flush() == 1
    hit = TrackingHit.objects.get()
    assert (hit.kind, hit.delivery_id, hit.machine) == ("open", delivery.pk, False)

    assert fold.tracking_fold() == 1
    delivery.refresh_from_db()
    assert delivery.opens == 1 and delivery.opened_at is not None
    assert delivery.machine_open is False
    assert not TrackingHit.objects.exists()
    activity = Activity.objects.get(type=ActivityType.EMAIL_OPENED)
    assert activity.person_id == delivery.person_id
    assert activity.object_id == delivery.mailing_id
    assert activity.payload == {"mailing": "Library vote"}


@pytest.mark.parametrize(
    "make_token",
    [
        lambda d: tokens.make("click", d.pk),  # another purpose's token
        lambda d: tokens.make("open", d.pk)[:-2] + "AA",  # altered signature
        lambda d: (
            tokens.make("open", d.pk + 1).split(".")[0]
            + "."
            + tokens.make("open", d.pk).split(".")[1]
        ),
        lambda d: "not-a-token",
        lambda d: "%00%ff",
    ],
)
def test_a_bad_open_token_still_gets_its_pixel_but_counts_for_nothing(client, delivery, make_token):
    response = opened(client, make_token(delivery))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/gif"
    assert tracking.BUFFER.pending() == 0
    assert folded() == 0


def test_proxies_are_machines_and_a_machine_open_is_no_reading(client, delivery):
    token = tokens.make("open", delivery.pk)
    opened(client, token, agent="Mozilla/5.0")  # Apple Mail Privacy Protection
    opened(client, token, agent=GMAIL_PROXY)
    assert folded() == 2
    delivery.refresh_from_db()
    assert delivery.opens == 2 and delivery.machine_open is True
    assert not Activity.objects.filter(type=ActivityType.EMAIL_OPENED).exists()

    opened(client, token)  # the person, later, on their phone
    opened(client, token)
    assert folded() == 2
    delivery.refresh_from_db()
    assert delivery.opens == 4 and delivery.machine_open is False
    assert Activity.objects.filter(type=ActivityType.EMAIL_OPENED).count() == 1


def test_an_open_seconds_after_sending_is_a_gateway_prefetching(client, person_in_a, staff_user):
    delivery = sent_delivery(person_in_a, staff_user, sent_ago=dt.timedelta(seconds=0.2))
    opened(client, tokens.make("open", delivery.pk))
    folded()
    delivery.refresh_from_db()
    assert delivery.opens == 1 and delivery.machine_open is True


def test_a_click_redirects_and_links_to_our_site_carry_the_attribution_token(
    client, delivery, settings
):
    settings.LADDER_PUBLIC_URL = "http://127.0.0.1:8000"
    outside = client.get(f"/m/c/{tokens.make('click', delivery.pk, 0)}", HTTP_USER_AGENT=SAFARI)
    assert outside.status_code == 302
    assert outside["Location"] == LINKS[0]

    for index, path in ((1, "/act/save-the-library/"), (2, "/give/")):
        ours = client.get(
            f"/m/c/{tokens.make('click', delivery.pk, index)}", HTTP_USER_AGENT=SAFARI
        )
        assert ours.status_code == 302
        target = urlsplit(ours["Location"])
        assert f"{target.scheme}://{target.netloc}" == "http://127.0.0.1:8000"
        assert target.path == path
        (mt,) = parse_qs(target.query)["mt"]
        assert tokens.read("attr", mt).delivery_id == delivery.pk

    assert folded() == 3
    delivery.refresh_from_db()
    assert delivery.clicks == 3 and delivery.clicked_at is not None
    clicks = Activity.objects.filter(type=ActivityType.EMAIL_CLICKED).order_by("id")
    assert [a.payload["url"] for a in clicks] == list(LINKS)


def test_clicking_the_same_link_again_counts_but_logs_once(client, delivery):
    token = tokens.make("click", delivery.pk, 0)
    for _ in range(3):
        client.get(f"/m/c/{token}", HTTP_USER_AGENT=SAFARI)
    folded()
    delivery.refresh_from_db()
    assert delivery.clicks == 3
    assert Activity.objects.filter(type=ActivityType.EMAIL_CLICKED).count() == 1


@pytest.mark.parametrize(
    "make_token",
    [
        lambda d: tokens.make("open", d.pk),  # wrong purpose
        lambda d: tokens.make("click", d.pk, 0)[:-3] + "xyz",  # altered
        lambda d: tokens.make("click", d.pk, 9),  # no such link
        lambda d: tokens.make("click", d.pk + 1000, 0),  # no such delivery
        lambda d: "....",
    ],
)
def test_a_bad_click_token_is_a_404_page_that_says_so(client, delivery, make_token):
    response = client.get(f"/m/c/{make_token(delivery)}", HTTP_USER_AGENT=SAFARI)
    assert response.status_code == 404
    assert b"This link does not work" in response.content
    assert tracking.BUFFER.pending() == 0


def test_link_scanners_are_followed_but_count_for_nothing(client, delivery):
    token = tokens.make("click", delivery.pk, 0)
    head = client.head(f"/m/c/{token}", HTTP_USER_AGENT=SAFARI)
    assert head.status_code == 302
    client.get(f"/m/c/{token}", HTTP_USER_AGENT="Mozilla/5.0 (compatible; Barracuda Sentinel)")
    client.get(f"/m/c/{token}")  # no user agent at all
    assert folded() == 3
    delivery.refresh_from_db()
    assert delivery.clicks == 0 and delivery.clicked_at is None
    assert not Activity.objects.filter(type=ActivityType.EMAIL_CLICKED).exists()


def test_a_click_costs_at_most_one_small_query(client, delivery, django_assert_max_num_queries):
    token = tokens.make("click", delivery.pk, 1)
    client.get(f"/m/c/{token}", HTTP_USER_AGENT=SAFARI)  # the variant's links are now cached
    with django_assert_max_num_queries(1):
        assert client.get(f"/m/c/{token}", HTTP_USER_AGENT=SAFARI).status_code == 302
    with django_assert_max_num_queries(0):
        assert opened(client, tokens.make("open", delivery.pk)).status_code == 200


def test_the_fold_is_idempotent_and_cheap_when_there_is_nothing(
    client, delivery, django_assert_max_num_queries
):
    token = tokens.make("open", delivery.pk)
    opened(client, token)
    client.get(f"/m/c/{tokens.make('click', delivery.pk, 0)}", HTTP_USER_AGENT=SAFARI)
    assert folded() == 2
    assert folded() == 0
    with django_assert_max_num_queries(1):
        assert fold.tracking_fold() == 0
    delivery.refresh_from_db()
    assert (delivery.opens, delivery.clicks) == (1, 1)
    # The same open and click again (a hit written twice after a retry, say) adds counts but
    # never a second activity: the log is keyed per delivery and link.
    opened(client, token)
    client.get(f"/m/c/{tokens.make('click', delivery.pk, 0)}", HTTP_USER_AGENT=SAFARI)
    folded()
    assert Activity.objects.filter(type=ActivityType.EMAIL_OPENED).count() == 1
    assert Activity.objects.filter(type=ActivityType.EMAIL_CLICKED).count() == 1


def test_the_fold_takes_hits_in_chunks(client, delivery):
    token = tokens.make("open", delivery.pk)
    for _ in range(7):
        opened(client, token)
    tracking.flush()
    assert fold.tracking_fold(chunk=3) == 7
    delivery.refresh_from_db()
    assert delivery.opens == 7


def test_a_full_buffer_is_written_at_once(delivery):
    buffer = tracking.HitBuffer(batch=3)
    buffer.manual = True
    for _ in range(3):
        buffer.add(tracking.Hit("open", delivery.pk, None, False, time.time()))
    assert buffer.pending() == 0 and buffer.written == 3
    assert TrackingHit.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_the_flusher_thread_writes_hits_within_about_a_second(person_in_a, staff_user):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(":memory:"):
        pytest.skip("the thread needs a database it can open itself")
    delivery = sent_delivery(person_in_a, staff_user)
    buffer = tracking.HitBuffer(batch=1000, seconds=0.2)
    buffer.add(tracking.Hit("open", delivery.pk, None, False, time.time()))
    assert buffer._thread is not None and buffer._thread.daemon
    deadline = time.time() + 10
    while buffer.written == 0 and time.time() < deadline:
        time.sleep(0.05)
    assert buffer.written == 1
    assert TrackingHit.objects.filter(delivery_id=delivery.pk).count() == 1


def test_the_buffer_is_safe_across_threads(delivery):
    buffer = tracking.HitBuffer(batch=10_000)
    buffer.manual = True

    def add_many() -> None:
        for _ in range(500):
            buffer.add(tracking.Hit("open", delivery.pk, None, False, time.time()))

    threads = [threading.Thread(target=add_many) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert buffer.pending() == 4000
    assert buffer.flush() == 4000
    assert TrackingHit.objects.count() == 4000


def test_hits_stay_in_the_buffer_when_they_cannot_be_written(delivery):
    buffer = tracking.HitBuffer()
    buffer.manual = True
    buffer.add(tracking.Hit("open", delivery.pk, None, False, time.time()))
    with connection.cursor() as cursor:  # make the insert fail for real: no table
        cursor.execute("ALTER TABLE mailings_trackinghit RENAME TO mailings_trackinghit_away")
    try:
        with pytest.raises(DatabaseError), transaction.atomic():
            buffer.flush()
        assert buffer.pending() == 1
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE mailings_trackinghit_away RENAME TO mailings_trackinghit")


# ---------------------------------------------------------------------------------------------
# Attribution.


def _act(person_id: int, type: str, when: dt.datetime, amount: str | None = None, key: str = ""):
    from ladder.people.models import Person

    return activity_record(
        person=Person.objects.get(pk=person_id),
        type=type,
        occurred_at=when,
        amount=Decimal(amount) if amount else None,
        idempotency_key=key or None,
    )


def _clicked(client: Client, delivery: Delivery) -> dt.datetime:
    client.get(f"/m/c/{tokens.make('click', delivery.pk, 1)}", HTTP_USER_AGENT=SAFARI)
    folded()
    delivery.refresh_from_db()
    assert delivery.clicked_at is not None
    return delivery.clicked_at


def settled() -> dt.datetime:
    return timezone.now() + fold.SETTLE + dt.timedelta(seconds=1)


def test_actions_and_gifts_after_a_click_count_for_the_mailing(client, delivery):
    clicked_at = _clicked(client, delivery)
    _act(delivery.person_id, ActivityType.PETITION_SIGNATURE, clicked_at + dt.timedelta(minutes=3))
    _act(delivery.person_id, ActivityType.DONATION, clicked_at + dt.timedelta(days=2), "25.00")
    _act(delivery.person_id, ActivityType.NOTE, clicked_at + dt.timedelta(days=2))  # not an action
    _act(delivery.person_id, ActivityType.RSVP, clicked_at + dt.timedelta(days=8))  # too late
    _act(delivery.person_id, ActivityType.RSVP, clicked_at - dt.timedelta(hours=1))  # before
    assert fold.attribution_fold(now=settled()) == 4
    delivery.refresh_from_db()
    assert delivery.actions == 2
    assert delivery.gifts == 1 and delivery.gift_total == Decimal("25.00")
    assert delivery.acted_at == clicked_at + dt.timedelta(minutes=3)
    # Each activity is looked at once: another pass credits nothing more.
    assert fold.attribution_fold(now=settled()) == 0
    delivery.refresh_from_db()
    assert delivery.actions == 2


def test_an_action_counts_for_the_latest_mailing_clicked(client, delivery, staff_user):
    later = sent_delivery(
        delivery.person,
        staff_user,
        mailing=Mailing.objects.create(name="Second", created_by=staff_user),
    )
    first = _clicked(client, delivery)
    second = _clicked(client, later)
    assert second >= first
    _act(delivery.person_id, ActivityType.FORM_SUBMISSION, second + dt.timedelta(hours=1))
    fold.mail_fold(now=settled())
    delivery.refresh_from_db()
    later.refresh_from_db()
    assert (delivery.actions, later.actions) == (0, 1)


def test_unsettled_activities_wait_for_the_next_pass(client, delivery):
    clicked_at = _clicked(client, delivery)
    _act(delivery.person_id, ActivityType.PETITION_SIGNATURE, clicked_at + dt.timedelta(minutes=1))
    assert fold.attribution_fold(now=timezone.now()) == 0  # written just now: may not be settled
    assert fold.attribution_fold(now=settled()) == 1
    delivery.refresh_from_db()
    assert delivery.actions == 1


def test_someone_who_never_clicked_credits_nobody(delivery, person_in_b):
    _act(person_in_b.pk, ActivityType.PETITION_SIGNATURE, timezone.now())
    assert fold.attribution_fold(now=settled()) == 1
    assert not Delivery.objects.filter(actions__gt=0).exists()


def test_a_gap_in_activity_ids_does_not_stall_attribution(client, delivery):
    """PostgreSQL sequences never give ids back: the log may start far above the watermark."""
    from ladder.activity.models import Activity

    clicked_at = _clicked(client, delivery)
    signed = _act(delivery.person_id, ActivityType.PETITION_SIGNATURE,
                  clicked_at + dt.timedelta(minutes=3))  # fmt: skip
    Activity.objects.filter(pk=signed.pk).update(id=fold.ID_WINDOW * 30)
    assert fold.attribution_fold(now=settled()) == 1
    delivery.refresh_from_db()
    assert delivery.actions == 1
