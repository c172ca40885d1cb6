"""One-click unsubscribe (RFC 8058) and the preferences page, through the real views."""

from __future__ import annotations

import pytest
from django.test import Client

from ladder.activity.catalogue import ActivityType
from ladder.activity.models import Activity
from ladder.mailings import tokens
from ladder.mailings.models import Delivery, MailPreference
from ladder.mailings.tests.intake_fixtures import sent_delivery
from ladder.people.models import ConsentEvent, EmailAddress, Subscription, Suppression
from ladder.people.normalize import address_hash
from ladder.people.services import consent_record


@pytest.fixture
def delivery(person_in_a, staff_user) -> Delivery:
    consent_record(
        actor=None,
        person=person_in_a,
        channel="email",
        contact_point="alma@example.org",
        status="opt_in",
        source="petition",
    )
    return sent_delivery(person_in_a, staff_user)


@pytest.fixture
def mail_client() -> Client:
    """A mail client or a scanner: no cookies, CSRF enforced as in production."""
    return Client(enforce_csrf_checks=True)


def opted_out() -> bool:
    latest = ConsentEvent.objects.filter(contact_point="alma@example.org").order_by("-id").first()
    return latest is not None and latest.status == ConsentEvent.Status.OPT_OUT


def suppressed() -> bool:
    return Suppression.objects.filter(
        channel="email", address_hash=address_hash("email", "alma@example.org")
    ).exists()


def test_a_get_only_asks_so_link_scanners_unsubscribe_nobody(mail_client, delivery):
    url = f"/m/u/{tokens.make('list', delivery.pk)}"
    for _ in range(3):
        response = mail_client.get(url)
        assert response.status_code == 200
    page = response.content.decode()
    assert 'method="post"' in page and "Unsubscribe</button>" in page
    assert "a•••@example.org" in page  # the address, not all of it
    assert 'name="viewport"' in page
    assert mail_client.head(url).status_code == 200
    assert not opted_out() and not suppressed()
    delivery.refresh_from_db()
    assert delivery.unsubscribed_at is None


def test_one_click_post_unsubscribes_suppresses_and_logs(mail_client, delivery):
    response = mail_client.post(
        f"/m/u/{tokens.make('list', delivery.pk)}", {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    assert opted_out() and suppressed()
    event = ConsentEvent.objects.order_by("-id").first()
    assert event is not None and event.by_person
    assert event.source == f"mailing #{delivery.mailing_id} one-click unsubscribe"
    assert EmailAddress.objects.get(address="alma@example.org").subscription == (
        Subscription.UNSUBSCRIBED
    )
    delivery.refresh_from_db()
    assert delivery.unsubscribed_at is not None
    activity = Activity.objects.get(type=ActivityType.EMAIL_UNSUBSCRIBED)
    assert activity.person_id == delivery.person_id and activity.object_id == delivery.mailing_id


def test_a_replayed_one_click_changes_nothing(mail_client, delivery):
    url = f"/m/u/{tokens.make('list', delivery.pk)}"
    for _ in range(3):
        assert mail_client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200
    delivery.refresh_from_db()
    first = delivery.unsubscribed_at
    assert mail_client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200
    delivery.refresh_from_db()
    assert delivery.unsubscribed_at == first
    assert ConsentEvent.objects.filter(status="opt_out").count() == 1
    assert Activity.objects.filter(type=ActivityType.EMAIL_UNSUBSCRIBED).count() == 1
    assert Suppression.objects.count() == 1


def test_the_button_on_the_page_unsubscribes_too(mail_client, delivery):
    response = mail_client.post(f"/m/u/{tokens.make('list', delivery.pk)}")
    assert response.status_code == 200
    assert b"You are unsubscribed" in response.content
    assert opted_out() and suppressed()
    again = mail_client.get(f"/m/u/{tokens.make('list', delivery.pk)}")
    assert b"already unsubscribed" in again.content


@pytest.mark.parametrize(
    "make_token",
    [
        lambda d: tokens.make("open", d.pk),
        lambda d: (
            tokens.make("list", d.pk)[:-1] + ("A" if tokens.make("list", d.pk)[-1] != "A" else "B")
        ),
        lambda d: tokens.make("list", d.pk + 99),
        lambda d: "x",
    ],
)
def test_a_bad_list_token_is_a_404_and_unsubscribes_nobody(mail_client, delivery, make_token):
    token = make_token(delivery)
    for path in (f"/m/u/{token}", f"/m/p/{token}"):
        assert mail_client.get(path).status_code == 404
        response = mail_client.post(path, {"List-Unsubscribe": "One-Click"})
        assert response.status_code in (403, 404)  # preferences keep CSRF
    assert not opted_out() and not suppressed()


def test_preferences_store_topics_off_and_a_weekly_cap_by_address_hash(client, delivery):
    url = f"/m/p/{tokens.make('list', delivery.pk)}"
    page = client.get(url)
    assert page.status_code == 200
    assert page.content.decode().count('type="checkbox"') == 4
    assert page.content.decode().count("checked") == 4  # everything wanted at first

    saved = client.post(url, {"topics": ["news", "events"], "weekly_cap": "3"})
    assert saved.status_code == 200
    assert b"Saved." in saved.content
    preference = MailPreference.objects.get()
    assert preference.address_hash == address_hash("email", "alma@example.org")
    assert preference.topics_off == ",actions,fundraising,"
    assert preference.weekly_cap == 3
    assert not opted_out()

    shown = client.get(url).content.decode()
    assert shown.count("checked") == 2
    assert 'value="3"' in shown

    client.post(url, {"topics": ["news", "events", "actions", "fundraising"], "weekly_cap": ""})
    preference.refresh_from_db()
    assert (preference.topics_off, preference.weekly_cap) == ("", None)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"weekly_cap": "0"}, "greater than or equal to 1"),
        ({"weekly_cap": "500"}, "less than or equal to 50"),
        ({"weekly_cap": "lots"}, "Enter a whole number"),
        ({"topics": ["gossip"], "weekly_cap": "2"}, "not one of the available choices"),
    ],
)
def test_bad_preferences_are_shown_next_to_their_field(client, delivery, data, message):
    response = client.post(f"/m/p/{tokens.make('list', delivery.pk)}", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert 'class="error"' in page and "has-error" in page
    assert not MailPreference.objects.exists()


def test_unsubscribe_from_all_on_the_preferences_page(client, delivery):
    response = client.post(f"/m/p/{tokens.make('list', delivery.pk)}", {"unsubscribe_all": "1"})
    assert response.status_code == 200
    assert b"You are unsubscribed" in response.content
    assert opted_out() and suppressed()
    event = ConsentEvent.objects.order_by("-id").first()
    assert event is not None and "preferences page" in event.source
    shown = client.get(f"/m/p/{tokens.make('list', delivery.pk)}")
    assert b"This address is unsubscribed" in shown.content


def test_a_newer_opt_in_by_the_person_then_the_old_link_unsubscribes_again(mail_client, delivery):
    url = f"/m/u/{tokens.make('list', delivery.pk)}"
    mail_client.post(url, {"List-Unsubscribe": "One-Click"})
    consent_record(
        actor=None,
        person=delivery.person,
        channel="email",
        contact_point=delivery.email,
        status="opt_in",
        source="signed up again",
        by_person=True,
    )
    assert not opted_out()
    mail_client.post(url, {"List-Unsubscribe": "One-Click"})
    assert opted_out() and suppressed()
    assert Activity.objects.filter(type=ActivityType.EMAIL_UNSUBSCRIBED).count() == 2
