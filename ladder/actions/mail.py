"""The auto-response a person gets after acting on a page: plain text, from the page's own
subject and body, sent through the default mailer (MAILERS)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone

from ladder.actions.models import ActionPage, Rsvp, Shift
from ladder.people.models import Person

PLACEHOLDERS = ("first_name", "last_name", "page")


def _fill(text: str, values: dict[str, str]) -> str:
    # {first_name}, {last_name} and {page} only: str.format would let staff text reach
    # attributes of the values ("{first_name.__class__}").
    for key in PLACEHOLDERS:
        text = text.replace("{" + key + "}", values[key])
    return text


def autoresponse_send(page: ActionPage, person: Person) -> bool:
    """Send the page's auto-response to the person's primary email; False when there is
    nothing to send (no text on the page, no usable address, or they unsubscribed — a receipt
    of an action is transactional, but an unsubscribe is honoured here too)."""
    if not page.autoresponse_subject.strip() or not page.autoresponse_body.strip():
        return False
    email = (
        person.emails.filter(status="active")
        .exclude(subscription="unsubscribed")
        .order_by("-is_primary", "id")
        .first()
    )
    if email is None:
        return False
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


RSVP_SALT = "ladder.actions.rsvp"


def rsvp_link(rsvp: Rsvp) -> str:
    """The person's own page for this RSVP (see it, cancel it): a signed link, no login."""
    from django.core import signing
    from django.urls import reverse

    token = signing.dumps(rsvp.pk, salt=RSVP_SALT)
    path = reverse("actions:rsvp", args=[rsvp.shift.event.page.slug, token])
    return settings.LADDER_PUBLIC_URL.rstrip("/") + path


def when_text(shift: Shift) -> str:
    local = timezone.localtime(shift.starts_at, ZoneInfo(shift.event.time_zone))
    end = timezone.localtime(shift.ends_at, ZoneInfo(shift.event.time_zone))
    return f"{local:%A %B} {local.day}, {local:%-I:%M %p}–{end:%-I:%M %p}".replace(":00", "")


def rsvp_mail_send(kind: str, rsvp: Rsvp) -> bool:
    """The confirmation of an RSVP (going, or on the waitlist) or the news that a place opened
    up for someone on the waitlist. False when the person has no address we may write to."""
    from ladder.actions.events import waitlist_position

    person = rsvp.person
    email = (
        person.emails.filter(status="active")
        .exclude(subscription="unsubscribed")
        .order_by("-is_primary", "id")
        .first()
    )
    if email is None or rsvp.status == "cancelled":
        return False
    event = rsvp.shift.event
    title = event.page.title
    where = "Online: " + event.online_url if event.is_online else (event.venue or event.address)
    hello = f"Hi {person.first_name or 'friend'},"
    if kind == "reminder":
        subject = f"Tomorrow: {title}"
        lead = "A reminder: you're coming, and we're counting on you. See you there!"
    elif kind == "thanks":
        subject = f"Thank you for coming to {title}"
        lead = "It was good to see you. Here is what we did together, and what comes next."
    elif kind == "missed":
        subject = f"We missed you at {title}"
        lead = "We saved you a place but didn't see you. Everything OK? There will be a next time."
    elif kind == "promoted":
        subject = f"A place opened up: you're going to {title}"
        lead = "Someone could not make it, and you were next on the waitlist: you have a place."
    elif rsvp.status == "waitlisted":
        subject = f"You're on the waitlist for {title}"
        lead = (
            f"This shift is full, so you're number {waitlist_position(rsvp)} on the "
            "waitlist. If a place opens up, it's yours and we'll email you at once."
        )
    else:
        subject = f"You're going to {title}"
        lead = "Thank you for signing up. See you there!"
    parts = [hello, lead, f"{title}\n{when_text(rsvp.shift)}\n{where}".strip()]
    if kind in ("rsvp", "promoted", "reminder"):
        parts.append(
            f"Can't make it? Let us know, so someone else can have your place:\n{rsvp_link(rsvp)}"
        )
    body = "\n\n".join(parts)
    EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.address],
        headers={"Auto-Submitted": "auto-generated"},
    ).send()
    return True
