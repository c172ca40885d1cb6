"""Builders for the tracking, unsubscribe and bounce tests: a sent delivery to a subscribed
person, made with the models directly, and the hit buffer in manual mode (no thread)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

import pytest
from django.utils import timezone

from ladder.core.models import User
from ladder.mailings import tracking
from ladder.mailings.models import Delivery, Mailing, Variant
from ladder.mailings.tests.testing import sender
from ladder.people.models import Person

LINKS = (
    "https://news.example.com/story?id=7",
    "/act/save-the-library/",
    "http://127.0.0.1:8000/give/",
)


def sent_delivery(
    person: Person,
    owner: User,
    *,
    links: Sequence[str] = LINKS,
    sent_ago: dt.timedelta = dt.timedelta(hours=1),
    mailing: Mailing | None = None,
) -> Delivery:
    if mailing is None:
        mailing = Mailing.objects.create(
            name="Library vote",
            created_by=owner,
            status=Mailing.Status.SENT,
            subjects=["The vote is Tuesday"],
            bodies=["Come."],
        )
    variant = mailing.variants.first() or Variant.objects.create(
        mailing=mailing,
        label="A",
        subject="The vote is Tuesday",
        body="Come.",
        sender=sender(),
        links=list(links),
    )
    email = person.emails.get(is_primary=True).address
    return Delivery.objects.create(
        mailing=mailing,
        person=person,
        email=email,
        variant=variant,
        state=Delivery.State.SENT,
        sent_at=timezone.now() - sent_ago,
    )


@pytest.fixture
def manual_buffer() -> Iterator[tracking.HitBuffer]:
    """The process's hit buffer, written only when a test flushes it (or it fills)."""
    was = tracking.BUFFER.manual
    tracking.BUFFER.manual = True
    tracking.BUFFER.flush()
    yield tracking.BUFFER
    tracking.BUFFER._hits.clear()
    tracking.BUFFER.manual = was
