"""The auto-response a person gets after acting on a page: plain text, from the page's own
subject and body, sent through the default mailer (MAILERS)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage

from ladder.actions.models import Submission

PLACEHOLDERS = ("first_name", "last_name", "page")


def _fill(text: str, values: dict[str, str]) -> str:
    # {first_name}, {last_name} and {page} only: str.format would let staff text reach
    # attributes of the values ("{first_name.__class__}").
    for key in PLACEHOLDERS:
        text = text.replace("{" + key + "}", values[key])
    return text


def autoresponse_send(submission: Submission) -> bool:
    """Send the page's auto-response to the person's primary email; False when there is
    nothing to send (no text on the page, no usable address, or they unsubscribed — a receipt
    of an action is transactional, but an unsubscribe is honoured here too)."""
    page = submission.page
    if not page.autoresponse_subject.strip() or not page.autoresponse_body.strip():
        return False
    email = (
        submission.person.emails.filter(status="active")
        .exclude(subscription="unsubscribed")
        .order_by("-is_primary", "id")
        .first()
    )
    if email is None:
        return False
    person = submission.person
    values = {"first_name": person.first_name or "friend", "last_name": person.last_name,
              "page": page.title}  # fmt: skip
    message = EmailMessage(
        subject=_fill(page.autoresponse_subject, values).replace("\n", " ")[:200],
        body=_fill(page.autoresponse_body, values),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.address],
        headers={"Auto-Submitted": "auto-replied"},
    )
    message.send()
    return True
