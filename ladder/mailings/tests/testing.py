"""Builders for mailing tests: subscribed people, a segment of them, SMTP settings for a sink."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.test import override_settings

from ladder.core.mailsink import MailSink
from ladder.core.models import User
from ladder.mailings.models import SenderIdentity
from ladder.people.models import Group, Person
from ladder.people.services import consent_record, person_create, tag_add
from ladder.segments.models import Segment


def subscriber(
    n: int, *, tag: str = "", group: Group | None = None, first_name: str | None = None
) -> Person:
    email = f"p{n}@example.org"
    person = person_create(
        actor=None,
        first_name=f"P{n}" if first_name is None else first_name,
        last_name="Tester",
        email=email,
        home_group=group,
    )
    consent_record(
        actor=None, person=person, channel="email", contact_point=email, status="opt_in",
        source="test",
    )  # fmt: skip
    if tag:
        tag_add(actor=None, person=person, name=tag)
    return person


def everyone_segment(owner: User, *, group: Group | None = None) -> Segment:
    """A segment of everyone the owner may see who can be emailed."""
    return Segment.objects.create(
        name="Everyone",
        owner=owner,
        group=group,
        definition={"match": {"kind": "reachable", "channel": "email"}},
    )


def sender() -> SenderIdentity:
    return SenderIdentity.objects.get_or_create(
        from_email="organizers@prairie.example",
        defaults={"from_name": "Prairie Forward", "is_default": True},
    )[0]


def smtp_to(port: int) -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port},
        }
    }


@contextmanager
def sink_at(directory: Path) -> Iterator[MailSink]:
    with (
        MailSink(port=0, directory=directory) as sink,
        override_settings(MAILERS=smtp_to(sink.port)),
    ):
        yield sink
