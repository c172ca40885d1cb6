from __future__ import annotations

import datetime as dt
from functools import partial

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ladder.people.models import ConsentEvent, EmailAddress, Subscription, Suppression
from ladder.people.services import consent_record, email_add, people_delete, person_create

pytestmark = pytest.mark.django_db

email_consent = partial(consent_record, actor=None, channel="email")


def _status(address: str) -> str:
    return EmailAddress.objects.get(address=address).subscription


def test_opt_out_is_sticky_against_automatic_opt_in(person_in_a):
    point = "alma@example.org"
    email_consent(person=person_in_a, contact_point="ALMA@example.org", status="opt_in", source="f")
    assert _status(point) == Subscription.SUBSCRIBED
    email_consent(person=person_in_a, contact_point=point, status="opt_out", source="unsubscribe")
    ignored = email_consent(person=person_in_a, contact_point=point, status="opt_in", source="imp")
    assert ignored is None
    assert _status(point) == Subscription.UNSUBSCRIBED
    assert ConsentEvent.objects.filter(contact_point=point).count() == 2


def test_newer_opt_in_by_the_person_resubscribes(person_in_a):
    point = "alma@example.org"
    three_days_ago = timezone.now() - dt.timedelta(days=3)
    email_consent(
        person=person_in_a, contact_point=point, status="opt_out", source="unsubscribe",
        occurred_at=three_days_ago,
    )  # fmt: skip
    event = email_consent(
        person=person_in_a, contact_point=point, status="opt_in", source="petition",
        wording="Email me updates", by_person=True,
    )  # fmt: skip
    assert event is not None and event.wording == "Email me updates"
    assert _status(point) == Subscription.SUBSCRIBED


def test_suppression_survives_deletion_and_readding(person_in_a):
    point = "alma@example.org"
    email_consent(person=person_in_a, contact_point=point, status="opt_out", source="unsubscribe")
    people_delete(actor=None, people=[person_in_a])
    assert Suppression.objects.filter(channel="email").count() == 1
    again = person_create(actor=None, first_name="Alma", email=point)
    assert again.emails.get().subscription == Subscription.UNSUBSCRIBED
    assert email_consent(person=again, contact_point=point, status="opt_in", source="api") is None


def test_email_is_normalised_and_unique(person_in_a, person_in_b):
    with pytest.raises(ValidationError, match="already belongs"):
        email_add(actor=None, person=person_in_b, address=" Alma@Example.ORG ")
