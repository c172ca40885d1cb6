"""The staff screens of mailings, through the test client against the real database: list,
compose (with the live count and preview), report, outbox. Sends go over SMTP to a sink."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from ladder.core.mailsink import captured_messages
from ladder.mailings import sending
from ladder.mailings.models import Delivery, Mailing, MailTemplate
from ladder.mailings.services import mailing_create, mailing_schedule
from ladder.mailings.tests.testing import everyone_segment, sender, sink_at, subscriber
from ladder.people.services import tag_add

pytestmark = pytest.mark.django_db


def _post(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Schools need us",
        "topic": "news",
        "subject_1": "Hi {{ first_name | friend }}",
        "body_1": "Hello {{ first_name | friend }}, [sign the petition](/act/schools).",
        "test_share": "20",
        "metric": "clicks",
        "test_hours": "4",
        "confidence": "0.95",
        "action": "save",
    }
    data.update(extra)
    return data


def _mailing(user: Any, segment: Any, **extra: Any) -> Mailing:
    fields: dict[str, Any] = {
        "subjects": ["Hi {{ first_name | friend }}", "Schools, {{ first_name | friend }}"],
        "bodies": ["Hello, [sign](/act/schools)."],
        "senders": [sender()],
        "include_segments": [segment],
        "test_share": 50,
    }
    fields.update(extra)
    return mailing_create(actor=user, name="Schools", **fields)


def _sent(user: Any, mailing: Mailing, tmp_path: Any) -> Mailing:
    with sink_at(tmp_path / "mail"):
        mailing_schedule(actor=user, mailing=mailing, when=None)
        sending.mailings_tick()
        sending.send_available("test")
    mailing.refresh_from_db()
    return mailing


def test_list_shows_each_mailing_with_status_and_counts(client, staff_user):
    segment = everyone_segment(staff_user)
    _mailing(staff_user, segment)
    client.force_login(staff_user)
    response = client.get(reverse("mailings:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Schools" in html and "m-draft" in html and "New mailing" in html
    assert 'href="/mailings/"' in html  # the nav link


def test_compose_page_renders_with_the_merge_reference(client, staff_user):
    everyone_segment(staff_user)
    client.force_login(staff_user)
    response = client.get(reverse("mailings:new"))
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("first_name", "city", "rung"):
        assert f"<code>{name}</code>" in html
    assert "tag:" in html and 'name="include_segments"' in html
    assert 'value="send"' in html and 'value="test"' in html and 'value="schedule"' in html


def test_save_a_draft_then_edit_it(client, staff_user):
    segment = everyone_segment(staff_user)
    identity = sender()
    client.force_login(staff_user)
    response = client.post(
        reverse("mailings:new"),
        _post(
            subject_2="Schools, {{ first_name | friend }}",
            body_2="Second body",
            senders=[identity.pk],
            include_segments=[segment.pk],
        ),
    )
    mailing = Mailing.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("mailings:edit", args=[mailing.pk])
    assert mailing.subjects == [
        "Hi {{ first_name | friend }}",
        "Schools, {{ first_name | friend }}",
    ]
    assert mailing.bodies[1] == "Second body" and mailing.status == Mailing.Status.DRAFT
    assert list(mailing.include_segments.all()) == [segment]
    page = client.get(reverse("mailings:edit", args=[mailing.pk])).content.decode()
    assert "Schools, {{ first_name | friend }}" in page and "Second body" in page
    client.post(reverse("mailings:edit", args=[mailing.pk]), _post(name="Renamed"))
    mailing.refresh_from_db()
    assert mailing.name == "Renamed" and mailing.bodies == [_post()["body_1"]]


def _field_block(html: str, name: str) -> str:
    """The HTML of one field's wrapper (the div the template gives id="wrap-<name>")."""
    start = html.index(f'id="wrap-{name}"')
    following = [html.find(f'id="wrap-{n}"', start + 1) for n in ("body_2", "body_3")]
    ends = [i for i in following if i > start]
    return html[start : min(ends) if ends else start + 4000]


def test_a_bad_merge_field_is_shown_next_to_its_body_and_nothing_is_saved(client, staff_user):
    client.force_login(staff_user)
    response = client.post(
        reverse("mailings:new"),
        _post(body_2="Hello {{ frist_name }}", action="send"),
    )
    assert response.status_code == 200
    html = response.content.decode()
    block = _field_block(html, "body_2")
    assert "there is no merge field “frist_name”" in block
    assert "has-error" in block
    assert "frist_name" not in _field_block(html, "body_1")
    assert Mailing.objects.count() == 0


def test_a_bad_subject_and_an_unclosed_block_each_get_their_own_error(client, staff_user):
    client.force_login(staff_user)
    response = client.post(
        reverse("mailings:new"),
        _post(subject_1="{% if tag: rent %}Rent{% endif %}", body_1="{% if tag: rent %} rent"),
    )
    html = response.content.decode()
    subject = html[html.index('id="wrap-subject_1"') : html.index('id="wrap-subject_2"')]
    assert "can hold merge fields but not" in subject
    assert "is not closed" in _field_block(html, "body_1")
    assert Mailing.objects.count() == 0


def test_bad_numbers_get_errors_not_a_500(client, staff_user):
    client.force_login(staff_user)
    response = client.post(
        reverse("mailings:new"),
        _post(test_share="250", test_hours="soon", frequency_cap="-1", confidence="2",
              scheduled_at="not a date", action="schedule"),
    )  # fmt: skip
    assert response.status_code == 200
    assert response.content.decode().count('class="errorlist') >= 5
    assert Mailing.objects.count() == 0


def test_schedule_needs_a_future_time(client, staff_user):
    segment = everyone_segment(staff_user)
    client.force_login(staff_user)
    past = (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("mailings:new"),
        _post(include_segments=[segment.pk], scheduled_at=past, action="schedule"),
    )
    assert "Choose a time in the future." in response.content.decode()
    soon = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("mailings:new"),
        _post(include_segments=[segment.pk], scheduled_at=soon, action="schedule"),
    )
    mailing = Mailing.objects.get()
    assert response["Location"] == reverse("mailings:report", args=[mailing.pk])
    assert mailing.status == Mailing.Status.SCHEDULED
    assert mailing.scheduled_at is not None and mailing.scheduled_at > timezone.now()


def test_send_now_without_an_audience_is_refused_next_to_the_audience(client, staff_user):
    client.force_login(staff_user)
    response = client.post(reverse("mailings:new"), _post(action="send"))
    assert response.status_code == 200
    assert "Choose who it goes to." in response.content.decode()
    assert Mailing.objects.count() == 0  # the draft and the send are one step


def test_send_now_hands_it_to_the_worker(client, staff_user):
    segment = everyone_segment(staff_user)
    client.force_login(staff_user)
    response = client.post(
        reverse("mailings:new"), _post(include_segments=[segment.pk], action="send")
    )
    mailing = Mailing.objects.get()
    assert response["Location"] == reverse("mailings:report", args=[mailing.pk])
    assert mailing.status == Mailing.Status.SCHEDULED
    assert mailing.scheduled_at is not None and mailing.scheduled_at <= timezone.now()


def test_send_a_test_to_me_goes_over_smtp(client, staff_user, tmp_path):
    staff_user.email = "sam@prairie.example"
    staff_user.save()
    client.force_login(staff_user)
    with sink_at(tmp_path):
        response = client.post(
            reverse("mailings:new"),
            _post(subject_2="Second subject", action="test"),
            follow=True,
        )
    assert "Sent 2 test messages to sam@prairie.example" in response.content.decode()
    subjects = sorted(m.subject for m in captured_messages(directory=tmp_path))
    assert subjects == ["[Test] Hi friend", "[Test] Second subject"]
    assert all(
        m.recipients == ["sam@prairie.example"] for m in captured_messages(directory=tmp_path)
    )


def test_a_test_without_an_address_says_so(client, staff_user):
    client.force_login(staff_user)
    response = client.post(reverse("mailings:new"), _post(action="test"))
    assert "no email address to send a test to" in response.content.decode()
    assert Mailing.objects.count() == 0


def test_load_a_template_into_the_form(client, staff_user):
    template = MailTemplate.objects.create(
        name="Monthly news", subject="News for {{ first_name }}", body="## This month"
    )
    client.force_login(staff_user)
    response = client.post(
        reverse("mailings:new"), _post(name="", action="template", template=str(template.pk))
    )
    html = response.content.decode()
    assert "Loaded “Monthly news”." in html
    assert 'value="News for {{ first_name }}"' in html and "## This month" in html
    assert 'value="Monthly news"' in html  # the empty name took the template's
    assert "errorlist" not in html and Mailing.objects.count() == 0
    response = client.post(reverse("mailings:new"), _post(action="template", template="x"))
    assert "Choose a template to load." in response.content.decode()


def test_live_count_and_combinations(client, staff_user):
    for n in range(5):
        subscriber(n, tag="school funding" if n < 3 else "")
    segment = everyone_segment(staff_user)
    identity = sender()
    client.force_login(staff_user)
    url = reverse("mailings:compose_summary")
    html = client.post(url, _post()).content.decode()
    assert "Choose a segment or a list" in html
    html = client.post(
        url,
        _post(include_segments=[segment.pk], subject_2="B", body_2="Two", senders=[identity.pk],
              test_share="40"),
    ).content.decode()  # fmt: skip
    assert 'data-count="5"' in html
    assert "2 subjects × 2 bodies × 1 sender = <strong>4 variants</strong>" in html
    assert "<strong>2</strong> get the variants (40%), <strong>3</strong> wait" in html
    html = client.post(url, _post(include_segments=["nonsense"])).content.decode()
    assert "Fix the audience fields" in html


def test_live_preview_as_a_person(client, staff_user):
    rosa = subscriber(1, first_name="Rosa")
    tag_add(actor=None, person=rosa, name="school funding")
    client.force_login(staff_user)
    url = reverse("mailings:compose_preview")
    body = "Hi {{ first_name | friend }}\n\n{% if tag: school funding %}Schools!{% endif %}"
    html = client.post(url, _post(body_1=body, preview_as=str(rosa.pk))).content.decode()
    assert "As <strong>Rosa Tester</strong>" in html
    assert "sandbox srcdoc=" in html and "allow-scripts" not in html
    assert "Hi Rosa" in html and "Schools!" in html
    html = client.post(url, _post(body_1=body, preview_as="p1@example.org")).content.decode()
    assert "Hi Rosa" in html
    html = client.post(url, _post(body_1=body)).content.decode()
    assert "Hi friend" in html and "Schools!" not in html
    html = client.post(url, _post(body_1="{{ nope }}")).content.decode()
    assert "cannot be sent" in html and "nope" in html
    html = client.post(url, _post(body_1=body, preview_as="999999")).content.decode()
    assert "Nobody you can see matches" in html
    html = client.post(url, _post(preview_body="2", body_2="Second {{ last_name }}",
                                  preview_as=str(rosa.pk))).content.decode()  # fmt: skip
    assert "Second Tester" in html


def test_report_of_a_sent_test(client, staff_user, tmp_path):
    for n in range(8):
        subscriber(n)
    mailing = _sent(staff_user, _mailing(staff_user, everyone_segment(staff_user)), tmp_path)
    Delivery.objects.filter(mailing=mailing, in_test=True).update(
        opened_at=timezone.now(), clicked_at=timezone.now(), clicks=2
    )
    first = Delivery.objects.filter(mailing=mailing, in_test=True).order_by("pk")[:1]
    Delivery.objects.filter(pk__in=first.values("pk")).update(machine_open=True)
    client.force_login(staff_user)
    response = client.get(reverse("mailings:report", args=[mailing.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-variant="A"' in html and 'data-variant="B"' in html
    assert "P(best)" in html and "95% interval" in html
    assert re.search(r'id="t-sent">4<', html)
    assert re.search(r'id="t-queued">0</dd><span class="tile-note">\+ 4 held', html)
    assert "machine opens" in html and "<svg" in html and "<rect" in html
    assert "in doubt" not in html.split('id="totals-h"')[0]  # no in-doubt alert


def test_report_states_in_doubt_messages_and_paused_reason(client, staff_user, tmp_path):
    for n in range(4):
        subscriber(n)
    mailing = _sent(staff_user, _mailing(staff_user, everyone_segment(staff_user)), tmp_path)
    first = Delivery.objects.filter(mailing=mailing).order_by("pk").first()
    assert first is not None
    Delivery.objects.filter(pk=first.pk).update(state=Delivery.State.IN_DOUBT)
    Mailing.objects.filter(pk=mailing.pk).update(
        status=Mailing.Status.PAUSED, paused_reason="3 of 100 unsubscribed (3.0%)."
    )
    client.force_login(staff_user)
    html = client.get(reverse("mailings:report", args=[mailing.pk])).content.decode()
    assert '<span id="in-doubt-count">1</span> message in doubt' in html
    assert "3 of 100 unsubscribed (3.0%)." in html
    assert "Resume" in html and "Cancel mailing" in html
    response = client.post(reverse("mailings:status", args=[mailing.pk, "resume"]))
    assert response.status_code == 302
    mailing.refresh_from_db()
    assert mailing.status != Mailing.Status.PAUSED
    client.post(reverse("mailings:status", args=[mailing.pk, "cancel"]))
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.CANCELLED
    assert client.post(reverse("mailings:status", args=[mailing.pk, "explode"])).status_code == 403
    # A started mailing cannot be edited: the edit page sends you to the report.
    response = client.get(reverse("mailings:edit", args=[mailing.pk]))
    assert response["Location"] == reverse("mailings:report", args=[mailing.pk])


def test_outbox_lists_and_shows_captured_mail(client, staff_user, tmp_path):
    for n in range(3):
        subscriber(n)
    with override_settings(DATA_DIR=tmp_path):
        mailing = _sent(
            staff_user, _mailing(staff_user, everyone_segment(staff_user), test_share=100),
            tmp_path,
        )  # fmt: skip
        client.force_login(staff_user)
        html = client.get(reverse("mailings:outbox")).content.decode()
        names = re.findall(r'href="/mailings/outbox/([0-9-]+)/"', html)
        assert len(names) == 3 and "p0@example.org" in html
        page = client.get(reverse("mailings:outbox_message", args=[names[0]])).content.decode()
        for header in ("From", "To", "Subject", "Message-ID", "List-Unsubscribe",
                       "List-Unsubscribe-Post"):  # fmt: skip
            assert f"<dt>{header}</dt>" in page
        assert 'sandbox srcdoc="' in page and "allow-scripts" not in page
        assert "/m/u/" in page  # the List-Unsubscribe header
        # Looking is not opening or clicking: no pixel, and tracked links listed, not live.
        frame = page[page.index("srcdoc=") : page.index("</iframe>")]
        assert "/m/o/" not in frame and "href=&quot;#tracked-1&quot;" in frame
        assert "tracked link" in page and "/m/c/" in page.split("</iframe>")[1]
        assert client.get("/mailings/outbox/..%2F..%2Fsecret/").status_code == 404
        assert client.get("/mailings/outbox/1-000000/").status_code == 404
        assert client.get(reverse("mailings:outbox") + "?page=x").status_code == 200
        assert "Nothing captured" in client.get("/mailings/outbox/?page=9").content.decode()
    assert mailing.deliveries.filter(state=Delivery.State.SENT).count() == 3
