"""The emails a supporter gets, sent for real: through the configured mailer (MAILERS, Django's
SMTP backend) to an SMTP server running in this process (aiosmtpd), then read back."""

from __future__ import annotations

import pytest
from django.test import override_settings

from ladder.actions.events import rsvp_take
from ladder.actions.services import action_take
from ladder.actions.tests.testing import make_event, make_page
from ladder.core.mailsink import MailSink, captured_messages

pytestmark = pytest.mark.django_db


def test_auto_response_and_rsvp_confirmation_over_smtp(
    staff_user, tmp_path, django_capture_on_commit_callbacks
):
    page = make_page(staff_user)
    shift = make_event(staff_user, capacity=1).event.shifts.get()
    with MailSink(port=0, directory=tmp_path) as sink:
        smtp = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                            "OPTIONS": {"host": "127.0.0.1", "port": sink.port}}}  # fmt: skip
        with override_settings(MAILERS=smtp), django_capture_on_commit_callbacks(execute=True):
            action_take(page=page, token="t", email="rosa@example.org", first_name="Rosa")
            rsvp_take(shift=shift, email="rosa@example.org")
            rsvp_take(shift=shift, email="june@example.org", first_name="June")
    mails = {m.subject: m for m in captured_messages(directory=tmp_path)}
    assert set(mails) == {"Thanks, Rosa", "You're going to Saturday canvass",
                          "You're on the waitlist for Saturday canvass"}  # fmt: skip
    assert mails["Thanks, Rosa"].recipients == ["rosa@example.org"]
    waitlist = mails["You're on the waitlist for Saturday canvass"]
    assert waitlist.recipients == ["june@example.org"]
    body = waitlist.path.read_text()
    assert "number 1 on the" in body and "/rsvp/" in body
