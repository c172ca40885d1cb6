"""The webhook staff screens: admins and staff make and edit subscriptions (the secret made and
shown), read the delivery log newest first by keyset, replay a delivery (POST with CSRF), see
one delivery's tries and the inbound hooks' calls; leaders and volunteers get 403 everywhere."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from ladder.api.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from ladder.api.webhooks import services
from ladder.core.models import HookCall, Role
from ladder.core.testing import make_user

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def a_delivery(sub: WebhookSubscription, n: int, status: str = "delivered") -> WebhookDelivery:
    return WebhookDelivery.objects.create(
        subscription=sub, event_type="signature", idempotency_key=f"key-{n}",
        payload=[{"osdi:signature": {"n": n}, "idempotency_key": f"key-{n}", "event": "signature"}],
        status=status, attempts=1, next_attempt_at=timezone.now(), last_status_code=200,
    )  # fmt: skip


@pytest.fixture
def sub(staff_user) -> WebhookSubscription:
    return services.subscription_create(actor=staff_user, name="CRM sync",
                                        url="https://crm.example/hook",
                                        event_types=["signature", "donation"])  # fmt: skip


PAGES = ["/api/webhooks/", "/api/webhooks/new", "/api/webhooks/deliveries/",
         "/api/webhooks/inbound/"]  # fmt: skip


def test_leaders_and_volunteers_are_refused_everywhere(sub, leader_a):
    delivery = a_delivery(sub, 1)
    volunteer = make_user("vic", Role.VOLUNTEER)
    for user in (leader_a, volunteer):
        client = logged_in(user)
        for path in [
            *PAGES,
            f"/api/webhooks/{sub.pk}/",
            f"/api/webhooks/deliveries/{delivery.pk}/",
        ]:
            assert client.get(path).status_code == 403, (user, path)
        assert client.post(f"/api/webhooks/deliveries/{delivery.pk}/replay").status_code == 403
        assert (
            client.post(
                "/api/webhooks/new",
                {"name": "x", "url": "http://x.example/", "event_types": ["signature"]},
            ).status_code
            == 403
        )
    assert WebhookSubscription.objects.count() == 1
    assert Client().get("/api/webhooks/").status_code == 302  # to the login


def test_staff_make_a_subscription_and_see_its_secret(staff_user):
    client = logged_in(staff_user)
    assert client.get("/api/webhooks/new").status_code == 200
    form = {"name": "CRM", "url": "https://crm.example/in",
            "event_types": ["donation", "person_created"], "active": "on"}  # fmt: skip
    response = client.post("/api/webhooks/new", form)
    sub = WebhookSubscription.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/api/webhooks/{sub.pk}/"
    assert sub.event_types == ["person_created", "donation"] and sub.active
    page = client.get(f"/api/webhooks/{sub.pk}/").content.decode()
    assert sub.secret in page
    listing = client.get("/api/webhooks/").content.decode()
    assert "CRM" in listing and "Donation" in listing and "Person created" in listing


def test_bad_input_is_shown_beside_its_field(staff_user, sub):
    client = logged_in(staff_user)
    response = client.post("/api/webhooks/new", {"name": "", "url": "ftp://nope"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "errorlist" in text and "http:// or https://" in text
    response = client.post(f"/api/webhooks/{sub.pk}/", {"name": "CRM", "url": "https://crm.example/",
                                                       "event_types": ["bogus"]})  # fmt: skip
    assert response.status_code == 400
    assert client.get("/api/webhooks/999999/").status_code == 404


def test_edit_pauses_and_makes_a_new_secret(staff_user, sub):
    client = logged_in(staff_user)
    old = sub.secret
    response = client.post(f"/api/webhooks/{sub.pk}/", {"name": "CRM 2", "url": sub.url,
                           "event_types": ["signature"], "new_secret": "on"})  # fmt: skip
    assert response.status_code == 302
    sub.refresh_from_db()
    assert (sub.name, sub.active, sub.event_types) == ("CRM 2", False, ["signature"])
    assert sub.secret != old


def test_the_log_is_newest_first_and_pages_by_keyset(staff_user, sub):
    rows = [a_delivery(sub, n) for n in range(60)]
    client = logged_in(staff_user)
    first = client.get("/api/webhooks/deliveries/")
    text = first.content.decode()
    assert (
        f"#{rows[-1].pk}<" in text and f"#{rows[10].pk}<" in text and f"#{rows[9].pk}<" not in text
    )
    assert text.index(f"#{rows[-1].pk}<") < text.index(f"#{rows[-2].pk}<")
    older = first.context["older_query"]
    assert older == f"?before={rows[10].pk}"
    second = client.get("/api/webhooks/deliveries/" + older).content.decode()
    assert f"#{rows[9].pk}<" in second and f"#{rows[0].pk}<" in second
    assert f"#{rows[10].pk}<" not in second
    assert client.get("/api/webhooks/deliveries/?before=abc&subscription=x").status_code == 200
    failed = client.get("/api/webhooks/deliveries/?status=failed").content.decode()
    assert "No deliveries here yet" in failed


def test_replay_is_a_post_with_csrf_and_makes_it_due_now(staff_user, sub):
    delivery = a_delivery(sub, 1, status="failed")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(staff_user)
    assert strict.post(f"/api/webhooks/deliveries/{delivery.pk}/replay").status_code == 403
    assert strict.get(f"/api/webhooks/deliveries/{delivery.pk}/replay").status_code == 405
    page = strict.get(f"/api/webhooks/deliveries/{delivery.pk}/")
    token = page.cookies["csrftoken"].value
    before = timezone.now()
    response = strict.post(f"/api/webhooks/deliveries/{delivery.pk}/replay",
                           {"csrfmiddlewaretoken": token})  # fmt: skip
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.idempotency_key == "key-1"
    assert before - dt.timedelta(seconds=1) <= delivery.next_attempt_at <= timezone.now()


def test_one_delivery_shows_its_tries_and_body(staff_user, sub):
    delivery = a_delivery(sub, 7, status="pending")
    WebhookAttempt.objects.create(delivery=delivery, at=timezone.now(), status_code=502,
                                  error="HTTP 502 Bad Gateway", duration_ms=12)  # fmt: skip
    text = logged_in(staff_user).get(f"/api/webhooks/deliveries/{delivery.pk}/").content.decode()
    assert "502" in text and "Bad Gateway" in text and "osdi:signature" in text
    assert text.count('class="try"') == 1
    assert logged_in(staff_user).get("/api/webhooks/deliveries/999999/").status_code == 404


def test_the_inbound_page_counts_calls_per_hook(admin_user):
    now = timezone.now()
    for status in (200, 200, 401, 503):
        HookCall.objects.create(hook="actblue", received_at=now, status=status)
    HookCall.objects.create(hook="mail:postmark_tracking", received_at=now, status=400,
                            error="Unreadable webhook post: bad")  # fmt: skip
    HookCall.objects.create(hook="actblue", received_at=now - dt.timedelta(days=30), status=200)
    response = logged_in(admin_user).get("/api/webhooks/inbound/")
    assert response.status_code == 200
    summary = {h["hook"]: h for h in response.context["summary"]}
    assert (summary["actblue"]["total"], summary["actblue"]["ok"], summary["actblue"]["client"],
            summary["actblue"]["server"]) == (4, 2, 1, 1)  # fmt: skip
    assert summary["mail:postmark_tracking"]["client"] == 1
    text = response.content.decode()
    assert text.count('class="call"') == 6 and "Unreadable webhook post" in text
    only = logged_in(admin_user).get("/api/webhooks/inbound/?hook=mail:postmark_tracking")
    assert only.content.decode().count('class="call"') == 1


def test_the_nav_shows_api_to_staff_and_leaders_not_volunteers(staff_user, leader_a):
    from ladder.core.models import Role
    from ladder.core.testing import make_user

    volunteer = make_user("val", Role.VOLUNTEER)
    assert 'href="/api/tokens/"' in logged_in(staff_user).get("/api/webhooks/").content.decode()
    assert 'href="/api/tokens/"' in logged_in(leader_a).get("/me/").content.decode()
    assert 'href="/api/tokens/"' not in logged_in(volunteer).get("/me/").content.decode()
